/**
 * The follower's side of a finished task: its files fetched from Redis into the results folder, in the layout a
 * local `tasks run` writes, or - for a task no attempt finished - the error record a local run would have written.
 *
 * A task's files are fetched into a staging folder under `<out>/.deskpilot-incoming/` (same filesystem, so the
 * move is a rename); deskpilot-task.json and result.txt arrive under temporary names and get theirs last, so a
 * follower killed mid-fetch leaves nothing `tasks report` or resume would take for a result, and the next follower
 * clears the staging folder and fetches again. A task folder that does not exist yet is renamed into place whole.
 * One that does (an earlier local run of the task ended in an error) is merged as a local re-run writes into it:
 * traj.jsonl and runtime.log appended, the run record beside the old one as deskpilot-run-2, ..., the rest
 * replaced, result.txt and the record last.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { freshRecordDir, RECORD_FILE, TASK_RUN_RECORD, TaskRecordSchema, TaskResultWriter, type TaskRecord } from '../results';
import { fetchFile, FileEntrySchema } from './transfer';

export const STAGING_DIR = '.deskpilot-incoming';
const RESULT_FILE = 'result.txt';
/** Files a re-run appends to (TaskResultWriter appends them), not replaces. */
const APPENDED = new Set(['traj.jsonl', 'runtime.log']);

export const AttemptResultSchema = z.object({
  outcome: z.object({ status: z.enum(['scored', 'unsupported', 'error', 'skipped']), score: z.number().nullable(), reason: z.string() }),
  worker: z.string(),
  attempt: z.number().int(),
  files: z.array(FileEntrySchema).max(100_000),
});
export type AttemptResult = z.infer<typeof AttemptResultSchema>;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Does `dir` already hold this attempt's result (its record, byte for byte)? Then a restarted follower skips it. */
export async function holdsResult(dir: string, result: AttemptResult): Promise<boolean> {
  const record = result.files.find((f) => f.path === RECORD_FILE);
  if (!record) return false;
  try {
    return sha256(await readFile(path.join(dir, RECORD_FILE))) === record.sha256;
  } catch {
    return false;
  }
}

/** Remove what a follower killed mid-fetch left. */
export async function clearStaging(out: string): Promise<void> {
  await rm(path.join(out, STAGING_DIR), { recursive: true, force: true });
}

const staged = (rel: string) => (rel === RECORD_FILE || rel === RESULT_FILE ? `${rel}.part` : rel);

/** Fetch, verify and place one attempt's files at `dir`; returns the task's record. */
export async function collectResult(redis: Redis, result: AttemptResult, dir: string, out: string): Promise<TaskRecord> {
  if (!result.files.some((f) => f.path === RECORD_FILE)) throw new Error(`the worker's upload has no ${RECORD_FILE}`);
  const root = path.join(out, STAGING_DIR);
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(path.join(root, 'task-'));
  try {
    for (const entry of result.files) await fetchFile(redis, entry, path.join(staging, staged(entry.path)));
    const record = TaskRecordSchema.parse(JSON.parse(await readFile(path.join(staging, `${RECORD_FILE}.part`), 'utf8')));
    if (!existsSync(dir)) {
      for (const rel of [RESULT_FILE, RECORD_FILE]) if (existsSync(path.join(staging, `${rel}.part`))) await rename(path.join(staging, `${rel}.part`), path.join(staging, rel));
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(staging, dir);
      return record;
    }
    for (const entry of await readdir(staging, { withFileTypes: true })) {
      const from = path.join(staging, entry.name);
      if (entry.name.endsWith('.part')) continue;
      if (APPENDED.has(entry.name)) await appendFile(path.join(dir, entry.name), await readFile(from));
      else if (entry.isDirectory() && entry.name === TASK_RUN_RECORD) await rename(from, freshRecordDir(dir));
      else {
        await rm(path.join(dir, entry.name), { recursive: true, force: true });
        await rename(from, path.join(dir, entry.name));
      }
    }
    for (const rel of [RESULT_FILE, RECORD_FILE]) if (existsSync(path.join(staging, `${rel}.part`))) await rename(path.join(staging, `${rel}.part`), path.join(dir, rel));
    return record;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The record of a task that no attempt finished (every worker running it died, or the results were lost). */
export async function writeFailure(dir: string, info: { domain: string; id: string; reason: string; jobId: string; startedAt: string; instruction?: string }): Promise<TaskRecord> {
  const writer = new TaskResultWriter(dir);
  await writer.init();
  const record = {
    domain: info.domain,
    id: info.id,
    status: 'error' as const,
    score: null,
    reason: info.reason,
    agentStatus: null,
    steps: 0,
    startedAt: info.startedAt,
    finishedAt: new Date().toISOString(),
    ...(info.instruction !== undefined ? { instruction: info.instruction } : {}),
    queueJob: info.jobId,
  };
  await writer.log(`error: ${info.reason}`);
  await writer.record(record);
  return record;
}

/** Is `dir`'s record the failure written for this job? */
export async function holdsFailure(dir: string, jobId: string): Promise<boolean> {
  try {
    const raw = JSON.parse(await readFile(path.join(dir, RECORD_FILE), 'utf8')) as { queueJob?: unknown; status?: unknown };
    return raw.queueJob === jobId && raw.status === 'error';
  } catch {
    return false;
  }
}
