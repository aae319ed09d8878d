/**
 * How `tasks run` runs each task, in one place so that `tasks worker` runs a queued task exactly the same way: the
 * run's settings (with the model name asked of the server when none is given), the agent loop and its model client,
 * the desktop backend, and - for fresh local desktops - one child `deskpilot tasks run --child` process per task.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RunSettingsSchema, type RunSettings } from '../contract';
import { profileForSettings } from '../model/profiles';
import { reapOnExit } from '../platform/reaper';
import type { CoordinateSpace, Size } from '../screen/geometry';
import { RECORD_FILE, TaskRecordSchema } from '../tasks/results';
import type { BackendOptions, TaskAgent, TaskOutcome } from '../tasks/runner';
import type { LoadedTask } from '../tasks/schema';
import { normalizeDisplay } from '../tasks/session';
import { UsageError } from './errors';
import { settingsFromFlags, type ModelFlags } from './run-options';
import { homeFrom, type EnvFlags } from './tasks-options';

/** `tasks run`'s own defaults: below the command line, the environment and the config file, like every default. */
export const TASKS_RUN_DEFAULTS = { approve: 'auto', maxSteps: 15 } as const;

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/deskpilot.js');

/** Flags the run's settings come from. */
export interface TaskSettingsFlags extends ModelFlags {
  maxSteps?: number;
  approve?: string;
}

/** Settings from flags, environment, config file and `tasks run`'s defaults; the model named by the server if not given. */
export async function resolveTaskSettings(flags: TaskSettingsFlags): Promise<RunSettings> {
  const { resolveModelName, MODEL_FROM_SERVER } = await import('./model-name');
  const partial = settingsFromFlags(
    {
      endpoint: flags.endpoint,
      model: flags.model,
      apiKey: flags.apiKey,
      apiKeyFile: flags.apiKeyFile,
      profile: flags.profile,
      zoom: flags.zoom,
      agent: flags.agent,
      config: flags.config,
      maxSteps: flags.maxSteps,
      approve: flags.approve,
    },
    { model: MODEL_FROM_SERVER, ...TASKS_RUN_DEFAULTS },
  );
  return { ...partial, model: await resolveModelName(partial.endpoint, partial.model, partial.apiKey) };
}

/**
 * The settings a `tasks worker` hands its child task process: a queued job's settings (JSON, no API key) with the
 * key from DESKPILOT_API_KEY, so the child runs with exactly the job's settings and not the worker's config file.
 */
export async function settingsFromFile(file: string): Promise<RunSettings> {
  const parsed = RunSettingsSchema.omit({ apiKey: true }).safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new UsageError(`--settings-file ${file}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  const apiKey = process.env.DESKPILOT_API_KEY;
  return { ...parsed.data, ...(apiKey ? { apiKey } : {}) };
}

/** One agent per task (the app's agent loop), sharing what the first task learned about the server. */
export async function agentFactory(settings: RunSettings): Promise<{ createAgent: () => Promise<TaskAgent>; space: CoordinateSpace }> {
  // The agent loop and its model client; imported here so setup/evaluate/report/doctor never need them.
  let modules;
  try {
    modules = await Promise.all([import('../tasks/loop-agent'), import('../model/client'), import('./terminal-approver'), import('../model/endpoint-memory')]);
  } catch (error) {
    throw new UsageError(`agent loop not available: ${(error as Error).message}`);
  }
  const [{ LoopTaskAgent }, { ModelClient }, { TerminalApprover }, { EndpointMemory }] = modules;
  // One memory for every task: the first task's finding about the server serves the rest (and the next run).
  const memory = new EndpointMemory();
  const createAgent = async (): Promise<TaskAgent> =>
    new LoopTaskAgent(settings, {
      model: new ModelClient({ endpoint: settings.endpoint, model: settings.model, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}), memory }),
      approver: settings.approve === 'auto' ? null : new TerminalApprover(),
    });
  return { createAgent, space: profileForSettings(settings).coordinates };
}

/** The desktop each task gets: the guest server, an existing display, or a fresh Xvfb (screen sized). */
export async function taskBackend(flags: Pick<EnvFlags, 'backend' | 'server' | 'display' | 'home'>, screen: Size): Promise<BackendOptions> {
  if (flags.backend === 'osworld') return { kind: 'osworld', server: flags.server! };
  const { createLocalDesktop } = await import('../devices/x11/desktop');
  return {
    kind: 'local',
    ...(flags.display ? { display: normalizeDisplay(flags.display) } : {}),
    screen,
    home: homeFrom(flags),
    createDesktop: (xDisplay) => createLocalDesktop({ xDisplay }),
  };
}

/** What a child task process is told besides the settings. */
export interface ChildFlags {
  out: string;
  config?: string;
  screen: string;
  actionSpace: string;
  observation: string;
  home?: string;
  cache?: string;
  password: string;
  fetch?: boolean;
  /** The settings as a JSON file (a queued job's); the child then reads nothing else for them. */
  settingsFile?: string;
}

/**
 * Run one local task in a child `deskpilot tasks run --child` process (its own fresh display; nut-js drives one
 * display per process) and read its outcome from the task's record. The child's exit status is not trusted: an X
 * client whose display went away may exit non-zero after the result is written. `env`: the child's environment
 * (default this process's); the API key is added to it, never put on the command line.
 */
export function childRunner(flags: ChildFlags, settings: RunSettings, interactive: boolean, env: NodeJS.ProcessEnv = process.env) {
  return (task: LoadedTask, dir: string): Promise<TaskOutcome> => {
    const args = [BIN, 'tasks', 'run', path.resolve(task.file), '--child', '--out', path.resolve(flags.out)];
    // The settings this process resolved, so the child runs with exactly them (the config file still gives the rest).
    const pass: Array<[string, string | undefined]> = [
      ['--endpoint', settings.endpoint], ['--model', settings.model], ['--profile', settings.profile], ['--agent', settings.agent], ['--config', flags.config],
      ['--approve', settings.approve], ['--max-steps', String(settings.maxSteps)], ['--screen', flags.screen],
      ['--action-space', flags.actionSpace], ['--observation', flags.observation],
      ['--home', flags.home], ['--cache', flags.cache], ['--password', flags.password],
    ];
    for (const [flag, value] of pass) if (value !== undefined) args.push(flag, value);
    if (settings.zoom !== false) args.push('--zoom', ...(settings.zoom === true ? [] : [String(settings.zoom)]));
    if (flags.fetch) args.push('--fetch');
    if (flags.settingsFile) args.push('--settings-file', flags.settingsFile);
    return new Promise((resolve) => {
      const child = spawn(process.execPath, args, {
        env: { ...env, ...(settings.apiKey ? { DESKPILOT_API_KEY: settings.apiKey } : {}) },
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

/** The closing lines of a run: how many ran and were skipped, the success rate, where the results are. */
export function summaryText(outcomes: TaskOutcome[], skipped: number, out: string): string {
  const scored = outcomes.filter((o) => o.status === 'scored');
  const sum = scored.reduce((a, o) => a + (o.score ?? 0), 0);
  return (
    `ran ${outcomes.length} task(s), skipped ${skipped} already done: ` +
    `${scored.length ? ((sum / scored.length) * 100).toFixed(2) : '-'}% success on ${scored.length} scored, ` +
    `${outcomes.filter((o) => o.status === 'unsupported').length} unsupported, ${outcomes.filter((o) => o.status === 'error').length} errors\n` +
    `results: ${path.resolve(out)}  (deskpilot tasks report ${out})\n`
  );
}
