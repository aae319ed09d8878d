/**
 * Past runs for the UI: the list of run folders under the runs root, one run's events, and its step images.
 * Run ids and file names come from the UI, so every path is checked to stay inside the runs root - by its real
 * path, so a symbolic link in the runs root or in a run folder cannot lead out of it either.
 */
import { existsSync, openSync, readdirSync, readFileSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RunDetails, RunExport, RunImage, RunListItem } from './bridge';
import type { TrainingFormat } from '../contract';
import { exportTrainingData, parseFilter } from '../tasks/training-export';
import { EVENTS_FILE, SUMMARY_FILE, findRunFile, readRun, type RunRecordSummary } from '../runs/recorder';

/** Newest first; at most this many are listed. */
const LIST_LIMIT = 200;

/** The real folder of a run id, refusing anything that would leave the runs root (a link to elsewhere included). */
export function runFolder(root: string, runId: string): string {
  if (!/^[\w.-]+$/.test(runId) || runId.startsWith('.')) throw new Error(`"${runId}" is not a run id`);
  const base = resolve(root);
  const dir = join(base, runId);
  if (!existsSync(dir)) throw new Error(`there is no run "${runId}" in ${base}`);
  const real = realpathSync(dir);
  if (dirname(real) !== realpathSync(base) || !statSync(real).isDirectory()) {
    throw new Error(`run "${runId}" is a link to ${real}, outside the runs folder ${base}; it is not read`);
  }
  return real;
}

/** The first line of a file, read without loading the whole file. */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString('utf8');
    return text.split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

function summarize(root: string, runId: string): RunListItem | null {
  const dir = join(root, runId);
  const summaryFile = findRunFile(dir, SUMMARY_FILE);
  const eventsFile = findRunFile(dir, EVENTS_FILE);
  try {
    if (summaryFile.kind === 'refused' || (summaryFile.kind === 'missing' && eventsFile.kind === 'refused')) {
      return { runId, instruction: '(run record with a file linked from outside its folder; not read)', startedAt: 0, outcome: null, steps: 0, corrections: 0 };
    }
    if (summaryFile.kind === 'file') {
      const s = JSON.parse(readFileSync(summaryFile.path, 'utf8')) as Partial<RunRecordSummary>;
      return {
        runId,
        instruction: typeof s.instruction === 'string' ? s.instruction : '',
        startedAt: typeof s.startedAt === 'number' ? s.startedAt : statSync(dir).mtimeMs,
        outcome: typeof s.outcome === 'string' && s.outcome !== 'unfinished' ? s.outcome : null,
        steps: typeof s.steps === 'number' ? s.steps : 0,
        corrections: typeof s.corrections === 'number' ? s.corrections : 0,
      };
    }
    if (eventsFile.kind !== 'file') return null;
    // Unfinished (running now, or the process died): the first event says what it was.
    const first = JSON.parse(firstLine(eventsFile.path)) as { type?: string; instruction?: unknown; at?: unknown };
    return {
      runId,
      instruction: first.type === 'run-started' && typeof first.instruction === 'string' ? first.instruction : '',
      startedAt: typeof first.at === 'number' ? first.at : statSync(dir).mtimeMs,
      outcome: null,
      steps: 0,
      corrections: 0,
    };
  } catch {
    return { runId, instruction: '(unreadable run record)', startedAt: 0, outcome: null, steps: 0, corrections: 0 };
  }
}

export function listRuns(root: string): RunListItem[] {
  if (!existsSync(root)) return [];
  const ids = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[\w.-]+$/.test(d.name) && !d.name.startsWith('.'))
    .map((d) => d.name);
  return ids
    .map((id) => summarize(root, id))
    .filter((s): s is RunListItem => s !== null)
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, LIST_LIMIT);
}

export function getRun(root: string, runId: string): RunDetails {
  const record = readRun(runFolder(root, runId));
  return {
    runId,
    dir: record.dir,
    settings: record.settings,
    events: record.events,
    problems: record.problems,
    truncated: record.truncated,
  };
}

const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };

export function readRunImage(root: string, runId: string, file: string): RunImage {
  const match = /^step-\d+(?:-\d+)?\.(png|jpg|webp)$/.exec(file);
  if (!match) throw new Error(`"${file}" is not a step image of a run`);
  const found = findRunFile(runFolder(root, runId), file);
  if (found.kind === 'missing') throw new Error(`run "${runId}" has no image ${file}`);
  if (found.kind === 'refused') throw new Error(`run "${runId}": ${found.reason}; it is not read`);
  return { mime: MIME[match[1]!]!, base64: readFileSync(found.path).toString('base64') };
}

/**
 * Export one run as training data into a new folder `<exportsRoot>/<run id>-<format>` (-2, -3, ... when taken), as
 * `deskpilot export <run dir> --format F --out DIR [--filter ...] [--redact]` does.
 */
export async function exportRun(
  root: string,
  exportsRoot: string,
  runId: string,
  options: { format: TrainingFormat; filters: readonly string[]; redact: boolean },
): Promise<RunExport> {
  const dir = runFolder(root, runId);
  const { format } = options;
  const base = join(resolve(exportsRoot), `${runId}-${format}`);
  let out = base;
  for (let n = 2; existsSync(out); n++) out = `${base}-${n}`;
  const summary = await exportTrainingData({
    inputs: [dir],
    format,
    out,
    filters: options.filters.map(parseFilter),
    ...(options.redact ? { redact: { denyRules: true } } : {}),
  });
  return {
    dir: out,
    files: summary.files,
    counts: summary.counts,
    skipped: summary.skipped,
    missing: summary.missing,
    ...(summary.redacted ? { redacted: summary.redacted } : {}),
  };
}
