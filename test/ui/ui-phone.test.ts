/**
 * Choosing a phone in the browser UI, as a person does: the Settings' Target lists the phones the real adb client
 * sees on testkit/fake-adb (a phone that is not ready is shown with its state and fix, and cannot be chosen),
 * choosing one switches the profile to the mobile model (computer_use profiles cannot be picked for it), the choice
 * is saved, the Run page's "Run on" shows it and changes it too, and a run from the Run page then types on that
 * phone, its trace showing the phone screenshot at its aspect ratio with the swipe as an arrow.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startXvfb, type XDisplay } from '../../app/platform/x11/xvfb';
import { startFakeAdb, type FakeAdb } from '../../testkit/fake-adb';
import { startFakeVllm, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { launchViewer, startUi, type UiProcess } from './support';

const PHONE = 'R58M40ABCDE';
const mobile = (args: Record<string, unknown>): Reply => ({ content: '', toolCalls: [{ name: 'mobile_use', arguments: args }] });

let display: XDisplay;
let adb: FakeAdb;
let model: FakeVllm;
let ui: UiProcess;
let browser: Browser;
let page: Page;
const adbHome = mkdtempSync(join(tmpdir(), 'ui-phone-adb-home-'));

beforeAll(async () => {
  display = await startXvfb({ width: 1024, height: 768, windowManager: false });
  adb = await startFakeAdb({ devices: [{ serial: PHONE, model: 'Pixel 7' }, { serial: 'UNAUTH01', state: 'unauthorized' }] });
  model = await startFakeVllm({
    servedModel: 'mobile',
    toolParser: true,
    script: [
      mobile({ action: 'open', text: 'Settings' }),
      mobile({ action: 'swipe', coordinate: [500, 800], coordinate2: [500, 300] }),
      mobile({ action: 'type', text: 'Wi-Fi 東京' }),
      mobile({ action: 'terminate', status: 'success' }),
    ],
  });
  ui = await startUi([], { DISPLAY: display.display, ADB_SERVER_SOCKET: adb.socketSpec, HOME: adbHome });
  browser = await launchViewer();
  page = await browser.newPage({ viewport: { width: 480, height: 1100 } });
  await page.goto(ui.url);
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByLabel('Endpoint', { exact: true }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await model?.close();
  await adb?.close();
  await display?.stop();
  rmSync(adbHome, { recursive: true, force: true });
});

describe('a phone as the target in the browser UI', () => {
  it('lists the phones with their state; choosing one switches to the mobile profile and is saved', async () => {
    const target = page.getByLabel('Target', { exact: true });
    await target.locator(`option[value="android:${PHONE}"]`).waitFor({ state: 'attached' });
    expect(await target.locator('option[value="android:UNAUTH01"]').isDisabled()).toBe(true);
    expect(await target.locator('option[value="android:UNAUTH01"]').textContent()).toContain('(unauthorized)');
    await page.getByText(/UNAUTH01 \(unauthorized\): unlock the phone and accept/).waitFor();
    expect(await page.getByLabel('Profile', { exact: true }).inputValue()).toBe('qwen3-vl');

    await target.selectOption(`android:${PHONE}`);
    expect(await page.getByLabel('Profile', { exact: true }).inputValue()).toBe('qwen3-vl-mobile');
    expect(await page.getByLabel('Profile', { exact: true }).locator('option[value="qwen3-vl"]').isDisabled()).toBe(true);
    // A phone has no monitors to choose.
    expect(await page.getByLabel('Display', { exact: true }).count()).toBe(0);

    await page.getByLabel('Endpoint', { exact: true }).fill(model.url);
    await page.getByLabel('Approval mode').selectOption('auto');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const stored = JSON.parse(readFileSync(join(ui.configHome, 'deskpilot', 'ui-settings.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ device: `android:${PHONE}`, profile: 'qwen3-vl-mobile', approve: 'auto' });

    // Back to this desktop: the profile follows.
    await target.selectOption('local');
    expect(await page.getByLabel('Profile', { exact: true }).inputValue()).toBe('qwen3-vl');
    await target.selectOption(`android:${PHONE}`);
  });

  it('the Run page shows the target chosen in Settings, and changing it there saves it with a fitting profile', async () => {
    const settingsFile = join(ui.configHome, 'deskpilot', 'ui-settings.json');
    const stored = () => JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    await page.getByRole('tab', { name: 'Run' }).click();
    const runOn = page.getByLabel('Run on', { exact: true });
    await expect.poll(() => runOn.inputValue()).toBe(`android:${PHONE}`);
    await runOn.selectOption('local');
    await expect.poll(() => stored().device).toBe('local');
    expect(stored().profile).toBe('qwen3-vl');
    await runOn.selectOption(`android:${PHONE}`);
    await expect.poll(() => stored().device).toBe(`android:${PHONE}`);
    expect(stored().profile).toBe('qwen3-vl-mobile');
    expect(await runOn.locator('option[value="android:UNAUTH01"]').isDisabled()).toBe(true);
  });

  it('a run from the Run page drives the chosen phone', async () => {
    await page.getByRole('tab', { name: 'Run' }).click();
    await page.getByLabel('Instruction').fill('Open Settings and search for Wi-Fi');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    for (let i = 0; i < 400 && adb.typedText(PHONE) === ''; i++) await new Promise((r) => setTimeout(r, 50));
    expect(adb.typedText(PHONE)).toBe('Wi-Fi 東京');
    expect(adb.snapshot(PHONE).foreground).toBe('com.android.settings');
    await page.getByRole('status', { name: 'Run state' }).filter({ hasText: /done|success|finished/i }).waitFor({ timeout: 30_000 });

    // The trace: the phone screenshot at its aspect ratio, the frame (which the markers are placed in) exactly as
    // wide as the image, and the swipe drawn as an arrow from (500, 800) to (500, 300) of the grid.
    const frame = page.locator('.screenshot-frame').first();
    const image = frame.locator('img');
    const [f, img] = [await frame.boundingBox(), await image.boundingBox()];
    expect(img!.height / img!.width).toBeCloseTo(2400 / 1080, 1);
    expect(Math.abs(f!.width - 2 - img!.width)).toBeLessThanOrEqual(1);
    const arrow = page.locator('.screenshot .swipes line');
    await arrow.first().waitFor({ state: 'attached' });
    const [x1, y1, x2, y2] = await Promise.all(['x1', 'y1', 'x2', 'y2'].map(async (a) => Number(await arrow.first().getAttribute(a))));
    const sent = await image.evaluate((el) => ({ width: (el as HTMLImageElement).naturalWidth, height: (el as HTMLImageElement).naturalHeight }));
    expect(x1! / sent.width).toBeCloseTo(500 / 999, 2);
    expect(y1! / sent.height).toBeCloseTo(800 / 999, 2);
    expect(x2! / sent.width).toBeCloseTo(500 / 999, 2);
    expect(y2! / sent.height).toBeCloseTo(300 / 999, 2);
  }, 60_000);
});
