/**
 * Following a queued run: every POLL_MS, the state of each task that has no outcome yet; a completed job's files
 * fetched into the results (assemble.ts), a failed one's error recorded; the running ones with their worker and
 * step. Polling the jobs (rather than listening to BullMQ's event stream only) makes a restarted follower, or one
 * that lost Redis for a while, see exactly what it missed: the jobs' states are the truth, and the results folder
 * says what has been collected.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { errorMessage } from '../../base/errors';
import { sleep } from '../../base/sleep';
import { isDone, RECORD_FILE, TaskRecordSchema } from '../results';
import type { TaskOutcome } from '../runner';
import { AttemptResultSchema, clearStaging, collectResult, holdsFailure, holdsResult, writeFailure } from './assemble';
import type { QueueConnection } from './enqueue';
import { deleteUpload, TransferError } from './transfer';

export const POLL_MS = 1000;

export interface FollowTask {
  domain: string;
  id: string;
  jobId: string;
  /** The task's folder in the follower's results. */
  dir: string;
}

export interface RunningTask {
  domain: string;
  id: string;
  worker: string;
  attempt: number;
  step: number;
}

export interface FollowState {
  total: number;
  done: number;
  failed: number;
  running: RunningTask[];
  waiting: number;
  /** Tasks of the run with neither a job nor a result (the queue lost them). */
  missing: FollowTask[];
}

export type FollowEvent =
  | { kind: 'start'; total: number; skipped: number }
  | { kind: 'state'; state: FollowState }
  | { kind: 'task-end'; outcome: TaskOutcome; worker?: string }
  | { kind: 'warning'; message: string };

export interface FollowOptions {
  conn: QueueConnection;
  out: string;
  tasks: FollowTask[];
  signal: AbortSignal;
  onEvent: (event: FollowEvent) => void;
  /** Put missing tasks back on the queue (`tasks run` can; `tasks follow` has no task files and only reports them). */
  requeue?: (missing: FollowTask[]) => Promise<void>;
  pollMs?: number;
}

export interface FollowSummary {
  outcomes: TaskOutcome[];
  skipped: number;
  /** False when stopped (Ctrl+C) before every task had its outcome. */
  complete: boolean;
}

const ProgressSchema = z.object({ worker: z.string(), attempt: z.number(), step: z.number() });

/** Is this finished job's outcome the one `dir` holds (collected by a follower)? */
export async function collectedIn(dir: string, job: Job): Promise<boolean> {
  if (job.id === undefined) return false;
  if (job.failedReason && !job.returnvalue) return holdsFailure(dir, job.id);
  const parsed = AttemptResultSchema.safeParse(job.returnvalue);
  return parsed.success ? holdsResult(dir, parsed.data) : holdsFailure(dir, job.id);
}

async function recordOutcome(task: FollowTask): Promise<TaskOutcome> {
  const record = TaskRecordSchema.parse(JSON.parse(await readFile(path.join(task.dir, RECORD_FILE), 'utf8')));
  return { domain: task.domain, id: task.id, dir: task.dir, status: record.status, score: record.score, reason: record.reason };
}

export async function followRun(options: FollowOptions): Promise<FollowSummary> {
  const { conn, signal } = options;
  await clearStaging(options.out);
  const outstanding = new Map<string, FollowTask>();
  let skipped = 0;
  for (const task of options.tasks) {
    if (isDone(task.dir)) skipped++;
    else outstanding.set(task.jobId, task);
  }
  options.onEvent({ kind: 'start', total: options.tasks.length - skipped, skipped });
  const outcomes: TaskOutcome[] = [];
  const finish = (task: FollowTask, outcome: TaskOutcome, worker?: string) => {
    outstanding.delete(task.jobId);
    outcomes.push(outcome);
    options.onEvent({ kind: 'task-end', outcome, ...(worker ? { worker } : {}) });
  };
  let warned = false;

  while (outstanding.size && !signal.aborted) {
    try {
      const running: RunningTask[] = [];
      const missing: FollowTask[] = [];
      let waiting = 0;
      for (const task of [...outstanding.values()]) {
        if (signal.aborted) break;
        const state = await conn.queue.getJobState(task.jobId);
        if (state === 'completed' || state === 'failed') {
          const job = await conn.queue.getJob(task.jobId);
          if (!job) continue;
          if (state === 'completed') {
            const parsed = AttemptResultSchema.safeParse(job.returnvalue);
            if (!parsed.success) {
              const reason = `the worker's report is not one this version reads (${parsed.error.issues[0]?.message ?? 'invalid'})`;
              finish(task, await failureOutcome(task, reason, job.processedOn));
              continue;
            }
            const result = parsed.data;
            if (await holdsResult(task.dir, result)) {
              finish(task, await recordOutcome(task), result.worker);
            } else {
              try {
                await collectResult(conn.redis, result, task.dir, options.out);
                finish(task, await recordOutcome(task), result.worker);
              } catch (error) {
                if (!(error instanceof TransferError)) throw error;
                finish(task, await failureOutcome(task, `its results could not be fetched from the queue: ${error.message}`, job.processedOn));
              }
            }
            await deleteUpload(conn.redis, result.files);
          } else {
            const outcome = (await holdsFailure(task.dir, task.jobId)) ? await recordOutcome(task) : await failureOutcome(task, job.failedReason || 'failed on the queue', job.processedOn);
            finish(task, outcome);
          }
        } else if (state === 'active') {
          const job = await conn.queue.getJob(task.jobId);
          const progress = ProgressSchema.safeParse(job?.progress);
          running.push({ domain: task.domain, id: task.id, worker: progress.success ? progress.data.worker : '(starting)', attempt: progress.success ? progress.data.attempt : 0, step: progress.success ? progress.data.step : 0 });
        } else if (state === 'unknown') missing.push(task);
        else waiting++;
      }
      const total = options.tasks.length - skipped;
      const failed = outcomes.filter((o) => o.status === 'error').length;
      options.onEvent({ kind: 'state', state: { total, done: outcomes.length, failed, running, waiting, missing } });
      if (missing.length && options.requeue) await options.requeue(missing);
      warned = false;
    } catch (error) {
      if (signal.aborted) break;
      if (!warned) options.onEvent({ kind: 'warning', message: `lost the queue (${errorMessage(error)}); retrying` });
      warned = true;
    }
    if (outstanding.size) await sleep(options.pollMs ?? POLL_MS, signal);
  }
  // The staging folders are gone one by one as each task lands; the empty root goes too.
  await clearStaging(options.out).catch(() => undefined);
  return { outcomes, skipped, complete: outstanding.size === 0 };

  async function failureOutcome(task: FollowTask, reason: string, startedOn: number | undefined): Promise<TaskOutcome> {
    await writeFailure(task.dir, { domain: task.domain, id: task.id, reason, jobId: task.jobId, startedAt: new Date(startedOn ?? Date.now()).toISOString() });
    return { domain: task.domain, id: task.id, dir: task.dir, status: 'error', score: null, reason };
  }
}
