/**
 * The offline download cache. Task files download from URLs (mostly Google Drive) that a test machine or an
 * air-gapped lab cannot reach; the cache holds those files laid out like the URL:
 *   <cache>/<host>/<path>            for a URL without a query
 *   <cache>/<host>/<path>/<id>       for a URL whose query has an `id` (Google Drive: the id names the file;
 *                                    the other query fields are per-download tokens)
 *   <cache>/<host>/<path>?<query>    for any other query (the query verbatim as part of the file name)
 * A missing file is an error that names the URL and where to put the file. Fetching is opt-in (`fetchMissing`).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../settings';

export class MissingDownloadError extends Error {
  override name = 'MissingDownloadError';
  constructor(
    readonly url: string,
    readonly expectedPath: string,
  ) {
    super(`download not in the offline cache: ${url}\n  put the file at ${expectedPath} (or run with --fetch to download it)`);
  }
}

export function defaultCacheDir(): string {
  return path.join(cacheDir(), 'downloads');
}

function safeSegments(pathname: string): string[] {
  const segments = pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  if (segments.some((s) => s === '..' || s === '.' || s.includes('/'))) throw new Error(`unsafe URL path: ${pathname}`);
  return segments;
}

export class DownloadCache {
  constructor(
    readonly root: string,
    private readonly options: { fetchMissing?: boolean } = {},
  ) {}

  /** Where a URL's file may live, best first. The first entry is where a missing file should be put. */
  candidates(url: string): string[] {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`not a URL: ${url}`);
    }
    if (!u.hostname) throw new Error(`URL has no host: ${url}`);
    const base = path.join(this.root, u.hostname, ...safeSegments(u.pathname));
    const query = u.search.replace(/^\?/, '');
    if (!query) return [u.pathname.endsWith('/') ? path.join(base, 'index') : base];
    const out: string[] = [];
    const id = u.searchParams.get('id');
    if (id && !/[/\\]/.test(id) && id !== '..' && id !== '.') out.push(path.join(base, id));
    if (Buffer.byteLength(path.basename(base) + '?' + query) <= 255) out.push(`${base}?${query}`);
    return out;
  }

  /** The cached file's path, or null. */
  find(url: string): string | null {
    return this.candidates(url).find((p) => existsSync(p)) ?? null;
  }

  /** Put bytes in the cache for a URL (tests seed it; --fetch stores what it downloaded). */
  async put(url: string, data: Buffer | string): Promise<string> {
    const target = this.candidates(url)[0]!;
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
    return target;
  }

  /** The cached file's local path; fetches it first if allowed; else MissingDownloadError. */
  async localPath(url: string, signal?: AbortSignal): Promise<string> {
    const found = this.find(url);
    if (found) return found;
    if (!this.options.fetchMissing) throw new MissingDownloadError(url, this.candidates(url)[0]!);
    const response = await fetch(url, { signal });
    if (!response.ok) throw new Error(`download failed: ${url}: HTTP ${response.status}`);
    return this.put(url, Buffer.from(await response.arrayBuffer()));
  }

  async get(url: string, signal?: AbortSignal): Promise<Buffer> {
    return readFile(await this.localPath(url, signal));
  }
}
