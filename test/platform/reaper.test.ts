/**
 * Nothing the project starts outlives the command that started it: a process that starts an Xvfb desktop (with
 * openbox) and a process group, then ends without cleaning up - by process.exit() or by SIGKILL - leaves none of
 * them running.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./support/start-and-leave.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startChild(mode: '--exit' | '--hang'): Promise<{ pids: number[]; kill: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => (out.includes('\n') ? undefined : reject(new Error(`child exited with ${code}`))));
  });
  const { pids } = JSON.parse(line) as { pids: number[] };
  return { pids, kill: () => child.kill('SIGKILL') };
}

async function waitUntilGone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

describe('processes we start', () => {
  it('end when the process that started them calls process.exit() without stopping them', async () => {
    const { pids } = await startChild('--exit');
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(await waitUntilGone(pids)).toEqual([]);
  });

  it('end when the process that started them is SIGKILLed', async () => {
    const { pids, kill } = await startChild('--hang');
    expect(pids.every(alive)).toBe(true);
    kill();
    expect(await waitUntilGone(pids)).toEqual([]);
  });
});
