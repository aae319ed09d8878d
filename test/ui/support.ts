/**
 * Test support for the UI: start `deskpilot ui` as a person would (the real command, in its own process, on a
 * given X display, with throwaway config and runs folders) and a headless Chromium to look at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { reapOnExit } from '../../app/platform/reaper';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export interface UiProcess {
  url: string;
  origin: string;
  token: string;
  configHome: string;
  runsDir: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startUi(args: string[], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const configHome = mkdtempSync(join(tmpdir(), 'deskpilot-ui-config-'));
  const runsDir = mkdtempSync(join(tmpdir(), 'deskpilot-ui-runs-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/deskpilot.js', 'ui', '--port', '0', ...args], {
    env: {
      ...process.env,
      XDG_CONFIG_HOME: configHome,
      DESKPILOT_RUNS_DIR: runsDir,
      DESKPILOT_EXPORTS_DIR: mkdtempSync(join(tmpdir(), 'deskpilot-ui-exports-')),
      DESKPILOT_ENDPOINT: '',
      DESKPILOT_MODEL: '',
      DESKPILOT_API_KEY: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deskpilot ui printed no URL in 120 s:\n${out}\n${err}`)), 120_000);
    const look = () => {
      const match = /Open (http:\/\/\S+\?token=\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deskpilot ui exited (${code}) before printing its URL:\n${out}\n${err}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    configHome,
    runsDir,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function launchViewer(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

