/**
 * `deskpilot export <run dir | runs folder | OSWorld results folder>... --format sft|dpo|osworld --out DIR
 * [--filter KEY=VALUE]... [--redact] [--redact-text RE2]... [--redact-box x,y,w,h]... [--dry-run]`: turn supervised runs into training data for ms-swift and LLaMA-Factory
 * (app/tasks/training-export.ts says what is written, app/runs/training.ts which steps become which samples).
 * `--dry-run` only prints the counts per kind. Whatever a record lacks is printed as a warning and kept in
 * export.json.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { parseRedactBox } from '../runs/redact';
import { UsageError } from './errors';
import { EXPORT_FORMATS, ExportError, exportTrainingData, parseFilter, type ExportSummary } from '../tasks/training-export';

const FlagsSchema = z.object({
  format: z.enum(EXPORT_FORMATS, { error: () => `--format must be one of ${EXPORT_FORMATS.join(', ')}` }),
  out: z.string().optional(),
  filter: z.array(z.string()).default([]),
  dryRun: z.boolean().optional(),
  redact: z.boolean().optional(),
  redactText: z.array(z.string()).default([]),
  redactBox: z.array(z.string()).default([]),
});

const collect = (value: string, previous: string[] = []) => [...previous, value];

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
      collect,
    )
    .option('--redact', "hide what the run's text deny rules match: blurred where OCR reads it on the screenshots, replaced in the text")
    .option('--redact-text <re2>', 'hide what this RE2 pattern matches, on the screenshots and in the text (repeatable)', collect)
    .option('--redact-box <x,y,w,h>', "blur this box on every screenshot, in the screenshots' pixels (repeatable)", collect)
    .option('--dry-run', 'write nothing; print how many samples of each kind there would be')
    .action(async (inputs: string[], raw: unknown) => {
      const flags = FlagsSchema.safeParse(raw);
      if (!flags.success) throw new UsageError(flags.error.issues[0]?.message ?? 'invalid options');
      const { format, out, filter, dryRun, redact, redactText, redactBox } = flags.data;
      if (!dryRun && !out) throw new UsageError('--out <dir> is required (or --dry-run to only count)');
      const boxes = redactBox.map((text) => {
        const box = parseRedactBox(text);
        if (typeof box === 'string') throw new UsageError(`--redact-box ${box}`);
        return box;
      });
      let summary: ExportSummary;
      try {
        summary = await exportTrainingData({
          inputs,
          format,
          ...(out ? { out } : {}),
          filters: filter.map(parseFilter),
          dryRun: dryRun === true,
          redact: { boxes, patterns: redactText, denyRules: redact === true },
        });
      } catch (error) {
        throw error instanceof ExportError ? new UsageError(error.message) : error;
      }
      for (const line of summary.missing) process.stderr.write(`warning: ${line}\n`);
      process.stdout.write(describeCounts(summary));
      for (const [reason, n] of Object.entries(summary.skipped)) process.stdout.write(`  not exported: ${n} × ${reason}\n`);
      if (summary.redacted) process.stdout.write(`Redacted: ${summary.redacted.regions} regions on ${summary.redacted.images} images\n`);
      if (!dryRun) process.stdout.write(`Written to ${out}: ${summary.files.join(', ')}\n`);
    });
}
