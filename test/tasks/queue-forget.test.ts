/**
 * `deskpilot tasks forget`: a run taken off a real redis-server. The jobs are put on the queue as `tasks run --queue`
 * puts them (enqueueRun) and finished by an in-process BullMQ worker that returns what a Deskpilot worker returns
 * (an outcome and its uploaded files), so the test controls which tasks are done, waiting or uncollected.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, parseQueueUrl, QUEUE_NAME } from '../../app/tasks/queue/connection';
import { enqueueRun, openQueue, type QueueConnection } from '../../app/tasks/queue/enqueue';
import { jobId, runKey, runTasksKey } from '../../app/tasks/queue/jobs';
import { uploadFolder } from '../../app/tasks/queue/transfer';
import { RunSettingsSchema } from '../../app/contract';
import type { LoadedTask } from '../../app/tasks/schema';
import { startRedis, type TestRedis } from '../../testkit/redis';
import { cli, loadFixture, taskPath, tempDir } from './helpers';

const IDS = ['c288e301-e626-4b98-a1ab-159dcb162af5', 'fe41f596-a71b-4c2f-9b2f-9dcd40b568c3'];

let redis: TestRedis;
let conn: QueueConnection;
let url: string;

beforeAll(async () => {
  redis = await startRedis();
  url = `${redis.url}/3`;
  conn = await openQueue(parseQueueUrl(url), () => {});
});
afterAll(async () => {
  await conn?.close();
  await redis?.stop();
});

async function tasks(): Promise<LoadedTask[]> {
  return Promise.all(IDS.map(async (id) => ({ domain: 'os', id, file: taskPath('os', id), task: await loadFixture('os', id) })));
}

async function enqueue(run: string): Promise<void> {
  const settings = RunSettingsSchema.parse({ endpoint: 'http://127.0.0.1:1/v1', model: 'm', approve: 'auto' });
  const { apiKey: _k, ...jobSettings } = settings;
  const spec = { run, settings: jobSettings, layout: { model: 'm', actionSpace: 'pyautogui', observation: 'screenshot' }, screen: { width: 800, height: 600 }, attempts: 1 };
  await enqueueRun(conn, spec, await tasks(), { hasResult: () => false, collected: async () => false });
}

/** Finish every waiting job as a Deskpilot worker would: its result folder uploaded, the outcome returned. */
async function finishAll(count: number): Promise<void> {
  const src = await tempDir('forget-src');
  await mkdir(path.join(src, 'deskpilot-run'), { recursive: true });
  await writeFile(path.join(src, 'deskpilot-run', 'events.jsonl'), '{"type":"run-started"}\n');
  await writeFile(path.join(src, 'result.txt'), '0\n');
  await writeFile(path.join(src, 'deskpilot-task.json'), '{}');
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker(
      QUEUE_NAME,
      async () => ({ outcome: { status: 'scored', score: 0, reason: 'ok' }, worker: 'w', attempt: 1, files: await uploadFolder(conn.redis, src) }),
      { connection: connectionOptions(parseQueueUrl(url)) },
    );
    worker.on('completed', () => {
      if (++done === count) void worker.close().then(resolve);
    });
  });
  await finished;
}

async function keysLike(pattern: string): Promise<string[]> {
  const plain = new Redis(connectionOptions(parseQueueUrl(url)));
  try {
    return await plain.keys(pattern);
  } finally {
    plain.disconnect();
  }
}

describe('tasks forget', { timeout: 120_000 }, () => {
  it('refuses a run with waiting tasks, changing nothing; --force removes its jobs and record', async () => {
    await enqueue('waits');
    const refused = await cli(['tasks', 'forget', '--queue', url, '--run-name', 'waits']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('2 task(s) still wait for a worker');
    expect(refused.stderr).toContain('--force');
    expect(await conn.queue.getJob(jobId('waits', 'os', IDS[0]!))).toBeTruthy();
    expect(await conn.redis.exists(runKey('waits'))).toBe(1);

    const forced = await cli(['tasks', 'forget', '--queue', url, '--run-name', 'waits', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('forgot run waits: 2 job(s) removed');
    expect(await conn.queue.getJob(jobId('waits', 'os', IDS[0]!))).toBeUndefined();
    expect(await conn.redis.exists(runKey('waits'), runTasksKey('waits'))).toBe(0);

    const again = await cli(['tasks', 'forget', '--queue', url, '--run-name', 'waits']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no run "waits" on this queue');
  });

  it('finished tasks whose results nobody fetched are kept unless --force, which deletes their files from Redis too', async () => {
    await enqueue('finished');
    await finishAll(2);
    expect((await keysLike('deskpilot:files:*')).length).toBeGreaterThan(0);
    const refused = await cli(['tasks', 'forget', '--queue', url, '--run-name', 'finished']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('2 finished task(s) have results nobody has fetched');
    expect(refused.stderr).toContain('tasks follow --run-name finished');

    const forced = await cli(['tasks', 'forget', '--queue', url, '--run-name', 'finished', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/2 job\(s\) removed, 6 unfetched result file\(s\)/);
    expect(await keysLike('deskpilot:files:*')).toEqual([]);
    expect(await keysLike('bull:deskpilot-tasks:finished*')).toEqual([]);
    const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(parseQueueUrl(url)) });
    try {
      expect(await queue.getJobCounts('completed', 'waiting')).toMatchObject({ completed: 0, waiting: 0 });
    } finally {
      await queue.close();
    }
  });

  it('a collected run (its files gone from Redis, as the follower leaves it) is forgotten without --force', async () => {
    await enqueue('collected');
    await finishAll(2);
    // What the follower does once it has a task's files: delete them.
    for (const key of await keysLike('deskpilot:files:*')) await conn.redis.del(key);
    const forgot = await cli(['tasks', 'forget', '--queue', url, '--run-name', 'collected']);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout).toBe('forgot run collected: 2 job(s) removed\n');
  });
});
