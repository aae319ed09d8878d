/**
 * Published chrome task files, unchanged, through the CLI on a throwaway Xvfb desktop with Debian's chromium behind
 * the google-chrome shim: setup opens and closes tabs over the DevTools protocol, evaluate scores 0, the test does
 * what a user would (a key press in the browser, a page on a loopback server), and evaluate scores 1.
 * This machine has no route to the tasks' websites: their tabs show Chrome's error page, under the tab's own URL,
 * which is what the tab getters read.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeTab, debuggingBase, listTabs, openTab, waitForLoad } from '../../app/tasks/apps/chrome-cdp';
import { LocalEnvironment } from '../../app/tasks/local-env';
import { openTaskDesktop, type TaskDesktop } from './task-desktop';

let d: TaskDesktop;
let server: Server;
let pageUrl: string;
beforeAll(async () => {
  d = await openTaskDesktop();
  server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><html><head><title>Local ${req.url}</title></head><body><h1 class="headline">Hello</h1></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`;
});
afterAll(async () => {
  await d?.close();
  await new Promise((r) => server?.close(r));
});

const key = (combo: string) => execFileSync('xdotool', ['key', '--clearmodifiers', combo], { env: { ...process.env, DISPLAY: d.session.display } });

describe('published chrome tasks through the CLI', { timeout: 240_000 }, () => {
  it('06fe7178: chrome_open_tabs + chrome_close_tabs; Ctrl+Shift+T brings the tab back and is_expected_tabs scores 1', async () => {
    const out = await d.setup('chrome', '06fe7178-4491-4589-810f-2e2bc9502122');
    expect(out).toMatch(/chrome_open_tabs: opened tab 3: https:\/\/www.tripadvisor.com/);
    expect(out).toMatch(/chrome_close_tabs: closed https:\/\/www.tripadvisor.com\//);
    // The shim's profile lies in the task's (throwaway) home, where the getters read it.
    expect(existsSync(path.join(d.home, '.config/google-chrome/Default'))).toBe(true);

    const before = await d.evaluate('chrome', '06fe7178-4491-4589-810f-2e2bc9502122');
    expect(before.score).toBe(0);
    expect((before.getters[0]!.value as Array<{ url: string }>).map((t) => t.url).sort()).toEqual(['https://www.airbnb.com/', 'https://www.lonelyplanet.com/']);

    execFileSync('wmctrl', ['-a', 'Chrom'], { env: { ...process.env, DISPLAY: d.session.display } });
    key('ctrl+shift+t');
    const base = debuggingBase(new LocalEnvironment({ display: d.session.display, home: d.home }));
    for (let i = 0; i < 40 && (await listTabs(base)).length < 3; i++) await new Promise((r) => setTimeout(r, 250));
    const after = await d.evaluate('chrome', '06fe7178-4491-4589-810f-2e2bc9502122');
    expect(after.score).toBe(1);
  });

  it('the active tab is the one shown: a page on loopback, read with its title and HTML', async () => {
    const base = debuggingBase(new LocalEnvironment({ display: d.session.display, home: d.home }));
    const tab = await openTab(base, pageUrl);
    await waitForLoad(base, tab.id);
    expect((await activeTab(base))?.url).toBe(pageUrl);
  });
});

