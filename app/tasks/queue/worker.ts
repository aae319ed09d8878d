/**
 * `tasks worker`: takes task jobs from the queue and runs each one attempt at a time through `runAttempt` (the CLI
 * passes the same per-task code `tasks run` uses), in a private temporary folder per attempt. Only an attempt that
 * finished uploads its folder (transfer.ts) and completes the job; a dead attempt leaves nothing but its temporary
 * folder on its own machine.
 *
 * Attempts and faults, on BullMQ's rules:
 * - An attempt that ends in an error (model server gone, desktop failed, setup failed) is thrown back to BullMQ
 *   while attempts remain, which retries it (any worker) after RETRY_DELAY_MS; the last attempt's error is the
 *   task's outcome, uploaded like any other (its runtime.log and record say why).
 * - A worker that dies (SIGKILL, machine gone, cut off) stops renewing its job lock; after `lockDuration` another
 *   worker's stalled-job check moves the job back to waiting and someone else runs it. Each start counts
 *   (attemptsStarted): a start past the job's `attempts` fails the job at once with the history of its attempts, and
 *   the follower records that as the task's error. BullMQ's own stall limit (maxStalledCount) is set out of the
 *   way, so that one count - starts - bounds every kind of retry.
 * - lockDuration (default 30 s) is renewed every lockDuration/2 by the worker. Tasks run in child processes or over
 *   HTTP, so the worker's event loop is never held long enough to miss a renewal; 30 s rides out a Redis restart or a
 *   network blip without declaring a live worker dead, and a dead worker's task is back on the queue within about
 *   lockDuration + 2 x stalledInterval (stalledInterval = lockDuration / 2: the check needs to see the job without a
 *   lock twice), about a minute - little next to a task of several minutes. If a live worker does lose its lock (a
 *   Redis outage longer than the lock), BullMQ refuses its completion, so a task still gets exactly one outcome.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage } from '../../base/errors';
import { taskDir } from '../results';
import type { TaskOutcome } from '../runner';
import { connectionOptions, QUEUE_NAME, type QueueTarget } from './connection';
import { parseJobData, type JobData } from './jobs';
import { uploadFolder } from './transfer';
import type { AttemptResult } from './assemble';

export const RETRY_DELAY_MS = 3000;
export const DEFAULT_LOCK_SECONDS = 30;

/** What a job's progress says while it runs (the follower's per-worker lines). */
export interface JobProgress {
  worker: string;
  attempt: number;
  step: number;
}

export interface AttemptContext {
  data: JobData;
  /** The attempt's results root (`--out` of the run, for this attempt only). */
  out: string;
  /** The attempt's scratch folder (the task file is written here). */
  scratch: string;
  attempt: number;
}

export interface QueueWorkerOptions {
  target: QueueTarget;
  parallel: number;
  /** How this worker names itself in the follower's lines and the jobs' history. */
  name: string;
  lockSeconds?: number;
  runAttempt: (context: AttemptContext) => Promise<TaskOutcome>;
  log: (line: string) => void;
}

export interface QueueWorker {
  /** Finish the running attempts, take no new ones. `force`: drop them (they are retried elsewhere). */
  close(force?: boolean): Promise<void>;
}

/** Steps so far: traj.jsonl's lines (the runner appends one per step). */
async function stepsIn(dir: string): Promise<number> {
  try {
    if ((await stat(path.join(dir, 'traj.jsonl'))).size === 0) return 0;
    return (await readFile(path.join(dir, 'traj.jsonl'), 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

function givenUpReason(data: JobData): string {
  const tried = data.history.map((h) => `attempt ${h.attempt} on ${h.worker}: ${h.result ?? 'the worker stopped before the task finished (killed, or cut off from Redis)'}`);
  return `no attempt finished (${data.attempts} allowed): ${tried.join('; ') || 'none started'}`;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const lockDuration = (options.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000;
  const files = new Redis(connectionOptions(options.target));

  const processor = async (job: Job): Promise<AttemptResult> => {
    let data: JobData;
    try {
      data = parseJobData(job.data, job.id ?? '?');
    } catch (error) {
      throw new UnrecoverableError(errorMessage(error));
    }
    const attempt = job.attemptsStarted;
    if (attempt > data.attempts) throw new UnrecoverableError(givenUpReason(data));
    const history = [...data.history, { attempt, worker: options.name, result: null as string | null }];
    await job.updateData({ ...data, history });
    options.log(`${data.domain}/${data.id}: attempt ${attempt} of ${data.attempts}`);

    const scratch = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-attempt-'));
    const out = path.join(scratch, 'out');
    const dir = taskDir({ out, ...data.layout }, data.domain, data.id);
    let lastStep = -1;
    const report = async () => {
      const step = await stepsIn(dir);
      if (step === lastStep) return;
      lastStep = step;
      const progress: JobProgress = { worker: options.name, attempt, step };
      await job.updateProgress(progress as unknown as Record<string, unknown>).catch(() => undefined);
    };
    await report();
    const ticker = setInterval(() => void report(), 1000);
    try {
      const outcome = await options.runAttempt({ data, out, scratch, attempt });
      clearInterval(ticker);
      if (outcome.status === 'error' && attempt < data.attempts) {
        history[history.length - 1]!.result = `error: ${outcome.reason}`;
        await job.updateData({ ...data, history });
        options.log(`${data.domain}/${data.id}: attempt ${attempt} failed (${outcome.reason}); it will be retried`);
        throw new Error(outcome.reason);
      }
      const uploaded = await uploadFolder(files, dir);
      options.log(`${data.domain}/${data.id}: ${outcome.status}${outcome.score !== null ? ` score ${outcome.score}` : ''} (${uploaded.length} files sent)`);
      return { outcome: { status: outcome.status, score: outcome.score, reason: outcome.reason }, worker: options.name, attempt, files: uploaded };
    } finally {
      clearInterval(ticker);
      await rm(scratch, { recursive: true, force: true });
    }
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(options.target),
    concurrency: options.parallel,
    lockDuration,
    stalledInterval: lockDuration / 2,
    // Starts are counted instead (see the header): a stall is one more start.
    maxStalledCount: 1000,
    // Finished jobs stay (BullMQ's default): the follower reads their results, and their ids keep a re-enqueue from adding them again.
  });
  // Connection errors are retried by ioredis; say so once per outage rather than once per reconnect.
  // ioredis reconnects by itself (connection.ts); say so once per outage rather than once per retry. The files
  // connection sees an outage as the worker's own connections do, and says when Redis is back.
  let down = false;
  const lost = (error: Error) => {
    if (!down) options.log(`Redis: ${errorMessage(error)}; reconnecting`);
    down = true;
  };
  worker.on('error', lost);
  files.on('error', lost);
  files.on('reconnecting', () => lost(new Error('connection lost')));
  files.on('ready', () => {
    if (down) options.log('Redis: connected again');
    down = false;
  });
  worker.on('failed', (job, error) => {
    if (job && error instanceof UnrecoverableError) options.log(`${job.id}: ${error.message}`);
  });
  await worker.waitUntilReady();
  return {
    async close(force = false) {
      await worker.close(force);
      await files.quit().catch(() => files.disconnect());
    },
  };
}
