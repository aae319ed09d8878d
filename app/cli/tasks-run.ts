/**
 * `deskpilot tasks run <task.json | index.json>`: the OSWorld-style runner with the app's agent loop.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { APPROVAL_MODES } from '../contract';
import { ProgressBar } from '../tasks/progress';
import { describeRun, writeRunDescription } from '../tasks/results';
import { runTasks } from '../tasks/runner';
import { loadTasks, TaskFileError } from '../tasks/schema';
import { UsageError } from './errors';
import { parseScreenSize } from './parse';
import { intFlag } from '../settings';
import { addModelOptions, type ModelFlags } from './run-options';
import { agentFactory, childRunner, resolveTaskSettings, settingsFromFile, summaryText, taskBackend, TASKS_RUN_DEFAULTS } from './tasks-agent';
import { addEnvOptions, cacheFrom, positiveInt, warnIfRootLocal, type EnvFlags } from './tasks-options';

export interface TasksRunFlags extends EnvFlags, ModelFlags {
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
  settingsFile?: string;
  queue?: string;
  runName?: string;
  attempts: string;
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
      .option('--queue <url>', 'put the tasks on this queue for `tasks worker`s to run, and follow the run: redis://[:password@]HOST:PORT[/DB] or rediss://')
      .option('--run-name <name>', 'with --queue: the run\'s name (default: <index name>-<model>); the same name again adds no job')
      .option('--attempts <n>', 'with --queue: attempts per task before it is recorded as an error', '2')
      .addOption(new Option('--child', 'internal: run one task in this process').hideHelp())
      .addOption(new Option('--settings-file <file>', 'internal, with --child: the run settings as JSON (a queued job\'s)').hideHelp()),
  ).action(async (file: string, flags: TasksRunFlags) => {
    const parallel = positiveInt(flags.parallel, '--parallel');
    const screen = parseScreenSize(flags.screen);
    if (flags.queue) {
      // The desktops of a queued run are the workers'; a flag about this machine's desktops would do nothing.
      const here = [flags.parallel !== '1' && '--parallel', flags.display && '--display', flags.backend !== 'local' && '--backend', flags.server && '--server', flags.home && '--home'].filter(Boolean);
      if (here.length) throw new UsageError(`with --queue the tasks run on the workers: give ${here.join(', ')} to \`deskpilot tasks worker\` instead`);
    } else {
      if (flags.backend === 'osworld' && !flags.server) throw new UsageError('--backend osworld needs --server URL');
      if (flags.display && parallel > 1) throw new UsageError('--parallel needs a fresh display per task; it cannot be combined with --display');
      if (flags.backend === 'osworld' && parallel > 1) throw new UsageError('--parallel needs one guest per task; the osworld backend drives one --server');
    }

    let loaded;
    try {
      loaded = await loadTasks(file, { examplesDir: flags.examples, domains: flags.domain });
    } catch (error) {
      if (error instanceof TaskFileError) throw new UsageError(error.message);
      throw error;
    }
    for (const p of loaded.problems) process.stderr.write(`deskpilot: skipped ${p.message}\n`);
    if (!loaded.tasks.length) throw new UsageError(`${file}: no tasks to run${flags.domain ? ` in domain(s) ${flags.domain.join(', ')}` : ''}`);

    if (flags.queue) {
      const { runOnQueue } = await import('./tasks-queue');
      return runOnQueue(file, loaded.tasks, flags);
    }

    // A queued job's child gets the job's settings whole (tasks worker); the API key comes through the environment.
    const settings = flags.child && flags.settingsFile ? await settingsFromFile(flags.settingsFile) : await resolveTaskSettings(flags);
    const { model, maxSteps } = settings;
    const { createAgent, space } = await agentFactory(settings);
    const layout = { out: path.resolve(flags.out), model, actionSpace: flags.actionSpace, observation: flags.observation };
    const description = describeRun(settings);
    // The parent writes what produced the results; a child (one task) only names it in the task's record.
    if (!flags.child) await writeRunDescription(layout, description);
    const backend = await taskBackend(flags, screen);
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
        layout,
        ranWith: { agent: description.agent, profile: description.profile.id },
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
      process.stdout.write(summaryText(summary.outcomes, summary.skipped, flags.out));
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}
