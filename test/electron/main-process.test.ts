/**
 * main/index.ts as Electron would run it, with a stand-in for the `electron` module (the binary cannot be installed
 * here) and a desktop double instead of the real screen: the real engine host, the real settings store on a real
 * folder, the real fake-vLLM model server. A run goes through the IPC allowlist from the window, events reach the
 * windows and the tray, the compact view takes over, Deskpilot's windows are off screen at every capture and
 * action, the global shortcut stops a run, and quitting closes the host.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../app/contract';
import type { ActionTarget } from '../../app/screen/geometry';
import type { ComputerAction } from '../../app/base/actions';
import type { Display } from '../../app/screen/geometry';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';

const env = vi.hoisted(() => {
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const { join } = require('node:path') as typeof import('node:path');
  const home = mkdtempSync(join(tmpdir(), 'deskpilot-electron-home-'));
  process.env.XDG_CONFIG_HOME = join(home, 'config');
  process.env.DESKPILOT_RUNS_DIR = join(home, 'runs');
  delete process.env.ELECTRON_RENDERER_URL;
  return { home };
});

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  const calls: string[] = [];

  class FakeWebContents extends EventEmitter {
    sent: Array<[string, unknown]> = [];
    openHandler: ((details: { url: string }) => unknown) | null = null;
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    isDestroyed() {
      return false;
    }
    setWindowOpenHandler(handler: (details: { url: string }) => unknown) {
      this.openHandler = handler;
    }
  }

  class FakeBrowserWindow extends EventEmitter {
    static all: FakeBrowserWindow[] = [];
    visible = false;
    url = '';
    onTop: unknown[] = [];
    contentProtection = false;
    readonly webContents = new FakeWebContents();
    constructor(readonly options: Record<string, any>) {
      super();
      FakeBrowserWindow.all.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    loadURL(url: string) {
      this.url = url;
      queueMicrotask(() => this.emit('ready-to-show'));
      return Promise.resolve();
    }
    show() {
      this.visible = true;
    }
    showInactive() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    isVisible() {
      return this.visible;
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {}
    setContentProtection(on: boolean) {
      this.contentProtection = on;
    }
    setAlwaysOnTop(...args: unknown[]) {
      this.onTop = args;
    }
    setVisibleOnAllWorkspaces() {}
  }

  const paths = new Map<string, string>([['appData', join(mkdtempSync(join(tmpdir(), 'deskpilot-appdata-')))]]);
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    whenReady: () => Promise.resolve(),
    requestSingleInstanceLock: () => true,
    enableSandbox: () => calls.push('enableSandbox'),
    getAppPath: () => process.cwd(),
    getPath: (name: string) => paths.get(name) ?? join(tmpdir(), name),
    setPath: (name: string, value: string) => paths.set(name, value),
    quit: () => calls.push('quit'),
    exit: (code: number) => calls.push(`exit ${code}`),
  });

  const shortcuts = new Map<string, () => void>();
  /** Accelerators another application holds. */
  const taken = new Set<string>();
  const protocols = new Map<string, (request: Request) => Promise<Response>>();
  const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  const session = {
    permissionRequest: null as null | ((c: unknown, p: string, cb: (granted: boolean) => void) => void),
    permissionCheck: null as null | ((c: unknown, p: string) => boolean),
    setPermissionRequestHandler(h: any) {
      this.permissionRequest = h;
    },
    setPermissionCheckHandler(h: any) {
      this.permissionCheck = h;
    },
    webRequest: { onHeadersReceived: () => calls.push('onHeadersReceived') },
  };
  class Tray {
    static last: Tray | null = null;
    tooltip = '';
    menu: Array<Record<string, any>> = [];
    constructor(readonly icon: unknown) {
      Tray.last = this;
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setContextMenu(menu: Array<Record<string, any>>) {
      this.menu = menu;
    }
    on() {}
  }
  const flip = (b: Buffer) => Buffer.from(b.map((byte) => byte ^ 0x5a));

  return {
    app,
    BrowserWindow: FakeBrowserWindow,
    Tray,
    Menu: { buildFromTemplate: (template: unknown) => template },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    globalShortcut: {
      register: (accelerator: string, callback: () => void) => !taken.has(accelerator) && (shortcuts.set(accelerator, callback), true),
      unregister: (accelerator: string) => shortcuts.delete(accelerator),
      unregisterAll: () => shortcuts.clear(),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => calls.push(`schemes ${JSON.stringify(schemes)}`),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => protocols.set(scheme, handler),
    },
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) => ipcHandlers.set(channel, handler),
      removeHandler: (channel: string) => ipcHandlers.delete(channel),
    },
    session: { defaultSession: session },
    screen: { getPrimaryDisplay: () => ({ workArea: { x: 0, y: 27, width: 1920, height: 1053 } }) },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (text: string) => flip(Buffer.from(text)),
      decryptString: (data: Buffer) => flip(data).toString(),
      getSelectedStorageBackend: () => 'gnome_libsecret',
    },
    // Test handles.
    __test: { calls, shortcuts, taken, protocols, ipcHandlers, paths, FakeBrowserWindow, Tray },
  };
});

/** Which Deskpilot windows were on screen at each capture and action. */
const seen = vi.hoisted(() => [] as string[]);

vi.mock('../../app/devices/x11/desktop', async () => {
  const { FakeDesktop } = await import('../../testkit/fake-desktop');
  const electron = (await import('electron')) as any;
  const onScreen = () => {
    const shown = electron.__test.FakeBrowserWindow.all.filter((w: any) => w.visible).map((w: any) => w.options.title);
    return shown.length ? shown.join(' + ') : 'none';
  };
  class WatchedDesktop extends FakeDesktop {
    override async capture(display: Display) {
      seen.push(`capture: ${onScreen()}`);
      return super.capture(display);
    }
    override async perform(action: ComputerAction, target: ActionTarget, signal?: AbortSignal) {
      seen.push(`${action.action}: ${onScreen()}`);
      return super.perform(action, target, signal);
    }
  }
  return { createLocalDesktop: async () => new WatchedDesktop({ width: 640, height: 400 }) };
});

type FakeWindow = {
  options: Record<string, any>;
  url: string;
  visible: boolean;
  onTop: unknown[];
  webContents: { sent: Array<[string, unknown]>; openHandler: ((d: { url: string }) => unknown) | null; emit(...a: unknown[]): boolean };
};
let t: {
  calls: string[];
  shortcuts: Map<string, () => void>;
  taken: Set<string>;
  protocols: Map<string, (request: Request) => Promise<Response>>;
  ipcHandlers: Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>;
  paths: Map<string, string>;
  FakeBrowserWindow: { all: FakeWindow[] };
  Tray: { last: { tooltip: string; menu: Array<Record<string, any>> } | null };
};
let app: { emit(event: string, ...args: unknown[]): boolean };
let vllm: FakeVllm;
/** What the model does next: each chat request takes the next reply. */
const replies: Array<() => { toolCalls: Array<{ name: string; arguments: Record<string, unknown> }> }> = [];

async function until<T>(what: string, probe: () => T | undefined | false | null, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const mainWindow = () => t.FakeBrowserWindow.all.find((w) => w.options.title === 'Deskpilot')!;
const compactWindow = () => t.FakeBrowserWindow.all.find((w) => w.options.title !== 'Deskpilot');
const eventsSent = (window: FakeWindow) => window.webContents.sent.filter(([channel]) => channel === 'run.event').map(([, e]) => e as RunEvent);

/** A request as the renderer in the main window sends it through the preload. */
function invoke(name: string, input: unknown, from: { url?: string; window?: FakeWindow } = {}) {
  const window = from.window ?? mainWindow();
  const handler = t.ipcHandlers.get('deskpilot:request')!;
  return handler({ sender: window.webContents, senderFrame: { url: from.url ?? window.url, parent: null } }, name, input) as Promise<any>;
}

beforeAll(async () => {
  vllm = await startFakeVllm({
    script: () => {
      const next = replies.shift();
      return next ? next() : { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] };
    },
  });
  const electron = (await import('electron')) as any;
  t = electron.__test;
  app = electron.app;
  await import('../../main/index');
  await until('the main window', () => t.FakeBrowserWindow.all.length > 0 && t.ipcHandlers.size > 0 && t.Tray.last);
}, 60_000);

afterAll(async () => {
  await vllm?.close();
});

describe('the Electron main process', () => {
  it('starts hardened: sandbox everywhere, app:// origin, permissions denied, one secure window', async () => {
    expect(t.calls).toContain('enableSandbox');
    expect(t.calls.find((c) => c.startsWith('schemes'))).toMatch(/"scheme":"app".*"standard":true.*"secure":true/);
    const main = mainWindow();
    expect(main.url).toBe('app://deskpilot/index.html');
    expect(main.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(main.options.webPreferences.preload).toMatch(/preload[\\/]index\.cjs$/);
    await until('the main window to show', () => main.visible);
    // web-contents-created hardened the window's contents.
    expect(main.webContents.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const electron = (await import('electron')) as any;
    const granted: boolean[] = [];
    electron.session.defaultSession.permissionRequest(null, 'media', (g: boolean) => granted.push(g));
    expect(granted).toEqual([false]);
    // userData next to the CLI's config on Linux.
    if (process.platform === 'linux') expect(t.paths.get('userData')).toBe(join(process.env.XDG_CONFIG_HOME!, 'deskpilot', 'desktop'));
  });

  it('serves the renderer on app:// with the CSP and nothing outside it', async () => {
    const handler = t.protocols.get('app')!;
    const page = await handler({ url: 'app://deskpilot/index.html' } as Request);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('<div id="root">');
    expect((await handler({ url: 'app://deskpilot/..%2F..%2Fpackage.json' } as Request)).status).toBe(404);
  });

  it('IPC from a page that is not ours is refused', async () => {
    const answer = await invoke('settings.get', {}, { url: 'https://evil.example/' });
    expect(answer).toMatchObject({ ok: false, error: expect.stringMatching(/not Deskpilot's page/) });
  });

  it('saves settings with the API key encrypted, outside the settings file', async () => {
    const saved = await invoke('settings.save', {
      endpoint: `${vllm.url}/v1`,
      model: 'Qwen/Qwen3-VL-8B-Instruct',
      approve: 'ask',
      settle: { enabled: false, quietMs: 0, maxMs: 0 },
      apiKey: 'sk-electron-test-key',
    });
    expect(saved).toMatchObject({ ok: true, value: { apiKeySet: true, apiKeyStorage: expect.stringMatching(/encrypted on disk/) } });
    const userData = t.paths.get('userData')!;
    const settingsFile = readFileSync(join(userData, 'settings.json'), 'utf8');
    expect(settingsFile).toContain(vllm.url);
    expect(settingsFile).not.toContain('sk-electron-test-key');
    expect(existsSync(join(userData, 'api-key.enc'))).toBe(true);
    expect(readFileSync(join(userData, 'api-key.enc'), 'utf8')).not.toContain('sk-electron-test-key');
  });

  it('a run: compact view up, windows off screen at every capture and action, approvals over IPC, tray follows', async () => {
    seen.length = 0;
    replies.push(() => ({ toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [500, 500] } }] }));
    const started = await invoke('run.start', { instruction: 'click the middle of the screen' });
    expect(started).toMatchObject({ ok: true, value: { runId: expect.any(String) } });

    const approval = await until('an approval request', () =>
      eventsSent(mainWindow()).find((e): e is Extract<RunEvent, { type: 'approval-requested' }> => e.type === 'approval-requested'),
    );
    const compact = compactWindow()!;
    expect(compact.url).toBe('app://deskpilot/index.html#compact');
    expect(compact.options).toMatchObject({ alwaysOnTop: true, frame: false, x: 1920 - 380 - 16, y: 27 + 16 });
    expect(compact.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    // The compact view gets the same events; the main window stepped aside.
    expect(eventsSent(compact).some((e) => e.type === 'approval-requested')).toBe(true);
    expect(mainWindow().visible).toBe(false);
    await until('the compact view back after the capture', () => compact.visible);
    expect(t.Tray.last!.tooltip).toBe('Deskpilot - Waiting for your approval, step 1: ' + approval.proposal.summary);
    expect(t.Tray.last!.menu.find((item) => item.label === 'Stop the run')!.enabled).toBe(true);

    const decided = await invoke('run.decide', { proposalId: approval.proposal.id, decision: { kind: 'approve' } }, { window: compact });
    expect(decided.ok).toBe(true);
    const finished = await until('the run to finish', () =>
      eventsSent(mainWindow()).find((e): e is Extract<RunEvent, { type: 'run-finished' }> => e.type === 'run-finished'),
    );
    expect(finished.outcome).toBe('success');
    expect(seen).toEqual(['capture: none', 'left_click: none', 'capture: none']);
    await until('the main window back', () => mainWindow().visible);
    expect(compact.visible).toBe(false);
    expect(t.Tray.last!.tooltip).toBe('Deskpilot - Finished: click the middle of the screen');
    // The decrypted key reached the model server, and nothing else: no event, no file of the run record.
    expect(vllm.chatRequests().at(-1)!.headers.authorization).toBe('Bearer sk-electron-test-key');
    expect(JSON.stringify(mainWindow().webContents.sent)).not.toContain('sk-electron-test-key');
    const runDir = join(process.env.DESKPILOT_RUNS_DIR!, finished.runId);
    const files = readdirSync(runDir);
    expect(files).toContain('events.jsonl');
    for (const file of files) expect(readFileSync(join(runDir, file)).includes('sk-electron-test-key'), file).toBe(false);
  });

  it('the global stop shortcut stops a run that waits for approval', async () => {
    replies.push(() => ({ toolCalls: [{ name: 'computer_use', arguments: { action: 'type', text: 'hello' } }] }));
    const before = eventsSent(mainWindow()).length;
    expect((await invoke('run.start', { instruction: 'type hello' })).ok).toBe(true);
    await until('an approval request', () => eventsSent(mainWindow()).slice(before).some((e) => e.type === 'approval-requested'));
    const stop = t.shortcuts.get('CommandOrControl+Alt+Shift+K');
    expect(stop).toBeTypeOf('function');
    stop!();
    const finished = await until('the run to finish', () =>
      eventsSent(mainWindow()).slice(before).find((e): e is Extract<RunEvent, { type: 'run-finished' }> => e.type === 'run-finished'),
    );
    expect(finished.outcome).toBe('stopped');
    expect(seen.filter((s) => s.startsWith('type'))).toEqual([]);
  });

  it('the tray switches the stop shortcut at once and remembers it; a taken one keeps the old', async () => {
    const submenu = () => t.Tray.last!.menu.find((item) => item.label === 'Stop shortcut')!.submenu as Array<{ label: string; click(): void }>;
    submenu().find((item) => item.label === 'Ctrl+Alt+F12')!.click();
    expect([...t.shortcuts.keys()]).toEqual(['CommandOrControl+Alt+F12']);
    const saved = JSON.parse(readFileSync(join(t.paths.get('userData')!, 'settings.json'), 'utf8'));
    expect(saved.desktop.stopShortcut).toBe('CommandOrControl+Alt+F12');
    t.taken.add('CommandOrControl+Shift+F12');
    submenu().find((item) => item.label === 'Ctrl+Shift+F12')!.click();
    expect([...t.shortcuts.keys()]).toEqual(['CommandOrControl+Alt+F12']);
    expect(t.Tray.last!.menu.find((item) => item.label === 'Stop the run')).toBeTruthy();
  });

  it('quitting releases the shortcut and closes the host before the process ends', async () => {
    let prevented = false;
    app.emit('before-quit');
    app.emit('will-quit', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(t.shortcuts.size).toBe(0);
    await until('app.quit after the host closed', () => t.calls.includes('quit'));
  });
});
