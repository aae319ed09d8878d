/**
 * Runs on many machines (app/tasks/queue/): `tasks run --queue URL` enqueues and follows, `tasks follow` picks a
 * run up again, `tasks worker` drains the queue, running each job exactly as `tasks run` runs a task (tasks-agent.ts).
 * The queue modules (BullMQ, ioredis) are imported inside the actions, so other commands never load them.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { RunSettings } from '../contract';
import { errorMessage } from '../base/errors';
import { describeRun, isDone, safeSegment, taskDir, writeRunDescription } from '../tasks/results';
import { runTasks } from '../tasks/runner';
import { loadTasks, type LoadedTask } from '../tasks/schema';
import type { FollowTask } from '../tasks/queue/follow';
import type { QueueConnection } from '../tasks/queue/enqueue';
import type { QueueLayout } from '../tasks/queue/jobs';
import type { AttemptContext } from '../tasks/queue/worker';
import { UsageError } from './errors';
import { apiKeyFromFlags, type ModelFlags } from './run-options';
import { agentFactory, childRunner, resolveTaskSettings, summaryText, taskBackend } from './tasks-agent';
import { addEnvOptions, cacheFrom, positiveInt, warnIfRootLocal, type EnvFlags } from './tasks-options';
import { parseScreenSize } from './parse';

const MAX_ATTEMPTS = 20;

/** The queue URL parsed, and Redis reached with it once (a wrong password or host is told now, not retried forever). */
async function queueTarget(url: string, options: { check?: boolean } = {}) {
  const { checkQueue, parseQueueUrl, QueueUrlError, redactQueueUrl } = await import('../tasks/queue/connection');
  try {
    const target = parseQueueUrl(url);
    if (options.check !== false) await checkQueue(target, redactQueueUrl(url));
    return target;
  } catch (error) {
    if (error instanceof QueueUrlError) throw new UsageError(error.message);
    throw error;
  }
}

async function connect(url: string): Promise<QueueConnection> {
  const { openQueue } = await import('../tasks/queue/enqueue');
  const { redactQueueUrl } = await import('../tasks/queue/connection');
  const target = await queueTarget(url);
  // ioredis reconnects by itself; say so once per outage, not once per retry.
  let down = false;
  const conn = await openQueue(target, (message) => {
    if (!down) process.stderr.write(`deskpilot: queue ${redactQueueUrl(url)}: ${message}; reconnecting\n`);
    down = true;
  });
  conn.redis.on('ready', () => {
    if (down) process.stderr.write(`deskpilot: queue ${redactQueueUrl(url)}: connected again\n`);
    down = false;
  });
  return conn;
}

/** Follow a run until every task has its outcome (or Ctrl+C); print the summary; exit code 130 when stopped. */
async function follow(conn: QueueConnection, options: { url: string; run: string; out: string; tasks: FollowTask[]; requeue?: (missing: FollowTask[]) => Promise<void> }): Promise<void> {
  const [{ followRun }, { FollowProgress }, { redactQueueUrl }] = await Promise.all([import('../tasks/queue/follow'), import('../tasks/queue/progress'), import('../tasks/queue/connection')]);
  const progress = new FollowProgress((t) => process.stderr.write(t), process.stderr.isTTY === true);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    const summary = await followRun({ conn, out: options.out, tasks: options.tasks, signal: controller.signal, onEvent: (e) => progress.handle(e), ...(options.requeue ? { requeue: options.requeue } : {}) });
    progress.end();
    process.stdout.write(summaryText(summary.outcomes, summary.skipped, options.out));
    if (!summary.complete) {
      process.stdout.write(`stopped following; the run goes on on the workers. Pick it up again with:\n  deskpilot tasks follow --queue ${redactQueueUrl(options.url)} --run-name ${options.run} --out ${options.out}\n`);
      process.exitCode = 130;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function followTasks(out: string, layout: QueueLayout, run: string, tasks: Array<{ domain: string; id: string }>, jobId: (run: string, domain: string, id: string) => string): FollowTask[] {
  return tasks.map((t) => ({ domain: t.domain, id: t.id, jobId: jobId(run, t.domain, t.id), dir: taskDir({ out, ...layout }, t.domain, t.id) }));
}

/** What `tasks run --queue` reads of its flags. */
export interface QueueRunFlags extends ModelFlags {
  queue?: string;
  runName?: string;
  attempts: string;
  out: string;
  screen: string;
  actionSpace: string;
  observation: string;
  maxSteps?: number;
  approve?: string;
}

/** `tasks run ... --queue URL`: enqueue the tasks (idempotently) and follow the run. */
export async function runOnQueue(file: string, tasks: LoadedTask[], flags: QueueRunFlags): Promise<void> {
  const [{ enqueueRun }, jobs, { collectedIn }] = await Promise.all([import('../tasks/queue/enqueue'), import('../tasks/queue/jobs'), import('../tasks/queue/follow')]);
  const attempts = positiveInt(flags.attempts, '--attempts');
  if (attempts > MAX_ATTEMPTS) throw new UsageError(`--attempts is at most ${MAX_ATTEMPTS} (got ${attempts})`);
  const screen = parseScreenSize(flags.screen);
  await queueTarget(flags.queue!, { check: false });
  const settings = await resolveTaskSettings(flags);
  if (settings.approve !== 'auto') throw new UsageError(`a queued run has nobody to approve actions on the workers: --approve must be auto (got ${settings.approve})`);
  const run = flags.runName ?? `${path.basename(file, '.json')}-${safeSegment(settings.model)}`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);
  if (!jobs.RUN_NAME.test(run)) throw new UsageError(`--run-name "${run}": use letters, digits, ".", "_" and "-" (up to 100, starting with a letter or digit)`);
  const out = path.resolve(flags.out);
  const layout: QueueLayout = { model: settings.model, actionSpace: flags.actionSpace, observation: flags.observation };
  // What produced the results, as a local run writes it (each worker may use its own endpoint and key; nothing else).
  await writeRunDescription({ out, ...layout }, describeRun(settings));
  const dirOf = (t: { domain: string; id: string }) => taskDir({ out, ...layout }, t.domain, t.id);
  const spec = { run, settings: jobs.jobSettings(settings), layout, screen, attempts };
  const byKey = new Map(tasks.map((t) => [jobs.taskKey(t.domain, t.id), t]));

  const conn = await connect(flags.queue!);
  try {
    const results = { hasResult: (t: LoadedTask) => isDone(dirOf(t)), collected: (t: LoadedTask, job: Parameters<typeof collectedIn>[1]) => collectedIn(dirOf(t), job) };
    let counts;
    try {
      counts = await enqueueRun(conn, spec, tasks, results);
    } catch (error) {
      if (error instanceof jobs.QueueDataError) throw new UsageError(error.message);
      throw error;
    }
    process.stderr.write(`run ${run}: ${counts.added} task(s) enqueued, ${counts.existing} already on the queue, ${counts.done} already have result.txt\n`);
    await follow(conn, {
      url: flags.queue!,
      run,
      out,
      tasks: followTasks(out, layout, run, tasks, jobs.jobId),
      // A job that vanished (removed by hand, Redis flushed): enqueue its task again.
      requeue: async (missing) => {
        await enqueueRun(conn, spec, missing.map((m) => byKey.get(jobs.taskKey(m.domain, m.id))).filter((t): t is LoadedTask => t !== undefined), results);
      },
    });
  } finally {
    await conn.close();
  }
}

interface WorkerFlags extends EnvFlags {
  queue: string;
  parallel: string;
  name?: string;
  lockSeconds: string;
  endpoint?: string;
  apiKey?: string;
  apiKeyFile?: string;
}

export function registerTasksQueue(tasks: Command): void {
  tasks
    .command('follow')
    .description('follow a queued run (progress, per-worker lines) and collect its results into --out')
    .requiredOption('--queue <url>', 'the run\'s queue: redis://[:password@]HOST:PORT[/DB] or rediss://')
    .requiredOption('--run-name <name>', 'the run to follow (as `tasks run --queue` printed it)')
    .option('--out <dir>', 'results folder', 'results')
    .action(async (flags: { queue: string; runName: string; out: string }) => {
      const [{ readRunInfo, readRunTasks }, jobs] = await Promise.all([import('../tasks/queue/enqueue'), import('../tasks/queue/jobs')]);
      if (!jobs.RUN_NAME.test(flags.runName)) throw new UsageError(`--run-name "${flags.runName}": use letters, digits, ".", "_" and "-"`);
      const conn = await connect(flags.queue);
      try {
        let info;
        try {
          info = await readRunInfo(conn, flags.runName);
        } catch (error) {
          if (error instanceof jobs.QueueDataError) throw new UsageError(error.message);
          throw error;
        }
        if (!info) throw new UsageError(`no run "${flags.runName}" on this queue; start it with deskpilot tasks run <index> --queue URL --run-name ${flags.runName}`);
        const out = path.resolve(flags.out);
        await follow(conn, { url: flags.queue, run: flags.runName, out, tasks: followTasks(out, info.layout, flags.runName, await readRunTasks(conn, flags.runName), jobs.jobId) });
      } finally {
        await conn.close();
      }
    });

  tasks
    .command('forget')
    .description('take a finished run off the queue: its jobs, its record and any result files still in Redis')
    .requiredOption('--queue <url>', 'the run\'s queue: redis://[:password@]HOST:PORT[/DB] or rediss://')
    .requiredOption('--run-name <name>', 'the run to forget')
    .option('--force', 'forget it even with tasks still waiting or results nobody has fetched (both are lost)')
    .action(async (flags: { queue: string; runName: string; force?: boolean }) => {
      const [{ forgetRun, ForgetRefused }, jobs] = await Promise.all([import('../tasks/queue/forget'), import('../tasks/queue/jobs')]);
      if (!jobs.RUN_NAME.test(flags.runName)) throw new UsageError(`--run-name "${flags.runName}": use letters, digits, ".", "_" and "-"`);
      const conn = await connect(flags.queue);
      try {
        const summary = await forgetRun(conn, flags.runName, { force: flags.force === true }).catch((error: unknown) => {
          if (error instanceof ForgetRefused || error instanceof jobs.QueueDataError) throw new UsageError(error.message);
          throw error;
        });
        const mb = (summary.bytes / 1024 / 1024).toFixed(1);
        process.stdout.write(`forgot run ${summary.run}: ${summary.jobs} job(s) removed${summary.files ? `, ${summary.files} unfetched result file(s) (${mb} MB) deleted` : ''}\n`);
      } finally {
        await conn.close();
      }
    });

  addEnvOptions(
    tasks
      .command('worker')
      .description('take tasks from the queue and run each as `tasks run` does; results go back through the queue')
      .requiredOption('--queue <url>', 'redis://[:password@]HOST:PORT[/DB] or rediss://')
      .option('--parallel <n>', 'tasks at once, each on its own fresh display (local backend)', '1')
      .option('--display <x>', 'run on this existing X display instead of a fresh Xvfb per task')
      .option('--endpoint <url>', 'this machine\'s model server (env DESKPILOT_ENDPOINT; default: the run\'s)')
      .option('--api-key-file <file>', 'API key for the model server (or DESKPILOT_API_KEY; never put on the queue)')
      .option('--api-key <key>', 'API key on the command line: visible to other users in ps; prefer --api-key-file')
      .option('--name <name>', 'how this worker is shown to followers (default host:pid)')
      .option('--lock-seconds <n>', 'job lock: a worker silent this long is taken for dead and its task is retried elsewhere', '30'),
  ).action(async (flags: WorkerFlags) => {
    const parallel = positiveInt(flags.parallel, '--parallel');
    const lockSeconds = positiveInt(flags.lockSeconds, '--lock-seconds');
    if (flags.backend === 'osworld' && !flags.server) throw new UsageError('--backend osworld needs --server URL');
    if (flags.display && parallel > 1) throw new UsageError('--parallel needs a fresh display per task; it cannot be combined with --display');
    if (flags.backend === 'osworld' && parallel > 1) throw new UsageError('--parallel needs one guest per task; the osworld backend drives one --server');
    const [{ startQueueWorker }, { redactQueueUrl }] = await Promise.all([import('../tasks/queue/worker'), import('../tasks/queue/connection')]);
    const target = await queueTarget(flags.queue);
    // Machine-specific: this worker's endpoint and key; everything else comes with the job.
    const endpoint = flags.endpoint ?? process.env.DESKPILOT_ENDPOINT;
    const apiKey = apiKeyFromFlags(flags) ?? process.env.DESKPILOT_API_KEY;
    warnIfRootLocal(flags);
    const name = flags.name ?? `${os.hostname()}:${process.pid}`;
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    // One agent factory per distinct settings: the endpoint memory is shared by every task of a run, as in `tasks run`.
    const factories = new Map<string, ReturnType<typeof agentFactory>>();
    const perProcess = flags.backend === 'local' && !flags.display;

    const ranWith = (settings: RunSettings) => {
      const description = describeRun(settings);
      return { agent: description.agent, profile: description.profile.id };
    };
    const runAttempt = async ({ data, out, scratch }: AttemptContext) => {
      const settings: RunSettings = { ...data.settings, ...(endpoint ? { endpoint } : {}), ...(apiKey ? { apiKey } : {}) };
      // The task file as published, at <domain>/<id>.json (the domain is its folder, as in an examples tree).
      const file = path.join(scratch, 'tasks', safeSegment(data.domain), `${safeSegment(data.id)}.json`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, data.taskText);
      const [task] = (await loadTasks(file)).tasks;
      if (!task || task.id !== data.id) throw new Error(`the job's task file is not task ${data.domain}/${data.id}`);
      const key = JSON.stringify(settings);
      if (!factories.has(key)) factories.set(key, agentFactory(settings));
      const { createAgent, space } = await factories.get(key)!;
      const backend = await taskBackend(flags, data.screen);
      let runTask;
      if (perProcess) {
        const settingsFile = path.join(scratch, 'settings.json');
        const { apiKey: _key, ...withoutKey } = settings;
        await writeFile(settingsFile, JSON.stringify(withoutKey), { mode: 0o600 });
        runTask = childRunner(
          { out, screen: `${data.screen.width}x${data.screen.height}`, actionSpace: data.layout.actionSpace, observation: data.layout.observation, home: flags.home, cache: flags.cache, password: flags.password, fetch: flags.fetch, settingsFile },
          settings,
          false,
        );
      }
      const summary = await runTasks({
        tasks: [task],
        backend,
        createAgent,
        layout: { out, ...data.layout },
        cache: cacheFrom(flags),
        maxSteps: settings.maxSteps,
        parallel: 1,
        space,
        password: flags.password,
        ranWith: ranWith(settings),
        ...(runTask ? { runTask } : {}),
      });
      const outcome = summary.outcomes[0];
      if (!outcome) throw new Error(`task ${data.domain}/${data.id} did not run`);
      return outcome;
    };

    const worker = await startQueueWorker({ target, parallel, name, lockSeconds, runAttempt, log });
    log(`worker ${name} on ${redactQueueUrl(flags.queue)}: up to ${parallel} task(s) at once; Ctrl+C to stop after the running ones`);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = () => {
        if (stopping) {
          log('stopping now; the running tasks are retried by other workers');
          process.exit(130);
        }
        stopping = true;
        log('finishing the running task(s), taking no new ones (Ctrl+C again to drop them)');
        worker.close().then(resolve, (error: unknown) => {
          log(`closing: ${errorMessage(error)}`);
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  });
}
