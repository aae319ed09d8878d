/**
 * A real Redis server for tests (Debian's redis-server; `scripts/install.sh --test` installs it): loopback only, on a
 * free port, its files in a temporary folder, with an append-only file so that `restart()` (stop, start again on the
 * same port) keeps its data as a production Redis with persistence does. `stop()` ends it and removes the folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  /** With `tls`: the certificate authority clients must trust (NODE_EXTRA_CA_CERTS). */
  caFile?: string;
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

interface LaunchOptions {
  port: number;
  dir: string;
  password?: string;
  tls: boolean;
}

function launch(o: LaunchOptions): ChildProcess {
  const auth = o.password ? ['--requirepass', o.password] : [];
  // TLS only: the plain port is off, clients need not present a certificate.
  const tls = o.tls ? ['--port', '0', '--tls-port', String(o.port), '--tls-cert-file', 'cert.pem', '--tls-key-file', 'key.pem', '--tls-ca-cert-file', 'cert.pem', '--tls-auth-clients', 'no'] : ['--port', String(o.port)];
  return spawn('redis-server', [...tls, '--bind', '127.0.0.1', '--dir', o.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes', ...auth], {
    cwd: o.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A self-signed certificate for 127.0.0.1 (openssl; `scripts/install.sh --test` installs it), its own CA. */
function selfSigned(dir: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * `password`: clients must AUTH with it (redis.conf's requirepass); `url` then carries it. `tls`: TLS only
 * (`rediss://`), with a self-signed certificate in `caFile`.
 */
export async function startRedis(options: { password?: string; tls?: boolean } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-redis-'));
  const port = await freePort();
  if (options.tls) selfSigned(dir);
  const settings: LaunchOptions = { port, dir, tls: options.tls === true, ...(options.password ? { password: options.password } : {}) };
  let child = launch(settings);
  await waitReady(child);
  return {
    url: `${options.tls ? 'rediss' : 'redis'}://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    ...(options.tls ? { caFile: path.join(dir, 'cert.pem') } : {}),
    port,
    async restart(downMs = 0) {
      await end(child);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      child = launch(settings);
      await waitReady(child);
    },
    async stop() {
      await end(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
