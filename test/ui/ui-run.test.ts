/**
 * The browser UI, driven in headless Chromium as a person would, against the real engine (`deskpilot ui` on the
 * fixture desktop's X display) and a stand-in model (the fake vLLM server, streaming slowly):
 * type an instruction, Run, watch the reasoning stream in before the approval is asked, Approve (the click happens
 * on the desktop), Deny with a note (nothing happens, the note reaches the model), Edit (a refused edit is
 * explained, a valid one is performed instead), Stop; then open the run in the history.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { gridCentre, startFixtureDesktop, type FixtureDesktop, type Rect } from '../../testkit/fixture-desktop/desktop';
import { launchViewer, startUi, type UiProcess } from './support';
import { colourGridPoint } from '../../testkit/fixture-desktop/locate-colour';

const WIDTH = 1280;
const HEIGHT = 720;
const NOTE = 'Not button B - leave it alone.';
const REASONING = 'I can see the pink target on the right of the screen. Clicking its centre is the first step of the task.';
/** Screenshots of the UI in this run; `DESKPILOT_UI_SHOTS=docs npx vitest run test/ui` refreshes the README's. */
const DOCS = `${resolve(process.env.DESKPILOT_UI_SHOTS ?? join(tmpdir(), 'deskpilot-ui-shots'))}/`;

let desktop: FixtureDesktop;
let model: FakeVllm;
let ui: UiProcess;
let browser: Browser;
let page: Page;
let rects: Record<string, Rect>;

const grid = (r: Rect): [number, number] => gridCentre(r, { width: WIDTH, height: HEIGHT });
const call = (args: Record<string, unknown>) => ({ toolCalls: [{ name: 'computer_use', arguments: args }] });

beforeAll(async () => {
  desktop = await startFixtureDesktop({ width: WIDTH, height: HEIGHT, terminal: false });
  // Somewhere new each run: only the screenshot can tell the model where the target is.
  await desktop.moveTarget({ x: 700 + Math.round(Math.random() * 300), y: 450 + Math.round(Math.random() * 120), width: 80, height: 60 }, 'rgb(255, 0, 204)');
  rects = await desktop.rects();
  model = await startFakeVllm({
    servedModel: 'stand-in',
    toolParser: true,
    reasoning: 'reasoning',
    chunkChars: 6,
    chunkDelayMs: 40,
    script: async (body, ctx): Promise<Reply> => {
      switch (ctx.index) {
        case 0: {
          const images = await decodeImages(body);
          const point = await colourGridPoint(images.at(-1)!.data, { r: 255, g: 0, b: 204 });
          return { reasoning: REASONING, content: '', ...call({ action: 'left_click', coordinate: point }) };
        }
        case 1:
          return { reasoning: 'Next I press button B.', content: 'Pressing B.', ...call({ action: 'left_click', coordinate: grid(rects['btn-b']!) }) };
        case 2:
          return { reasoning: 'The user said no to B. Button A then.', content: '', ...call({ action: 'left_click', coordinate: grid(rects['btn-a']!) }) };
        case 3:
          return { reasoning: 'Now type the command.', content: '', ...call({ action: 'type', text: 'sudo rm -rf ~/Documents' }) };
        default:
          return { reasoning: 'Done.', content: '', ...call({ action: 'terminate', status: 'success' }) };
      }
    },
  });
  // Without /v1: the client finds it, and the person is told so in the trace.
  ui = await startUi(['--endpoint', model.url.replace(/\/v1$/, ''), '--model', 'stand-in', '--profile', 'qwen3-vl-thinking', '--approve', 'ask'], {
    DISPLAY: desktop.display.display,
  });
  browser = await launchViewer();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Record the order in which things first appear on the page: reasoning text, then the Approve button.
  await page.addInitScript(() => {
    const w = window as unknown as { __order: string[] };
    w.__order = [];
    const seen = new Set<string>();
    const note = (what: string) => {
      if (!seen.has(what)) {
        seen.add(what);
        w.__order.push(what);
      }
    };
    new MutationObserver(() => {
      if (document.querySelector('.reasoning-text')?.textContent?.includes('pink target')) note('reasoning');
      if ([...document.querySelectorAll('button')].some((b) => b.textContent === 'Approve')) note('approve');
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await model?.close();
  await desktop?.stop();
});

const approveButton = () => page.getByRole('button', { name: 'Approve', exact: true });

/** A picture of the whole page at a width for the README (the viewport grown to the page so nothing is cut). */
async function shoot(name: string, width: number): Promise<void> {
  mkdirSync(DOCS, { recursive: true });
  await page.setViewportSize({ width, height: 900 });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${DOCS}${name}` });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function clicksOn(target: string): Promise<number> {
  return (await desktop.events()).filter((e) => e.type === 'click' && e.target === target).length;
}

async function waitForRequests(n: number): Promise<void> {
  for (let i = 0; i < 600 && model.chatRequests().length < n; i++) await new Promise((r) => setTimeout(r, 50));
  expect(model.chatRequests().length).toBeGreaterThanOrEqual(n);
}

describe('deskpilot ui in Chromium', () => {
  it('shows the reasoning while it streams, before the approval card; Approve clicks on the real desktop', async () => {
    await page.goto(ui.url);
    await page.getByLabel('Instruction').fill('Click the pink target, then press the buttons.');
    await page.getByRole('button', { name: 'Run', exact: true }).click();

    await page.getByLabel('Reasoning, step 1').getByText('pink target', { exact: false }).waitFor();
    await approveButton().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __order: string[] }).__order)).toEqual(['reasoning', 'approve']);
    expect(await page.getByLabel('Reasoning, step 1').textContent()).toBe(REASONING);
    const card = page.getByRole('article', { name: /Proposed action: Click / });
    await card.waitFor();
    expect(await card.textContent()).toContain('Not risky');
    expect(await page.getByRole('status', { name: 'Run state' }).textContent()).toContain('Waiting for your approval');
    // The screenshot the model saw is on screen, with the point marked.
    const shot = page.getByAltText('Screenshot the model saw at step 1');
    expect(await shot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(WIDTH);
    expect(await page.locator('.screenshot .marker').count()).toBe(1);
    expect(await clicksOn('target')).toBe(0);
    expect(await page.locator('.note-notice').first().textContent()).toMatch(/lacks \/v1; the server answers at \S+\/v1, so that is used/);

    await shoot('ui-run.png', 1280);
    await shoot('ui-run-narrow.png', 420);

    expect(await page.title()).toBe('Approval needed - Deskpilot');

    // Pause holds before the next action: approved, but not performed until Resume.
    const state = page.getByRole('status', { name: 'Run state' });
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await state.getByText('pausing before the next action', { exact: false }).waitFor();
    await approveButton().click();
    await state.getByText('Paused', { exact: true }).waitFor();
    expect(await clicksOn('target')).toBe(0);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await desktop.waitForEvent((e) => e.type === 'click' && e.target === 'target', 20_000);
    await page.getByText('Approved by you · performed').waitFor();
  });

  it('Deny with a note (keyboard only) performs nothing and the note reaches the model in the next request', async () => {
    await page.getByRole('article', { name: /Proposed action: Click / }).nth(1).waitFor();
    await approveButton().waitFor();
    // The new question takes the focus (nobody was typing); Tab reaches the note, then Approve, then Deny.
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label')?.startsWith('Proposed action'));
    const focusedLabel = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return (el?.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) || el?.textContent || '';
      });
    for (let i = 0; i < 8 && (await focusedLabel()) !== 'Note to the model'; i++) await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Note to the model');
    await page.keyboard.type(NOTE);
    await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Approve');
    await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Deny');
    await page.keyboard.press('Enter');

    await waitForRequests(3);
    expect(textOf(model.chatRequests()[2]!.body)).toContain(NOTE);
    expect(textOf(model.chatRequests()[1]!.body)).not.toContain(NOTE);
    expect(await clicksOn('btn-b')).toBe(0);
    await page.getByText(`Denied by you - note to the model: "${NOTE}"`).waitFor();
  });

  it('a second viewer that connects mid-run sees the run so far and the open question', async () => {
    await page.getByRole('article', { name: /Proposed action: Click / }).nth(2).waitFor();
    await approveButton().waitFor();
    const late = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      await late.goto(ui.url);
      await late.getByRole('button', { name: 'Approve', exact: true }).waitFor();
      await late.getByRole('heading', { name: 'Step 3' }).waitFor();
      expect(await late.getByText(`Denied by you - note to the model: "${NOTE}"`).count()).toBe(1);
      // Earlier screenshots come from the run folder (the catch-up carries no image data).
      await late.waitForFunction(() => {
        const img = document.querySelector('img[alt="Screenshot the model saw at step 1"]') as HTMLImageElement | null;
        return !!img && img.complete && img.naturalWidth === 1280;
      });
    } finally {
      await late.close();
    }
  });

  it('Edit: an edit the engine refuses is explained and nothing happens; a point picked on the screenshot is performed instead', async () => {
    await page.getByRole('article', { name: /Proposed action: Click / }).nth(2).waitFor();
    await approveButton().waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = page.getByLabel('Edited action (JSON)');
    await editor.fill('{"action": "left_click", "coordinate": [1500, 20]}');
    await page.getByRole('button', { name: 'Perform edited action' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'outside' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('0..1000 grid');
    await approveButton().waitFor(); // still waiting for the person

    // Pick the new point on the screenshot: Button C's centre, where it shows on the displayed image.
    const picker = page.getByAltText('Pick a new point: click where the action should happen');
    const box = (await picker.boundingBox())!;
    const c = rects['btn-c']!;
    await picker.click({ position: { x: ((c.x + c.width / 2) / WIDTH) * box.width, y: ((c.y + c.height / 2) / HEIGHT) * box.height } });
    const [x, y] = grid(c);
    const picked = JSON.parse(await editor.inputValue()) as { action: string; coordinate: [number, number] };
    expect(picked.action).toBe('left_click');
    expect(Math.abs(picked.coordinate[0] - x)).toBeLessThanOrEqual(2);
    expect(Math.abs(picked.coordinate[1] - y)).toBeLessThanOrEqual(2);
    await page.getByRole('button', { name: 'Perform edited action' }).click();
    await desktop.waitForEvent((e) => e.type === 'click' && e.target === 'btn-c', 20_000);
    expect(await clicksOn('btn-a')).toBe(0);
    await page.getByText(/Edited by you: .*· performed/).waitFor();
  });

  it('a risky action says why; Stop ends the run at the approval prompt, nothing is typed, the final status says so', async () => {
    const card = page.getByRole('article', { name: /Proposed action: Type/ });
    await card.waitFor();
    await approveButton().waitFor();
    expect(await card.locator('.badge').textContent()).toBe('Risky');
    expect(await card.getByRole('list', { name: 'Why it is risky' }).textContent()).toContain('sudo');
    await card.screenshot({ path: `${DOCS}ui-risky-card.png` });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const final = page.getByRole('status', { name: 'Final status' });
    await final.waitFor();
    expect(await final.textContent()).toContain('Stopped');
    expect(await approveButton().count()).toBe(0);
    expect(await desktop.textareaValue()).toBe('');
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).isDisabled()).toBe(true);
  });

  it('opens the finished run from the history in the trajectory viewer, screenshots loaded from the run folder', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    const panel = page.getByRole('tabpanel', { name: 'History' });
    // The run holds a denial and an edit: the list says so.
    expect(await panel.getByRole('button', { name: /Click the pink target/ }).locator('.pill.corrections').textContent()).toBe('2 corrections');
    await panel.getByRole('button', { name: /Click the pink target/ }).click();
    await panel.getByRole('button', { name: 'Back to history' }).waitFor();
    await panel.getByRole('heading', { name: 'Step 4' }).waitFor();
    await panel.getByAltText('Screenshot the model saw at step 2').waitFor();
    // Loaded through the bridge from the run folder (not the live events): a real PNG of the desktop's size.
    await page.waitForFunction(() => {
      const img = document.querySelector('#panel-History img[alt="Screenshot the model saw at step 2"]') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth === 1280;
    });
    expect(await panel.getByText(`Denied by you - note to the model: "${NOTE}"`).count()).toBe(1);
    expect(await panel.getByRole('status', { name: 'Final status' }).textContent()).toContain('Stopped');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${DOCS}ui-history.png` });
    // Export for training: the edited step as an SFT sample, written to a folder the status names.
    const exporting = panel.getByRole('region', { name: 'Export for training' });
    await exporting.getByRole('button', { name: 'Export for training' }).click();
    const done = exporting.getByRole('status');
    await done.waitFor();
    expect(await done.textContent()).toMatch(/^\d+ written \(.*1 edited.*\) to \/\S+-sft/);
  });
});
