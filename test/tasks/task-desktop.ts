/**
 * A throwaway Xvfb desktop with a temporary home and download cache, and the CLI calls the published-task tests
 * make against it (`tasks setup` / `tasks evaluate --json` with --display, --home and --cache).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { expect } from 'vitest';
import { openLocalSession, type LocalSession } from '../../app/tasks/session';
import { cli, taskPath, tempDir } from './helpers';

export interface TaskDesktop {
  session: LocalSession;
  home: string;
  cacheDir: string;
  setup(domain: string, id: string): Promise<string>;
  evaluate(domain: string, id: string): Promise<{ score: number; getters: Array<{ type: string; value: unknown }> }>;
  args(cmd: 'setup' | 'evaluate', domain: string, id: string, extra?: string[]): string[];
  /** Solve by hand: a shell command in the task home. */
  sh(command: string): string;
  /** Processes whose working directory is the task home (and whose command line matches): what a setup left running. */
  processesInHome(commandLine?: RegExp): number[];
  close(): Promise<void>;
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone (a `sleep 1` of a loop) */
    }
  }
}

export async function openTaskDesktop(): Promise<TaskDesktop> {
  const home = await tempDir('home');
  const cacheDir = await tempDir('cache');
  const session = await openLocalSession({ home, width: 1280, height: 800 });
  const args = (cmd: 'setup' | 'evaluate', domain: string, id: string, extra: string[] = []) => [
    'tasks', cmd, taskPath(domain, id), '--display', session.display, '--home', home, '--cache', cacheDir, ...extra,
  ];
  const processesInHome = (commandLine?: RegExp) => {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/cwd`) !== home) continue;
        if (commandLine && !commandLine.test(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '))) continue;
        pids.push(Number(entry));
      } catch {
        /* gone or not ours */
      }
    }
    return pids;
  };
  return {
    session,
    home,
    cacheDir,
    args,
    async setup(domain, id) {
      const r = await cli(args('setup', domain, id));
      // Only the warning about running task setups as root may appear.
      expect(r.stderr.replace(/^deskpilot: warning: running task setup commands as root.*\n/m, '')).toBe('');
      expect(r.code).toBe(0);
      return r.stdout;
    },
    async evaluate(domain, id) {
      const r = await cli(args('evaluate', domain, id, ['--json']));
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { score: number; getters: Array<{ type: string; value: unknown }> };
    },
    sh: (command) => execFileSync('/bin/sh', ['-c', command], { cwd: home, env: { ...process.env, HOME: home }, encoding: 'utf8' }),
    processesInHome,
    async close() {
      // nothing a task started may outlive the test
      killAll(processesInHome());
      await session.close();
    },
  };
}
