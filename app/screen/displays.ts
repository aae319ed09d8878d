/**
 * Display enumeration: every monitor with its origin and size in global logical units, and its scale factor.
 *
 * X11: `xrandr --listmonitors` (RandR 1.5 monitors, so virtual monitors made with `xrandr --setmonitor` count too).
 * Scale factor is 1 there: X input and capture are both in pixels, and Xft.dpi is one global font hint, not a
 * per-monitor scale. Other platforms: one display (the main one) from nut-js, its scale factor measured as
 * captured pixels per logical unit (macOS Retina screenshots are physical pixels, input is in points).
 */
import type { Display } from './geometry';
import { parseCurrentScreenSize, parseListMonitors, resolveXDisplay, runX } from '../platform/x11/x11';
import { mainDisplayFromNative } from './native';

/** All displays of an X display (default $DISPLAY) or of this desktop; ids 0..n-1, the primary first. */
export async function listDisplays(xDisplay?: string): Promise<Display[]> {
  if (process.platform !== 'linux') return [await mainDisplayFromNative()];
  const x = resolveXDisplay(xDisplay);
  const displays = parseListMonitors(await runX('xrandr', ['--listmonitors'], x));
  if (displays.length > 0) return displays;
  // A server without RandR monitors (rare): the whole X screen is one display.
  const size = parseCurrentScreenSize(await runX('xrandr', ['--current'], x));
  if (!size) throw new Error(`X display ${x} reports no monitors and no screen size (xrandr --listmonitors / --current)`);
  return [{ id: 0, name: 'screen', bounds: { x: 0, y: 0, ...size }, scaleFactor: 1, primary: true }];
}

/** The display with id `id`, or a clear error listing the ones there are. */
export function pickDisplay(displays: Display[], id: number | undefined): Display {
  if (displays.length === 0) throw new Error('no displays found');
  if (id === undefined) return displays.find((d) => d.primary) ?? (displays[0] as Display);
  const found = displays.find((d) => d.id === id);
  if (!found) {
    const known = displays.map((d) => `${d.id} (${d.name} ${d.bounds.width}x${d.bounds.height}+${d.bounds.x}+${d.bounds.y})`);
    throw new Error(`no display ${id}; the displays are: ${known.join(', ')}`);
  }
  return found;
}
