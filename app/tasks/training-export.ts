/**
 * Training data out of run records (`deskpilot export`, app/cli/export.ts, and History's "Export for training"): find the records under the
 * given folders (a run folder, a folder of runs, an OSWorld results folder whose task folders hold deskpilot-run/
 * records next to deskpilot-task.json), keep the runs and samples the filters let through, and write one format:
 *
 *   sft      sft.jsonl           {"messages": [...], "images": [...]} - ms-swift and LLaMA-Factory (sharegpt) alike
 *   dpo      dpo.jsonl           ms-swift: messages ending in the chosen turn, "rejected_response", "images"
 *            dpo-sharegpt.jsonl  LLaMA-Factory ranking: prompt "messages", "chosen" and "rejected" turns, "images"
 *   osworld  osworld.jsonl       the sft lines of scored OSWorld task runs, each with its task's "score" and "task"
 *
 * plus images/<run>/<file> (each image copied once, named in "images" relative to the output folder),
 * dataset_info.json (LLaMA-Factory's description of those files) and export.json (counts, skips, what was
 * missing). The samples themselves come from app/runs/training.ts.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DenyRuleSchema, RUN_OUTCOMES, RISK_LEVELS, type RunOutcome, type TrainingFormat } from '../contract';
import { activeDenyRules } from '../policy/default-deny-rules';
import { compileRedactPatterns, denyRulePatterns, redactImage, redactText, type Redaction } from '../runs/redact';
import { EVENTS_FILE, SETTINGS_FILE, findRunFile, readRun, type RunRecord } from '../runs/recorder';
import { IMAGE_PLACEHOLDER, samplesOfRun, type ChatTurn, type RunSamples, type SampleContext } from '../runs/training';
import { ScreenReader, type TextBox } from '../screen/ocr';
import { RECORD_FILE, TaskRecordSchema } from './results';

export { TRAINING_FORMATS as EXPORT_FORMATS } from '../contract';
export type ExportFormat = TrainingFormat;

/** Input that cannot be exported (a bad filter, no records, an --out folder in use): the message says what to fix. */
export class ExportError extends Error {
  override name = 'ExportError';
}

/** Folders are searched this deep for run records (an OSWorld results tree is 6 levels deep). */
const MAX_DEPTH = 8;

// ------------------------------------------------------------------------------------------------------ filters

const FILTER_KEYS = ['outcome', 'score', 'risk', 'profile', 'since', 'until'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

export type Filter =
  | { key: 'outcome'; values: RunOutcome[] }
  | { key: 'risk'; values: Array<(typeof RISK_LEVELS)[number]> }
  | { key: 'profile'; values: string[] }
  | { key: 'score'; op: '>=' | '<=' | '>' | '<' | '='; value: number }
  | { key: 'since' | 'until'; at: number };

const FILTER_SYNTAX = /^([a-z]+)\s*(>=|<=|>|<|=)\s*(.+)$/;
const FILTER_HELP =
  'outcome=success,answered | score>=1 (also <=, >, <, =) | risk=safe,risky | profile=qwen3-vl | since=2026-11-01 | until=2026-12-01';

/** One `--filter` value, e.g. "outcome=success,answered", "score>=0.5", "since=2026-11-01". */
export function parseFilter(text: string): Filter {
  const match = FILTER_SYNTAX.exec(text.trim());
  const bad = (why: string) => new ExportError(`--filter "${text}": ${why}; filters are ${FILTER_HELP}`);
  if (!match) throw bad('not of the form key=value');
  const [, key, op, raw] = match as unknown as [string, string, string, string];
  if (!(FILTER_KEYS as readonly string[]).includes(key)) throw bad(`unknown key "${key}"`);
  const list = raw.split(',').map((v) => v.trim()).filter(Boolean);
  if (key !== 'score' && op !== '=') throw bad(`"${key}" takes "=" only`);
  switch (key as FilterKey) {
    case 'outcome': {
      const parsed = z.array(z.enum(RUN_OUTCOMES)).min(1).safeParse(list);
      if (!parsed.success) throw bad(`an outcome is one of ${RUN_OUTCOMES.join(', ')}`);
      return { key: 'outcome', values: parsed.data };
    }
    case 'risk': {
      const parsed = z.array(z.enum(RISK_LEVELS)).min(1).safeParse(list);
      if (!parsed.success) throw bad(`a risk is one of ${RISK_LEVELS.join(', ')}`);
      return { key: 'risk', values: parsed.data };
    }
    case 'profile':
      if (list.length === 0) throw bad('no profile named');
      return { key: 'profile', values: list };
    case 'score': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw bad(`"${raw}" is not a number`);
      return { key: 'score', op: op as '>=' | '<=' | '>' | '<' | '=', value };
    }
    default: {
      const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(raw.trim()) ? Date.parse(raw.trim()) : Number.NaN;
      if (!Number.isFinite(at)) throw bad(`"${raw}" is not a date (YYYY-MM-DD, or an ISO time)`);
      // "until" a day includes that whole day.
      const end = key === 'until' && raw.trim().length === 10 ? at + 86_400_000 : at;
      return { key: key as 'since' | 'until', at: end };
    }
  }
}

interface FoundRun {
  dir: string;
  /** The OSWorld task this run was recorded for (deskpilot-task.json next to it), when it was one. */
  task?: { name: string; score: number | null };
}

function runPasses(run: FoundRun, samples: RunSamples, filters: readonly Filter[]): boolean {
  return filters.every((filter) => {
    switch (filter.key) {
      case 'outcome':
        return samples.outcome !== null && filter.values.includes(samples.outcome);
      case 'profile':
        return samples.profile !== null && filter.values.some((p) => samples.profile === p || samples.profile!.startsWith(`${p}:`));
      case 'score': {
        const score = run.task?.score;
        if (score === null || score === undefined) return false;
        const { op, value } = filter;
        return op === '>=' ? score >= value : op === '<=' ? score <= value : op === '>' ? score > value : op === '<' ? score < value : score === value;
      }
      case 'since':
        return samples.startedAt !== null && samples.startedAt >= filter.at;
      case 'until':
        return samples.startedAt !== null && samples.startedAt < filter.at;
      case 'risk':
        return true; // per sample
    }
  });
}

function samplePasses(risk: string, filters: readonly Filter[]): boolean {
  return filters.every((f) => f.key !== 'risk' || (f.values as string[]).includes(risk));
}

// ---------------------------------------------------------------------------------------------------- discovery

function isRunDir(dir: string): boolean {
  return existsSync(join(dir, EVENTS_FILE)) || existsSync(join(dir, SETTINGS_FILE));
}

/** The task record next to a run of an OSWorld task (deskpilot-task.json in the run's parent), checked by zod. */
function taskOf(runDir: string, missing: string[]): FoundRun['task'] {
  const file = join(dirname(runDir), RECORD_FILE);
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    missing.push(`${file} is not valid JSON (${(error as Error).message}); the run's score is unknown`);
    return undefined;
  }
  const parsed = TaskRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    missing.push(`${file} is not a task record${issue ? ` (at "${issue.path.join('.')}": ${issue.message})` : ''}; the run's score is unknown`);
    return undefined;
  }
  const task = parsed.data;
  return { name: `${task.domain}/${task.id}`, score: task.status === 'scored' ? task.score : null };
}

/** Every run record at or under `input`, in a stable order. Symbolic links are not followed. */
export function findRuns(input: string, missing: string[]): FoundRun[] {
  const root = resolve(input);
  if (!existsSync(root)) throw new ExportError(`no folder at ${root}`);
  // The folder given may be a link (followed: the person named it); links inside it are not followed.
  if (!statSync(root).isDirectory()) throw new ExportError(`${root} is not a folder (give a run folder, a folder of runs or an OSWorld results folder)`);
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (isRunDir(dir)) {
      found.push(dir);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(join(dir, entry.name), depth + 1);
    }
  };
  walk(root, 0);
  if (found.length === 0) {
    throw new ExportError(`no run records in ${root} (a run folder holds ${EVENTS_FILE}; an OSWorld results folder holds them in <task>/deskpilot-run/)`);
  }
  return found.map((dir) => {
    const task = taskOf(dir, missing);
    return task ? { dir, task } : { dir };
  });
}

// ------------------------------------------------------------------------------------------------------ writing

export interface ExportOptions {
  inputs: string[];
  format: ExportFormat;
  /** Required unless dryRun. */
  out?: string;
  filters?: Filter[];
  dryRun?: boolean;
  redact?: RedactOptions;
}

/** What to hide before anything is written (app/runs/redact.ts). */
export interface RedactOptions {
  /** Blurred on every image, in the screenshots' pixels. */
  boxes?: TextBox[];
  /** RE2 patterns: matches in the text are replaced, lines on the images that match are blurred. */
  patterns?: string[];
  /** Also the patterns of each run's `text` deny rules (built-in ones it did not remove, then its own). */
  denyRules?: boolean;
}

export interface ExportSummary {
  format: ExportFormat;
  runs: number;
  /** Lines written (or that would be) per kind: approved, edited, denied, partial (old records). */
  counts: Record<string, number>;
  /** Steps or runs that gave no line, counted by why. */
  skipped: Record<string, number>;
  missing: string[];
  /** The files written, relative to the output folder (empty for a dry run). */
  files: string[];
  /** With redaction: images that had regions blurred, and how many regions in all. */
  redacted?: { images: number; regions: number };
}

const assistant = (content: string): ChatTurn => ({ role: 'assistant', content });

/** LLaMA-Factory's description of the written files (its dataset_info.json, read from the dataset folder). */
function datasetInfo(files: string[]): Record<string, unknown> {
  const tags = { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' };
  const info: Record<string, unknown> = {};
  for (const file of files) {
    if (file === 'sft.jsonl' || file === 'osworld.jsonl') {
      info[`deskpilot_${file.replace('.jsonl', '')}`] = { file_name: file, formatting: 'sharegpt', columns: { messages: 'messages', images: 'images' }, tags };
    }
    if (file === 'dpo-sharegpt.jsonl') {
      info.deskpilot_dpo = {
        file_name: file,
        formatting: 'sharegpt',
        ranking: true,
        columns: { messages: 'messages', chosen: 'chosen', rejected: 'rejected', images: 'images' },
        tags,
      };
    }
  }
  return info;
}

/** The text deny rules of a recorded run's settings (each checked by zod; the built-in ones when there are none). */
function runDenyPatterns(record: RunRecord, missing: string[]): string[] {
  const settings = record.settings ?? {};
  const own = z.array(DenyRuleSchema).safeParse(settings.denyRules ?? []);
  const removed = z.array(z.string()).safeParse(settings.removedDefaultDenyRules ?? []);
  if (!own.success || !removed.success) {
    missing.push(`${record.dir}: the deny rules in settings.json cannot be read; only the built-in ones redact this run`);
  }
  return denyRulePatterns(activeDenyRules({ denyRules: own.success ? own.data : [], removedDefaultDenyRules: removed.success ? removed.data : [] }));
}

/** Unique, path-safe names for the runs' image folders. */
function imageFolderNames(runs: RunSamples[]): Map<RunSamples, string> {
  const names = new Map<RunSamples, string>();
  const used = new Set<string>();
  for (const run of runs) {
    const base = (run.runId || basename(run.dir)).replace(/[^\w.-]/g, '_').replace(/^\.+/, '_') || 'run';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    names.set(run, name);
  }
  return names;
}

export async function exportTrainingData(options: ExportOptions): Promise<ExportSummary> {
  const filters = options.filters ?? [];
  const missing: string[] = [];
  const found = options.inputs.flatMap((input) => findRuns(input, missing));
  const unique = [...new Map(found.map((run) => [run.dir, run])).values()];

  let outDir: string | null = null;
  if (!options.dryRun) {
    if (!options.out) throw new ExportError('--out <dir> is required (or --dry-run to only count)');
    outDir = resolve(options.out);
    if (existsSync(outDir) && (!lstatSync(outDir).isDirectory() || readdirSync(outDir).length > 0)) {
      throw new ExportError(`--out ${outDir} must be a new or empty folder (an export never mixes with an earlier one)`);
    }
  }

  const summary: ExportSummary = { format: options.format, runs: 0, counts: {}, skipped: {}, missing, files: [] };
  const count = (bucket: Record<string, number>, key: string, n = 1) => (bucket[key] = (bucket[key] ?? 0) + n);

  const given = compileRedactPatterns(options.redact?.patterns ?? []);
  if (typeof given === 'string') throw new ExportError(given);
  const kept: Array<{ run: FoundRun; samples: RunSamples; redaction: Redaction }> = [];
  for (const run of unique) {
    let samples: RunSamples;
    let record: RunRecord;
    try {
      record = readRun(run.dir);
      samples = samplesOfRun(record);
    } catch (error) {
      throw new ExportError(`cannot read the run record ${run.dir}: ${(error as Error).message}`);
    }
    const fromRules = options.redact?.denyRules ? compileRedactPatterns(runDenyPatterns(record, missing)) : [];
    if (typeof fromRules === 'string') throw new ExportError(`${run.dir}: ${fromRules}`);
    const redaction: Redaction = { boxes: options.redact?.boxes ?? [], patterns: [...given, ...fromRules] };
    if (!runPasses(run, samples, filters)) {
      count(summary.skipped, 'run left out by the filters');
      continue;
    }
    if (options.format === 'osworld' && (run.task?.score === null || run.task?.score === undefined)) {
      count(summary.skipped, 'run is not a scored OSWorld task run');
      continue;
    }
    kept.push({ run, samples, redaction });
    summary.runs++;
    missing.push(...samples.missing);
    const skipped = options.format === 'dpo' ? samples.skipped.pairs : samples.skipped.sft;
    for (const [reason, n] of Object.entries(skipped)) count(summary.skipped, `step: ${reason}`, n);
  }

  const folders = imageFolderNames(kept.map((k) => k.samples));
  const lines = new Map<string, string[]>();
  const copied = new Set<string>();
  const push = (file: string, value: unknown) => {
    const list = lines.get(file) ?? [];
    list.push(JSON.stringify(value));
    lines.set(file, list);
  };
  const redactingImages = kept.some((k) => k.redaction.boxes.length > 0 || k.redaction.patterns.length > 0);
  // One OCR reader for the whole export, only when patterns must be found on the images.
  const reader = outDir && kept.some((k) => k.redaction.patterns.length > 0) ? await ScreenReader.open() : null;
  if (redactingImages) summary.redacted = { images: 0, regions: 0 };
  /** The images of a sample as paths in the output folder (copied there unless dry), or null when one is gone. */
  const imagesOf = async (samples: RunSamples, redaction: Redaction, context: SampleContext, step: number): Promise<string[] | null> => {
    const paths: string[] = [];
    for (const file of context.images) {
      const source = findRunFile(samples.dir, file);
      if (source.kind !== 'file') {
        missing.push(`${samples.dir}: step ${step}: image ${file} ${source.kind === 'missing' ? 'is missing' : `was refused: ${source.reason}`}`);
        return null;
      }
      const target = `images/${folders.get(samples)!}/${file}`;
      if (outDir && !copied.has(target)) {
        mkdirSync(join(outDir, dirname(target)), { recursive: true });
        if (redaction.boxes.length > 0 || redaction.patterns.length > 0) {
          const redacted = await redactImage(readFileSync(source.path), redaction, reader);
          writeFileSync(join(outDir, target), redacted.data);
          if (redacted.regions > 0) {
            summary.redacted!.images++;
            summary.redacted!.regions += redacted.regions;
          }
        } else {
          copyFileSync(source.path, join(outDir, target));
        }
        copied.add(target);
      }
      paths.push(target);
    }
    return paths;
  };

  try {
    for (const { run, samples, redaction } of kept) {
      const hide = (text: string) => redactText(text, redaction.patterns, IMAGE_PLACEHOLDER);
      const hideAll = (messages: ChatTurn[]) => messages.map((m) => ({ role: m.role, content: hide(m.content) }));
      if (options.format === 'dpo') {
        for (const pair of samples.pairs) {
          if (!samplePasses(pair.risk, filters)) {
            count(summary.skipped, 'step: left out by the filters');
            continue;
          }
          const images = await imagesOf(samples, redaction, pair.context, pair.step);
          if (!images) {
            count(summary.skipped, 'step: an image file is missing');
            continue;
          }
          const prompt = hideAll(pair.context.messages);
          const chosen = hide(pair.chosen);
          const rejected = hide(pair.rejected);
          push('dpo.jsonl', { messages: [...prompt, assistant(chosen)], rejected_response: rejected, images });
          push('dpo-sharegpt.jsonl', { messages: prompt, chosen: assistant(chosen), rejected: assistant(rejected), images });
          count(summary.counts, pair.kind);
          if (pair.context.partial) count(summary.counts, 'partial');
        }
        continue;
      }
      for (const sample of samples.sft) {
        if (!samplePasses(sample.risk, filters)) {
          count(summary.skipped, 'step: left out by the filters');
          continue;
        }
        const images = await imagesOf(samples, redaction, sample.context, sample.step);
        if (!images) {
          count(summary.skipped, 'step: an image file is missing');
          continue;
        }
        const messages = hideAll([...sample.context.messages, assistant(sample.reply)]);
        if (options.format === 'osworld') push('osworld.jsonl', { messages, images, score: run.task!.score, task: run.task!.name });
        else push('sft.jsonl', { messages, images });
        count(summary.counts, sample.kind);
        if (sample.context.partial) count(summary.counts, 'partial');
      }
    }
  } finally {
    await reader?.close();
  }

  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    const write = (file: string, text: string) => {
      const temp = join(outDir, `.${file}.partial`);
      writeFileSync(temp, text);
      renameSync(temp, join(outDir, file));
      summary.files.push(file);
    };
    const expected = options.format === 'dpo' ? ['dpo.jsonl', 'dpo-sharegpt.jsonl'] : [`${options.format}.jsonl`];
    for (const file of expected) write(file, (lines.get(file) ?? []).map((l) => `${l}\n`).join(''));
    write('dataset_info.json', `${JSON.stringify(datasetInfo(expected), null, 2)}\n`);
    const record = {
      format: summary.format,
      runs: summary.runs,
      counts: summary.counts,
      skipped: summary.skipped,
      missing,
      ...(summary.redacted ? { redacted: summary.redacted } : {}),
      inputs: unique.map((r) => r.dir),
    };
    write('export.json', `${JSON.stringify(record, null, 2)}\n`);
  }
  return summary;
}
