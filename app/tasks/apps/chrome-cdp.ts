/**
 * The task's Chrome over the DevTools protocol, where OSWorld reaches it: port 9222 on the desktop (the tasks
 * launch `google-chrome --remote-debugging-port=1337` and forward 9222 to it with socat). Tabs are listed, opened,
 * closed and read through the DevTools HTTP endpoints and a page's own socket (the tab list is ordered by recent use,
 * and only the shown tab of a window is "visible", which is how the active tab is found); navigation, waiting and
 * selectors go through playwright-core's connectOverCDP.
 */
import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';
import { z } from 'zod';
import type { Environment } from '../environment';
import { GuestEnvironment } from '../guest-env';

/** OSWorld's chromium_port. */
export const CHROME_DEBUG_PORT = 9222;
/** What the tasks and OSWorld's getters launch when no browser answers. */
export const CHROME_LAUNCH = ['google-chrome', '--remote-debugging-port=1337'];

const TargetSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  url: z.string(),
  title: z.string().optional().default(''),
  webSocketDebuggerUrl: z.string().optional(),
});
export type Tab = z.infer<typeof TargetSchema>;

export class ChromeUnreachable extends Error {
  override name = 'ChromeUnreachable';
}

/** http://host:9222 of the task's desktop. */
export function debuggingBase(env: Environment): string {
  const host = env instanceof GuestEnvironment ? new URL(env.client.base).hostname : '127.0.0.1';
  const port = Number(process.env.DESKPILOT_CHROME_PORT ?? CHROME_DEBUG_PORT);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function getJson(url: string, method: 'GET' | 'PUT' = 'GET', timeoutMs = 5000): Promise<unknown> {
  const r = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`${method} ${url}: HTTP ${r.status}`);
  return r.json();
}

export async function browserAnswers(base: string): Promise<boolean> {
  try {
    await getJson(`${base}/json/version`, 'GET', 2000);
    return true;
  } catch {
    return false;
  }
}

/**
 * Wait for the browser to answer (setup steps wait up to a minute, as OSWorld's 15 tries do); with `launch`, start
 * it once when it does not answer, as OSWorld's getters do when the agent closed Chrome.
 */
export async function ensureBrowser(env: Environment, options: { waitMs?: number; launch?: boolean } = {}): Promise<string> {
  const base = debuggingBase(env);
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  let launched = false;
  while (true) {
    if (await browserAnswers(base)) return base;
    if (options.launch && !launched) {
      launched = true;
      await env.launch(CHROME_LAUNCH).catch(() => undefined);
    }
    if (Date.now() > deadline) throw new ChromeUnreachable(`no browser answers at ${base} (the task launches google-chrome --remote-debugging-port=1337 and socat from 9222)`);
    await sleep(500);
  }
}

/** The browser's tabs, most recently used first. */
export async function listTabs(base: string): Promise<Tab[]> {
  const raw = z.array(z.unknown()).parse(await getJson(`${base}/json/list`));
  return raw.flatMap((t) => {
    const parsed = TargetSchema.safeParse(t);
    return parsed.success && parsed.data.type === 'page' ? [parsed.data] : [];
  });
}

export async function openTab(base: string, url: string): Promise<Tab> {
  return TargetSchema.parse(await getJson(`${base}/json/new?${encodeURIComponent(url)}`, 'PUT'));
}

export async function closeTab(base: string, id: string): Promise<void> {
  const r = await fetch(`${base}/json/close/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`closing tab ${id}: HTTP ${r.status}`);
}

/** Evaluate an expression in a tab through its own DevTools socket; the value comes back as JSON. */
export function evaluateInTab(tab: Tab, expression: string, timeoutMs = 10_000): Promise<unknown> {
  const url = tab.webSocketDebuggerUrl;
  if (!url) return Promise.reject(new Error(`tab ${tab.url} has no debugger socket (another DevTools client holds it)`));
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`tab ${tab.url}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.close();
      fn();
    };
    socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true, awaitPromise: true } })));
    socket.on('message', (data: Buffer) => {
      let message: { id?: number; result?: { result?: { value?: unknown }; exceptionDetails?: { text?: string } }; error?: { message?: string } };
      try {
        message = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      if (message.id !== 1) return;
      if (message.error) done(() => reject(new Error(`tab ${tab.url}: ${message.error?.message ?? 'error'}`)));
      else if (message.result?.exceptionDetails) done(() => reject(new Error(`tab ${tab.url}: ${message.result?.exceptionDetails?.text ?? 'exception'}`)));
      else done(() => resolve(message.result?.result?.value));
    });
    socket.once('error', (error) => done(() => reject(error)));
  });
}

/** Wait until a tab has loaded (document.readyState "complete"), or give up quietly after `timeoutMs`. */
export async function waitForLoad(base: string, id: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const tab = (await listTabs(base)).find((t) => t.id === id);
    if (!tab) return;
    try {
      if ((await evaluateInTab(tab, 'document.readyState', 3000)) === 'complete') return;
    } catch {
      /* navigating: the context is being replaced */
    }
    await sleep(250);
  }
}

/** The tab the user sees: the most recently used tab whose page is visible (the shown tab of its window). */
export async function activeTab(base: string): Promise<Tab | null> {
  const tabs = await listTabs(base);
  for (const tab of tabs) {
    try {
      if ((await evaluateInTab(tab, 'document.visibilityState', 3000)) === 'visible') return tab;
    } catch {
      /* a tab that does not answer is not the one shown */
    }
  }
  return tabs[0] ?? null;
}

/** A tab's title, URL (as the address bar shows it) and HTML, as Playwright's page.content() gives it. */
export async function tabInfo(tab: Tab): Promise<{ title: string; url: string; content: string }> {
  const value = await evaluateInTab(
    tab,
    'JSON.stringify({title: document.title, content: (document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "") + document.documentElement.outerHTML})',
  );
  const parsed = z.object({ title: z.string(), content: z.string() }).parse(JSON.parse(String(value)));
  return { title: parsed.title, url: tab.url, content: parsed.content };
}

/** Run `fn` with the browser through playwright-core, then disconnect (the browser keeps running). */
export async function withBrowser<T>(base: string, fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.connectOverCDP(base, { timeout: 30_000 });
  try {
    return await fn(browser);
  } finally {
    await browser.close().catch(() => undefined);
  }
}
