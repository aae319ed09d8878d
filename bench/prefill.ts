/**
 * Prefill tokens per step on a prefix-caching server: a 13-step run at 1920x1080 with the qwen3-vl profile (a
 * 3-image window) by the real AgentRun and ModelClient against the fake vLLM server, counted from the requests the
 * client sent (testkit/prefill.ts says how tokens are estimated). Beside it, the same run as the history kept it
 * before screenshots were dropped in batches: a one-image sliding window, computed from the same requests.
 * No X display needed.
 *
 * Run: npm run bench -- --only prefill   (also part of `npm run bench`)
 */
import { measurePrefill, summarize, type PrefillRun } from '../testkit/prefill';

export async function benchPrefill(): Promise<PrefillRun> {
  return measurePrefill({ steps: 13, screen: { width: 1920, height: 1080 } });
}

export function prefillReport(run: PrefillRun): string {
  const now = summarize(run.current, run.screenshotTokens);
  const before = summarize(run.slidingWindow, run.screenshotTokens);
  const row = (name: string, s: ReturnType<typeof summarize>) =>
    `| ${name} | ${Math.round(s.averagePrefill)} | ${s.perScreenshot.toFixed(2)}x | ${s.maxImages} |`;
  const perStep = (steps: PrefillRun['current']) => steps.map((s) => Math.round(s.prefill)).join(' ');
  return [
    `Prefill per step, ${run.steps} requests at ${run.screen.width}x${run.screen.height} (one screenshot = ${run.screenshotTokens} tokens; text = UTF-8 bytes / 4)`,
    '| history | prefill tokens per step (average) | x one screenshot | most images in a request |',
    '| --- | --- | --- | --- |',
    row('dropped in batches (Deskpilot)', now),
    row('one-image sliding window (before, reference)', before),
    '',
    `per step, batches:        ${perStep(run.current)}`,
    `per step, sliding window: ${perStep(run.slidingWindow)}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${prefillReport(await benchPrefill())}\n`);
}
