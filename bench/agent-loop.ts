/**
 * Agent-loop overhead on a real 1920x1080 X desktop: the client-side time from one model reply to the next model
 * request (approval in auto mode, the action, the settle, capture and prepare of the next screenshot), with the
 * settle part shown separately. The model is the fake vLLM server answering at once, so the figures are ours alone.
 *
 * Run: npx tsx bench/agent-loop.ts [steps]   (also part of `npm run bench`)
 */
import { AgentRun } from '../app/agent/loop';
import { createLocalDesktop } from '../app/devices/x11/desktop';
import { RunSettingsSchema } from '../app/contract';
import { ModelClient } from '../app/model/client';
import { startFakeVllm } from '../testkit/fake-vllm/server';
import { gridCentre, startFixtureDesktop, type FixtureDesktop } from '../testkit/fixture-desktop/desktop';

export interface LoopFigures {
  steps: number;
  betweenMs: number[];
  /** Per step: how long the proposals waited for the screen text (settings.ocr). */
  ocrMs: number[];
  settleMs: number[];
  actMs: number[];
  captureMs: number[];
  prepareMs: number[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * nut-js keeps its X connection for the life of the process, and Xlib ends a process whose X server goes away:
 * so the desktop is started once per process and never stopped before the figures are out (run this file as its
 * own process).
 */
let shared: FixtureDesktop | null = null;

export interface LoopOptions {
  /** Read the screen text (settings.ocr.enabled); off unless asked, so the rows above stay the loop's own cost. */
  ocr?: boolean;
  /** The stand-in model answers after this long (a real model thinks; the OCR read runs meanwhile). */
  thinkMs?: number;
}

export async function measureAgentLoop(steps = 12, settleEnabled = true, options: LoopOptions = {}): Promise<LoopFigures> {
  shared ??= await startFixtureDesktop({ width: 1920, height: 1080, terminal: false });
  const desktop = shared;
  const rects = await desktop.rects();
  const buttons = [rects['btn-a'], rects['btn-b'], rects['btn-c']];
  const server = await startFakeVllm({
    servedModel: 'bench',
    toolParser: true,
    script: async (_body, ctx) => {
      if (options.thinkMs) await new Promise((resolve) => setTimeout(resolve, options.thinkMs));
      if (ctx.index >= steps) {
        return { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] };
      }
      const [x, y] = gridCentre(buttons[ctx.index % buttons.length]!, { width: 1920, height: 1080 });
      return { toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }] };
    },
  });
  try {
    const settings = RunSettingsSchema.parse({
      endpoint: server.url,
      model: 'bench',
      approve: 'auto',
      maxSteps: steps + 1,
      settle: { enabled: settleEnabled, quietMs: 300, maxMs: 3000 },
      loopThreshold: 20,
      ocr: { enabled: options.ocr ?? false, waitMs: 3000 },
    });
    const local = await createLocalDesktop({ xDisplay: desktop.display.display });
    const run = new AgentRun('Click the buttons in turn.', settings, {
      desktop: local,
      model: new ModelClient({ endpoint: settings.endpoint, model: settings.model }),
      approver: null,
    });
    const figures: LoopFigures = { steps, betweenMs: [], ocrMs: [], settleMs: [], actMs: [], captureMs: [], prepareMs: [] };
    let replyAt: number | null = null;
    run.on((event) => {
      if (event.type === 'model-reply') replyAt = performance.now();
      if (event.type === 'model-request' && replyAt !== null) {
        figures.betweenMs.push(performance.now() - replyAt);
        replyAt = null;
      }
      if (event.type === 'timings') {
        if (event.timings.settle !== undefined) figures.settleMs.push(event.timings.settle);
        if (event.timings.ocr !== undefined) figures.ocrMs.push(event.timings.ocr);
        if (event.timings.act !== undefined) figures.actMs.push(event.timings.act);
        if (event.timings.capture !== undefined) figures.captureMs.push(event.timings.capture);
        if (event.timings.prepare !== undefined) figures.prepareMs.push(event.timings.prepare);
      }
    });
    const result = await run.start();
    if (result.outcome !== 'success') throw new Error(`bench run ended ${result.outcome}: ${result.message}`);
    await local.close();
    return figures;
  } finally {
    await server.close();
  }
}

export function loopTable(label: string, f: LoopFigures): string {
  const row = (name: string, values: number[]) =>
    `| ${label} | ${name} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 95).toFixed(1)} | ${values.length} |`;
  return [
    row('reply -> next request (total)', f.betweenMs),
    row('  of which settle', f.settleMs),
    row('  of which act', f.actMs),
    row('  of which prepare (next screenshot)', f.prepareMs),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = Number(process.argv[2] ?? 12);
  const withSettle = await measureAgentLoop(steps, true);
  const withoutSettle = await measureAgentLoop(steps, false);
  console.log('| mode | phase | median ms | p95 ms | n |\n| --- | --- | --- | --- | --- |');
  console.log(loopTable('settle on', withSettle));
  console.log(loopTable('settle off', withoutSettle));
  // Leave without closing the X server under nut-js (see above); the fixture's processes die with their parent.
  await (shared as FixtureDesktop | null)?.stop().catch(() => undefined);
  process.exit(0);
}
