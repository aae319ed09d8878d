/**
 * Is a key on the X keyboard map? libnut presses keys by keysym -> keycode; for a keysym the map lacks it sends
 * keycode 0, the X server answers BadValue, and Xlib's default error handler ends the whole process. So before a
 * combo is pressed with libnut, its keysyms are checked against `xmodmap -pke`; a combo with a key the map lacks is
 * pressed with `xdotool key` instead, which binds a spare keycode to the keysym for the moment of the press.
 */
import { execFile } from 'node:child_process';

const cache = new Map<string, Promise<Set<string>>>();

function run(tool: string, args: string[], xDisplay: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env: xDisplay ? { ...process.env, DISPLAY: xDisplay } : process.env, timeout: 10_000 }, (error, stdout) => {
      if (!error) return resolve(stdout);
      if ((error as { code?: unknown }).code === 'ENOENT') {
        reject(new Error(`${tool} is needed for keys that are not on the X keyboard map; install it (apt-get install ${tool === 'xmodmap' ? 'x11-xserver-utils' : tool})`));
      } else reject(new Error(`${tool} ${args.join(' ')} failed: ${error.message}`));
    });
  });
}

/** Every keysym name on the X keyboard map of `xDisplay`. */
export function mappedKeysyms(xDisplay: string | undefined, refresh = false): Promise<Set<string>> {
  const key = xDisplay ?? process.env.DISPLAY ?? '';
  let entry = cache.get(key);
  if (!entry || refresh) {
    entry = run('xmodmap', ['-pke'], xDisplay).then((out) => {
      const names = new Set<string>();
      for (const line of out.split('\n')) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        for (const name of line.slice(eq + 1).trim().split(/\s+/)) if (name && name !== 'NoSymbol') names.add(name);
      }
      return names;
    });
    entry.catch(() => cache.delete(key));
    cache.set(key, entry);
  }
  return entry;
}

/** Keysyms of `keysyms` that the map lacks (re-reading the map once before answering "missing"). */
export async function unmappedKeysyms(keysyms: string[], xDisplay: string | undefined): Promise<string[]> {
  let mapped = await mappedKeysyms(xDisplay);
  if (keysyms.every((k) => mapped.has(k))) return [];
  mapped = await mappedKeysyms(xDisplay, true);
  return keysyms.filter((k) => !mapped.has(k));
}

/** Bind each missing keysym to a spare keycode of the X keyboard map. */
export async function bindSpareKeycodes(keysyms: string[], xDisplay: string | undefined): Promise<void> {
  const table = await run('xmodmap', ['-pke'], xDisplay);
  // Spare: "keycode 247 =" with nothing after; take them from the top, away from real keys.
  const spare = table
    .split('\n')
    .map((line) => /^keycode\s+(\d+)\s*=\s*$/.exec(line)?.[1])
    .filter((code): code is string => code !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  if (spare.length < keysyms.length) throw new Error(`no spare keycode left on the X keyboard map for ${keysyms.join(', ')}`);
  const expressions = keysyms.flatMap((keysym, i) => ['-e', `keycode ${spare[i]} = ${keysym} ${keysym}`]);
  await run('xmodmap', expressions, xDisplay);
  await mappedKeysyms(xDisplay, true);
}

/** Tap a combo with xdotool (keys held in order, released in reverse). */
export async function xdotoolCombo(keysyms: string[], xDisplay: string | undefined): Promise<void> {
  await run('xdotool', ['key', '--', keysyms.join('+')], xDisplay);
}
