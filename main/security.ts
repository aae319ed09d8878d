/**
 * Least-privilege settings for every window: web preferences, the Content Security Policy, the app:// origin the
 * renderer is served from, and handlers that refuse navigation, new windows, webviews and permission requests.
 * Pure functions over small interfaces, so test/electron checks them without an Electron binary.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { pageContentSecurityPolicy } from '../app/host/page';

/** The renderer is served from app://deskpilot/ (a standard, secure scheme) rather than file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'deskpilot';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The CSP sent with every renderer response: the page's one policy (app/host/page.ts, shared with `deskpilot ui`).
 * `devServer` (electron-vite dev, loopback only) adds what Vite's hot reload needs.
 */
export function contentSecurityPolicy(options: { devServer?: string } = {}): string {
  return pageContentSecurityPolicy(options);
}

/** Web preferences of every Deskpilot window. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    devTools: true,
  };
}

/** Window titles: also passed to the engine as ownWindowTitles, so a click on them is flagged risky. */
export const MAIN_WINDOW_TITLE = 'Deskpilot';
export const COMPACT_WINDOW_TITLE = 'Deskpilot - current step';

export function mainWindowOptions(preload: string, icon?: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 820,
    minWidth: 640,
    minHeight: 480,
    title: MAIN_WINDOW_TITLE,
    show: false,
    backgroundColor: '#111318',
    ...(icon ? { icon } : {}),
    webPreferences: secureWebPreferences(preload),
  };
}

export const COMPACT_SIZE = { width: 380, height: 230 };

/** Top-right corner of the work area (clear of panels), where the compact view least covers what the model works on. */
export function compactPosition(workArea: { x: number; y: number; width: number; height: number }, margin = 16): { x: number; y: number } {
  return {
    x: Math.round(workArea.x + Math.max(0, workArea.width - COMPACT_SIZE.width - margin)),
    y: Math.round(workArea.y + Math.min(margin, Math.max(0, workArea.height - COMPACT_SIZE.height))),
  };
}

/** The compact view: small, frameless, above every other window, out of the taskbar. */
export function compactWindowOptions(
  preload: string,
  icon?: string,
  position?: { x: number; y: number },
): BrowserWindowConstructorOptions {
  return {
    ...COMPACT_SIZE,
    ...(position ?? {}),
    minWidth: 300,
    minHeight: 160,
    title: COMPACT_WINDOW_TITLE,
    show: false,
    frame: false,
    resizable: true,
    alwaysOnTop: true,
    skipTaskbar: true,
    fullscreenable: false,
    minimizable: false,
    maximizable: false,
    backgroundColor: '#111318',
    ...(icon ? { icon } : {}),
    webPreferences: secureWebPreferences(preload),
  };
}

/** Origins our windows load: the app:// origin, plus the loopback dev server in development. */
export function allowedOrigins(devServer?: string): string[] {
  return devServer ? [APP_ORIGIN, new URL(devServer).origin] : [APP_ORIGIN];
}

/** True when `url` belongs to one of `origins` (exact origin match; file:// and about: never match). */
export function isAllowedUrl(url: string | undefined | null, origins: readonly string[]): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Standard custom schemes report their origin as "null" in some Node versions: rebuild it.
  const origin = parsed.origin !== 'null' ? parsed.origin : `${parsed.protocol}//${parsed.host}`;
  return origins.includes(origin);
}

/** The parts of WebContents the hardening touches (an Electron WebContents satisfies it). */
export interface HardenableContents {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * Every navigation away from the loaded page, every redirect, every new window and every webview is refused.
 * (Reloads do not fire will-navigate.) `onBlocked` hears what was refused, for the log.
 */
export function hardenContents(contents: HardenableContents, onBlocked: (what: string, url: string) => void = () => {}): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    onBlocked('navigation', url);
  });
  contents.on('will-redirect', (event, url) => {
    event.preventDefault();
    onBlocked('redirect', url);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    onBlocked('webview', '');
  });
  contents.setWindowOpenHandler(({ url }) => {
    onBlocked('new window', url);
    return { action: 'deny' };
  });
}

/** The parts of Session the hardening touches. */
export interface HardenableSession {
  setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (contents: unknown, permission: string) => boolean): void;
}

/** Deskpilot's UI needs no camera, microphone, notifications, geolocation, clipboard-read...: deny them all. */
export function denyAllPermissions(session: HardenableSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Maps an app://deskpilot/... URL to a file under `root` (the built renderer). Null for another host, a path that
 * escapes the root (`..`, encoded or not), or a malformed URL. "/" serves index.html.
 */
export function resolveAppFile(root: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const base = resolve(root);
  const file = resolve(base, `.${path}`);
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return null;
  return file;
}
