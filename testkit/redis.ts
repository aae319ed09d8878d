/**
 * A real Redis server for tests (Debian's redis-server; `scripts/install.sh --test` installs it): loopback only, on a
 * free port, its files in a temporary folder, with an append-only file so that `restart()` (stop, start again on the
 * same port) keeps its data as a production Redis with persistence does. `stop()` ends it and removes the folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  /** Stop the server (clients see it gone), leave it down `downMs`, and start it again with its data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output.slice(-2000)}`)));
    child.once('error', (error) => reject(new Error(`cannot start redis-server (${error.message}); install it: apt-get install redis-server`)));
  });
}

function launch(port: number, dir: string, password?: string): ChildProcess {
  const auth = password ? ['--requirepass', password] : [];
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes', ...auth], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** `password`: clients must AUTH with it (redis.conf's requirepass); `url` then carries it. */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-redis-'));
  const port = await freePort();
  let child = launch(port, dir, options.password);
  await waitReady(child);
  return {
    url: options.password ? `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    async restart(downMs = 0) {
      await end(child);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      child = launch(port, dir, options.password);
      await waitReady(child);
    },
    async stop() {
      await end(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
