/**
 * The fixture desktop for end-to-end tests: a throwaway Xvfb display at a given size with openbox (no key bindings,
 * see resources/fixture-desktop/openbox-rc.xml), Chromium in kiosk mode showing resources/fixture-desktop/index.html
 * (which records what really happened to it), and an xterm that records its raw input to a file.
 *
 * The page is read over the DevTools protocol (playwright-core connectOverCDP), so a test can ask it at any moment
 * what it received; nothing is sent by the page itself. Use one desktop per size per test file: Chromium at 4K
 * under Xvfb takes a few seconds to start.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startXvfb, type XDisplay } from '../../app/platform/x11/xvfb';
import { bindSpareKeycodes } from '../../app/platform/x11/keymap';

const run = promisify(execFile);
const RESOURCES = fileURLToPath(new URL('../../resources/fixture-desktop/', import.meta.url));

/** One thing the page saw. Coordinates are screen pixels. */
export interface PageEvent {
  seq: number;
  time: number;
  type: string;
  /** id of the nearest element with an id ('' for none). */
  target: string;
  x?: number;
  y?: number;
  clientX?: number;
  clientY?: number;
  button?: number;
  buttons?: number;
  /** Click count for mouse events (1, 2, 3). */
  detail?: number;
  key?: string;
  code?: string;
  repeat?: boolean;
  ctrl?: boolean;
  alt?: boolean;
  shift?: boolean;
  meta?: boolean;
  deltaX?: number;
  deltaY?: number;
  deltaMode?: number;
  scrollLeft?: number;
  scrollTop?: number;
  inputType?: string;
  from?: { x: number; y: number };
  onTarget?: boolean;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The centre of a screen rectangle on the 0..1000 grid of a screen of the given size: what a stand-in model answers
 * for "click this element". Computed here on its own, not with the engine's mapper, so tests check the mapper.
 */
export function gridCentre(rect: Rect, screen: { width: number; height: number }): [number, number] {
  return [
    Math.round(((rect.x + rect.width / 2) / screen.width) * 1000),
    Math.round(((rect.y + rect.height / 2) / screen.height) * 1000),
  ];
}

export type FixtureElement = 'textarea' | 'scroller' | 'btn-a' | 'btn-b' | 'btn-c' | 'drag-source' | 'drag-target' | 'target';

export interface FixtureDesktop {
  display: XDisplay;
  /** The page, for tests that need more than the helpers below. */
  page: Page;
  events(): Promise<PageEvent[]>;
  /** Wait until the page has recorded an event matching `predicate`; returns all events then. */
  waitForEvent(predicate: (e: PageEvent) => boolean, timeoutMs?: number): Promise<PageEvent[]>;
  /** Forget recorded events, empty the text field, centre the scroll area, empty the terminal's record. */
  clear(): Promise<void>;
  textareaValue(): Promise<string>;
  /** Wait until the text field holds `expected` (or the time is up) and return what it holds. */
  waitForTextarea(expected: string, timeoutMs?: number): Promise<string>;
  /** Everything the terminal received since the last clear(), raw (Enter arrives as "\r"). */
  terminalText(): Promise<string>;
  /** Wait until the terminal received `expected` (or the time is up) and return what it received. */
  waitForTerminal(expected: string, timeoutMs?: number): Promise<string>;
  /** Screen rectangles of the page's elements. */
  rects(): Promise<Record<FixtureElement, Rect>>;
  scrollPosition(): Promise<{ left: number; top: number }>;
  /** Move the coloured target (screen pixels), optionally recolouring it (CSS colour). */
  moveTarget(rect: Rect, color?: string): Promise<void>;
  /** Raise and focus the browser / the terminal (keyboard focus goes with it). */
  focusBrowser(): Promise<void>;
  focusTerminal(): Promise<void>;
  /** Screen rectangle of the terminal window. */
  terminalRect(): Promise<Rect>;
  /**
   * Show another page of resources/fixture-desktop/ in the kiosk window (e.g. 'account.html'), painted when this
   * resolves. The recording helpers above belong to index.html: showPage('index.html') brings them back.
   */
  showPage(file: string): Promise<void>;
  /** Screen rectangle of the first element matching a CSS selector on the page shown. */
  elementRect(selector: string): Promise<Rect>;
  stop(): Promise<void>;
}

export interface FixtureOptions {
  width: number;
  height: number;
  /** Start the xterm too (default true). */
  terminal?: boolean;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`fixture desktop: timed out waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startFixtureDesktop(options: FixtureOptions): Promise<FixtureDesktop> {
  const { width, height, terminal = true } = options;
  const display = await startXvfb({ width, height, windowManager: false });
  const env = { DISPLAY: display.display };
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'deskpilot-fixture-'));
  const terminalFile = path.join(userDataDir, 'terminal-input.txt');
  let browser: Browser | undefined;

  const xdotool = async (...args: string[]): Promise<string> =>
    (await run('xdotool', args, { env: { ...process.env, ...env } })).stdout.trim();

  const stop = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await display.stop();
    await rm(userDataDir, { recursive: true, force: true });
  };

  try {
    display.launch('openbox', ['--sm-disable', '--config-file', path.join(RESOURCES, 'openbox-rc.xml')]);
    // Wait until openbox manages the screen so that Chromium is placed by it, not before it.
    await until('openbox', 10_000, async () => {
      const { stdout } = await run('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK'], { env: { ...process.env, ...env } });
      return stdout.includes('window id') ? true : undefined;
    });

    // Xvfb's keyboard map has no F13-F24; a desktop keyboard has them. Bind F13-F20 before any client reads the
    // map (F21-F24 stay unbound, for tests of keys a map lacks).
    await bindSpareKeycodes(['F13', 'F14', 'F15', 'F16', 'F17', 'F18', 'F19', 'F20'], display.display);

    display.launch('/usr/bin/chromium', [
      '--kiosk',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${userDataDir}`,
      '--disable-features=Translate',
      '--password-store=basic',
      '--test-type',
      '--force-device-scale-factor=1',
      `--window-position=0,0`,
      `--window-size=${width},${height}`,
      '--remote-debugging-port=0',
      '--remote-allow-origins=*',
      pathToFileURL(path.join(RESOURCES, 'index.html')).href,
    ]);
    // Chromium writes the port it picked into DevToolsActivePort.
    const port = await until('Chromium DevTools port', 60_000, async () => {
      const text = await readFile(path.join(userDataDir, 'DevToolsActivePort'), 'utf8');
      const first = text.split('\n')[0];
      return first ? Number(first) : undefined;
    });
    browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { timeout: 60_000 });
    const connected = browser;
    const page = await until('the fixture page', 60_000, async () =>
      connected
        .contexts()
        .flatMap((c) => c.pages())
        .find((p) => p.url().endsWith('/index.html')),
    );
    await until('the page script', 30_000, async () =>
      (await page.evaluate(() => typeof (window as unknown as { __fixture?: unknown }).__fixture === 'object')) ? true : undefined,
    );
    // Kiosk must fill the screen exactly, or screen coordinates on the page would be off.
    await until(`a ${width}x${height} kiosk window`, 30_000, async () => {
      const vp = await page.evaluate(() => ({ w: window.innerWidth, h: window.innerHeight, x: window.screenX, y: window.screenY }));
      return vp.w === width && vp.h === height && vp.x === 0 && vp.y === 0 ? true : undefined;
    });
    const browserWindow = await until('the Chromium window', 10_000, async () => {
      const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--class', 'chromium'], { env: { ...process.env, ...env } }).catch(
        () => ({ stdout: '' }),
      );
      return stdout.trim().split('\n').filter(Boolean).pop();
    });

    let terminalWindow: string | undefined;
    if (terminal) {
      await writeFile(terminalFile, '');
      display.launch(
        'xterm',
        ['-u8', '-fa', 'DejaVu Sans Mono', '-fs', '12', '-geometry', '80x12-0-0', '-title', 'fixture-terminal', '-e', process.execPath, path.join(RESOURCES, 'record-input.mjs'), terminalFile],
        { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
      );
      terminalWindow = await until('the xterm window', 20_000, async () => {
        const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--name', '^fixture-terminal$'], { env: { ...process.env, ...env } }).catch(
          () => ({ stdout: '' }),
        );
        return stdout.trim().split('\n').filter(Boolean).pop();
      });
      await until('the terminal recorder', 20_000, async () => ((await readFile(terminalFile, 'utf8')) === '' ? true : undefined));
    }

    const fixture = <T>(fn: string, ...args: unknown[]): Promise<T> =>
      page.evaluate(
        ([name, a]) => {
          const f = (window as unknown as { __fixture: Record<string, (...x: unknown[]) => unknown> }).__fixture;
          const member = f[name as string];
          if (typeof member !== 'function') throw new Error(`no fixture function ${String(name)}`);
          return member(...(a as unknown[]));
        },
        [fn, args] as const,
      ) as Promise<T>;

    const activate = async (windowId: string | undefined, what: string): Promise<void> => {
      if (!windowId) throw new Error(`fixture desktop: there is no ${what} window`);
      await xdotool('windowactivate', '--sync', windowId);
      await until(`${what} focus`, 10_000, async () => ((await xdotool('getactivewindow')) === windowId ? true : undefined));
    };

    const events = (): Promise<PageEvent[]> =>
      page.evaluate(() => (window as unknown as { __fixture: { events: unknown[] } }).__fixture.events.slice() as never);

    const desktop: FixtureDesktop = {
      display,
      page,
      events,
      async waitForEvent(predicate, timeoutMs = 10_000) {
        return until('a page event', timeoutMs, async () => {
          const all = await events();
          return all.some(predicate) ? all : undefined;
        });
      },
      async clear() {
        await fixture('clear');
        if (terminal) await writeFile(terminalFile, '');
      },
      textareaValue: () => fixture<string>('textareaValue'),
      async waitForTextarea(expected, timeoutMs = 10_000) {
        try {
          return await until('the text field', timeoutMs, async () => {
            const value = await fixture<string>('textareaValue');
            return value === expected ? value : undefined;
          });
        } catch {
          return fixture<string>('textareaValue');
        }
      },
      terminalText: () => readFile(terminalFile, 'utf8'),
      async waitForTerminal(expected, timeoutMs = 10_000) {
        try {
          return await until('the terminal', timeoutMs, async () => {
            const value = await readFile(terminalFile, 'utf8');
            return value === expected ? value : undefined;
          });
        } catch {
          return readFile(terminalFile, 'utf8');
        }
      },
      rects: () => fixture<Record<FixtureElement, Rect>>('rects'),
      scrollPosition: () => fixture<{ left: number; top: number }>('scroll'),
      async moveTarget(rect, color) {
        await fixture('moveTarget', rect.x, rect.y, rect.width, rect.height, color);
      },
      focusBrowser: () => activate(browserWindow, 'browser'),
      focusTerminal: () => activate(terminalWindow, 'terminal'),
      async terminalRect() {
        if (!terminalWindow) throw new Error('fixture desktop: started without a terminal');
        const out = await xdotool('getwindowgeometry', '--shell', terminalWindow);
        const get = (k: string): number => Number(new RegExp(`^${k}=(-?\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
        return { x: get('X'), y: get('Y'), width: get('WIDTH'), height: get('HEIGHT') };
      },
      async showPage(file) {
        await page.goto(pathToFileURL(path.join(RESOURCES, file)).href, { waitUntil: 'load' });
        if (file === 'index.html') {
          await until('the page script', 30_000, async () =>
            (await page.evaluate(() => typeof (window as unknown as { __fixture?: unknown }).__fixture === 'object')) ? true : undefined,
          );
        }
        // Two animation frames: the page has been painted to the screen, not only laid out.
        await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
      },
      async elementRect(selector) {
        const box = await page.locator(selector).first().boundingBox();
        if (!box) throw new Error(`fixture desktop: no visible element matches ${selector}`);
        return box;
      },
      stop,
    };
    await desktop.focusBrowser();
    return desktop;
  } catch (error) {
    await stop();
    throw error;
  }
}
