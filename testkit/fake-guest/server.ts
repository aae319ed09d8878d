/**
 * A fake OSWorld guest server (the Flask app inside the official VM images), for testing the osworld backend.
 * It speaks the same HTTP API; its "VM" is a directory standing in for / (paths under /home/user are mapped into
 * it) and commands run for real with /bin/sh in that home. `python -c "import pyautogui; ..."` commands are not
 * run: they are recorded, as the actions the guest was asked to perform. Screenshots are a generated PNG.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';

export interface FakeGuest {
  url: string;
  /** The directory that plays /home/user. */
  home: string;
  /** pyautogui code the guest was asked to run (python -c ...). */
  pyautogui: string[];
  /** Every request: method and route. */
  requests: string[];
  launched: Array<string | string[]>;
  activated: string[];
  /** What GET /accessibility answers as the desktop's accessibility tree (XML; null: the guest has none). */
  accessibilityTree: string | null;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** A shlex.split good enough for the fake (no nested quoting games). */
function split(s: string): string[] {
  return (s.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ''));
}

export async function startFakeGuest(options: { home: string; screen?: { width: number; height: number } }): Promise<FakeGuest> {
  const screen = options.screen ?? { width: 1920, height: 1080 };
  const home = options.home;
  mkdirSync(path.join(home, 'Desktop'), { recursive: true });
  const map = (p: string) => {
    let out = p.startsWith('~/') ? `/home/user/${p.slice(2)}` : p;
    out = out.replace(/^\/home\/user(?=\/|$)/, home);
    return path.resolve(home, out);
  };
  const state: Omit<FakeGuest, 'url' | 'close'> = { home, pyautogui: [], requests: [], launched: [], activated: [], accessibilityTree: null };
  const png = await sharp({ create: { width: screen.width, height: screen.height, channels: 3, background: { r: 30, g: 90, b: 160 } } }).png().toBuffer();

  const run = (command: string | string[], shell: boolean): Promise<{ output: string; error: string; returncode: number }> =>
    new Promise((resolve, reject) => {
      const argv = shell ? ['/bin/sh', '-c', Array.isArray(command) ? command.join(' ') : command] : Array.isArray(command) ? command : split(command);
      const child = spawn(argv[0]!, argv.slice(1).map((a) => (shell ? a : a.replace(/^\/home\/user(?=\/|$)/, home))), { cwd: home, env: { ...process.env, HOME: home } });
      let output = '';
      let error = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (error += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ output, error, returncode: code ?? -1 }));
    });

  const tree = (dir: string): unknown => ({
    type: 'directory',
    name: path.basename(dir),
    children: readdirSync(dir).map((n) => (statSync(path.join(dir, n)).isDirectory() ? tree(path.join(dir, n)) : { type: 'file', name: n })),
  });

  const server: Server = createServer(async (req, res) => {
    const route = (req.url ?? '').split('?')[0]!;
    state.requests.push(`${req.method} ${route}`);
    try {
      const raw = await body(req);
      const ctype = req.headers['content-type'] ?? '';
      const asJson = () => JSON.parse(raw.toString() || '{}') as Record<string, unknown>;
      const asForm = async () => new Response(new Uint8Array(raw), { headers: { 'content-type': ctype } }).formData();
      if (route === '/screenshot' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(png);
      }
      if (route === '/screen_size' && req.method === 'POST') return json(res, 200, screen);
      if (route === '/accessibility' && req.method === 'GET') return json(res, 200, { AT: state.accessibilityTree });
      if ((route === '/execute' || route === '/setup/execute') && req.method === 'POST') {
        const { command, shell } = asJson() as { command: string | string[]; shell?: boolean };
        if (Array.isArray(command) && /^python3?$/.test(command[0] ?? '') && command[1] === '-c' && (command[2] ?? '').includes('import pyautogui')) {
          state.pyautogui.push(command[2]!);
          return json(res, 200, { status: 'success', output: '', error: '', returncode: 0 });
        }
        try {
          const r = await run(command, shell === true);
          return json(res, 200, { status: 'success', ...r });
        } catch (error) {
          return json(res, 500, { status: 'error', message: (error as Error).message });
        }
      }
      if (route === '/setup/launch') {
        state.launched.push(asJson().command as string | string[]);
        return json(res, 200, { status: 'success' });
      }
      if (route === '/setup/activate_window' || route === '/setup/close_window') {
        state.activated.push(String(asJson().window_name));
        res.writeHead(200);
        return res.end('Window activated successfully');
      }
      if (route === '/setup/open_file') {
        const p = map(String(asJson().path));
        if (!existsSync(p)) {
          res.writeHead(404);
          return res.end(`File not found: ${p}`);
        }
        res.writeHead(200);
        return res.end('File opened successfully');
      }
      if (route === '/setup/upload') {
        const form = await asForm();
        const file = form.get('file_data');
        const target = form.get('file_path');
        if (!(file instanceof Blob) || typeof target !== 'string') return json(res, 400, { error: 'file_path and file_data are required' });
        const p = map(target);
        await mkdir(path.dirname(p), { recursive: true });
        await writeFile(p, Buffer.from(await file.arrayBuffer()));
        res.writeHead(200);
        return res.end('File Uploaded');
      }
      if (route === '/file') {
        const form = await asForm();
        const p = map(String(form.get('file_path')));
        if (!existsSync(p)) return json(res, 404, { error: 'File not found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(await readFile(p));
      }
      if (route === '/list_directory') {
        const p = map(String(asJson().path));
        if (!existsSync(p) || !statSync(p).isDirectory()) return json(res, 400, { error: 'The provided path is not a directory' });
        return json(res, 200, { directory_tree: tree(p) });
      }
      json(res, 404, { error: `no route ${route}` });
    } catch (error) {
      json(res, 500, { status: 'error', message: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...state,
    // Set by a test while the guest runs, so read through to the state the server answers from.
    get accessibilityTree() {
      return state.accessibilityTree;
    },
    set accessibilityTree(xml: string | null) {
      state.accessibilityTree = xml;
    },
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
