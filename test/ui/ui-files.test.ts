/**
 * What the UI server reads and whom it answers, through real HTTP requests and WebSocket upgrades: no symbolic
 * link leads a request out of the renderer folder or the runs folder, and a request for a host name the server is
 * not reached at (DNS rebinding: a page on evil.example re-points its own name at 127.0.0.1) is refused with 421,
 * token or not.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineHost } from '../../app/host/engine-host';
import { MemorySettingsStore } from '../../app/host/settings-store';
import { startUiServer, type UiServer } from '../../app/host/ws-server';
import { serveAppRequest } from '../../main/protocol';
import { contentSecurityPolicy } from '../../main/security';
import { writeSampleRun } from '../runs/sample-run';

const scratch = mkdtempSync(join(tmpdir(), 'deskpilot-ui-files-'));
const rendererDir = join(scratch, 'renderer');
const runsRoot = join(scratch, 'runs');
const outside = join(scratch, 'outside');
const PASSWD = readFileSync('/etc/passwd', 'utf8');

let server: UiServer;
let host: EngineHost;

beforeAll(async () => {
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Deskpilot</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("the UI")');
  writeFileSync(join(rendererDir, 'assets', 'data.bin'), 'not a file of the UI');
  symlinkSync('/etc/passwd', join(rendererDir, 'assets', 'passwd.js'));
  symlinkSync('/etc', join(rendererDir, 'etc'));
  symlinkSync('app.js', join(rendererDir, 'assets', 'alias.js'));

  mkdirSync(runsRoot);
  mkdirSync(outside);
  // A run whose first image is a link to /etc/passwd, and one whose settings.json is a file from elsewhere.
  const linkedImage = await writeSampleRun(runsRoot, 'linked-image');
  rmSync(join(linkedImage, 'step-0001.png'));
  symlinkSync('/etc/passwd', join(linkedImage, 'step-0001.png'));
  const linkedSettings = await writeSampleRun(runsRoot, 'linked-settings');
  writeFileSync(join(outside, 'settings.json'), JSON.stringify({ endpoint: 'http://from-outside.example/v1' }));
  rmSync(join(linkedSettings, 'settings.json'));
  symlinkSync(join(outside, 'settings.json'), join(linkedSettings, 'settings.json'));
  // A "run" that is a link to a run folder outside the runs root.
  const elsewhere = await writeSampleRun(outside, 'elsewhere');
  symlinkSync(elsewhere, join(runsRoot, 'linked-run'));
  cpSync(elsewhere, join(runsRoot, 'plain'), { recursive: true });

  host = new EngineHost({
    store: new MemorySettingsStore(),
    runsRoot,
    createDesktop: () => Promise.reject(new Error('no desktop in this test')),
  });
  server = await startUiServer({ host, rendererDir, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await host?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** One real HTTP GET with the Host header of our choosing (fetch does not let a caller set it). */
function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

function connect(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/bridge?token=${server.token}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(body), { status: res.statusCode })));
    });
    ws.once('error', reject);
  });
}

function ask(ws: WebSocket, name: string, input: unknown): Promise<{ ok: boolean; value?: any; error?: string }> {
  return new Promise((resolve) => {
    const id = Math.random();
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data));
      if (message.id === id) {
        ws.off('message', onMessage);
        resolve(message.response);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, name, input }));
  });
}

const withToken = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${server.token}`;

describe('the UI server, files', () => {
  it('serves the built UI, and a link that stays inside the renderer folder', async () => {
    expect((await get(withToken('/'))).status).toBe(200);
    expect(await get(withToken('/assets/alias.js'))).toMatchObject({ status: 200, body: 'console.log("the UI")' });
  });

  it("serves the page as the desktop app's app:// handler does: the same CSP (plus its WebSocket), the same file types", async () => {
    const page = await get(withToken('/'));
    const app = await serveAppRequest(rendererDir, 'app://deskpilot/index.html', contentSecurityPolicy(), (p) => readFile(p));
    // The bridge's WebSocket under each name the server answers to (bound to 127.0.0.1: that, localhost, 127.0.0.1).
    const sockets = ['127.0.0.1', 'localhost', '127.0.0.1'].map((name) => `ws://${name}:${server.port}`).join(' ');
    expect(page.headers['content-security-policy']).toBe(
      String(app.headers['Content-Security-Policy']).replace("connect-src 'self'", `connect-src 'self' ${sockets}`),
    );
    expect(page.headers['content-type']).toBe(app.headers['Content-Type']);
    const script = await get(withToken('/assets/app.js'));
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // A file of a type the built UI does not have is served by neither.
    expect((await get(withToken('/assets/data.bin'))).status).toBe(404);
    expect((await serveAppRequest(rendererDir, 'app://deskpilot/assets/data.bin', contentSecurityPolicy(), (p) => readFile(p))).status).toBe(404);
  });

  it('does not follow a link out of the renderer folder', async () => {
    for (const path of ['/assets/passwd.js', '/etc/passwd', '/etc/hostname']) {
      const answer = await get(withToken(path));
      expect(answer.status, path).toBe(404);
      expect(answer.body).toBe(`Deskpilot UI: nothing at ${path}.\n`);
      expect(answer.body).not.toContain('root:');
    }
  });

  it('runs.image and runs.get do not read through a link out of the runs folder', async () => {
    const ws = await connect({});
    try {
      const image = await ask(ws, 'runs.image', { runId: 'linked-image', file: 'step-0001.png' });
      expect(image).toMatchObject({ ok: false, error: 'run "linked-image": step-0001.png links to /etc/passwd, outside the run folder; it is not read' });
      expect(JSON.stringify(image)).not.toContain(Buffer.from(PASSWD).toString('base64').slice(0, 24));
      // Its other images are still there.
      expect(await ask(ws, 'runs.image', { runId: 'linked-image', file: 'step-0002.png' })).toMatchObject({ ok: true, value: { mime: 'image/png' } });

      const settings = await ask(ws, 'runs.get', { runId: 'linked-settings' });
      expect(settings.ok).toBe(true);
      expect(settings.value.settings).toBeNull();
      expect(settings.value.problems).toContain(`settings.json links to ${join(outside, 'settings.json')}, outside the run folder; it was not read`);
      expect(JSON.stringify(settings)).not.toContain('from-outside.example');

      const linkedRun = await ask(ws, 'runs.get', { runId: 'linked-run' });
      expect(linkedRun).toMatchObject({ ok: false, error: expect.stringContaining('run "linked-run" is a link to') });
      expect(linkedRun.error).toContain('outside the runs folder');
      expect((await ask(ws, 'runs.image', { runId: 'linked-run', file: 'step-0001.png' })).ok).toBe(false);

      // A real copy of the same run is read as usual.
      expect(await ask(ws, 'runs.get', { runId: 'plain' })).toMatchObject({ ok: true, value: { problems: [] } });
    } finally {
      ws.close();
    }
  });
});

describe('the UI server, Host header', () => {
  it('answers to loopback names with its own port', async () => {
    for (const name of ['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]']) {
      expect((await get(withToken('/'), { host: `${name}:${server.port}` })).status, name).toBe(200);
    }
  });

  it('refuses another host name with 421 and a message saying what to open, token or not', async () => {
    for (const hostHeader of ['evil.example', `evil.example:${server.port}`, `127.0.0.1.evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, 'localhost']) {
      const answer = await get(withToken('/'), { host: hostHeader });
      expect(answer.status, hostHeader).toBe(421);
      expect(answer.body).toContain(`this server does not answer to the host name "${hostHeader}"`);
      expect(answer.body).toContain('Open the URL `deskpilot ui` printed');
      expect(answer.body).toContain('DNS rebinding');
    }
    // Refused before the token is looked at: the page never learns whether its token was right.
    expect((await get('/', { host: `evil.example:${server.port}` })).status).toBe(421);
  });

  it('refuses a WebSocket upgrade for another host name even with the token and a matching Origin', async () => {
    const rebinding = { host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}` };
    await expect(connect(rebinding)).rejects.toMatchObject({ status: 421, message: expect.stringContaining('does not answer to the host name') });
    const ws = await connect({ host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` });
    expect(await ask(ws, 'runs.list', {})).toMatchObject({ ok: true });
    ws.close();
  });
});
