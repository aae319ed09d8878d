/**
 * The local environment: setup steps and getters run as child processes on this machine, on the task's X display.
 * Published task files assume user `user` with home /home/user; `home` can point elsewhere (a throwaway directory
 * in tests and CI), in which case `/home/user` in commands and paths is rewritten to it and HOME is set to it, so
 * the task files run unchanged. Commands see a `python` (-> python3) and, when pyautogui is missing, a small
 * pyautogui stand-in on PYTHONPATH that performs its calls with xdotool.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reapOnExit } from '../platform/reaper';
import type { Size } from '../screen/geometry';
import { shlexSplit, type DirTree, type Environment, type ExecResult, type WindowMatch } from './environment';

const RESOURCES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'resources');
export const TASK_HOME = '/home/user';
const EXEC_CAP_MS = 120_000;

export interface LocalEnvironmentOptions {
  /** X display for the commands, e.g. ":57". */
  display: string;
  /** Directory that plays /home/user (default /home/user itself). */
  home?: string;
  /** Use the pyautogui stand-in even if a real pyautogui is importable. Default: only when missing. */
  forcePyautoguiStandIn?: boolean;
  log?: (line: string) => void;
  /**
   * The processes the task starts are meant to outlive this command (`tasks setup` on a desktop that stays up).
   * Otherwise they end with it at the latest, however it ends (app/platform/reaper.ts).
   */
  keepProcesses?: boolean;
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, name)));
}

let realPyautogui: boolean | undefined;
function hasRealPyautogui(): boolean {
  if (realPyautogui === undefined) {
    const r = spawnSync('python3', ['-c', 'import pyautogui'], { stdio: 'ignore', env: { ...process.env, DISPLAY: '' } });
    realPyautogui = r.status === 0;
  }
  return realPyautogui;
}

/** Replace the task's /home/user with `home` wherever it appears as a path prefix. */
export function remapHome(text: string, home: string): string {
  if (home === TASK_HOME) return text;
  return text.replace(/\/home\/user(?=$|[^A-Za-z0-9_.-])/g, home);
}

/** Kill a process group we started; ignore groups that are gone. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export class LocalEnvironment implements Environment {
  readonly kind = 'local' as const;
  readonly display: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly started: ChildProcess[] = [];
  private readonly log: (line: string) => void;
  private readonly keepProcesses: boolean;

  constructor(options: LocalEnvironmentOptions) {
    this.display = options.display;
    this.home = path.resolve(options.home ?? TASK_HOME);
    this.log = options.log ?? (() => undefined);
    this.keepProcesses = options.keepProcesses ?? false;
    const pathDirs = [path.join(RESOURCES, 'shims')];
    // `echo password | sudo -S ...` must work as root without sudo, and in a remapped home (a sandbox for this
    // user, where the real sudo would ask for this user's password and write root-owned files into it).
    if ((process.getuid?.() === 0 && !onPath('sudo')) || this.home !== TASK_HOME) pathDirs.push(path.join(RESOURCES, 'root-shims'));
    const pythonPath = [process.env.PYTHONPATH].filter(Boolean) as string[];
    if (options.forcePyautoguiStandIn || !hasRealPyautogui()) pythonPath.unshift(path.join(RESOURCES, 'pyautogui'));
    this.env = {
      ...process.env,
      DISPLAY: this.display,
      HOME: this.home,
      PATH: [...pathDirs, process.env.PATH ?? '/usr/bin:/bin'].join(':'),
      PYTHONPATH: pythonPath.join(':'),
      // Keep the stand-in's folder free of __pycache__.
      PYTHONDONTWRITEBYTECODE: '1',
      // Thunderbird as on OSWorld's VM: it opens the profile the task unpacks (profiles.ini's default; without this,
      // Debian's Thunderbird makes a fresh profile for its installation), and its windows have the class the tasks
      // close them by, "Mail.thunderbird" (Debian's would be "thunderbird-default").
      MOZ_LEGACY_PROFILES: '1',
      MOZ_APP_REMOTINGNAME: 'thunderbird',
    };
  }

  /** Create the home and the folders an Ubuntu user has. */
  async prepareHome(): Promise<void> {
    for (const dir of ['', 'Desktop', 'Documents', 'Downloads', 'Music', 'Pictures', 'Videos']) {
      await mkdir(path.join(this.home, dir), { recursive: true });
    }
  }

  /**
   * A path as the task wrote it -> a path on this machine. The path is first made absolute and normalised as the
   * task sees it (relative to /home/user, `~` and `$HOME` being /home/user), and only then moved into a stand-in
   * home, so "/home/user/../../../etc/shadow" is /etc/shadow - which a stand-in home refuses: there, a task's
   * files must lie inside the home. (Its commands still run for real; this keeps the file steps to the sandbox.)
   */
  resolvePath(p: string): string {
    let out = p.replace(/\$HOME(?![A-Za-z0-9_])/g, TASK_HOME);
    if (out === '~' || out.startsWith('~/')) out = TASK_HOME + out.slice(1);
    out = path.posix.resolve(TASK_HOME, out);
    if (this.home === TASK_HOME) return out;
    if (out === TASK_HOME) return this.home;
    if (out.startsWith(`${TASK_HOME}/`)) return path.join(this.home, out.slice(TASK_HOME.length + 1));
    throw new Error(
      `the task's path ${JSON.stringify(p)} is ${out}, outside ${TASK_HOME}; with /home/user standing in at ${this.home}, ` +
        'task files may only name paths inside the home',
    );
  }

  private argv(command: string | string[], shell: boolean): { file: string; args: string[] } {
    if (shell) {
      const text = Array.isArray(command) ? command.join(' ') : command;
      return { file: '/bin/sh', args: ['-c', remapHome(text, this.home)] };
    }
    const parts = (Array.isArray(command) ? command : shlexSplit(command)).map((arg) =>
      remapHome(arg.startsWith('~/') ? this.home + arg.slice(1) : arg, this.home),
    );
    if (!parts.length) throw new Error('empty command');
    return { file: parts[0]!, args: parts.slice(1) };
  }

  execute(command: string | string[], options: { shell?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
    let argv: { file: string; args: string[] };
    try {
      argv = this.argv(command, options.shell ?? false);
    } catch (error) {
      return Promise.resolve({ status: 'error', output: '', error: '', returncode: -1, message: (error as Error).message });
    }
    return new Promise((resolve) => {
      // Own process group, so a task's background processes can be ended with the task.
      const child = spawn(argv.file, argv.args, { cwd: this.home, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      if (!this.keepProcesses) reapOnExit(child, { group: true });
      this.started.push(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child, 'SIGKILL');
      }, options.timeoutMs ?? EXEC_CAP_MS);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve({ status: 'error', output: '', error: '', returncode: -1, message: error.message });
      });
      // A background process started by the command (`app &`) keeps the pipes open after the command itself has
      // exited: take what was written so far and let it run (OSWorld would block here until its 120 s cap).
      let linger: NodeJS.Timeout | undefined;
      child.once('exit', () => {
        linger = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          child.emit('close', child.exitCode, child.signalCode);
        }, 1000);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(linger);
        if (timedOut) {
          resolve({ status: 'error', output: '', error: '', returncode: -1, message: `timed out after ${(options.timeoutMs ?? EXEC_CAP_MS) / 1000} s` });
          return;
        }
        resolve({
          status: 'success',
          output: Buffer.concat(out).toString('utf8'),
          error: Buffer.concat(err).toString('utf8'),
          returncode: code ?? (signal ? -1 : 0),
        });
      });
    });
  }

  async launch(command: string | string[], options: { shell?: boolean } = {}): Promise<void> {
    const argv = this.argv(command, options.shell ?? false);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(argv.file, argv.args, { cwd: this.home, env: this.env, detached: true, stdio: 'ignore' });
      // What the task launches either ends with this command (reaped) or outlives it: then it must not keep this
      // process from exiting (`tasks setup` of a task that launches a browser would never return).
      if (!this.keepProcesses) reapOnExit(child, { group: true });
      else child.unref();
      child.once('error', (error) => reject(new Error(`cannot launch ${argv.file}: ${error.message}`)));
      child.once('spawn', () => {
        this.started.push(child);
        resolve();
      });
    });
  }

  async openFile(p: string): Promise<void> {
    const file = this.resolvePath(p);
    if (!existsSync(file)) throw new Error(`open: file not found: ${file}`);
    await this.launch(['xdg-open', file]);
  }

  async readFile(p: string): Promise<Buffer | null> {
    let file: string;
    try {
      file = this.resolvePath(p);
    } catch (error) {
      this.log((error as Error).message);
      return null;
    }
    try {
      return await readFile(file);
    } catch {
      return null;
    }
  }

  async writeFile(p: string, data: Buffer): Promise<void> {
    const file = this.resolvePath(p);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
  }

  async listDirectory(p: string): Promise<DirTree | null> {
    const root = this.resolvePath(p);
    try {
      if (!(await stat(root)).isDirectory()) return null;
    } catch {
      return null;
    }
    const walk = async (dir: string): Promise<DirTree> => {
      try {
        const children: DirTree[] = [];
        for (const name of await readdir(dir)) {
          const full = path.join(dir, name);
          let isDir = false;
          try {
            isDir = statSync(full).isDirectory();
          } catch {
            /* dangling link: a file, as os.path.isdir says */
          }
          children.push(isDir ? await walk(full) : { type: 'file', name });
        }
        return { type: 'directory', name: path.basename(dir), children };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    return walk(root);
  }

  private async wmctrl(op: 'a' | 'c', name: string, match: WindowMatch): Promise<void> {
    const flag = `-${match.byClass ? 'x' : ''}${match.strict ? 'F' : ''}${op}`;
    const r = await this.execute(['wmctrl', flag, name]);
    if (r.status === 'error') throw new Error(`wmctrl is not available (${r.message}); install the wmctrl package`);
    if (r.returncode !== 0) this.log(`wmctrl ${flag} ${JSON.stringify(name)}: no such window (exit ${r.returncode})`);
  }

  activateWindow(name: string, match: WindowMatch = {}): Promise<void> {
    return this.wmctrl('a', name, match);
  }

  closeWindow(name: string, match: WindowMatch = {}): Promise<void> {
    return this.wmctrl('c', name, match);
  }

  async windowTitles(): Promise<string[]> {
    const r = await this.execute(['wmctrl', '-l']);
    if (r.status !== 'success' || r.returncode !== 0) return [];
    // "0x01e00003  0 host Title words"
    return r.output
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/\s+/).slice(3).join(' '));
  }

  async screenSize(): Promise<Size> {
    const r = await this.execute(['xdotool', 'getdisplaygeometry']);
    const [w, h] = r.output.trim().split(/\s+/).map(Number);
    if (r.status !== 'success' || !w || !h) throw new Error(`cannot read the size of display ${this.display}: ${r.message ?? r.error}`);
    return { width: w, height: h };
  }

  async close(): Promise<void> {
    for (const child of this.started) killGroup(child, 'SIGTERM');
    this.started.length = 0;
  }
}

/** The machine's user name (for messages). */
export function currentUser(): string {
  return os.userInfo().username;
}
