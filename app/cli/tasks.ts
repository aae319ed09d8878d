/**
 * `deskpilot tasks run|setup|evaluate|report|doctor`: OSWorld task files and index files (see app/tasks/).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { installAppPackages } from '../tasks/app-packages';
import { fixUser, formatChecks, runChecks } from '../tasks/doctor';
import type { Environment } from '../tasks/environment';
import { SetupError, UnsupportedError } from '../tasks/errors';
import { evaluateTask, type LastAction } from '../tasks/evaluate';
import { GuestClient } from '../devices/osworld/client';
import { GuestEnvironment } from '../tasks/guest-env';
import { buildReport, formatReport } from '../tasks/results';
import { loadTasks, TaskFileError, type LoadedTask } from '../tasks/schema';
import { openLocalSession } from '../tasks/session';
import { runSetup } from '../tasks/setup';
import type { Size } from '../screen/geometry';
import { UsageError } from './errors';
import { addEnvOptions, cacheFrom, homeFrom, warnIfRootLocal, type EnvFlags } from './tasks-options';
import { registerTasksRun } from './tasks-run';
import { registerTasksCheck } from './tasks-check';
import { registerTasksQueue } from './tasks-queue';

/** Load exactly one task (setup / evaluate take one). */
async function loadOne(file: string): Promise<LoadedTask> {
  let loaded;
  try {
    loaded = await loadTasks(file);
  } catch (error) {
    if (error instanceof TaskFileError) throw new UsageError(error.message);
    throw error;
  }
  for (const p of loaded.problems) process.stderr.write(`deskpilot: ${p.message}\n`);
  if (loaded.tasks.length !== 1) throw new UsageError(`${file}: expected one task file, found an index of ${loaded.tasks.length} task(s)`);
  return loaded.tasks[0]!;
}

/** An environment that outlives this command: an existing X display, or the guest. */
async function persistentEnv(flags: EnvFlags, log: (line: string) => void): Promise<{ env: Environment; screen: Size; close: () => Promise<void> }> {
  if (flags.backend === 'osworld') {
    if (!flags.server) throw new UsageError('--backend osworld needs --server URL');
    const client = new GuestClient({ server: flags.server });
    return { env: new GuestEnvironment(client), screen: await client.screenSize(), close: async () => undefined };
  }
  const display = flags.display ?? process.env.DISPLAY;
  if (!display) throw new UsageError('no desktop to set up: pass --display :N (an X display that stays up), or run inside a desktop session');
  // Processes the setup started (apps, background jobs) must outlive this command: do not end them.
  const session = await openLocalSession({ display, home: homeFrom(flags), log, keepProcesses: true });
  return { env: session.env, screen: session.screen, close: async () => undefined };
}

function parseLastAction(value: string | undefined): LastAction {
  if (value === undefined) return null;
  const v = value.toUpperCase();
  if (v === 'FAIL' || v === 'DONE' || v === 'WAIT') return v;
  throw new UsageError(`--last-action must be FAIL, DONE or WAIT (got "${value}")`);
}

export function registerTasks(program: Command): void {
  const tasks = program.command('tasks').description('OSWorld-style tasks: run, check, set up, evaluate, report, doctor');

  registerTasksRun(tasks);
  registerTasksCheck(tasks);
  registerTasksQueue(tasks);

  addEnvOptions(
    tasks
      .command('setup')
      .description('run a task\'s setup steps (config) on a desktop that stays up')
      .argument('<task>', 'task file (.json)')
      .option('--display <x>', 'X display to set up, e.g. :1 (default $DISPLAY)')
      .option('-q, --quiet', 'do not print what each step did'),
  ).action(async (file: string, flags: EnvFlags & { quiet?: boolean }) => {
    const task = await loadOne(file);
    if (!flags.quiet) warnIfRootLocal(flags);
    const log = (line: string) => {
      if (!flags.quiet) process.stdout.write(`${line}\n`);
    };
    const { env, screen, close } = await persistentEnv(flags, log);
    try {
      await runSetup(task.task.config, { env, cache: cacheFrom(flags), screen, password: flags.password, log, localRoot: process.cwd() });
      process.stdout.write(`setup done: ${task.domain}/${task.id}\n`);
    } catch (error) {
      if (error instanceof UnsupportedError) {
        process.stdout.write(`${task.domain}/${task.id}: ${error.message}\n`);
        process.exitCode = 3;
        return;
      }
      if (error instanceof SetupError) throw new UsageError(error.message);
      throw error;
    } finally {
      await close();
    }
  });

  addEnvOptions(
    tasks
      .command('evaluate')
      .description('run a task\'s postconfig and evaluator on the desktop as it is now, and print the score')
      .argument('<task>', 'task file (.json)')
      .option('--display <x>', 'X display, e.g. :1 (default $DISPLAY)')
      .option('--last-action <a>', "the agent's last action for OSWorld's rules: FAIL, DONE or WAIT")
      .option('--work <dir>', 'keep the files the getters copied out in this folder (default: a temporary one)')
      .option('--json', 'print {"score": ..., "getters": [...]} as JSON'),
  ).action(async (file: string, flags: EnvFlags & { lastAction?: string; work?: string; json?: boolean }) => {
    const task = await loadOne(file);
    const last = parseLastAction(flags.lastAction);
    const logs: string[] = [];
    const { env, screen, close } = await persistentEnv(flags, (l) => logs.push(l));
    const workDir = flags.work ? path.resolve(flags.work) : await mkdtemp(path.join(os.tmpdir(), 'deskpilot-eval-'));
    try {
      const evaluation = await evaluateTask(task.task, last, { env, cache: cacheFrom(flags), screen, password: flags.password, workDir, log: (l) => logs.push(l), localRoot: process.cwd() });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ score: evaluation.score, reason: evaluation.reason, getters: evaluation.getters, metrics: evaluation.metrics, postconfig: logs })}\n`);
      } else {
        for (const g of evaluation.getters) process.stdout.write(`${g.role}[${g.index}] ${g.type}: ${g.error ? `error: ${g.error}` : JSON.stringify(g.value)}\n`);
        for (const m of evaluation.metrics) process.stdout.write(`metric[${m.index}] ${m.name}: ${m.score}${m.error ? ` (${m.error})` : ''}\n`);
        process.stdout.write(`score: ${evaluation.score}  (${evaluation.reason})\n`);
      }
    } catch (error) {
      if (error instanceof UnsupportedError) {
        if (flags.json) process.stdout.write(`${JSON.stringify({ score: null, unsupported: error.what })}\n`);
        else process.stdout.write(`${task.domain}/${task.id}: ${error.message}\n`);
        process.exitCode = 3;
        return;
      }
      if (error instanceof SetupError) throw new UsageError(error.message);
      throw error;
    } finally {
      if (!flags.work) await rm(workDir, { recursive: true, force: true });
      await close();
    }
  });

  tasks
    .command('report')
    .description('success rate per domain and overall (as OSWorld\'s show_result), unsupported tasks counted apart')
    .argument('<results>', 'results directory (the --out of tasks run, or any folder below it)')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const report = await buildReport(dir);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    });

  tasks
    .command('doctor')
    .description('what this machine lacks for the local backend (user account, sudo, wmctrl, terminal, python) and how to fix it')
    .option('--home <dir>', 'check for running with /home/user remapped to this directory')
    .option('--fix', 'install the app domains\' missing Debian packages (apt-get, through sudo when not root); as root, also create the `user` account (home /home/user, password "password")')
    .option('--json', 'print the checks as JSON')
    .action(async (flags: { home?: string; fix?: boolean; json?: boolean }) => {
      if (flags.fix) {
        try {
          for (const pkg of installAppPackages((line) => process.stdout.write(`${line}\n`))) process.stdout.write(`fixed: installed ${pkg}\n`);
          const remapped = flags.home ?? process.env.DESKPILOT_TASK_HOME;
          if (process.getuid?.() === 0 || !remapped) for (const line of fixUser()) process.stdout.write(`fixed: ${line}\n`);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const checks = runChecks({ home: flags.home ?? process.env.DESKPILOT_TASK_HOME });
      process.stdout.write(flags.json ? `${JSON.stringify(checks, null, 2)}\n` : formatChecks(checks));
      if (checks.some((c) => !c.ok && !c.optional)) process.exitCode = 1;
    });
}
