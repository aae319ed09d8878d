/**
 * Taking a finished run off the queue (`tasks forget`): its jobs, its record and task set, and any result files
 * still waiting in Redis. Without this a run's jobs stay in Redis for good (BullMQ keeps finished jobs) and its
 * uploads until they expire (transfer.ts RESULT_TTL_SECONDS).
 *
 * What is refused, and why:
 *   - a job a worker is running: BullMQ cannot remove a locked job, and the worker would upload into nothing;
 *   - unless `force`: a job still waiting (it would never run) and a finished job whose files are still in Redis
 *     (the follower deletes them once collected, so files still there are results nobody has fetched yet).
 * The check comes first and nothing is removed when something is refused, so a refused forget changes nothing.
 */
import type { Job } from 'bullmq';
import { AttemptResultSchema } from './assemble';
import type { QueueConnection } from './enqueue';
import { readRunInfo, readRunTasks } from './enqueue';
import { jobId, QueueDataError, runKey, runTasksKey } from './jobs';
import { deleteUpload, type FileEntry } from './transfer';

export interface ForgetSummary {
  run: string;
  /** Jobs removed from BullMQ. */
  jobs: number;
  /** Result files deleted from Redis, and their bytes. */
  files: number;
  bytes: number;
}

export class ForgetRefused extends Error {
  override name = 'ForgetRefused';
}

interface Inspected {
  job: Job;
  state: string;
  /** The upload of a finished attempt whose files are still (at least partly) in Redis. */
  uncollected: FileEntry[];
}

async function uploadStillThere(conn: QueueConnection, files: FileEntry[]): Promise<boolean> {
  for (const file of files) if (file.size > 0 && (await conn.redis.exists(file.key))) return true;
  return false;
}

export async function forgetRun(conn: QueueConnection, run: string, options: { force: boolean }): Promise<ForgetSummary> {
  const info = await readRunInfo(conn, run);
  if (!info) throw new QueueDataError(`no run "${run}" on this queue (nothing to forget)`);
  const inspected: Inspected[] = [];
  for (const task of await readRunTasks(conn, run)) {
    const job = await conn.queue.getJob(jobId(run, task.domain, task.id));
    if (!job) continue;
    const state = await job.getState();
    const result = AttemptResultSchema.safeParse(job.returnvalue);
    const files = result.success ? result.data.files : [];
    inspected.push({ job, state, uncollected: files.length && (await uploadStillThere(conn, files)) ? files : [] });
  }

  const running = inspected.filter((i) => i.state === 'active');
  if (running.length) {
    throw new ForgetRefused(`run "${run}": ${running.length} task(s) are running on a worker (${running.map((i) => i.job.data?.id ?? i.job.id).slice(0, 3).join(', ')}); wait for them, or stop those workers, then forget the run`);
  }
  if (!options.force) {
    const waiting = inspected.filter((i) => i.state === 'waiting' || i.state === 'delayed' || i.state === 'prioritized' || i.state === 'waiting-children');
    const unfetched = inspected.filter((i) => i.uncollected.length > 0);
    const problems = [
      ...(waiting.length ? [`${waiting.length} task(s) still wait for a worker`] : []),
      ...(unfetched.length ? [`${unfetched.length} finished task(s) have results nobody has fetched (run deskpilot tasks follow --run-name ${run} first)`] : []),
    ];
    if (problems.length) throw new ForgetRefused(`run "${run}": ${problems.join('; ')}; add --force to forget it anyway`);
  }

  const summary: ForgetSummary = { run, jobs: 0, files: 0, bytes: 0 };
  for (const { job, uncollected } of inspected) {
    if (uncollected.length) {
      await deleteUpload(conn.redis, uncollected);
      summary.files += uncollected.length;
      summary.bytes += uncollected.reduce((sum, f) => sum + f.size, 0);
    }
    await job.remove();
    summary.jobs++;
  }
  await conn.redis.del(runKey(run), runTasksKey(run));
  return summary;
}
