/**
 * Starts what the project starts - an Xvfb desktop with openbox, and a process group - prints their pids, then
 * either exits at once without stopping them (`--exit`) or waits to be killed (`--hang`). test/platform/reaper.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { reapOnExit, reaperPid } from '../../../app/platform/reaper';
import { startXvfb } from '../../../app/platform/x11/xvfb';

await startXvfb({ width: 320, height: 240, windowManager: true });
const group = spawn('sh', ['-c', 'sleep 600 & sleep 600 & wait'], { detached: true, stdio: 'ignore' });
reapOnExit(group, { group: true });
await new Promise((r) => setTimeout(r, 300));
const list = (args: string[]) => execFileSync('pgrep', args).toString().trim().split('\n').map(Number);
const pids = [...list(['-g', String(group.pid)]), ...list(['-P', String(process.pid)])].filter((p) => p !== reaperPid());
process.stdout.write(`${JSON.stringify({ pids })}\n`);
if (process.argv.includes('--exit')) process.exit(0);
setInterval(() => undefined, 1000);
