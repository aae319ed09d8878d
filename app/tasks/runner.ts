/**
 * `tasks run`: for each task, a desktop (a fresh Xvfb display by default, an existing one, or an OSWorld guest),
 * setup, the agent (injected: anything implementing TaskAgent), evaluation, and results in OSWorld's layout.
 * N tasks run at once on N displays with `parallel`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { ComputerUseDesktop } from '../devices/device';
import type { ComputerAction } from '../base/actions';
import type { CoordinateSpace, Size } from '../screen/geometry';
import type { DownloadCache } from './cache';
import type { Environment } from './environment';
import { SetupError, UnsupportedError } from './errors';
import { evaluateTask, unsupportedReason, type LastAction } from './evaluate';
import { GuestDesktop } from '../devices/osworld/desktop';
import { GuestClient } from '../devices/osworld/client';
import { GuestEnvironment } from './guest-env';
import { trajectoryAction } from '../devices/osworld/pyautogui';
import { isDone, taskDir, TaskResultWriter, type LayoutOptions, type TaskRecord } from './results';
import type { LoadedTask } from './schema';
import { openLocalSession } from './session';
import { runSetup } from './setup';

export type TaskStepAction = ComputerAction | 'WAIT' | 'FAIL' | 'DONE';

export interface TaskStep {
  stepNum: number;
  action: TaskStepAction;
  /** The model's text for this step (reasoning and reply). */
  response: string;
  /** The screen after the action. */
  screenshotPng: Buffer;
  timestamp: Date;
}

export interface TaskAgentResult {
  status: 'done' | 'failed' | 'max-steps' | 'stopped' | 'error';
  lastAction: ComputerAction | null;
  /** How the agent's terminate ended the task, when it did not go by the status (the profile's `terminate`). */
  terminatedAs?: 'DONE' | 'FAIL';
  error?: string;
}

export interface TaskAgent {
  run(
    input: { instruction: string; desktop: ComputerUseDesktop; maxSteps: number; recordDir: string; onStep: (step: TaskStep) => Promise<void> },
    signal?: AbortSignal,
  ): Promise<TaskAgentResult>;
}

export type BackendOptions =
  | {
      kind: 'local';
      /** Existing X display; default: a fresh Xvfb per task. */
      display?: string;
      screen?: Size;
      home?: string;
      createDesktop: (xDisplay: string) => Promise<ComputerUseDesktop>;
    }
  | { kind: 'osworld'; server: string };

export interface RunOptions {
  tasks: LoadedTask[];
  backend: BackendOptions;
  /** One agent per task (parallel runs need separate agents). */
  createAgent: () => TaskAgent | Promise<TaskAgent>;
  layout: LayoutOptions;
  cache: DownloadCache;
  maxSteps?: number;
  parallel?: number;
  /** The model's coordinate space, for writing actions as pyautogui code in traj.jsonl. */
  space: CoordinateSpace;
  /** Which agent preset and profile ran the tasks, written into each task's record (results.ts SETTINGS_FILE). */
  ranWith?: { agent: string | null; profile: string };
  password?: string;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Run one task somewhere else (the CLI runs each local task in its own process: nut-js drives one X display per
   * process). Default: in this process.
   */
  runTask?: (task: LoadedTask, dir: string) => Promise<TaskOutcome>;
}

export interface TaskOutcome {
  domain: string;
  id: string;
  dir: string;
  status: TaskRecord['status'];
  score: number | null;
  reason: string;
}

export type ProgressEvent =
  | { kind: 'start'; total: number; skipped: number }
  | { kind: 'task-start'; domain: string; id: string }
  | { kind: 'task-end'; outcome: TaskOutcome };

interface TaskDesktop {
  env: Environment;
  desktop: ComputerUseDesktop;
  screen: Size;
  close(): Promise<void>;
}

async function openDesktop(backend: BackendOptions, log: (line: string) => void): Promise<TaskDesktop> {
  if (backend.kind === 'osworld') {
    const client = new GuestClient({ server: backend.server });
    const desktop = new GuestDesktop(client);
    const screen = await client.screenSize();
    return { env: new GuestEnvironment(client), desktop, screen, close: async () => desktop.close() };
  }
  const session = await openLocalSession({ display: backend.display, width: backend.screen?.width, height: backend.screen?.height, home: backend.home, log });
  try {
    const desktop = await backend.createDesktop(session.display);
    return {
      env: session.env,
      desktop,
      screen: session.screen,
      async close() {
        await desktop.releaseAll();
        await desktop.close();
        await session.close();
      },
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}

/** OSWorld's last action_history entry from the agent's result. */
export function lastActionToken(result: TaskAgentResult, lastStep: TaskStepAction | null): LastAction {
  const a = result.lastAction;
  if (a?.action === 'terminate') return result.terminatedAs ?? (a.status === 'failure' ? 'FAIL' : 'DONE');
  if (a?.action === 'wait') return 'WAIT';
  if (typeof lastStep === 'string') return lastStep;
  return a || lastStep ? 'OTHER' : null;
}

async function runOne(task: LoadedTask, options: RunOptions): Promise<TaskOutcome> {
  const dir = taskDir(options.layout, task.domain, task.id);
  const writer = new TaskResultWriter(dir);
  await writer.init();
  const startedAt = new Date().toISOString();
  const log = (line: string) => void writer.log(line);
  let steps = 0;
  let agentStatus: string | null = null;
  const finish = async (status: TaskRecord['status'], score: number | null, reason: string, extra: Record<string, unknown> = {}): Promise<TaskOutcome> => {
    if (status === 'scored' && score !== null) await writer.result(score);
    await writer.record({ domain: task.domain, id: task.id, status, score, reason, agentStatus, steps, startedAt, finishedAt: new Date().toISOString(), instruction: task.task.instruction, ...(options.ranWith ? { ranWith: options.ranWith } : {}), ...extra });
    await writer.log(`${status}${score !== null ? ` score=${score}` : ''}: ${reason}`);
    return { domain: task.domain, id: task.id, dir, status, score, reason };
  };

  const why = unsupportedReason(task.task);
  if (why) return finish('unsupported', null, `unsupported: ${why}`);

  let td: TaskDesktop;
  try {
    td = await openDesktop(options.backend, log);
  } catch (error) {
    return finish('error', null, `desktop: ${(error as Error).message}`);
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-eval-'));
  try {
    const setupCtx = { env: td.env, cache: options.cache, screen: td.screen, password: options.password, log, signal: options.signal };
    try {
      await runSetup(task.task.config, setupCtx, 'config');
    } catch (error) {
      if (error instanceof UnsupportedError) return finish('unsupported', null, error.message);
      return finish('error', null, `setup: ${(error as Error).message}`);
    }

    const agent = await options.createAgent();
    const [display] = await td.desktop.displays();
    let lastStep: TaskStepAction | null = null;
    const target = { space: options.space, screen: td.screen };
    let result: TaskAgentResult;
    try {
      result = await agent.run(
        {
          instruction: task.task.instruction,
          desktop: td.desktop,
          maxSteps: options.maxSteps ?? 15,
          recordDir: dir,
          onStep: async (step) => {
            steps = Math.max(steps, step.stepNum);
            lastStep = step.action;
            const done = step.action === 'DONE' || step.action === 'FAIL' || (typeof step.action !== 'string' && step.action.action === 'terminate');
            await writer.step({ stepNum: step.stepNum, timestamp: step.timestamp, action: trajectoryAction(step.action, target), response: step.response, done, screenshotPng: step.screenshotPng });
          },
        },
        options.signal,
      );
    } catch (error) {
      result = { status: 'error', lastAction: null, error: (error as Error).message };
    }
    agentStatus = result.status;
    if (result.status === 'error') {
      await writer.trajError(result.error ?? 'agent error');
      return finish('error', null, `agent: ${result.error ?? 'error'}`);
    }
    if (result.status === 'stopped') return finish('error', null, 'run stopped before the task finished');
    // No screenshot from the agent's last step? Keep one of the final screen for the record.
    if (steps === 0 && display) {
      try {
        const frame = await td.desktop.capture(display);
        await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } }).png().toFile(path.join(dir, 'final.png'));
      } catch {
        /* a missing final screenshot is not worth failing the task */
      }
    }
    const last = lastActionToken(result, lastStep);
    try {
      const evaluation = await evaluateTask(task.task, last, { ...setupCtx, workDir });
      return finish('scored', evaluation.score, evaluation.reason, { lastAction: last, evaluation });
    } catch (error) {
      if (error instanceof UnsupportedError) return finish('unsupported', null, error.message);
      if (error instanceof SetupError) return finish('error', null, `evaluation: ${error.message}`);
      return finish('error', null, `evaluation: ${(error as Error).message}`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await td.close();
  }
}

export interface TaskRunSummary {
  outcomes: TaskOutcome[];
  skipped: number;
}

export async function runTasks(options: RunOptions): Promise<TaskRunSummary> {
  const todo = options.tasks.filter((t) => !isDone(taskDir(options.layout, t.domain, t.id)));
  const skipped = options.tasks.length - todo.length;
  if (!options.runTask && options.backend.kind === 'local' && options.backend.display && (options.parallel ?? 1) > 1) {
    throw new Error('--parallel needs a fresh display per task; it cannot be combined with --display');
  }
  options.onProgress?.({ kind: 'start', total: todo.length, skipped });
  const outcomes: TaskOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !options.signal?.aborted) {
      const task = todo[next++]!;
      options.onProgress?.({ kind: 'task-start', domain: task.domain, id: task.id });
      let outcome: TaskOutcome;
      try {
        outcome = options.runTask ? await options.runTask(task, taskDir(options.layout, task.domain, task.id)) : await runOne(task, options);
      } catch (error) {
        outcome = { domain: task.domain, id: task.id, dir: taskDir(options.layout, task.domain, task.id), status: 'error', score: null, reason: (error as Error).message };
      }
      outcomes.push(outcome);
      options.onProgress?.({ kind: 'task-end', outcome });
    }
  };
  const n = Math.max(1, Math.min(options.parallel ?? 1, todo.length || 1));
  await Promise.all(Array.from({ length: n }, worker));
  return { outcomes, skipped };
}
