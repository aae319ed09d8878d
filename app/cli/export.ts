/**
 * `deskpilot export <run dir | runs folder | OSWorld results folder>... --format sft|dpo|osworld --out DIR
 * [--filter KEY=VALUE]... [--dry-run]`: turn supervised runs into training data for ms-swift and LLaMA-Factory
 * (app/tasks/training-export.ts says what is written, app/runs/training.ts which steps become which samples).
 * `--dry-run` only prints the counts per kind. Whatever a record lacks is printed as a warning and kept in
 * export.json.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from './errors';
import { EXPORT_FORMATS, ExportError, exportTrainingData, parseFilter, type ExportSummary } from '../tasks/training-export';

const FlagsSchema = z.object({
  format: z.enum(EXPORT_FORMATS, { error: () => `--format must be one of ${EXPORT_FORMATS.join(', ')}` }),
  out: z.string().optional(),
  filter: z.array(z.string()).default([]),
  dryRun: z.boolean().optional(),
});

function describeCounts(summary: ExportSummary): string {
  const kinds = Object.entries(summary.counts).filter(([kind]) => kind !== 'partial');
  const total = kinds.reduce((n, [, c]) => n + c, 0);
  const unit = summary.format === 'dpo' ? 'pairs' : 'samples';
  const detail = kinds.map(([kind, n]) => `${n} ${kind}`).join(', ');
  const partial = summary.counts.partial ? `; ${summary.counts.partial} of them from records without requests (partial)` : '';
  return `${summary.format}: ${total} ${unit}${detail ? ` (${detail})` : ''} from ${summary.runs} run${summary.runs === 1 ? '' : 's'}${partial}\n`;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export approved, edited and denied steps of recorded runs as training data (ms-swift / LLaMA-Factory JSONL)')
    .argument('<inputs...>', 'run folders, folders of runs, or OSWorld results folders')
    .requiredOption('--format <format>', `sft | dpo | osworld`)
    .option('--out <dir>', 'a new or empty folder for the JSONL files and images')
    .option(
      '--filter <key=value>',
      'keep only matching runs or steps (repeatable): outcome=success,answered score>=1 risk=risky profile=qwen3-vl since=2026-11-01 until=2026-12-01',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--dry-run', 'write nothing; print how many samples of each kind there would be')
    .action((inputs: string[], raw: unknown) => {
      const flags = FlagsSchema.safeParse(raw);
      if (!flags.success) throw new UsageError(flags.error.issues[0]?.message ?? 'invalid options');
      const { format, out, filter, dryRun } = flags.data;
      if (!dryRun && !out) throw new UsageError('--out <dir> is required (or --dry-run to only count)');
      let summary: ExportSummary;
      try {
        summary = exportTrainingData({ inputs, format, ...(out ? { out } : {}), filters: filter.map(parseFilter), dryRun: dryRun === true });
      } catch (error) {
        throw error instanceof ExportError ? new UsageError(error.message) : error;
      }
      for (const line of summary.missing) process.stderr.write(`warning: ${line}\n`);
      process.stdout.write(describeCounts(summary));
      for (const [reason, n] of Object.entries(summary.skipped)) process.stdout.write(`  not exported: ${n} × ${reason}\n`);
      if (!dryRun) process.stdout.write(`Written to ${out}: ${summary.files.join(', ')}\n`);
    });
}
