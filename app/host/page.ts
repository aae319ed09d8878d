/**
 * What the UI page is served with, by both servers of it: Electron's app:// handler (main/protocol.ts) and
 * `deskpilot ui` (ws-server.ts). One table of the file types the built UI has (anything else is not served) and
 * one Content Security Policy, so the two cannot drift apart.
 */
import { extname } from 'node:path';

/** The built UI's file types; a file of another type is not served (404). */
export const PAGE_FILE_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type a page file is served with, or null when it is not one the UI has. */
export function pageFileType(path: string): string | null {
  return PAGE_FILE_TYPES[extname(path).toLowerCase()] ?? null;
}

export interface PagePolicyOptions {
  /** More places the page may connect to: the browser UI's WebSocket (ws://host:port). */
  connect?: readonly string[];
  /** `electron-vite dev` only (loopback): its origin, its websocket and the inline React-refresh preamble. */
  devServer?: string;
}

/**
 * THE CSP of the page: scripts only from its own origin, no eval, no inline script, nothing loaded from the
 * network; screenshots arrive as data:/blob: images.
 */
export function pageContentSecurityPolicy(options: PagePolicyOptions = {}): string {
  const dev = options.devServer ? new URL(options.devServer) : null;
  if (dev && !['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname)) {
    throw new Error(`dev server ${options.devServer} is not on loopback; refusing to relax the CSP for it`);
  }
  const self = "'self'";
  const devOrigin = dev ? ` ${dev.origin}` : '';
  const devSocket = dev ? ` ws://${dev.host}` : '';
  const connect = (options.connect ?? []).map((source) => ` ${source}`).join('');
  const directives: Array<[string, string]> = [
    ['default-src', "'none'"],
    ['script-src', dev ? `${self}${devOrigin} 'unsafe-inline'` : self],
    // React sets styles through the CSSOM, which the policy allows; only Vite's dev server injects <style> tags.
    ['style-src', dev ? `${self}${devOrigin} 'unsafe-inline'` : self],
    ['img-src', `${self}${devOrigin} data: blob:`],
    ['font-src', `${self}${devOrigin}`],
    ['connect-src', `${self}${devOrigin}${devSocket}${connect}`],
    ['media-src', "'none'"],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['worker-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map(([name, value]) => `${name} ${value}`).join('; ');
}
