/**
 * What window an action would reach, for the risk classifier: the focused window (where typed text and keys go)
 * and the window under a point (where a click lands). On X11 this asks the window manager through EWMH
 * properties (`_NET_ACTIVE_WINDOW`, `_NET_CLIENT_LIST_STACKING`) with xprop and xwininfo, without moving the
 * pointer. Anything unknown is `undefined`: the classifier then simply has less to go on, and a run is never
 * stopped because a window could not be described.
 */
import type { WindowInfo, WindowProbe } from '../windows';
import { resolveXDisplay, runX } from './x11';

const WINDOW_ID = /0x[0-9a-f]+/gi;

/**
 * `NAME(TYPE) = "a", "b"` -> ["a", "b"] (xprop escapes quotes and backslashes with a backslash). One pass by hand:
 * titles are chosen by whatever opened the window, and a regular expression rescanning from every quote of a line
 * whose string never closes (a title with a line break in it) took quadratic time.
 */
function quotedValues(output: string, property: string): string[] {
  const line = output.split('\n').find((l) => l.startsWith(`${property}(`));
  if (!line || !line.includes('=')) return [];
  const values: string[] = [];
  let i = line.indexOf('=') + 1;
  for (;;) {
    const open = line.indexOf('"', i);
    if (open === -1) return values;
    let value = '';
    let j = open + 1;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\' && j + 1 < line.length) j++;
      value += line[j];
    }
    if (j >= line.length) return values; // never closed
    values.push(value);
    i = j + 1;
  }
}

/** Title and class of one window (class: the WM_CLASS class part, e.g. "XTerm"; the instance when no class). */
export function parseWindowProps(output: string): WindowInfo {
  const [instance, cls] = quotedValues(output, 'WM_CLASS');
  const title = quotedValues(output, '_NET_WM_NAME')[0] ?? quotedValues(output, 'WM_NAME')[0];
  const className = cls || instance;
  return { ...(title ? { title } : {}), ...(className ? { className } : {}) };
}

/** `xwininfo -id` output -> the window's rectangle on the root window, or null when it is not viewable. */
export function parseWindowGeometry(output: string): { x: number; y: number; width: number; height: number } | null {
  const field = (name: string): number | null => {
    const match = new RegExp(`${name}:\\s+(-?\\d+)`).exec(output);
    return match ? Number(match[1]) : null;
  };
  if (!/Map State:\s+IsViewable/.test(output)) return null;
  const [x, y, width, height] = [field('Absolute upper-left X'), field('Absolute upper-left Y'), field('Width'), field('Height')];
  if (x === null || y === null || width === null || height === null) return null;
  return { x, y, width, height };
}

export function createX11WindowProbe(xDisplay?: string): WindowProbe {
  const x = (() => {
    try {
      return resolveXDisplay(xDisplay);
    } catch {
      return null;
    }
  })();

  const describe = async (id: string): Promise<WindowInfo | undefined> => {
    const info = parseWindowProps(await runX('xprop', ['-id', id, 'WM_CLASS', '_NET_WM_NAME', 'WM_NAME'], x!, 2000));
    return info.title || info.className ? info : undefined;
  };

  return {
    async focused() {
      if (!x) return undefined;
      try {
        const out = await runX('xprop', ['-root', '_NET_ACTIVE_WINDOW'], x, 2000);
        const id = out.match(WINDOW_ID)?.[0];
        return id && Number.parseInt(id, 16) !== 0 ? await describe(id) : undefined;
      } catch {
        return undefined;
      }
    },
    async atPoint(point) {
      if (!x) return undefined;
      try {
        // Managed windows, bottom to top; the topmost viewable one containing the point is hit.
        const ids = (await runX('xprop', ['-root', '_NET_CLIENT_LIST_STACKING'], x, 2000)).match(WINDOW_ID) ?? [];
        const rects = await Promise.all(
          ids.map(async (id) => parseWindowGeometry(await runX('xwininfo', ['-id', id], x, 2000).catch(() => ''))),
        );
        for (let i = ids.length - 1; i >= 0; i--) {
          const r = rects[i];
          if (r && point.x >= r.x && point.y >= r.y && point.x < r.x + r.width && point.y < r.y + r.height) {
            return await describe(ids[i]!);
          }
        }
        return undefined;
      } catch {
        return undefined;
      }
    },
  };
}
