/**
 * Talking to an X server through its command-line tools (xrandr), with the X display chosen per call through the
 * child's environment - never by changing this process's DISPLAY.
 */
import { execFile } from 'node:child_process';
import type { Display } from '../../base/shapes';

/** The X display to use: the one given, else $DISPLAY; a clear error when there is none. */
export function resolveXDisplay(xDisplay?: string): string {
  const name = xDisplay ?? process.env.DISPLAY;
  if (name && name.trim() !== '') return name;
  const wayland = process.env.WAYLAND_DISPLAY ? ` (WAYLAND_DISPLAY is set: run under XWayland with DISPLAY set)` : '';
  throw new Error(`no X display: DISPLAY is not set and no display was given (e.g. ":0")${wayland}`);
}

/** Run an X client with DISPLAY=xDisplay and return its stdout; errors name the tool, the display and its stderr. */
export function runX(tool: string, args: string[], xDisplay: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      args,
      { env: { ...process.env, DISPLAY: xDisplay }, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          return reject(new Error(`${tool} is not installed (Debian package x11-xserver-utils); it is needed to read the X display layout`));
        }
        const detail = String(stderr).trim() || error.message;
        reject(new Error(`${tool} ${args.join(' ')} failed on X display ${xDisplay}: ${detail}`));
      },
    );
  });
}

// " 0: +*DUMMY0 1280/339x800/212+0+0  DUMMY0": index, flags (+ automatic, * primary), name, WxH in pixels with
// millimetres after each slash, then the signed origin, then the outputs it covers (none for virtual monitors).
const MONITOR_LINE = /^\s*(\d+):\s+([+*]*)(\S+)\s+(\d+)\/\d+x(\d+)\/\d+([+-]\d+)([+-]\d+)/;

/**
 * Parse `xrandr --listmonitors` into displays: ids 0..n-1 with the primary monitor first (then xrandr's order;
 * exactly one is flagged primary),
 * scale factor 1 (X11 has no per-monitor scale: Xft.dpi is one global hint, and X input is in pixels anyway).
 */
export function parseListMonitors(output: string): Display[] {
  const monitors: Omit<Display, 'id'>[] = [];
  for (const line of output.split('\n')) {
    const m = MONITOR_LINE.exec(line);
    if (!m) continue;
    const [, , flags = '', name = '', w = '0', h = '0', x = '0', y = '0'] = m;
    const width = Number(w);
    const height = Number(h);
    if (width <= 0 || height <= 0) continue; // a monitor with no mode set shows as 0x0: nothing to capture
    monitors.push({
      name,
      bounds: { x: Number(x), y: Number(y), width, height },
      scaleFactor: 1,
      primary: flags.includes('*'),
    });
  }
  // No primary output set (Xvfb, fresh servers): X clients then treat the first monitor as the main one; so do we.
  if (monitors.length > 0 && !monitors.some((m) => m.primary)) (monitors[0] as Omit<Display, 'id'>).primary = true;
  // Stable: the primary first, the others keep xrandr's order.
  const ordered = [...monitors.filter((m) => m.primary), ...monitors.filter((m) => !m.primary)];
  return ordered.map((m, id) => ({ id, ...m }));
}

/** The whole X screen from `xrandr --current` ("Screen 0: minimum ..., current 1280 x 800, maximum ..."). */
export function parseCurrentScreenSize(output: string): { width: number; height: number } | undefined {
  const m = /current\s+(\d+)\s*x\s*(\d+)/.exec(output);
  if (!m) return undefined;
  return { width: Number(m[1]), height: Number(m[2]) };
}
