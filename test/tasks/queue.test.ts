/**
 * Runs on many machines, as users run them: a real redis-server on loopback, `deskpilot tasks worker` processes
 * (each with its own fake OSWorld guest and its own fake vLLM, as machines with their own VM and GPU server), and
 * `deskpilot tasks run --queue` / `tasks follow` as the follower. Published fixture tasks: infeasible ones the model
 * gives up on (score 1), feasible ones it gives up on (score 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectResult } from '../../app/tasks/queue/assemble';
import { connectionOptions, parseQueueUrl, QUEUE_NAME } from '../../app/tasks/queue/connection';
import { CHUNK_BYTES, uploadFolder } from '../../app/tasks/queue/transfer';
import { startFakeGuest, type FakeGuest } from '../../testkit/fake-guest/server';
import { startFakeVllm, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { startRedis, type TestRedis } from '../../testkit/redis';
import { cli, EXAMPLES, ROOT, taskPath, tempDir } from './helpers';

const MODEL = 'Qwen/Qwen3-VL-8B-Instruct';
const GROUP = 'pyautogui/screenshot/Qwen_Qwen3-VL-8B-Instruct';
/** Infeasible (given up: 1) and feasible (given up: 0) os tasks whose setup the fake guest runs. */
const TASKS = [
  'c288e301-e626-4b98-a1ab-159dcb162af5',
  'fe41f596-a71b-4c2f-9b2f-9dcd40b568c3',
  '4783cc41-c03c-4e1b-89b4-50658f642bd5',
  '43c2d64c-bab5-4dcb-a30c-b888321c319a',
  '28cc3b7e-b194-4bc9-8353-d04c0f4d56d2',
  'a4d98375-215b-4a4d-aee9-3d4370fccc41',
];

/**
 * A model reply can be held: the first request that mentions `hold.instruction` waits until released, and says
 * which server (so which worker) it came to.
 */
interface Hold {
  instruction: string | null;
  heldBy: ((server: string) => void) | null;
  release: Promise<void>;
}
let hold: Hold = { instruction: null, heldBy: null, release: Promise.resolve() };

function script(server: string) {
  return async (request: { messages: Array<{ role: string }> }): Promise<Reply> => {
    if (hold.instruction && JSON.stringify(request.messages).includes(hold.instruction) && hold.heldBy) {
      const tell = hold.heldBy;
      hold.heldBy = null;
      tell(server);
      await hold.release;
    }
    return request.messages.some((m) => m.role === 'assistant')
      ? { content: 'This cannot be done here.', toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'failure' } }] }
      : { content: 'I will look at the screen first.', toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [500, 500] } }] };
  };
}

/** Hold the next model request of this task; resolves with the server it came to, and a release. */
async function holdTask(id: string): Promise<{ heldOn: Promise<string>; release: () => void }> {
  // As it appears inside the request's JSON (quotes and newlines escaped).
  const instruction = JSON.stringify((JSON.parse(await readFile(taskPath('os', id), 'utf8')).instruction as string).slice(0, 40)).slice(1, -1);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const heldOn = new Promise<string>((resolve) => {
    hold = { instruction, heldBy: resolve, release: released };
  });
  return { heldOn, release: () => ((hold.instruction = null), release()) };
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function deskpilot(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/deskpilot.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** `promise`, or after a long while a failure that shows what the processes said (instead of a bare test timeout). */
async function within<T>(what: string, promise: Promise<T>, shown: Proc[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stuck waiting for ${what}:\n${shown.map((p) => p.output()).join('\n----\n')}`)), 120_000);
  });
  try {
    return await Promise.race([promise, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, proc?: Proc): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}${proc ? `:\n${proc.output()}` : ''}`);
}

/**
 * A task folder as a comparable listing: every file's path and content, with what differs between any two runs
 * taken out (the clock, the run id, the model server's port: each worker brings its own); the agent's event log as
 * its sequence of steps (the background screen-text reads land where their timing puts them).
 */
async function normalized(root: string, rel = ''): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const clock = (s: string) =>
    s
      .replace(/\d{8}@\d{6}/g, 'TS')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'ISO')
      .replace(/127\.0\.0\.1:\d+/g, 'SERVER');
  const steps = new Set(['run-started', 'observation', 'model-reply', 'proposal', 'decision', 'action', 'run-finished']);
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, await normalized(root, child));
    else {
      const data = await readFile(path.join(root, child));
      if (child === 'deskpilot-run/events.jsonl') {
        out[child] = data
          .toString('utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; step?: number })
          .filter((e) => steps.has(e.type))
          .map((e) => `${e.type}:${e.step ?? ''}`);
      } else if (child === 'deskpilot-run/run.json') {
        const { runId: _id, startedAt: _s, finishedAt: _f, events: _n, ...rest } = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        out[child] = rest;
      } else out[clock(child)] = entry.name.endsWith('.png') ? createHash('sha256').update(data).digest('hex') : clock(data.toString('utf8'));
    }
  }
  return out;
}

let redis: TestRedis;
let vllmA: FakeVllm;
let vllmB: FakeVllm;
let guestA: FakeGuest;
let guestB: FakeGuest;
const procs: Proc[] = [];

beforeAll(async () => {
  redis = await startRedis();
  vllmA = await startFakeVllm({ servedModel: MODEL, script: script('a') });
  vllmB = await startFakeVllm({ servedModel: MODEL, script: script('b') });
  guestA = await startFakeGuest({ home: await tempDir('queue-guest-a'), screen: { width: 1280, height: 720 } });
  guestB = await startFakeGuest({ home: await tempDir('queue-guest-b'), screen: { width: 1280, height: 720 } });
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await Promise.all([vllmA?.close(), vllmB?.close(), guestA?.close(), guestB?.close()]);
  await redis?.stop();
});

function worker(name: string, guest: FakeGuest, vllm: FakeVllm | string): Proc {
  const endpoint = typeof vllm === 'string' ? vllm : `${vllm.url}/v1`;
  const p = deskpilot(['tasks', 'worker', '--queue', `${redis.url}/1`, '--backend', 'osworld', '--server', guest.url, '--endpoint', endpoint, '--name', name, '--lock-seconds', '4']);
  procs.push(p);
  return p;
}

async function index(ids: string[]): Promise<string> {
  const dir = await tempDir('queue-index');
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ os: ids }));
  return path.join(dir, 'index.json');
}

async function jobCount(): Promise<number> {
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(parseQueueUrl(`${redis.url}/1`)) });
  try {
    const counts = await queue.getJobCounts();
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

describe('tasks run --queue / tasks worker / tasks follow', { timeout: 300_000 }, () => {
  it('two workers drain a 6-task run; one SIGKILLed mid-task, its task is finished by the other; results as on one machine; enqueuing again adds nothing', async () => {
    const file = await index(TASKS);
    // The same tasks on one machine, for comparison.
    const localOut = await tempDir('queue-local');
    const local = await cli(['tasks', 'run', file, '--examples', EXAMPLES, '--backend', 'osworld', '--server', guestA.url, '--endpoint', `${vllmA.url}/v1`, '--out', localOut]);
    expect(local.code, local.stderr + local.stdout).toBe(0);

    const victim = TASKS[2]!;
    const { heldOn, release } = await holdTask(victim);
    const a = worker('worker-a', guestA, vllmA);
    const b = worker('worker-b', guestB, vllmB);
    const out = await tempDir('queue-out');
    const follower = deskpilot(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'six', '--endpoint', `${vllmA.url}/v1`, '--out', out]);
    procs.push(follower);

    const server = await within('the victim task to reach a model', heldOn, [a, b, follower]);
    const [dead, alive] = server === 'a' ? [a, 'worker-b'] : [b, 'worker-a'];
    dead.child.kill('SIGKILL');
    await dead.exited;
    release();

    expect(await within('the follower to finish', follower.exited, [a, b, follower]), follower.output()).toBe(0);
    const said = follower.output();
    expect(said).toContain('6 task(s) enqueued, 0 already on the queue, 0 already have result.txt');
    expect(said).toContain(`os/${victim}: score 1 (${alive})`);
    expect(said).toContain('ran 6 task(s), skipped 0 already done');

    // Every task has exactly one outcome, the one a single-machine run gives, and the same files.
    for (const id of TASKS) {
      const dir = path.join(out, GROUP, 'os', id);
      const localDir = path.join(localOut, GROUP, 'os', id);
      expect(existsSync(path.join(dir, 'result.txt')), id).toBe(true);
      expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe(await readFile(path.join(localDir, 'result.txt'), 'utf8'));
      expect(await normalized(dir), id).toEqual(await normalized(localDir));
    }
    // The dead attempt left nothing: one run record, one trajectory.
    expect(existsSync(path.join(out, GROUP, 'os', victim, 'deskpilot-run-2'))).toBe(false);
    expect(existsSync(path.join(out, '.deskpilot-incoming'))).toBe(false);
    const report = await cli(['tasks', 'report', out, '--json']);
    const localReport = await cli(['tasks', 'report', localOut, '--json']);
    expect(JSON.parse(report.stdout)).toEqual(JSON.parse(localReport.stdout));
    expect(JSON.parse(report.stdout).groups[0].overall.run).toBe(6);
    // What produced the results is written beside them, as a local run writes it.
    const description = JSON.parse(await readFile(path.join(out, GROUP, 'deskpilot-settings.json'), 'utf8')) as Record<string, unknown>;
    expect(description).toEqual(JSON.parse(await readFile(path.join(localOut, GROUP, 'deskpilot-settings.json'), 'utf8')));
    expect(description).toMatchObject({ agent: null, profile: { id: 'qwen3-vl' } });

    // The same run again: no job added, every task already has its result.
    const before = await jobCount();
    const again = await cli(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'six', '--endpoint', `${vllmA.url}/v1`, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('0 task(s) enqueued, 0 already on the queue, 6 already have result.txt');
    expect(again.stdout).toContain('ran 0 task(s), skipped 6 already done');
    expect(await jobCount()).toBe(before);

    for (const p of [a, b]) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
  });

  it('a follower stopped with Ctrl+C leaves the run going; enqueuing again adds nothing and follows; `tasks follow` picks it up', async () => {
    const ids = [TASKS[0]!, TASKS[3]!];
    const file = await index(ids);
    const { heldOn, release } = await holdTask(ids[0]!);
    const w = worker('worker-c', guestA, vllmA);
    const out = await tempDir('queue-resume');
    const args = ['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'two', '--endpoint', `${vllmA.url}/v1`, '--out', out];
    const first = deskpilot(args);
    procs.push(first);
    await heldOn;
    await until('the first follower to see the running task', () => first.output().includes('running on worker-c'), first);
    first.child.kill('SIGINT');
    expect(await first.exited, first.output()).toBe(130);
    expect(first.output()).toContain('deskpilot tasks follow --queue');

    // The run goes on without a follower; enqueuing it again adds no job and follows it.
    const before = await jobCount();
    const second = deskpilot(args);
    procs.push(second);
    await until('the second enqueue', () => second.output().includes('already on the queue'), second);
    expect(second.output()).toContain('0 task(s) enqueued, 2 already on the queue');
    expect(await jobCount()).toBe(before);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(130);
    release();

    // `tasks follow` (no task files) collects both results.
    const follow = await cli(['tasks', 'follow', '--queue', `${redis.url}/1`, '--run-name', 'two', '--out', out]);
    expect(follow.code, follow.stderr + follow.stdout).toBe(0);
    expect(follow.stdout).toContain('ran 2 task(s), skipped 0 already done: 50.00% success on 2 scored');
    expect(await readFile(path.join(out, GROUP, 'os', ids[0]!, 'result.txt'), 'utf8')).toBe('1\n');
    expect(await readFile(path.join(out, GROUP, 'os', ids[1]!, 'result.txt'), 'utf8')).toBe('0\n');
    // Followed again once complete: at once, nothing to do.
    const done = await cli(['tasks', 'follow', '--queue', `${redis.url}/1`, '--run-name', 'two', '--out', out]);
    expect(done.stdout).toContain('ran 0 task(s), skipped 2 already done');

    w.child.kill('SIGTERM');
    await w.exited;
  });

  it('a task whose every attempt dies with its worker is recorded as an error saying so, never as a score', async () => {
    const id = TASKS[3]!;
    const file = await index([id]);
    const { heldOn, release } = await holdTask(id);
    const first = worker('worker-k', guestA, vllmA);
    const out = await tempDir('queue-dies');
    const follower = deskpilot(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'dies', '--attempts', '1', '--endpoint', `${vllmA.url}/v1`, '--out', out]);
    procs.push(follower);
    await within('the task to reach the model', heldOn, [first, follower]);
    first.child.kill('SIGKILL');
    await first.exited;
    release();
    // Another worker finds the job stalled; its one attempt was used up by the dead worker.
    const second = worker('worker-l', guestB, vllmB);
    expect(await within('the follower to finish', follower.exited, [second, follower]), follower.output()).toBe(0);
    const dir = path.join(out, GROUP, 'os', id);
    expect(existsSync(path.join(dir, 'result.txt'))).toBe(false);
    const record = JSON.parse(await readFile(path.join(dir, 'deskpilot-task.json'), 'utf8')) as { status: string; score: unknown; reason: string };
    expect(record).toMatchObject({ status: 'error', score: null });
    expect(record.reason).toContain('no attempt finished (1 allowed): attempt 1 on worker-k: the worker stopped before the task finished');
    expect(follower.output()).toContain('1 errors');
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('Redis restarted mid-run: the worker and the follower reconnect and the run completes', async () => {
    const ids = [TASKS[4]!, TASKS[5]!];
    const file = await index(ids);
    const { heldOn, release } = await holdTask(ids[0]!);
    const w = worker('worker-r', guestA, vllmA);
    const out = await tempDir('queue-restart');
    const follower = deskpilot(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'restart', '--endpoint', `${vllmA.url}/v1`, '--out', out]);
    procs.push(follower);
    await within('the first task to reach the model', heldOn, [w, follower]);
    await redis.restart(2000);
    release();
    expect(await within('the follower to finish', follower.exited, [w, follower]), follower.output()).toBe(0);
    expect(follower.output()).toContain('ran 2 task(s), skipped 0 already done: 0.00% success on 2 scored');
    for (const id of ids) expect(await readFile(path.join(out, GROUP, 'os', id, 'result.txt'), 'utf8')).toBe('0\n');
    expect(w.output()).toContain('Redis: connected again');
    expect(follower.output()).toContain('reconnecting');
    w.child.kill('SIGTERM');
    await w.exited;
  });

  it('a worker on the local backend: each job in its own task process on a fresh display, with the job\'s settings', async () => {
    const id = TASKS[1]!;
    const file = await index([id]);
    const w = deskpilot(['tasks', 'worker', '--queue', `${redis.url}/1`, '--endpoint', `${vllmB.url}/v1`, '--home', await tempDir('queue-local-home'), '--name', 'worker-x']);
    procs.push(w);
    const out = await tempDir('queue-local-out');
    // The run's settings (flags and its config file) and screen travel with the job to the worker's task process.
    const config = path.join(await tempDir('queue-config'), 'config.json');
    await writeFile(config, JSON.stringify({ loopThreshold: 5, systemPrompt: 'Be brief.' }));
    const follower = deskpilot(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'local', '--endpoint', `${vllmA.url}/v1`, '--config', config, '--max-steps', '7', '--screen', '800x600', '--out', out]);
    procs.push(follower);
    expect(await within('the follower to finish', follower.exited, [w, follower]), follower.output()).toBe(0);
    const dir = path.join(out, GROUP, 'os', id);
    expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('1\n');
    const settings = JSON.parse(await readFile(path.join(dir, 'deskpilot-run', 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(settings).toMatchObject({ maxSteps: 7, loopThreshold: 5, systemPrompt: 'Be brief.', endpoint: `${vllmB.url}/v1` });
    const traj = (await readFile(path.join(dir, 'traj.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    // The model's (500, 500) of 1000 on the run's 800x600 screen.
    expect(traj.map((t) => t.action)).toEqual(['pyautogui.click(400, 300)', 'FAIL']);
    w.child.kill('SIGTERM');
    await w.exited;
  });

  it('a model server that is gone: the task errors with the reason on every attempt and is recorded as an error, not a 0; the API key is never on the queue; a resume reruns it', async () => {
    const id = TASKS[0]!;
    const file = await index([id]);
    // This worker's model server is gone (nothing listens there).
    const w = worker('worker-d', guestB, 'http://127.0.0.1:9/v1');
    const out = await tempDir('queue-gone');
    const follower = deskpilot(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'gone', '--endpoint', `${vllmA.url}/v1`, '--out', out], { DESKPILOT_API_KEY: 'sekrit-key-123' });
    procs.push(follower);
    expect(await within('the follower to finish', follower.exited, [w, follower]), follower.output()).toBe(0);
    expect(follower.output()).toContain('success on 0 scored, 0 unsupported, 1 errors');
    expect(w.output()).toContain(`os/${id}: attempt 1 failed`);
    expect(w.output()).toContain(`os/${id}: attempt 2 of 2`);
    const dir = path.join(out, GROUP, 'os', id);
    expect(existsSync(path.join(dir, 'result.txt'))).toBe(false);
    const record = JSON.parse(await readFile(path.join(dir, 'deskpilot-task.json'), 'utf8')) as { status: string; score: unknown; reason: string };
    expect(record).toMatchObject({ status: 'error', score: null });
    expect(record.reason).toMatch(/^agent: .*(connect|ECONNREFUSED|reach)/i);
    const report = JSON.parse((await cli(['tasks', 'report', out, '--json'])).stdout);
    expect(report.groups[0].overall).toMatchObject({ run: 0, errors: 1 });

    // Nothing in Redis holds the follower's API key (workers bring their own).
    const conn = new Redis(connectionOptions(parseQueueUrl(`${redis.url}/1`)));
    try {
      for (const key of await conn.keys('*')) {
        const type = await conn.type(key);
        const values = type === 'hash' ? Object.values(await conn.hgetall(key)) : type === 'string' ? [await conn.get(key)] : type === 'list' ? await conn.lrange(key, 0, -1) : type === 'set' ? await conn.smembers(key) : [];
        for (const v of values) expect(v ?? '', key).not.toContain('sekrit-key-123');
      }
    } finally {
      conn.disconnect();
    }
    w.child.kill('SIGTERM');
    await w.exited;

    // Resumed with a model server back: the errored task gets a fresh job (as a local resume reruns it) and scores.
    const good = worker('worker-e', guestB, vllmB);
    const again = await cli(['tasks', 'run', file, '--examples', EXAMPLES, '--queue', `${redis.url}/1`, '--run-name', 'gone', '--endpoint', `${vllmA.url}/v1`, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('1 task(s) enqueued, 0 already on the queue, 0 already have result.txt');
    expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('1\n');
    // As a local re-run leaves it: the errored attempt's lines, then the new one's.
    expect(await readFile(path.join(dir, 'runtime.log'), 'utf8')).toMatch(/error: agent: Cannot reach[\s\S]*scored score=1/);
    good.child.kill('SIGTERM');
    await good.exited;
  });

  it('result files travel in chunks and arrive byte for byte; a bad queue URL is refused before connecting', async () => {
    const conn = new Redis(connectionOptions(parseQueueUrl(`${redis.url}/2`)));
    try {
      const src = await tempDir('queue-src');
      const big = randomBytes(CHUNK_BYTES * 2 + 17);
      await mkdir(path.join(src, 'deskpilot-run'), { recursive: true });
      await writeFile(path.join(src, 'step_1_20260101@000000.png'), big);
      await writeFile(path.join(src, 'deskpilot-run', 'events.jsonl'), '{"type":"run-started"}\n');
      await writeFile(path.join(src, 'empty.log'), '');
      await writeFile(path.join(src, 'result.txt'), '1\n');
      const record = { domain: 'os', id: 't', status: 'scored', score: 1, reason: 'ok', agentStatus: 'done', steps: 1, startedAt: 'a', finishedAt: 'b' };
      await writeFile(path.join(src, 'deskpilot-task.json'), JSON.stringify(record));
      const files = await uploadFolder(conn, src);
      const bigEntry = files.find((f) => f.path.endsWith('.png'))!;
      // No value holds the whole file.
      expect(await conn.llen(bigEntry.key)).toBe(3);
      const out = await tempDir('queue-dst');
      const dir = path.join(out, 'g', 'os', 't');
      await collectResult(conn, { outcome: { status: 'scored', score: 1, reason: 'ok' }, worker: 'w', attempt: 1, files }, dir, out);
      expect((await readFile(path.join(dir, 'step_1_20260101@000000.png'))).equals(big)).toBe(true);
      expect(await readFile(path.join(dir, 'deskpilot-run', 'events.jsonl'), 'utf8')).toBe('{"type":"run-started"}\n');
      expect(await readFile(path.join(dir, 'empty.log'), 'utf8')).toBe('');
      expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('1\n');

      // A chunk lost in Redis: the fetch is refused and nothing reaches the results.
      const files2 = await uploadFolder(conn, src);
      await conn.lset(files2.find((f) => f.path.endsWith('.png'))!.key, 1, 'x');
      const dir2 = path.join(out, 'g', 'os', 't2');
      await expect(collectResult(conn, { outcome: { status: 'scored', score: 1, reason: 'ok' }, worker: 'w', attempt: 1, files: files2 }, dir2, out)).rejects.toThrow(/sha256/);
      expect(existsSync(dir2)).toBe(false);
    } finally {
      conn.disconnect();
    }
    const bad = await cli(['tasks', 'follow', '--queue', 'http://:secret@host:1', '--run-name', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('redis:// or rediss://');
    expect(bad.stderr).not.toContain('secret');
  });

  it('a Redis with a password: the URL carries it, a wrong one is told at once (never printed); rediss:// is TLS with the certificate checked', async () => {
    expect(parseQueueUrl('redis://:p%40ss@10.0.0.5:7000/3')).toEqual({ host: '10.0.0.5', port: 7000, db: 3, password: 'p@ss', tls: false });
    expect(parseQueueUrl('rediss://queue.lab')).toMatchObject({ host: 'queue.lab', port: 6379, db: 0, tls: true });
    expect(connectionOptions(parseQueueUrl('rediss://queue.lab')).tls).toEqual({ servername: 'queue.lab' });
    const locked = await startRedis({ password: 'pw-4711' });
    try {
      const right = await cli(['tasks', 'follow', '--queue', locked.url, '--run-name', 'nothing']);
      expect(right.stderr).toContain('no run "nothing" on this queue');
      const wrong = await cli(['tasks', 'follow', '--queue', `redis://:guess-0815@127.0.0.1:${locked.port}`, '--run-name', 'nothing']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('WRONGPASS');
      expect(wrong.stderr).toContain('check the password');
      expect(wrong.stderr).not.toContain('guess-0815');
      const refused = await cli(['tasks', 'worker', '--queue', `redis://127.0.0.1:${locked.port + 1}`]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('cannot use the queue at');
    } finally {
      await locked.stop();
    }
    // rediss://: TLS, the server's certificate checked against the trusted CAs (a private one through NODE_EXTRA_CA_CERTS).
    const secure = await startRedis({ tls: true });
    try {
      expect(secure.url.startsWith('rediss://')).toBe(true);
      const trusted = await cli(['tasks', 'follow', '--queue', secure.url, '--run-name', 'nothing'], { NODE_EXTRA_CA_CERTS: secure.caFile });
      expect(trusted.stderr).toContain('no run "nothing" on this queue');
      const untrusted = await cli(['tasks', 'follow', '--queue', secure.url, '--run-name', 'nothing']);
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toMatch(/cannot use the queue at rediss:.*certificate/);
      const plain = await cli(['tasks', 'follow', '--queue', secure.url.replace('rediss:', 'redis:'), '--run-name', 'nothing']);
      expect(plain.code).toBe(2);
      expect(plain.stderr).toContain('cannot use the queue at redis:');
    } finally {
      await secure.stop();
    }
  });
});
