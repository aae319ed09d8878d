/**
 * The HTTP client of the OSWorld guest server (the server inside the official VM images, port 5000): commands,
 * the screen size and screenshots. The OSWorld device (./desktop.ts) acts through it, and the task runner's
 * GuestEnvironment (app/tasks/guest-env.ts) runs setup steps and getters through it.
 */
import { z } from 'zod';
import type { Size } from '../../screen/geometry';

/** What the guest's POST /execute returns (and what the local task environment mimics). */
export interface ExecResult {
  /** 'error' when the command could not run at all (not found, timed out): then output/error are empty. */
  status: 'success' | 'error';
  output: string;
  error: string;
  returncode: number;
  message?: string;
}

const ExecResponse = z.looseObject({
  status: z.string().optional(),
  output: z.string().nullish(),
  error: z.string().nullish(),
  returncode: z.number().nullish(),
  message: z.string().optional(),
});
const SizeResponse = z.looseObject({ width: z.number().positive(), height: z.number().positive() });

export class GuestError extends Error {
  override name = 'GuestError';
}

export interface GuestOptions {
  /** e.g. http://192.168.1.20:5000 */
  server: string;
  /** Per-request timeout; /execute gets its 120 s cap on top. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class GuestClient {
  readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: GuestOptions) {
    let u: URL;
    try {
      u = new URL(options.server);
    } catch {
      throw new GuestError(`--server must be a URL like http://HOST:5000, got "${options.server}"`);
    }
    this.base = u.toString().replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async request(method: 'GET' | 'POST', route: string, body?: { json?: unknown; form?: Record<string, string> | FormData }, timeoutMs?: number): Promise<Response> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs ?? this.timeoutMs) };
    if (body?.json !== undefined) {
      init.body = JSON.stringify(body.json);
      init.headers = { 'content-type': 'application/json' };
    } else if (body?.form instanceof FormData) init.body = body.form;
    else if (body?.form) init.body = new URLSearchParams(body.form);
    try {
      return await this.fetchImpl(`${this.base}${route}`, init);
    } catch (error) {
      throw new GuestError(`guest server ${this.base}${route}: ${(error as Error).message}`);
    }
  }

  async ok(method: 'GET' | 'POST', route: string, body?: { json?: unknown; form?: Record<string, string> | FormData }, timeoutMs?: number): Promise<Response> {
    const r = await this.request(method, route, body, timeoutMs);
    if (!r.ok) throw new GuestError(`guest server ${route}: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
    return r;
  }

  async execute(command: string | string[], shell: boolean, timeoutMs = 130_000): Promise<ExecResult> {
    const r = await this.request('POST', '/execute', { json: { command, shell } }, timeoutMs);
    const parsed = ExecResponse.safeParse(await r.json().catch(() => ({})));
    if (!parsed.success) throw new GuestError(`guest server /execute: unexpected reply: ${parsed.error.message}`);
    const d = parsed.data;
    if (!r.ok || d.status === 'error') {
      return { status: 'error', output: '', error: '', returncode: -1, message: d.message ?? `HTTP ${r.status}` };
    }
    return { status: 'success', output: d.output ?? '', error: d.error ?? '', returncode: d.returncode ?? 0 };
  }

  async screenSize(): Promise<Size> {
    const r = await this.ok('POST', '/screen_size');
    const parsed = SizeResponse.safeParse(await r.json());
    if (!parsed.success) throw new GuestError(`guest server /screen_size: unexpected reply: ${parsed.error.message}`);
    return parsed.data;
  }

  async screenshot(): Promise<Buffer> {
    const r = await this.ok('GET', '/screenshot');
    return Buffer.from(await r.arrayBuffer());
  }
}
