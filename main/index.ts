/**
 * Electron main process: a thin shell over the engine host (app/host/engine-host.ts). It owns windows, tray, the
 * global stop shortcut, settings storage (API key through safeStorage), the app:// protocol and the IPC allowlist;
 * every agent decision stays in the engine. Security: sandboxed, context-isolated windows without Node, a strict
 * CSP, navigation/new windows/webviews/permissions refused, IPC only on the typed allowlist from our own page.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  globalShortcut,
  ipcMain,
  Menu,
  nativeImage,
  protocol,
  safeStorage,
  screen,
  session,
  Tray,
  type WebContents,
} from 'electron';
import type { RunEvent } from '../app/contract';
import { EngineHost } from '../app/host/engine-host';
import { EndpointMemory } from '../app/model/endpoint-memory';
import { createLocalDesktop } from '../app/devices/x11/desktop';
import { configDir, defaultRunsRoot } from '../app/settings';
import { IPC_EVENT } from './channels';
import { registerBridgeIpc } from './ipc';
import { keepOutOfTheWay, WindowHider } from './own-windows';
import { serveAppRequest } from './protocol';
import {
  allowedOrigins,
  APP_ORIGIN,
  APP_SCHEME,
  COMPACT_WINDOW_TITLE,
  compactPosition,
  compactWindowOptions,
  contentSecurityPolicy,
  denyAllPermissions,
  hardenContents,
  MAIN_WINDOW_TITLE,
  mainWindowOptions,
} from './security';
import { directoryFiles, ElectronSettingsStore } from './settings-store';
import { registerStopShortcut, type ShortcutStatus } from './shortcut';
import { IDLE_STATUS, isRunActive, nextTrayStatus, trayMenuTemplate, trayTooltip, type TrayStatus } from './tray';

const here = fileURLToPath(new URL('.', import.meta.url));
const preloadPath = join(here, '../preload/index.cjs');
const rendererRoot = join(here, '../renderer');
/** Set by `electron-vite dev` only; accepted on loopback only (contentSecurityPolicy checks). */
const devServer = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const iconDir = join(app.getAppPath(), 'resources/build/icons');

const log = (message: string) => console.log(`[deskpilot] ${message}`);

// Before ready: where settings live, the renderer's own origin, and the sandbox for every renderer.
// On Linux next to the CLI's config (~/.config/deskpilot/desktop), not in a look-alike ~/.config/Deskpilot.
if (process.platform === 'linux') app.setPath('userData', join(configDir(), 'desktop'));
else app.setPath('userData', join(app.getPath('appData'), 'Deskpilot'));
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();
// Windows groups the taskbar entry and notifications by this id (the installer's appId).
if (process.platform === 'win32') app.setAppUserModelId('dev.deskpilot.app');

let mainWindow: BrowserWindow | null = null;
let compactWindow: BrowserWindow | null = null;
let tray: Tray | null = null;
let host: EngineHost | null = null;
let store: ElectronSettingsStore | null = null;
let trayStatus: TrayStatus = IDLE_STATUS;
let shortcut: ShortcutStatus | null = null;
let quitting = false;
let closed = false;

const ownWindows = (): BrowserWindow[] => [mainWindow, compactWindow].filter((w): w is BrowserWindow => !!w && !w.isDestroyed());
const isOwnSender = (sender: unknown): boolean => ownWindows().some((w) => w.webContents === (sender as WebContents));

const hider = new WindowHider(ownWindows);

function pageUrl(hash?: string): string {
  const base = devServer ?? `${APP_ORIGIN}/index.html`;
  return hash ? `${base}#${hash}` : base;
}

function prepareWindow(window: BrowserWindow): void {
  // macOS and Windows can keep a window out of screen captures; Linux cannot, hence the hider as well.
  if (process.platform === 'darwin' || process.platform === 'win32') window.setContentProtection(true);
  // The page title must not replace the window title: the engine recognises our windows by it.
  window.on('page-title-updated', (event) => event.preventDefault());
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(preloadPath, join(iconDir, '256x256.png')));
  prepareWindow(window);
  window.once('ready-to-show', () => window.show());
  window.on('close', (event) => {
    // During a run the window only hides (tray and compact view stay); otherwise closing it quits.
    if (!quitting && isRunActive(trayStatus.state)) {
      event.preventDefault();
      hider.forget(window);
      window.hide();
    }
  });
  window.on('closed', () => {
    mainWindow = null;
    if (!quitting) app.quit();
  });
  void window.loadURL(pageUrl());
  return window;
}

function createCompactWindow(): BrowserWindow {
  const position = compactPosition(screen.getPrimaryDisplay().workArea);
  const window = new BrowserWindow(compactWindowOptions(preloadPath, join(iconDir, '64x64.png'), position));
  prepareWindow(window);
  window.setAlwaysOnTop(true, 'floating');
  window.setVisibleOnAllWorkspaces(true);
  window.on('closed', () => {
    compactWindow = null;
  });
  void window.loadURL(pageUrl('compact'));
  return window;
}

function showMain(): void {
  mainWindow ??= createMainWindow();
  hider.forget(mainWindow);
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

function stopRun(): void {
  void host?.handle('run.stop', {}).then((answer) => {
    if (!answer.ok) log(`stop: ${answer.error}`);
  });
}

/** Run start: compact view up, main window out of the way; run end: the reverse. */
function followRun(event: RunEvent): void {
  const desktopSettings = store?.desktop();
  if (!desktopSettings?.compactView) return;
  if (event.type === 'run-started') {
    compactWindow ??= createCompactWindow();
    compactWindow.showInactive();
    if (mainWindow?.isVisible()) {
      hider.forget(mainWindow);
      mainWindow.hide();
    }
  } else if (event.type === 'run-finished') {
    hider.restoreNow();
    if (compactWindow && !compactWindow.isDestroyed()) {
      hider.forget(compactWindow);
      compactWindow.hide();
    }
    showMain();
  }
}

function updateTray(): void {
  if (!tray || !store) return;
  const desktopSettings = store.desktop();
  tray.setToolTip(trayTooltip(trayStatus));
  tray.setContextMenu(
    Menu.buildFromTemplate(
      trayMenuTemplate(
        trayStatus,
        {
          show: showMain,
          stop: stopRun,
          quit: () => app.quit(),
          toggle: (setting, value) => {
            store?.writeDesktop({ [setting]: value });
            updateTray();
          },
          chooseShortcut,
        },
        {
          stopShortcut: { accelerator: shortcut?.accelerator ?? desktopSettings.stopShortcut, ok: shortcut?.ok ?? false },
          hideWhileActing: desktopSettings.hideWhileActing,
          compactView: desktopSettings.compactView,
        },
      ),
    ),
  );
}

/** Switch the global stop shortcut; keep the old one when the new one cannot be registered. */
function chooseShortcut(accelerator: string): void {
  if (!store) return;
  const previous = shortcut?.ok ? shortcut.accelerator : undefined;
  const next = registerStopShortcut(globalShortcut, accelerator, stopRun, previous);
  if (next.ok) {
    store.writeDesktop({ stopShortcut: accelerator });
    shortcut = next;
  } else {
    log(`stop shortcut: ${next.error}`);
    if (previous) shortcut = registerStopShortcut(globalShortcut, previous, stopRun);
  }
  updateTray();
}

function broadcast(event: RunEvent): void {
  for (const window of ownWindows()) {
    if (!window.webContents.isDestroyed()) window.webContents.send(IPC_EVENT, event);
  }
  const next = nextTrayStatus(trayStatus, event);
  if (next !== trayStatus) {
    trayStatus = next;
    updateTray();
  }
  followRun(event);
}

async function serveRenderer(request: Request): Promise<Response> {
  const answer = await serveAppRequest(rendererRoot, request.url, contentSecurityPolicy(), (path) => readFile(path));
  return new Response(typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body), {
    status: answer.status,
    headers: answer.headers,
  });
}

async function start(): Promise<void> {
  const origins = allowedOrigins(devServer);
  denyAllPermissions(session.defaultSession);
  protocol.handle(APP_SCHEME, serveRenderer);
  if (devServer) {
    const csp = contentSecurityPolicy({ devServer });
    session.defaultSession.webRequest.onHeadersReceived({ urls: [`${new URL(devServer).origin}/*`] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
    });
  }

  store = new ElectronSettingsStore({
    files: directoryFiles(app.getPath('userData')),
    safeStorage,
    platform: process.platform,
  });
  for (const problem of store.problems) log(`settings: ${problem}`);
  log(`API key storage: ${store.apiKeyStorage}`);

  host = new EngineHost({
    store,
    runsRoot: defaultRunsRoot(),
    createDesktop: async () =>
      keepOutOfTheWay(await createLocalDesktop(), hider, {
        hideForCapture: true,
        enabled: () => store?.desktop().hideWhileActing ?? true,
      }),
    ownWindowTitles: [MAIN_WINDOW_TITLE, COMPACT_WINDOW_TITLE],
    endpointMemory: new EndpointMemory(),
  });
  host.onEvent(broadcast);
  registerBridgeIpc(ipcMain, { handler: (name, input) => host!.handle(name, input), origins, isOwnSender });

  const desktopSettings = store.desktop();
  shortcut = registerStopShortcut(globalShortcut, desktopSettings.stopShortcut, stopRun);
  if (!shortcut.ok) log(`stop shortcut: ${shortcut.error}`);

  const trayIcon = nativeImage.createFromPath(join(iconDir, process.platform === 'darwin' ? '16x16.png' : '32x32.png'));
  tray = new Tray(trayIcon);
  tray.on('click', showMain);
  updateTray();

  mainWindow = createMainWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showMain);
  app.on('web-contents-created', (_event, contents) => {
    hardenContents(contents, (what, url) => log(`blocked ${what}${url ? ` to ${url}` : ''}`));
  });
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    globalShortcut.unregisterAll();
    if (closed || !host) return;
    // Stop the run and release held keys before the process ends.
    event.preventDefault();
    closed = true;
    void host.close().finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (!isRunActive(trayStatus.state)) app.quit();
  });
  app.on('activate', showMain);
  void app.whenReady().then(start).catch((error: unknown) => {
    console.error(`[deskpilot] could not start: ${(error as Error).stack ?? String(error)}`);
    app.exit(1);
  });
}
