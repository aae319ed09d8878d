/**
 * The enqueuing side: open the queue, put a run's tasks on it (idempotently), read a run back for `tasks follow`.
 */
import { readFile } from 'node:fs/promises';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { LoadedTask } from '../schema';
import { connectionOptions, QUEUE_NAME, type QueueTarget } from './connection';
import {
  fingerprintDifferences,
  jobId,
  QueueDataError,
  runFingerprint,
  RunInfoSchema,
  runKey,
  runTasksKey,
  taskKey,
  parseTaskKey,
  type JobData,
  type JobSettings,
  type QueueLayout,
  type RunInfo,
} from './jobs';
import { RETRY_DELAY_MS } from './worker';

export interface QueueConnection {
  queue: Queue;
  /** A plain connection for the run record and the result files (BullMQ's own keys are BullMQ's business). */
  redis: Redis;
  close(): Promise<void>;
}

export async function openQueue(target: QueueTarget, onError: (message: string) => void): Promise<QueueConnection> {
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(target) });
  const redis = new Redis(connectionOptions(target));
  queue.on('error', (error) => onError(error.message));
  redis.on('error', (error) => onError(error.message));
  redis.on('reconnecting', () => onError('connection lost'));
  await queue.waitUntilReady();
  return {
    queue,
    redis,
    async close() {
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export interface RunSpec {
  run: string;
  settings: JobSettings;
  layout: QueueLayout;
  screen: { width: number; height: number };
  attempts: number;
}

/** What the enqueuer knows from its own results folder. */
export interface ResultsView {
  /** The task has result.txt: it is not enqueued (as a local run skips it). */
  hasResult(task: LoadedTask): boolean;
  /** The finished job's outcome (an error) is already in the results: the task may run again, as a local resume reruns it. */
  collected(task: LoadedTask, job: Job): Promise<boolean>;
}

/**
 * Record the run (or check it matches the one already recorded under that name) and add a job for each task that
 * has neither a job nor a result. A task whose job finished in an error that is already collected into the results
 * gets a fresh job (a resume retries errors, as a local `tasks run` does); a job still waiting, running, or finished
 * but not collected yet is left alone. Returns how many were added, were on the queue already, and had a result.
 */
export async function enqueueRun(conn: QueueConnection, spec: RunSpec, tasks: LoadedTask[], results: ResultsView): Promise<{ added: number; existing: number; done: number }> {
  const fingerprint = runFingerprint(spec);
  const info: RunInfo = { run: spec.run, layout: spec.layout, fingerprint, createdAt: new Date().toISOString() };
  const created = await conn.redis.set(runKey(spec.run), JSON.stringify(info), 'NX');
  if (created === null) {
    const existing = await readRunInfo(conn, spec.run);
    const differences = fingerprintDifferences(existing?.fingerprint ?? {}, fingerprint);
    if (differences.length) {
      throw new QueueDataError(`run "${spec.run}" is already on the queue with other settings (${differences.join(', ')} differ); give another --run-name, or the settings it was enqueued with`);
    }
  }
  if (tasks.length) await conn.redis.sadd(runTasksKey(spec.run), ...tasks.map((t) => taskKey(t.domain, t.id)));
  const jobs = [];
  let existing = 0;
  let done = 0;
  for (const task of tasks) {
    if (results.hasResult(task)) {
      done++;
      continue;
    }
    const id = jobId(spec.run, task.domain, task.id);
    const job = await conn.queue.getJob(id);
    if (job) {
      const state = await job.getState();
      if (!((state === 'completed' || state === 'failed') && (await results.collected(task, job)))) {
        existing++;
        continue;
      }
      await job.remove();
    }
    const data: JobData = { run: spec.run, domain: task.domain, id: task.id, taskText: await readFile(task.file, 'utf8'), settings: spec.settings, layout: spec.layout, screen: spec.screen, attempts: spec.attempts, history: [] };
    // attempts/backoff: BullMQ's retry of a thrown (errored) attempt; starts are bounded by the worker (worker.ts).
    jobs.push({ name: 'task', data, opts: { jobId: id, attempts: spec.attempts, backoff: { type: 'fixed', delay: RETRY_DELAY_MS } } });
  }
  // A job whose id exists is not added again (BullMQ), so a concurrent enqueue of the same run adds nothing either.
  if (jobs.length) await conn.queue.addBulk(jobs);
  return { added: jobs.length, existing, done };
}

export async function readRunInfo(conn: QueueConnection, run: string): Promise<RunInfo | null> {
  const raw = await conn.redis.get(runKey(run));
  if (raw === null) return null;
  const parsed = RunInfoSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new QueueDataError(`run "${run}": its record in Redis (${runKey(run)}) is not one this version reads`);
  return parsed.data;
}

export async function readRunTasks(conn: QueueConnection, run: string): Promise<Array<{ domain: string; id: string }>> {
  return (await conn.redis.smembers(runTasksKey(run))).sort().map(parseTaskKey);
}
