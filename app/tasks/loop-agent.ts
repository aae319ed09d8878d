/**
 * The app's agent loop (app/agent/loop.ts) as a TaskAgent: one AgentRun per task, its events turned into OSWorld
 * steps (the performed action, the model's text, a screenshot taken right after the action). Each task run also
 * writes Deskpilot's own run record (app/runs/recorder.ts) into `<task dir>/deskpilot-run/`, so `deskpilot report`
 * and `deskpilot replay` work on task runs as on any other run.
 */
import sharp from 'sharp';
import type { RunEvent, RunOutcome, RunSettings } from '../contract';
import { AgentRun, type AgentDeps } from '../agent/loop';
import { newRunId } from '../base/ids';
import { createRunRecorder, type Recorder } from '../runs/recorder';
import type { Desktop } from '../devices/device';
import { ComputerActionSchema, type ComputerAction } from '../base/actions';
import type { TaskAgent, TaskAgentResult, TaskStep } from './runner';
import { freshRecordDir } from './results';

const STATUS: Record<RunOutcome, TaskAgentResult['status']> = {
  success: 'done',
  answered: 'done',
  failure: 'failed',
  'max-steps': 'max-steps',
  stopped: 'stopped',
  error: 'error',
};

async function screenshotPng(desktop: Desktop): Promise<Buffer> {
  const [display] = await desktop.displays();
  if (!display) throw new Error('the desktop has no display');
  const f = await desktop.capture(display);
  return sharp(f.data, { raw: { width: f.width, height: f.height, channels: f.channels } }).png().toBuffer();
}

export class LoopTaskAgent implements TaskAgent {
  constructor(
    private readonly settings: RunSettings,
    private readonly deps: Omit<AgentDeps, 'desktop'>,
  ) {}

  async run(input: Parameters<TaskAgent['run']>[0], signal?: AbortSignal): Promise<TaskAgentResult> {
    const settings = { ...this.settings, maxSteps: input.maxSteps };
    const runId = newRunId();
    const recorder: Recorder | undefined =
      this.deps.recorder ?? (input.recordDir ? createRunRecorder({ dir: freshRecordDir(input.recordDir), runId, settings }) : undefined);
    let run: AgentRun;
    try {
      run = new AgentRun(input.instruction, settings, { ...this.deps, desktop: input.desktop, ...(recorder ? { recorder } : {}) }, runId);
    } catch (error) {
      await recorder?.close().catch(() => undefined);
      throw error;
    }
    const pending: Promise<void>[] = [];
    let stepNum = 0;
    let response = '';
    run.on((event: RunEvent) => {
      if (event.type === 'model-reply') response = [event.reasoning, event.text].filter(Boolean).join('\n');
      if (event.type !== 'action' || !event.ok) return;
      const parsed = ComputerActionSchema.safeParse(event.action);
      if (!parsed.success) return;
      const n = ++stepNum;
      const text = response;
      const timestamp = new Date();
      // Take the screenshot now (after the action), write the step in order.
      const shot = screenshotPng(input.desktop).catch(() => Buffer.alloc(0));
      pending.push(
        (async () => {
          const step: TaskStep = { stepNum: n, action: parsed.data, response: text, screenshotPng: await shot, timestamp };
          await input.onStep(step);
        })(),
      );
    });
    const onAbort = () => run.stop('task run stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await run.start();
      await Promise.all(pending);
      // The task desktop speaks computer_use, and the run refuses a profile of another tool: a computer_use action.
      const last = result.lastAction as ComputerAction | null;
      // terminate is not performed on screen; record it as OSWorld's DONE / FAIL step, as the profile says.
      let terminatedAs: 'DONE' | 'FAIL' | undefined;
      if (last?.action === 'terminate') {
        terminatedAs = last.status === 'success' || run.profile.terminate === 'always-done' ? 'DONE' : 'FAIL';
        await input.onStep({ stepNum: ++stepNum, action: terminatedAs, response, screenshotPng: await screenshotPng(input.desktop).catch(() => Buffer.alloc(0)), timestamp: new Date() });
      }
      return {
        status: STATUS[result.outcome],
        lastAction: last,
        ...(terminatedAs ? { terminatedAs } : {}),
        ...(result.outcome === 'error' ? { error: result.message } : {}),
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
