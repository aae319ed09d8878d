/**
 * What the client found out about each endpoint, kept between runs: whether the server parses tool calls (then
 * `tools` are sent natively) or not (then they go in the prompt). Without it every run on a server started without
 * `--tool-call-parser` would open with a request the server refuses. One small JSON file in the cache folder
 * (`$XDG_CACHE_HOME/deskpilot/endpoints.json`, default ~/.cache/deskpilot/endpoints.json), keyed by base URL and
 * model, written atomically (a temporary file renamed over it), so a crash or two clients at once never leave it
 * half-written. A file that cannot be read or written only means starting as if nothing was known.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { cacheDir } from '../settings';
import type { ServerMode } from './prompt';

const EntrySchema = z.object({ mode: z.enum(['native', 'prompt']), at: z.string() });
const FileSchema = z.object({ version: z.literal(1), endpoints: z.record(z.string(), EntrySchema) });
type MemoryFile = z.infer<typeof FileSchema>;

/** The most endpoints remembered; the oldest are forgotten first. */
const MAX_ENDPOINTS = 200;

export function defaultEndpointMemoryFile(): string {
  return join(cacheDir(), 'endpoints.json');
}

function keyOf(baseUrl: string, model: string): string {
  return `${baseUrl} ${model}`;
}

export class EndpointMemory {
  constructor(readonly file: string = defaultEndpointMemoryFile()) {}

  private read(): MemoryFile {
    try {
      const parsed = FileSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // Missing or damaged: nothing is known yet.
    }
    return { version: 1, endpoints: {} };
  }

  /** The mode found last time for this server and model, if any. */
  recall(baseUrl: string, model: string): ServerMode | undefined {
    return this.read().endpoints[keyOf(baseUrl, model)]?.mode;
  }

  /** Keep what was found (only a change is written). Never throws: the memory is a help, not a need. */
  remember(baseUrl: string, model: string, mode: ServerMode): void {
    try {
      const memory = this.read();
      const key = keyOf(baseUrl, model);
      if (memory.endpoints[key]?.mode === mode) return;
      memory.endpoints[key] = { mode, at: new Date().toISOString() };
      const entries = Object.entries(memory.endpoints).sort(([, a], [, b]) => b.at.localeCompare(a.at)).slice(0, MAX_ENDPOINTS);
      const next: MemoryFile = { version: 1, endpoints: Object.fromEntries(entries) };
      mkdirSync(dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.${globalThis.crypto.randomUUID().slice(0, 8)}.tmp`;
      try {
        writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
        renameSync(temp, this.file);
      } finally {
        rmSync(temp, { force: true });
      }
    } catch {
      // A read-only home or a full disk: the next run finds out again.
    }
  }
}
