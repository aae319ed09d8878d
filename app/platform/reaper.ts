/**
 * Processes we start never outlive us. A small watchdog process holds the pids (or process groups) of what this
 * process started - Xvfb, the window manager, the apps a task launches - and kills them when its stdin reaches end
 * of file, which the OS arranges however this process ends: a normal exit, `process.exit()` with work still
 * running, a crash, or SIGKILL. Orderly clean-up (stop() on a display) still comes first; this is the net under it.
 *
 * Written by hand because Node has no PR_SET_PDEATHSIG, and the packages that offer "kill children on exit" only
 * hook exit events, which SIGKILL and `process.exit()` from another module skip.
 *
 * May import: node built-ins only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * The watchdog: `+PID` / `-PID` lines add and remove a process, `+-PGID` a whole process group. At end of input
 * it sends SIGTERM to all of them, and SIGKILL to what is still there a moment later.
 */
const WATCHDOG = `
const targets = new Set();
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const id = Number(line.slice(1));
    if (!Number.isInteger(id) || id === 0) continue;
    if (line[0] === '+') targets.add(id);
    else if (line[0] === '-') targets.delete(id);
  }
});
const signal = (name) => {
  let alive = 0;
  for (const id of targets) {
    try { process.kill(id, name); alive++; } catch { targets.delete(id); }
  }
  return alive;
};
process.stdin.on('end', () => {
  if (signal('SIGTERM') === 0) process.exit(0);
  setTimeout(() => { signal('SIGKILL'); process.exit(0); }, 1500);
});
`;

let watchdog: { child: ChildProcess; stdin: Writable } | null = null;

function ensureWatchdog(): { child: ChildProcess; stdin: Writable } | null {
  if (watchdog && watchdog.child.exitCode === null && watchdog.child.signalCode === null) return watchdog;
  const child = spawn(process.execPath, ['-e', WATCHDOG], {
    // Its own process group: a Ctrl+C to ours must not end the watchdog before it has done its job.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ELECTRON_RUN_AS_NODE: '1' },
  });
  child.on('error', () => undefined);
  const stdin = child.stdin;
  if (!stdin) return null;
  stdin.on('error', () => undefined);
  // Neither the watchdog nor the pipe to it keeps this process alive.
  child.unref();
  (stdin as Writable & { unref?: () => void }).unref?.();
  watchdog = { child, stdin };
  return watchdog;
}

/**
 * Kill `child` when this process ends, if it has not ended by then. `group`: the child was spawned with
 * `detached: true` and leads its own process group; the whole group is killed (what it started in turn).
 */
export function reapOnExit(child: ChildProcess, options: { group?: boolean } = {}): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const target = options.group ? -pid : pid;
  const dog = ensureWatchdog();
  if (!dog) return;
  dog.stdin.write(`+${target}\n`);
  child.once('exit', () => {
    // A group outlives its leader when the leader started others; leave those to the watchdog.
    if (!options.group && dog.stdin.writable) dog.stdin.write(`-${target}\n`);
  });
}

/** The watchdog's pid (tests). */
export function reaperPid(): number | undefined {
  return watchdog?.child.pid;
}
