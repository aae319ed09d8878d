/**
 * Results in OSWorld's layout: <out>/<action_space>/<observation>/<model>/<domain>/<id>/ with result.txt (score and
 * a newline), traj.jsonl (OSWorld's fields), step_<n>_<timestamp>.png, runtime.log, plus our own record
 * deskpilot-task.json (status, reason, evaluation details). A directory with result.txt is done (skipped on
 * resume); an unsupported or errored task has no result.txt and is counted apart by the report.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { redactSettings, type RunSettings } from '../contract';
import { profileForSettings } from '../model/profiles';

export const RECORD_FILE = 'deskpilot-task.json';
/** The agent's run record (app/runs/recorder.ts) inside a task's results folder. */
export const TASK_RUN_RECORD = 'deskpilot-run';

/** `<dir>/deskpilot-run`, or `-2`, `-3`, ... when an earlier attempt of the task left its record there. */
export function freshRecordDir(dir: string): string {
  let candidate = path.join(dir, TASK_RUN_RECORD);
  for (let n = 2; existsSync(candidate); n++) candidate = path.join(dir, `${TASK_RUN_RECORD}-${n}`);
  return candidate;
}

/**
 * What produced a run's results, beside them (<out>/<action_space>/<observation>/<model>/deskpilot-settings.json):
 * the agent preset, the whole profile the run used (prompt, sampling, image sizing, history, coordinate divisor)
 * and the settings (never the API key). Each task's record names the agent and profile too, so results from runs
 * with other settings in the same folder can be told apart.
 */
export const SETTINGS_FILE = 'deskpilot-settings.json';

export interface RunDescription {
  agent: string | null;
  profile: ReturnType<typeof profileForSettings>;
  settings: ReturnType<typeof redactSettings>;
}

export function describeRun(settings: RunSettings): RunDescription {
  return { agent: settings.agent ?? null, profile: profileForSettings(settings), settings: redactSettings(settings) };
}

/** Write the run's description into the model folder of its results (replacing the one of an earlier run). */
export async function writeRunDescription(layout: LayoutOptions, description: RunDescription): Promise<string> {
  const dir = path.join(layout.out, safeSegment(layout.actionSpace ?? 'pyautogui'), safeSegment(layout.observation ?? 'screenshot'), safeSegment(layout.model));
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, SETTINGS_FILE);
  await writeFile(file, JSON.stringify(description, null, 2) + '\n');
  return file;
}

export type TaskStatus = 'scored' | 'unsupported' | 'error' | 'skipped';

export const TaskRecordSchema = z.looseObject({
  domain: z.string(),
  id: z.string(),
  status: z.enum(['scored', 'unsupported', 'error', 'skipped']),
  score: z.number().nullable(),
  reason: z.string(),
  agentStatus: z.string().nullable(),
  steps: z.number(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/** A path segment from a model name or id: no separators, nothing hidden. */
export function safeSegment(name: string): string {
  const s = name.replace(/[/\\]/g, '_').replace(/^\.+/, '_').trim();
  return s || '_';
}

export interface LayoutOptions {
  out: string;
  actionSpace?: string;
  observation?: string;
  model: string;
}

export function taskDir(layout: LayoutOptions, domain: string, id: string): string {
  return path.join(layout.out, safeSegment(layout.actionSpace ?? 'pyautogui'), safeSegment(layout.observation ?? 'screenshot'), safeSegment(layout.model), safeSegment(domain), safeSegment(id));
}

/** OSWorld's action_timestamp: %Y%m%d@%H%M%S (local time). */
export function actionTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}@${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The score as OSWorld's show_result reads it back with float(): "1", "0", "0.75". */
export function formatScore(score: number): string {
  return String(score);
}

export class TaskResultWriter {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** One agent step: the screenshot after it and a traj.jsonl line in OSWorld's shape. */
  async step(entry: { stepNum: number; timestamp: Date; action: string; response: string; done: boolean; info?: Record<string, unknown>; screenshotPng: Buffer }): Promise<string> {
    const ts = actionTimestamp(entry.timestamp);
    const screenshotFile = `step_${entry.stepNum}_${ts}.png`;
    await writeFile(path.join(this.dir, screenshotFile), entry.screenshotPng);
    const line = {
      step_num: entry.stepNum,
      action_timestamp: ts,
      action: entry.action,
      response: entry.response,
      reward: 0,
      done: entry.done,
      info: entry.info ?? {},
      screenshot_file: screenshotFile,
    };
    await appendFile(path.join(this.dir, 'traj.jsonl'), JSON.stringify(line) + '\n');
    return screenshotFile;
  }

  /** OSWorld writes {"Error": ...} into traj.jsonl when a run breaks. */
  async trajError(message: string): Promise<void> {
    await appendFile(path.join(this.dir, 'traj.jsonl'), JSON.stringify({ Error: message }) + '\n');
  }

  async log(line: string): Promise<void> {
    await appendFile(path.join(this.dir, 'runtime.log'), `${new Date().toISOString()} ${line}\n`);
  }

  async result(score: number): Promise<void> {
    await writeFile(path.join(this.dir, 'result.txt'), `${formatScore(score)}\n`);
  }

  async record(record: TaskRecord & Record<string, unknown>): Promise<void> {
    await writeFile(path.join(this.dir, RECORD_FILE), JSON.stringify(record, null, 2) + '\n');
  }
}

export function isDone(dir: string): boolean {
  return existsSync(path.join(dir, 'result.txt'));
}

// ---- report (OSWorld's show_result, with unsupported and errored tasks counted apart) ----

export interface DomainSummary {
  domain: string;
  run: number;
  scoreSum: number;
  /** sum(scores) / run * 100, as show_result.py. */
  successRate: number | null;
  unsupported: number;
  errors: number;
}

export interface ResultsReport {
  /** One per <action_space>/<observation>/<model> found. */
  groups: Array<{ group: string; domains: DomainSummary[]; overall: DomainSummary; unsupportedReasons: Record<string, number> }>;
}

async function findTaskDirs(root: string, depth = 0, out: string[] = []): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return out;
  }
  if (entries.some((e) => e.isFile() && (e.name === 'result.txt' || e.name === RECORD_FILE))) {
    out.push(root);
    return out;
  }
  if (depth > 8) return out;
  for (const e of entries) if (e.isDirectory()) await findTaskDirs(path.join(root, e.name), depth + 1, out);
  return out;
}

export async function buildReport(resultsDir: string): Promise<ResultsReport> {
  const dirs = await findTaskDirs(path.resolve(resultsDir));
  const groups = new Map<string, Map<string, DomainSummary>>();
  const reasons = new Map<string, Record<string, number>>();
  for (const dir of dirs.sort()) {
    const domainDir = path.dirname(dir);
    const domain = path.basename(domainDir);
    const group = path.relative(path.resolve(resultsDir), path.dirname(domainDir)) || '.';
    const byDomain = groups.get(group) ?? new Map<string, DomainSummary>();
    groups.set(group, byDomain);
    const s = byDomain.get(domain) ?? { domain, run: 0, scoreSum: 0, successRate: null, unsupported: 0, errors: 0 };
    byDomain.set(domain, s);
    const resultFile = path.join(dir, 'result.txt');
    if (existsSync(resultFile)) {
      const score = Number.parseFloat((await readFile(resultFile, 'utf8')).trim());
      s.run++;
      s.scoreSum += Number.isFinite(score) ? score : 0;
      continue;
    }
    let record: TaskRecord | null = null;
    try {
      record = TaskRecordSchema.parse(JSON.parse(await readFile(path.join(dir, RECORD_FILE), 'utf8')));
    } catch {
      record = null;
    }
    if (record?.status === 'unsupported') {
      s.unsupported++;
      const r = reasons.get(group) ?? {};
      r[record.reason] = (r[record.reason] ?? 0) + 1;
      reasons.set(group, r);
    } else s.errors++;
  }
  const report: ResultsReport = { groups: [] };
  for (const [group, byDomain] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const domains = [...byDomain.values()].sort((a, b) => a.domain.localeCompare(b.domain));
    for (const d of domains) d.successRate = d.run ? (d.scoreSum / d.run) * 100 : null;
    const overall = domains.reduce<DomainSummary>(
      (acc, d) => ({ ...acc, run: acc.run + d.run, scoreSum: acc.scoreSum + d.scoreSum, unsupported: acc.unsupported + d.unsupported, errors: acc.errors + d.errors }),
      { domain: 'overall', run: 0, scoreSum: 0, successRate: null, unsupported: 0, errors: 0 },
    );
    overall.successRate = overall.run ? (overall.scoreSum / overall.run) * 100 : null;
    report.groups.push({ group, domains, overall, unsupportedReasons: reasons.get(group) ?? {} });
  }
  return report;
}

export function formatReport(report: ResultsReport): string {
  if (!report.groups.length) return 'no task results found\n';
  const lines: string[] = [];
  const row = (d: DomainSummary) =>
    `${d.domain.padEnd(22)} ${String(d.run).padStart(5)} ${(d.successRate === null ? '-' : d.successRate.toFixed(2) + '%').padStart(9)} ${String(d.unsupported).padStart(11)} ${String(d.errors).padStart(6)}`;
  for (const g of report.groups) {
    lines.push(`== ${g.group}`);
    lines.push(`${'domain'.padEnd(22)} ${'run'.padStart(5)} ${'success'.padStart(9)} ${'unsupported'.padStart(11)} ${'errors'.padStart(6)}`);
    for (const d of g.domains) lines.push(row(d));
    lines.push(row(g.overall));
    const reasons = Object.entries(g.unsupportedReasons).sort((a, b) => b[1] - a[1]);
    if (reasons.length) {
      lines.push('unsupported (not counted in the success rate):');
      for (const [reason, n] of reasons) lines.push(`  ${String(n).padStart(4)}  ${reason}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
