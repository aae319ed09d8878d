/**
 * Settings in the browser UI, as a person uses them: invalid values are refused with the reason next to the field,
 * presets fill the endpoint, "Check endpoint" shows the server diagnosis, saved settings survive a reload, the
 * API key is kept in memory only (never written to the settings file) and only for the origin it was saved with
 * (another server, checked or run, gets no key), and deny rules are edited with the reason next to the pattern.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';
import { startXvfb, type XDisplay } from '../../app/platform/x11/xvfb';
import { launchViewer, startUi, type UiProcess } from './support';

let display: XDisplay;
let model: FakeVllm;
/** A second server on another origin (another port): it must never see the key saved for `model`. */
let other: FakeVllm;
let ui: UiProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  display = await startXvfb({ width: 1024, height: 768, windowManager: false });
  model = await startFakeVllm({ servedModel: 'stand-in', toolParser: true, reasoning: 'reasoning' });
  other = await startFakeVllm({ servedModel: 'stand-in', toolParser: true });
  ui = await startUi([], { DISPLAY: display.display });
  browser = await launchViewer();
  page = await browser.newPage({ viewport: { width: 420, height: 1000 } });
  await page.goto(ui.url);
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByLabel('Endpoint', { exact: true }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await model?.close();
  await other?.close();
  await display?.stop();
});

const settingsFile = () => join(ui.configHome, 'deskpilot', 'ui-settings.json');
const save = () => page.getByRole('button', { name: 'Save settings' }).click();

describe('settings in the browser UI', () => {
  it('refuses invalid values with the reason next to each field, and saves nothing', async () => {
    await page.getByLabel('Endpoint', { exact: true }).fill('not a url');
    await page.getByLabel('Max steps').fill('0');
    await page.getByLabel('Quiet for (ms)').fill('abc');
    await save();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();

    const endpoint = page.getByLabel('Endpoint', { exact: true });
    expect(await endpoint.getAttribute('aria-invalid')).toBe('true');
    const errorOf = async (label: string) => {
      const id = (await page.getByLabel(label).getAttribute('aria-describedby'))?.split(' ')[0];
      return page.locator(`[id="${id}"]`).textContent();
    };
    expect(await errorOf('Endpoint')).toContain('must be a URL such as http://localhost:8000/v1');
    expect(await errorOf('Max steps')).toBe('must be at least 1');
    expect(await errorOf('Quiet for (ms)')).toBe('must be a whole number');
    expect(existsSync(settingsFile())).toBe(false);
    const shots = resolve(process.env.DESKPILOT_UI_SHOTS ?? join(tmpdir(), 'deskpilot-ui-shots'));
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'ui-settings-errors.png'), fullPage: true });
  });

  it('a preset fills the endpoint; fixing the fields clears their errors', async () => {
    await page.getByLabel('Server preset').selectOption({ label: 'Ollama - http://localhost:11434/v1' });
    expect(await page.getByLabel('Endpoint', { exact: true }).inputValue()).toBe('http://localhost:11434/v1');
    expect(await page.getByLabel('Endpoint', { exact: true }).getAttribute('aria-invalid')).toBeNull();
    await page.getByLabel('Max steps').fill('12');
    await page.getByLabel('Quiet for (ms)').fill('250');
    expect(await page.locator('.field-error').count()).toBe(0);
  });

  it('Check endpoint shows the diagnosis of the server', async () => {
    await page.getByLabel('Endpoint', { exact: true }).fill(model.url.replace(/\/v1$/, ''));
    await page.getByRole('button', { name: 'Check endpoint' }).click();
    const report = page.getByRole('region', { name: 'Endpoint diagnosis' });
    await report.waitFor({ timeout: 30_000 });
    const text = await report.textContent();
    expect(text).toContain('The endpoint works');
    expect(text).toContain('stand-in');
    expect(text).toContain('parsed by the server');
    expect(text).toContain(`${model.url}`); // the base URL with /v1 found by the check
    expect(text).toContain('Grounding'); // the probe's verdict, worded as `deskpilot check` words it

    // A server that is not there: the problem and its fix are shown.
    await page.getByLabel('Endpoint', { exact: true }).fill('http://127.0.0.1:9/v1');
    await page.getByRole('button', { name: 'Check endpoint' }).click();
    await page.getByRole('region', { name: 'Endpoint diagnosis' }).getByText('Nothing answers at').waitFor({ timeout: 30_000 });
  });

  it('saves valid settings to the config dir, keeps the API key in memory only, and shows them after a reload', async () => {
    await page.getByLabel('Endpoint', { exact: true }).fill(model.url);
    await page.getByLabel('Model', { exact: true }).fill('stand-in');
    await page.getByLabel('API key').fill('sk-secret-test-key');
    await page.getByLabel('Approval mode').selectOption('risky');
    await save();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    const stored = JSON.parse(readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ endpoint: model.url, model: 'stand-in', approve: 'risky', maxSteps: 12 });
    expect(readFileSync(settingsFile(), 'utf8')).not.toContain('sk-secret');
    expect(await page.getByText('memory only').count()).toBeGreaterThan(0);

    await page.reload();
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Endpoint', { exact: true }).waitFor();
    expect(await page.getByLabel('Endpoint', { exact: true }).inputValue()).toBe(model.url);
    expect(await page.getByLabel('Approval mode').inputValue()).toBe('risky');
    expect(await page.getByLabel('API key').inputValue()).toBe(''); // never sent back to the page
    expect(await page.getByLabel('API key').getAttribute('placeholder')).toContain('(set');
  });

  it('zooms per step: 0 is off, 1-20 saved as the run setting; too many, or a pixel profile, refused with the reason', async () => {
    const errorOf = async (label: string) => {
      const id = (await page.getByLabel(label).getAttribute('aria-describedby'))?.split(' ')[0];
      return page.locator(`[id="${id}"]`).textContent();
    };
    expect(await page.getByLabel('Zooms per step').inputValue()).toBe('0');
    await page.getByLabel('Zooms per step').fill('25');
    await save();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    expect(await errorOf('Zooms per step')).toBe('must be 0 (off) to 20 zooms per step');
    await page.getByLabel('Zooms per step').fill('2');
    await page.getByLabel('Profile', { exact: true }).selectOption('qwen2.5-vl');
    await save();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    expect(await errorOf('Zooms per step')).toContain('qwen2.5-vl points in pixels of the screenshot');
    await page.getByLabel('Profile', { exact: true }).selectOption('qwen3-vl');
    await save();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(JSON.parse(readFileSync(settingsFile(), 'utf8'))).toMatchObject({ profile: 'qwen3-vl', zoom: 2 });
    await page.getByLabel('Zooms per step').fill('0');
    await save();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(JSON.parse(readFileSync(settingsFile(), 'utf8'))).toMatchObject({ zoom: false });
  });

  it('an empty endpoint is refused as required', async () => {
    await page.getByLabel('Endpoint', { exact: true }).fill('');
    await save();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    const id = (await page.getByLabel('Endpoint', { exact: true }).getAttribute('aria-describedby'))?.split(' ')[0];
    expect(await page.locator(`[id="${id}"]`).textContent()).toBe('the endpoint is required');
  });

  it('keeps the API key for the origin it was saved with: Check endpoint on another origin sends no key', async () => {
    const keyOrigin = new URL(model.url).origin;
    const otherOrigin = new URL(other.url).origin;
    const hint = async () => {
      const id = (await page.getByLabel('API key').getAttribute('aria-describedby'))?.split(' ').find((part) => part.endsWith('-hint'));
      return page.locator(`[id="${id}"]`).textContent();
    };
    await page.getByLabel('Endpoint', { exact: true }).fill(other.url);
    expect(await hint()).toContain(`No key is stored for ${otherOrigin}, so none is sent there`);
    expect(await hint()).toContain(`Keys are also stored for ${keyOrigin}`);
    expect(await page.getByLabel('API key').getAttribute('placeholder')).toBe('(none for this endpoint)');
    await page.getByRole('button', { name: 'Check endpoint' }).click();
    await page.getByRole('region', { name: 'Endpoint diagnosis' }).getByText('The endpoint works').waitFor({ timeout: 30_000 });
    expect(other.requests.length).toBeGreaterThan(0);
    // No header at all, or the SDK's placeholder for "no key" - never the key saved for the other origin.
    expect(other.requests.map((r) => r.headers.authorization ?? null).filter((a) => a !== null)).toEqual([]);

    // The server the key was saved for gets it.
    const before = model.requests.length;
    await page.getByLabel('Endpoint', { exact: true }).fill(model.url);
    expect(await hint()).toContain(`A key is stored for ${keyOrigin}; it is sent only to that origin.`);
    await page.getByRole('button', { name: 'Check endpoint' }).click();
    await page.getByRole('region', { name: 'Endpoint diagnosis' }).getByText('The endpoint works').waitFor({ timeout: 30_000 });
    const sent = model.requests.slice(before).map((r) => r.headers.authorization);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((a) => a === 'Bearer sk-secret-test-key')).toBe(true);
  });

  it('lists the built-in deny rules (removable) and refuses a pattern RE2 cannot take, with the reason next to it', async () => {
    await page.getByLabel('Endpoint', { exact: true }).fill(model.url);
    const builtIn = page.getByRole('checkbox', { name: /Recursive delete of your home folder/ });
    expect(await builtIn.isChecked()).toBe(true);
    await builtIn.uncheck();

    await page.getByRole('button', { name: 'Add a deny rule' }).click();
    const pattern = page.getByLabel('Pattern (rule 1)');
    await pattern.fill('(');
    await page.getByLabel('Reason (rule 1)').fill('no passwords');
    const errorOf = async (label: string) => {
      const id = (await page.getByLabel(label).getAttribute('aria-describedby'))?.split(' ')[0];
      return page.locator(`[id="${id}"]`).textContent();
    };
    // Checked as it is typed, before any save.
    expect(await pattern.getAttribute('aria-invalid')).toBe('true');
    expect(await errorOf('Pattern (rule 1)')).toContain('not a valid regular expression: missing closing )');
    await pattern.fill('(?=password)');
    expect(await errorOf('Pattern (rule 1)')).toContain('lookahead');
    await save();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    expect(JSON.parse(readFileSync(settingsFile(), 'utf8')).denyRules ?? []).toEqual([]);

    // A pattern only a backtracking engine would hang on is fine: RE2 matches it in linear time.
    await pattern.fill('^(a+)+$');
    expect(await pattern.getAttribute('aria-invalid')).toBeNull();
    await save();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const stored = JSON.parse(readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>;
    expect(stored.denyRules).toEqual([{ match: 'text', pattern: '^(a+)+$', reason: 'no passwords' }]);
    expect(stored.removedDefaultDenyRules).toEqual(['rm-home-or-root']);

    await page.reload();
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Pattern (rule 1)').waitFor();
    expect(await page.getByLabel('Pattern (rule 1)').inputValue()).toBe('^(a+)+$');
    expect(await page.getByRole('checkbox', { name: /Recursive delete of your home folder/ }).isChecked()).toBe(false);
    const shots = resolve(process.env.DESKPILOT_UI_SHOTS ?? join(tmpdir(), 'deskpilot-ui-shots'));
    await page.screenshot({ path: join(shots, 'ui-settings-deny-rules.png'), fullPage: true });
  });
});
