/**
 * The browser UI mode's server: the built renderer over HTTP and the bridge over a WebSocket, both behind a random
 * token. The token arrives in the printed URL (?token=...); the page answer sets it as an HttpOnly SameSite=Strict
 * cookie so the page's own assets and its WebSocket carry it too. Anything without the right token is refused with
 * 401 and a message saying how to get in; cross-origin WebSocket upgrades are refused whatever they carry.
 *
 * A request whose Host header is not an address this server is reached at (loopback names, the bound address, and
 * for a wildcard bind this machine's own addresses and name), with the port it listens on, is refused with 421
 * before anything else: a page on another site that re-points its own name at 127.0.0.1 (DNS rebinding) is
 * same-origin with itself, so the Origin check alone would let it through and only the token would stop it.
 * Files are served by their real path, which must stay inside the renderer folder (no symbolic link out of it).
 *
 * Wire format (JSON text frames):
 *   page -> host   { id, name, input }            one bridge request
 *   host -> page   { id, response }               its BridgeResponse
 *   host -> page   { event }                      a RunEvent (BRIDGE_EVENT_CHANNEL), to every connected page
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { EngineHost } from './engine-host';
import { pageContentSecurityPolicy, pageFileType } from './page';

export const BRIDGE_PATH = '/bridge';
/** Requests are small (instructions, notes, edited actions); screenshots only flow the other way. */
const MAX_REQUEST_BYTES = 1024 * 1024;

const RequestEnvelopeSchema = z.object({
  id: z.union([z.string().max(100), z.number()]),
  name: z.string().max(100),
  input: z.unknown().optional(),
});

export interface UiServerOptions {
  host: EngineHost;
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string;
  /** Interface to bind; default 127.0.0.1. */
  bind?: string;
  /** 0 = any free port. */
  port?: number;
  /** Default: 24 random bytes, base64url. */
  token?: string;
}

export interface UiServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const REFUSED_MESSAGE =
  'Deskpilot UI: this address needs the token that `deskpilot ui` printed. Open the full URL it printed ' +
  '(ending in ?token=...); a restarted `deskpilot ui` prints a new one.\n';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const isWildcard = (bind: string): boolean => bind === '0.0.0.0' || bind === '::' || bind === '[::]';
const bracketed = (address: string): string => (isIP(address) === 6 ? `[${address}]` : address);

/** Host names (lower case, IPv6 in brackets) a browser may put in the Host header to reach this server. */
function servedHostNames(bind: string): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', bracketed(bind.toLowerCase())]);
  if (isWildcard(bind)) {
    // Reached from the network: by any of this machine's addresses, or by its own name.
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) names.add(bracketed(entry.address.replace(/%.*$/, '').toLowerCase()));
    }
    names.add(hostname().toLowerCase());
  }
  return names;
}

/** Is `header` (a Host header) this server at `port`? */
function isServedHost(header: string | undefined, names: Set<string>, port: number): boolean {
  if (!header) return false;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!match) return false;
  const name = match[1]!.toLowerCase().replace(/\.$/, '');
  const given = match[2] === undefined ? 80 : Number(match[2]);
  return given === port && (names.has(name) || isLoopback(name));
}

/**
 * Says what to do without listing the addresses that would work: with DNS rebinding the asking page can read
 * this answer, and this machine's other addresses are none of its business.
 */
function wrongHostMessage(header: string | undefined): string {
  const given = (header ?? '(none)').slice(0, 100);
  return (
    `Deskpilot UI: this server does not answer to the host name "${given}". Open the URL \`deskpilot ui\` printed ` +
    '(or the same URL with localhost or 127.0.0.1 and its port). Requests for other host names are refused so ' +
    'that no web page can reach the UI by pointing its own name at this machine (DNS rebinding).\n'
  );
}

function cookieName(port: number): string {
  // Cookies ignore ports: name it per port so two UIs on one machine do not overwrite each other's token.
  return `deskpilot_token_${port}`;
}

function tokenOf(req: http.IncomingMessage, port: number): string | null {
  const url = new URL(req.url ?? '/', 'http://x');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const name = cookieName(port);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function securityHeaders(port: number, bind: string): Record<string, string> {
  const hostForCsp = bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
  return {
    // The page's one policy (app/host/page.ts), plus this server's WebSocket under each name it answers to.
    'Content-Security-Policy': pageContentSecurityPolicy({
      connect: [`ws://${hostForCsp}:${port}`, `ws://localhost:${port}`, `ws://127.0.0.1:${port}`],
    }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const bind = options.bind ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (!existsSync(join(resolve(options.rendererDir), 'index.html'))) {
    throw new Error(`${resolve(options.rendererDir)} holds no built UI (index.html is missing)`);
  }
  const root = realpathSync(options.rendererDir);
  const hostNames = servedHostNames(bind);
  let port = options.port ?? 0;

  /** The real path of a file of the built UI, or null when there is none inside the renderer folder. */
  const rendererFile = (path: string): string | null => {
    const file = resolve(root, `.${path}`);
    if (!file.startsWith(root + sep)) return null;
    try {
      const real = realpathSync(file);
      return real.startsWith(root + sep) && statSync(real).isFile() ? real : null;
    } catch {
      return null; // missing, or gone since: nothing there
    }
  };

  const server = http.createServer((req, res) => {
    const headers = securityHeaders(port, bind);
    const refuse = (status: number, message: string) => {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(message);
    };
    if (!isServedHost(req.headers.host, hostNames, port)) return refuse(421, wrongHostMessage(req.headers.host));
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'Deskpilot UI: only GET is served here.\n');
    const given = tokenOf(req, port);
    if (!sameToken(given, token)) return refuse(401, REFUSED_MESSAGE);

    const url = new URL(req.url ?? '/', 'http://x');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return refuse(400, 'Deskpilot UI: bad path.\n');
    }
    if (path === '/' || path === '/index.html') path = '/index.html';
    const file = rendererFile(path);
    if (!file) return refuse(404, `Deskpilot UI: nothing at ${url.pathname}.\n`);
    const extra: Record<string, string> = {};
    if (file.endsWith('index.html')) {
      extra['Cache-Control'] = 'no-store';
      extra['Set-Cookie'] = `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    } else {
      extra['Cache-Control'] = 'no-cache';
    }
    const type = pageFileType(file);
    // Unknown types are not served (as in the app): the built UI has none.
    if (!type) return refuse(404, `Deskpilot UI: nothing at ${url.pathname}.\n`);
    res.writeHead(200, { ...headers, ...extra, 'Content-Type': type });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, reason: string, message: string) => {
      socket.write(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
      );
      socket.destroy();
    };
    if (!isServedHost(req.headers.host, hostNames, port)) {
      return reject(421, 'Misdirected Request', wrongHostMessage(req.headers.host));
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== BRIDGE_PATH) return reject(404, 'Not Found', `Deskpilot UI: the bridge is at ${BRIDGE_PATH}.\n`);
    if (!sameToken(tokenOf(req, port), token)) return reject(401, 'Unauthorized', REFUSED_MESSAGE);
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host ?? ''}`) {
      return reject(403, 'Forbidden', `Deskpilot UI: a page from ${origin} may not use this bridge.\n`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let envelope: z.infer<typeof RequestEnvelopeSchema>;
        try {
          if (isBinary) throw new Error('binary frame');
          envelope = RequestEnvelopeSchema.parse(JSON.parse(String(data)));
        } catch {
          ws.send(JSON.stringify({ id: null, response: { ok: false, error: 'not a bridge request: send {"id", "name", "input"} as JSON text' } }));
          return;
        }
        const response = await options.host.handle(envelope.name, envelope.input);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: envelope.id, response }));
      })();
    });
  });

  const unsubscribe = options.host.onEvent((event) => {
    const frame = JSON.stringify({ event });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      rejectListen(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${bind} is in use; choose another with --port (0 = any free port)`)
          : error,
      );
    });
    server.listen(port, bind, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const hostInUrl = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;

  return {
    url: `http://${hostInUrl}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of clients) ws.close(1001, 'Deskpilot UI is shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
