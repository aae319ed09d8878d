/**
 * Serving the built renderer on app://deskpilot/: only files under the renderer folder, each with the strict CSP
 * and nosniff headers (the page's one CSP and file-type table: app/host/page.ts). Pure apart from the injected file reader, so it is tested without Electron.
 */
import { pageFileType } from '../app/host/page';
import { resolveAppFile } from './security';

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export async function serveAppRequest(
  root: string,
  url: string,
  csp: string,
  readFile: (path: string) => Promise<Buffer>,
): Promise<AppResponse> {
  const security = { 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' };
  const notFound: AppResponse = { status: 404, headers: { ...security, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'not found' };
  const file = resolveAppFile(root, url);
  if (!file) return notFound;
  const type = pageFileType(file);
  // Unknown types are not served: the renderer build only produces the ones in the page's table.
  if (!type) return notFound;
  try {
    return { status: 200, headers: { ...security, 'Content-Type': type }, body: await readFile(file) };
  } catch {
    return notFound;
  }
}
