/**
 * Where a task's setup steps and getters act: this machine (local, child processes on the task's X display) or an
 * OSWorld guest VM (its HTTP server). Both speak the guest server's vocabulary so published task files run unchanged.
 */
import type { ExecResult } from '../devices/osworld/client';
import type { Size } from '../screen/geometry';

/** What a command run by an Environment returns: the guest's POST /execute answer (defined with the guest client). */
export type { ExecResult };

/** The guest's /list_directory tree. */
export type DirTree =
  | { type: 'directory'; name: string; children: DirTree[] }
  | { type: 'file'; name: string }
  | { error: string };

export interface WindowMatch {
  strict?: boolean;
  byClass?: boolean;
}

export interface Environment {
  readonly kind: 'local' | 'osworld';
  /** Run and wait (120 s cap). A string without `shell` is split like shlex.split, as the guest does. */
  execute(command: string | string[], options?: { shell?: boolean; timeoutMs?: number }): Promise<ExecResult>;
  /** Start and don't wait. */
  launch(command: string | string[], options?: { shell?: boolean }): Promise<void>;
  /** xdg-open a file that exists (throws if it does not). */
  openFile(path: string): Promise<void>;
  /** A file's bytes, or null when it does not exist. */
  readFile(path: string): Promise<Buffer | null>;
  writeFile(path: string, data: Buffer): Promise<void>;
  /** The directory tree, or null when the path is not a directory. */
  listDirectory(path: string): Promise<DirTree | null>;
  activateWindow(name: string, match?: WindowMatch): Promise<void>;
  closeWindow(name: string, match?: WindowMatch): Promise<void>;
  /** Titles of the open windows (used by `open` to wait for the file's window). */
  windowTitles(): Promise<string[]>;
  screenSize(): Promise<Size>;
  /** Stop what this environment started. Never throws. */
  close(): Promise<void>;
}

/** Split a command line the way Python's shlex.split does (POSIX mode): quotes, backslashes, no expansion. */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < line.length && '\\"$`\n'.includes(line[i + 1]!)) current += line[++i]!;
      else current += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\') {
      if (i + 1 < line.length) current += line[++i]!;
    } else current += ch;
  }
  if (quote) throw new Error(`unbalanced ${quote} quote in command: ${line}`);
  if (inWord) out.push(current);
  return out;
}
