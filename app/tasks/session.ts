/**
 * A local task desktop: by default a fresh Xvfb display (1920x1080) with openbox (Ctrl+Alt+T opens a terminal, as
 * on Ubuntu) and a LocalEnvironment on it; or an existing display (`--display`), left running afterwards.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../base/sleep';
import type { Size } from '../screen/geometry';
import { LocalEnvironment } from './local-env';
import { startXvfb, type XDisplay } from '../platform/x11/xvfb';

const RC_XML = path.join(path.dirname(fileURLToPath(import.meta.url)), 'resources', 'openbox-rc.xml');

export interface LocalSessionOptions {
  /** Use this X display (e.g. ":0") instead of starting Xvfb. */
  display?: string;
  width?: number;
  height?: number;
  /** Directory standing in for /home/user. */
  home?: string;
  log?: (line: string) => void;
  forcePyautoguiStandIn?: boolean;
  /** What the task starts stays running after this command (see LocalEnvironmentOptions.keepProcesses). */
  keepProcesses?: boolean;
}

export interface LocalSession {
  display: string;
  screen: Size;
  env: LocalEnvironment;
  close(): Promise<void>;
}

/** Normalize "57" / ":57" / ":57.0". */
export function normalizeDisplay(display: string): string {
  const d = display.trim();
  return d.startsWith(':') || d.includes(':') ? d : `:${d}`;
}

export async function openLocalSession(options: LocalSessionOptions = {}): Promise<LocalSession> {
  const log = options.log ?? (() => undefined);
  let xvfb: XDisplay | undefined;
  let display: string;
  if (options.display) display = normalizeDisplay(options.display);
  else {
    const width = options.width ?? 1920;
    const height = options.height ?? 1080;
    // The environment is needed for the window manager (its key bindings start programs with HOME and PATH).
    const probe = new LocalEnvironment({ display: ':0', home: options.home, forcePyautoguiStandIn: options.forcePyautoguiStandIn });
    xvfb = await startXvfb({ width, height, windowManager: true, windowManagerConfig: RC_XML, windowManagerEnv: { ...probe.env, DISPLAY: undefined } });
    display = xvfb.display;
  }
  const env = new LocalEnvironment({
    display,
    home: options.home,
    log,
    forcePyautoguiStandIn: options.forcePyautoguiStandIn,
    keepProcesses: options.keepProcesses ?? false,
  });
  try {
    await env.prepareHome();
    if (xvfb) {
      // Key bindings work only once openbox manages the screen.
      for (let i = 0; i < 50; i++) {
        if (spawnSync('wmctrl', ['-m'], { env: env.env, stdio: 'ignore' }).status === 0) break;
        await sleep(100);
      }
    }
    const screen = xvfb ? { width: xvfb.width, height: xvfb.height } : await env.screenSize();
    log(`desktop ${display} ${screen.width}x${screen.height}, home ${env.home}`);
    return {
      display,
      screen,
      env,
      async close() {
        await env.close();
        await xvfb?.stop();
      },
    };
  } catch (error) {
    await env.close();
    await xvfb?.stop();
    throw error;
  }
}
