/**
 * The compact view (`#compact`, the small always-on-top window of the desktop app) in headless Chromium at its real
 * size, 380x230, against the real engine (`deskpilot ui` on the fixture desktop's X display) and a stand-in model:
 * it shows the step, what the model is saying and the proposal with its risk; Approve clicks on the desktop, Deny
 * with a note (keyboard only) performs nothing and the note reaches the model, Stop ends the run; all without
 * scrolling.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startFakeVllm, textOf, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { gridCentre, startFixtureDesktop, type FixtureDesktop, type Rect } from '../../testkit/fixture-desktop/desktop';
import { launchViewer, startUi, type UiProcess } from './support';

const WIDTH = 1280;
const HEIGHT = 720;
const COMPACT = { width: 380, height: 230 };
const NOTE = 'Not B, use C.';
const REASONING =
  'I look at the screenshot first. It is a test page with a text field, a scroll area, a drag source and a target. ' +
  'The task asks for the buttons in order. The page shows three buttons, A, B and C, in a row near the top. ' +
  'Button A is the first one, on the left; it looks enabled and nothing covers it, so clicking its centre is the next step.';
/** Screenshots of the UI in this run; `DESKPILOT_UI_SHOTS=docs npx vitest run test/ui` refreshes the README's. */
const SHOTS = `${resolve(process.env.DESKPILOT_UI_SHOTS ?? join(tmpdir(), 'deskpilot-ui-shots'))}/`;
/** Pictures of the other states, for a person to look at; never the README's. */
const MORE_SHOTS = `${join(tmpdir(), 'deskpilot-ui-shots')}/`;

let desktop: FixtureDesktop;
let model: FakeVllm;
let ui: UiProcess;
let browser: Browser;
let compact: Page;
let rects: Record<string, Rect>;

const grid = (r: Rect): [number, number] => gridCentre(r, { width: WIDTH, height: HEIGHT });
const call = (args: Record<string, unknown>) => ({ toolCalls: [{ name: 'computer_use', arguments: args }] });

beforeAll(async () => {
  desktop = await startFixtureDesktop({ width: WIDTH, height: HEIGHT, terminal: false });
  rects = await desktop.rects();
  model = await startFakeVllm({
    servedModel: 'stand-in',
    toolParser: true,
    reasoning: 'reasoning',
    chunkChars: 12,
    chunkDelayMs: 20,
    script: (_body, ctx): Reply => {
      switch (ctx.index) {
        case 0:
          return { reasoning: REASONING, content: '', ...call({ action: 'left_click', coordinate: grid(rects['btn-a']!) }) };
        case 1:
          return { reasoning: 'Button B next.', content: 'Pressing B.', ...call({ action: 'left_click', coordinate: grid(rects['btn-b']!) }) };
        default:
          return { reasoning: 'Clear the folder first.', content: '', ...call({ action: 'type', text: 'sudo rm -rf ~/Documents' }) };
      }
    },
  });
  ui = await startUi(['--endpoint', model.url, '--model', 'stand-in', '--profile', 'qwen3-vl-thinking', '--approve', 'ask'], {
    DISPLAY: desktop.display.display,
  });
  browser = await launchViewer();
  compact = await browser.newPage({ viewport: COMPACT });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await model?.close();
  await desktop?.stop();
});

const button = (name: string) => compact.getByRole('button', { name, exact: true });
const runState = () => compact.getByRole('status', { name: 'Run state' });

async function clicksOn(target: string): Promise<number> {
  return (await desktop.events()).filter((e) => e.type === 'click' && e.target === target).length;
}

/** Nothing scrolls, and the controls a person needs are inside the 380x230 window. */
async function expectFits(names: string[]): Promise<void> {
  const size = await compact.evaluate(() => ({ height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth }));
  expect(size.height).toBeLessThanOrEqual(COMPACT.height);
  expect(size.width).toBeLessThanOrEqual(COMPACT.width);
  for (const name of names) {
    const box = (await button(name).boundingBox())!;
    expect(box.y + box.height, `${name} is cut off`).toBeLessThanOrEqual(COMPACT.height);
    expect(box.x + box.width, `${name} is cut off`).toBeLessThanOrEqual(COMPACT.width);
  }
}

describe('the compact view', () => {
  it('turns on when the hash becomes #compact, and shows the step, the reasoning and the proposal of a run started elsewhere', async () => {
    await compact.goto(ui.url);
    await compact.getByLabel('Instruction').waitFor(); // the full app first
    await compact.evaluate(() => {
      window.location.hash = '#compact';
    });
    await compact.getByText('No run yet', { exact: false }).waitFor();
    expect(await compact.getByLabel('Instruction').count()).toBe(0);
    expect(await runState().textContent()).toBe('No run');
    expect(await button('Stop').isDisabled()).toBe(true);

    // The run is started from the full window, as a person would.
    const full = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await full.goto(ui.url);
    await full.getByLabel('Instruction').fill('Press the buttons A, B and C in order.');
    await full.getByRole('button', { name: 'Run', exact: true }).click();

    const question = compact.getByRole('region', { name: /^Proposed action: Click / });
    await question.waitFor();
    await button('Approve').waitFor();
    await full.close();
    expect(await compact.getByRole('heading', { level: 1 }).textContent()).toBe('Step 1');
    expect(await runState().textContent()).toBe('Needs your approval');
    expect(await question.locator('.badge').textContent()).toBe('Safe');
    // The latest reasoning: too long for the window, so its end (the newest part) shows, in whole lines.
    const latest = compact.getByLabel('Latest reasoning');
    expect(await latest.textContent()).toBe(REASONING);
    const [box, text] = await Promise.all([latest.boundingBox(), latest.locator('p').boundingBox()]);
    expect(text!.y).toBeLessThan(box!.y);
    expect(text!.y + text!.height).toBeLessThanOrEqual(box!.y + box!.height + 0.5);
    expect(box!.height % 18).toBe(0);
    await expectFits(['Approve', 'Deny', 'Pause', 'Stop']);
    expect(await compact.getByLabel('Note to the model').count()).toBe(1);

    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(MORE_SHOTS, { recursive: true });
    await compact.screenshot({ path: `${SHOTS}ui-compact.png` });
    expect(await clicksOn('btn-a')).toBe(0);
  });

  it('Approve performs the action on the desktop', async () => {
    await button('Approve').click();
    await desktop.waitForEvent((e) => e.type === 'click' && e.target === 'btn-a', 20_000);
    expect(await clicksOn('btn-a')).toBe(1);
  });

  it('Deny with a note, keyboard only: nothing happens and the note reaches the model', async () => {
    await compact.getByRole('region', { name: /^Proposed action: Click / }).waitFor();
    await compact.getByRole('heading', { name: 'Step 2' }).waitFor();
    await button('Approve').waitFor();
    expect(await compact.getByLabel('Model text').textContent()).toBe('Pressing B.');

    const note = compact.getByLabel('Note to the model');
    await note.focus();
    await compact.keyboard.type(NOTE);
    const focused = () => compact.evaluate(() => document.activeElement?.textContent ?? '');
    await compact.keyboard.press('Tab');
    expect(await focused()).toBe('Approve');
    await compact.keyboard.press('Tab');
    expect(await focused()).toBe('Deny');
    await compact.keyboard.press('Enter');

    for (let i = 0; i < 600 && model.chatRequests().length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(model.chatRequests().length).toBeGreaterThanOrEqual(3);
    expect(textOf(model.chatRequests()[2]!.body)).toContain(NOTE);
    expect(textOf(model.chatRequests()[1]!.body)).not.toContain(NOTE);
    expect(await clicksOn('btn-b')).toBe(0);
  });

  it('a risky proposal says why; Stop ends the run, nothing is typed', async () => {
    const question = compact.getByRole('region', { name: /^Proposed action: Type/ });
    await question.waitFor();
    await button('Approve').waitFor();
    expect(await compact.getByRole('heading', { level: 1 }).textContent()).toBe('Step 3');
    expect(await question.locator('.badge').textContent()).toBe('Risky');
    expect(await question.getByText(/^Why: /).textContent()).toContain('sudo');
    await expectFits(['Approve', 'Deny', 'Pause', 'Stop']);
    await compact.screenshot({ path: `${MORE_SHOTS}ui-compact-risky.png` });

    await button('Stop').click();
    const final = compact.getByRole('status', { name: 'Final status' });
    await final.waitFor();
    expect(await final.textContent()).toContain('Stopped');
    expect(await button('Approve').count()).toBe(0);
    expect(await button('Stop').isDisabled()).toBe(true);
    expect(await desktop.textareaValue()).toBe('');
    await expectFits(['Stop']);
    await compact.screenshot({ path: `${MORE_SHOTS}ui-compact-stopped.png` });
  });
});
