/**
 * Settle: after an action, wait until the screen stops changing (or a cap) instead of a fixed sleep. The last
 * frame is returned and becomes the next observation, so settling costs no extra capture.
 */
import type { AnyAction } from '../base/actions';
import { sleep } from '../base/sleep';
import type { Settle } from '../contract';
import type { Frame } from '../devices/device';
import { frameDifference } from '../screen/prepare';

/** Pixel-change fraction below which two frames count as the same screen. */
const UNCHANGED = 0.002;
const SETTLE_POLL_MS = 60;

export async function settle(
  capture: () => Promise<Frame>,
  options: Settle,
  action: AnyAction,
  control: { signal: AbortSignal; checkStopped(): void },
): Promise<Frame> {
  const { enabled, quietMs, maxMs } = options;
  if (!enabled || action.action === 'wait') return capture();
  const started = performance.now();
  let previous = await capture();
  let quietSince = performance.now();
  while (performance.now() - started < maxMs) {
    control.checkStopped();
    if (performance.now() - quietSince >= quietMs) break;
    await sleep(SETTLE_POLL_MS, control.signal);
    const current = await capture();
    if (frameDifference(previous, current) > UNCHANGED) quietSince = performance.now();
    previous = current;
  }
  return previous;
}
