/**
 * `deskpilot tasks run <task.json | index.json>`: the OSWorld-style runner with the app's agent loop.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { APPROVAL_MODES, type RunSettings } from '../contract';
import { getProfile } from '../model/profiles';
import { ProgressBar } from '../tasks/progress';
import { RECORD_FILE, TaskRecordSchema } from '../tasks/results';
import { runTasks, type BackendOptions, type TaskAgent, type TaskOutcome } from '../tasks/runner';
import type { LoadedTask } from '../tasks/schema';
import { loadTasks, TaskFileError } from '../tasks/schema';
import { normalizeDisplay } from '../tasks/session';
import { reapOnExit } from '../platform/reaper';
import { UsageError } from './errors';
import { parseScreenSize } from './parse';
import { intFlag } from '../settings';
import { addModelOptions, settingsFromFlags, type ModelFlags } from './run-options';
import { addEnvOptions, cacheFrom, homeFrom, warnIfRootLocal, type EnvFlags } from './tasks-options';

/** `tasks run`'s own defaults: below the command line, the environment and the config file, like every default. */
const TASKS_RUN_DEFAULTS = { approve: 'auto', maxSteps: 15 } as const;

interface TasksRunFlags extends EnvFlags, ModelFlags {
  examples?: string;
  domain?: string[];
  parallel: string;
  out: string;
  /** undefined when not given: then the environment, the config file or TASKS_RUN_DEFAULTS decide. */
  maxSteps?: number;
  approve?: string;
  screen: string;
  actionSpace: string;
  observation: string;
  child?: boolean;
}

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/deskpilot.js');

/**
 * Run one local task in a child `deskpilot tasks run --child` process (its own fresh display; nut-js drives one
 * display per process) and read its outcome from the task's record. The child's exit status is not trusted: an X
 * client whose display went away may exit non-zero after the result is written.
 */
function childRunner(flags: TasksRunFlags, settings: RunSettings, interactive: boolean) {
  return (task: LoadedTask, dir: string): Promise<TaskOutcome> => {
    const args = [BIN, 'tasks', 'run', path.resolve(task.file), '--child', '--out', path.resolve(flags.out)];
    // The settings this process resolved, so the child runs with exactly them (the config file still gives the rest).
    const pass: Array<[string, string | undefined]> = [
      ['--endpoint', settings.endpoint], ['--model', settings.model], ['--profile', settings.profile], ['--config', flags.config],
      ['--approve', settings.approve], ['--max-steps', String(settings.maxSteps)], ['--screen', flags.screen],
      ['--action-space', flags.actionSpace], ['--observation', flags.observation],
      ['--home', flags.home], ['--cache', flags.cache], ['--password', flags.password],
    ];
    for (const [flag, value] of pass) if (value !== undefined) args.push(flag, value);
    if (flags.fetch) args.push('--fetch');
    return new Promise((resolve) => {
      // The API key goes through the environment, never the command line.
      const child = spawn(process.execPath, args, {
        env: { ...process.env, ...(settings.apiKey ? { DESKPILOT_API_KEY: settings.apiKey } : {}) },
        stdio: interactive ? 'inherit' : ['ignore', 'ignore', 'pipe'],
      });
      reapOnExit(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.once('close', async (code) => {
        try {
          const record = TaskRecordSchema.parse(JSON.parse(await readFile(path.join(dir, RECORD_FILE), 'utf8')));
          resolve({ domain: task.domain, id: task.id, dir, status: record.status, score: record.score, reason: record.reason });
        } catch {
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          resolve({ domain: task.domain, id: task.id, dir, status: 'error', score: null, reason: `task process exited with ${code}${tail ? `: ${tail}` : ''}` });
        }
      });
    });
  };
}

function positiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive whole number (got "${value}")`);
  return Number(value);
}

export function registerTasksRun(tasks: Command): void {
  addEnvOptions(
    addModelOptions(tasks.command('run'))
      .description('run tasks with the agent: setup, agent, evaluation, results in OSWorld\'s layout')
      .argument('<file>', 'a task file or an index file ({"domain": ["id", ...]})')
      .option('--examples <dir>', 'folder with <domain>/<id>.json (default: "examples" next to the index file)')
      .option('--domain <d...>', 'only these domains')
      .option('--parallel <n>', 'tasks at once, each on its own display (local) ', '1')
      .option('--display <x>', 'use this existing X display instead of a fresh Xvfb per task')
      .option('--screen <WxH>', 'size of the fresh displays', '1920x1080')
      .option('--out <dir>', 'results folder', 'results')
      .option('--action-space <name>', 'results layout: action space folder', 'pyautogui')
      .option('--observation <name>', 'results layout: observation folder', 'screenshot')
      .option('--max-steps <n>', `step budget per task (env DESKPILOT_MAX_STEPS; default ${TASKS_RUN_DEFAULTS.maxSteps})`, intFlag('--max-steps'))
      .addOption(
        new Option('--approve <mode>', `approval mode (env DESKPILOT_APPROVE; default ${TASKS_RUN_DEFAULTS.approve})`).choices([...APPROVAL_MODES]),
      )
      .addOption(new Option('--child', 'internal: run one task in this process').hideHelp()),
  ).action(async (file: string, flags: TasksRunFlags) => {
    const parallel = positiveInt(flags.parallel, '--parallel');
    const screen = parseScreenSize(flags.screen);
    if (flags.backend === 'osworld' && !flags.server) throw new UsageError('--backend osworld needs --server URL');
    if (flags.display && parallel > 1) throw new UsageError('--parallel needs a fresh display per task; it cannot be combined with --display');
    if (flags.backend === 'osworld' && parallel > 1) throw new UsageError('--parallel needs one guest per task; the osworld backend drives one --server');

    let loaded;
    try {
      loaded = await loadTasks(file, { examplesDir: flags.examples, domains: flags.domain });
    } catch (error) {
      if (error instanceof TaskFileError) throw new UsageError(error.message);
      throw error;
    }
    for (const p of loaded.problems) process.stderr.write(`deskpilot: skipped ${p.message}\n`);
    if (!loaded.tasks.length) throw new UsageError(`${file}: no tasks to run${flags.domain ? ` in domain(s) ${flags.domain.join(', ')}` : ''}`);

    // The agent loop and its model client; imported here so setup/evaluate/report/doctor never need them.
    let modules;
    try {
      modules = await Promise.all([
        import('../tasks/loop-agent'),
        import('../model/client'),
        import('./model-name'),
        import('./terminal-approver'),
        import('../model/endpoint-memory'),
      ]);
    } catch (error) {
      throw new UsageError(`agent loop not available: ${(error as Error).message}`);
    }
    const [{ LoopTaskAgent }, { ModelClient }, { resolveModelName, MODEL_FROM_SERVER }, { TerminalApprover }, { EndpointMemory }] = modules;
    const partial = settingsFromFlags(
      {
        endpoint: flags.endpoint,
        model: flags.model,
        apiKey: flags.apiKey,
        apiKeyFile: flags.apiKeyFile,
        profile: flags.profile,
        config: flags.config,
        maxSteps: flags.maxSteps,
        approve: flags.approve,
      },
      { model: MODEL_FROM_SERVER, ...TASKS_RUN_DEFAULTS },
    );
    const model = await resolveModelName(partial.endpoint, partial.model, partial.apiKey);
    const settings = { ...partial, model };
    const { maxSteps } = settings;
    const profileId = settings.profile;
    // One memory for every task: the first task's finding about the server serves the rest (and the next run).
    const memory = new EndpointMemory();
    const createAgent = async (): Promise<TaskAgent> =>
      new LoopTaskAgent(settings, {
        model: new ModelClient({
          endpoint: settings.endpoint,
          model: settings.model,
          ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
          memory,
        }),
        approver: settings.approve === 'auto' ? null : new TerminalApprover(),
      });
    const space = getProfile(profileId).coordinates;

    let backend: BackendOptions;
    if (flags.backend === 'osworld') backend = { kind: 'osworld', server: flags.server! };
    else {
      const { createLocalDesktop } = await import('../devices/x11/desktop');
      backend = {
        kind: 'local',
        ...(flags.display ? { display: normalizeDisplay(flags.display) } : {}),
        screen,
        home: homeFrom(flags),
        createDesktop: (xDisplay) => createLocalDesktop({ xDisplay }),
      };
    }
    // nut-js reads DISPLAY once per process: each task on a fresh display runs in its own process.
    const perProcess = flags.backend === 'local' && !flags.display && !flags.child;
    if (!flags.child) warnIfRootLocal(flags);

    const bar = new ProgressBar((t) => (flags.child ? undefined : process.stderr.write(t)), process.stderr.isTTY === true, parallel);
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('stopped with Ctrl+C'));
    process.on('SIGINT', onSigint);
    try {
      const summary = await runTasks({
        tasks: loaded.tasks,
        backend,
        createAgent,
        layout: { out: path.resolve(flags.out), model, actionSpace: flags.actionSpace, observation: flags.observation },
        cache: cacheFrom(flags),
        maxSteps,
        parallel,
        space,
        password: flags.password,
        signal: controller.signal,
        onProgress: (e) => bar.handle(e),
        ...(perProcess ? { runTask: childRunner(flags, settings, settings.approve !== 'auto' && parallel === 1) } : {}),
      });
      if (flags.child) return;
      const scored = summary.outcomes.filter((o) => o.status === 'scored');
      const sum = scored.reduce((a, o) => a + (o.score ?? 0), 0);
      process.stdout.write(
        `ran ${summary.outcomes.length} task(s), skipped ${summary.skipped} already done: ` +
          `${scored.length ? ((sum / scored.length) * 100).toFixed(2) : '-'}% success on ${scored.length} scored, ` +
          `${summary.outcomes.filter((o) => o.status === 'unsupported').length} unsupported, ${summary.outcomes.filter((o) => o.status === 'error').length} errors\n` +
          `results: ${path.resolve(flags.out)}  (deskpilot tasks report ${flags.out})\n`,
      );
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}
