/**
 * The browser UI in headless Chromium against the real engine (`deskpilot ui` on the fixture desktop's X display)
 * and a stand-in CapCurriculum-style model (the fake vLLM server):
 * - Ask: a question about the current screen is answered from the screenshot the request carried - the last
 *   \boxed{} as the answer, the reasoning collapsible; a reply without a box is the answer with a note; Cancel ends
 *   a slow answer; Ask is refused (disabled, with why) while a run is going;
 * - zooms: a run whose model zooms twice into the screen and once with a bad box shows, next to the step, each
 *   crop it was sent (the target's pixels in the first) with its box drawn on the step's screenshot, the refused
 *   zoom's error, and the reply whose box was inverted; after a reload the crops come from the run record.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { startFixtureDesktop, type FixtureDesktop, type Rect } from '../../testkit/fixture-desktop/desktop';
import { findColour, type Colour } from '../../testkit/fixture-desktop/locate-colour';
import { launchViewer, startUi, type UiProcess } from './support';

const WIDTH = 1280;
const HEIGHT = 720;
const PINK: Colour = { r: 255, g: 0, b: 204 };

let desktop: FixtureDesktop;
let model: FakeVllm;
let ui: UiProcess;
let browser: Browser;
let page: Page;
let target: Rect;
/** What the stand-in model decided during the run, for the assertions. */
const seen: { firstBox?: number[]; crop?: { width: number; height: number }; click?: [number, number] } = {};

const clampGrid = (v: number) => Math.max(0, Math.min(1000, Math.round(v)));
const zoom = (bbox: number[], label: string, more: Record<string, unknown> = {}) => ({
  name: 'image_zoom_in_tool',
  arguments: { bbox_2d: bbox, label, ...more },
});

/** The stand-in for a question (no tools offered): it looks for the pink square in the one image it was sent. */
async function answer(body: unknown): Promise<Reply> {
  const text = textOf(body);
  // Slow enough that only Cancel ends it within the test's time.
  if (text.includes('slowly')) return { content: 'A very slow answer that takes its time, chunk by chunk, to arrive.', chunkDelayMs: 5000 };
  if (text.includes('Describe')) return { content: '<think> Buttons and a text field. </think> A test page with buttons.' };
  const [image] = await decodeImages(body);
  const found = await findColour(image!.data, PINK);
  const gx = Math.round((found.x / found.width) * 1000);
  const gy = Math.round((found.y / found.height) * 1000);
  return { content: `<think> The pink square is at (${gx}, ${gy}) on the grid. </think> It is at \\boxed{(${gx}, ${gy})}` };
}

let runRequests = 0;
/**
 * The stand-in in a run: zoom in twice, then into an image it was never sent (the zoom is refused), then with an
 * inverted box (the reply is refused before any zoom), then click what the first crop showed.
 */
async function act(body: any): Promise<Reply> {
  const round = runRequests++;
  const images = await decodeImages(body);
  if (round === 0) {
    const found = await findColour(images.at(-1)!.data, PINK);
    const gx = (found.x / found.width) * 1000;
    const gy = (found.y / found.height) * 1000;
    seen.firstBox = [clampGrid(gx - 70), clampGrid(gy - 90), clampGrid(gx + 50), clampGrid(gy + 60)];
    return {
      reasoning: 'Let me look closer at the pink square, and at the top-left corner.',
      toolCalls: [zoom(seen.firstBox, 'pink square'), zoom([0, 0, 200, 150], 'corner')],
    };
  }
  if (round === 1) {
    // The crops are the last two images, in the order of the calls; the target is found in the first crop's pixels.
    const crop = images.at(-2)!;
    seen.crop = { width: crop.width, height: crop.height };
    const found = await findColour(crop.data, PINK);
    const [x1, y1, x2, y2] = seen.firstBox!;
    seen.click = [Math.round(x1! + (found.x / found.width) * (x2! - x1!)), Math.round(y1! + (found.y / found.height) * (y2! - y1!))];
    return { reasoning: 'Found it in the crop. One more look, at an older image.', toolCalls: [zoom([400, 400, 600, 600], 'older', { img_idx: 7 })] };
  }
  if (round === 2) return { reasoning: 'Lower down, then.', toolCalls: [zoom([500, 500, 400, 600], 'inverted')] };
  if (round === 3) {
    return { reasoning: 'That box was wrong; I have seen enough.', toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: seen.click } }] };
  }
  return { reasoning: 'Done.', toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] };
}

beforeAll(async () => {
  desktop = await startFixtureDesktop({ width: WIDTH, height: HEIGHT, terminal: false });
  // Somewhere new each run: only the screenshot can tell the model where the target is.
  await desktop.moveTarget({ x: 640 + Math.round(Math.random() * 400), y: 420 + Math.round(Math.random() * 150), width: 40, height: 30 }, 'rgb(255, 0, 204)');
  target = (await desktop.rects()).target;
  model = await startFakeVllm({
    servedModel: 'stand-in',
    toolParser: true,
    reasoning: 'reasoning',
    chunkChars: 8,
    chunkDelayMs: 5,
    script: (body, ctx) => (ctx.toolsOffered.length === 0 ? answer(body) : act(body)),
  });
  ui = await startUi(['--endpoint', model.url, '--model', 'stand-in', '--profile', 'capcurriculum', '--zoom', '--approve', 'ask'], {
    DISPLAY: desktop.display.display,
  });
  browser = await launchViewer();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await model?.close();
  await desktop?.stop();
});

const askButton = () => page.getByRole('button', { name: 'Ask', exact: true });
const questionPanel = () => page.getByRole('region', { name: 'Question about the screen' });

async function ask(question: string): Promise<void> {
  await page.getByLabel('Instruction').fill(question);
  await askButton().click();
}

/** The pixels of an <img> as the page shows it (its data URL), decoded. */
async function imageBytes(selector: string): Promise<Buffer> {
  const src = await page.locator(selector).getAttribute('src');
  const match = /^data:[^;]+;base64,(.*)$/s.exec(src ?? '');
  if (!match) throw new Error(`${selector} has no data URL: ${src?.slice(0, 40)}`);
  return Buffer.from(match[1]!, 'base64');
}

describe('Ask and zooms in the browser UI', () => {
  it('Ask answers from the current screen: the \\boxed{} answer, and its reasoning when opened', async () => {
    await page.goto(ui.url);
    await ask('Where is the pink square?');
    const shown = questionPanel().getByRole('status', { name: 'Answer' });
    await shown.waitFor();

    // The request carried the screenshot of the desktop as it is: the answer is where the target really is.
    const asked = model.chatRequests().at(-1)!.body;
    const images = await decodeImages(asked);
    expect(images).toHaveLength(1);
    expect(images[0]!.width / images[0]!.height).toBeCloseTo(WIDTH / HEIGHT, 1);
    expect(textOf(asked)).toContain('Where is the pink square?');
    const [gx, gy] = /\((\d+), (\d+)\)/.exec((await shown.textContent()) ?? '')!.slice(1).map(Number);
    expect(Math.abs(gx! - ((target.x + target.width / 2) / WIDTH) * 1000)).toBeLessThanOrEqual(3);
    expect(Math.abs(gy! - ((target.y + target.height / 2) / HEIGHT) * 1000)).toBeLessThanOrEqual(3);
    expect(await shown.textContent()).toBe(`Answer: (${gx}, ${gy})`);
    expect(await questionPanel().locator('.note').count()).toBe(0);

    // The reasoning is there, folded away until opened.
    const reasoning = questionPanel().getByLabel('Reasoning of the answer');
    expect(await reasoning.isVisible()).toBe(false);
    await questionPanel().getByText('Reasoning', { exact: true }).click();
    expect(await reasoning.textContent()).toBe(`The pink square is at (${gx}, ${gy}) on the grid.`);
  });

  it('a reply without \\boxed{} is the answer, with the note saying so; Cancel ends a slow answer', async () => {
    await ask('Describe the screen.');
    await questionPanel().getByText('A test page with buttons.', { exact: true }).waitFor();
    expect(await questionPanel().locator('.note').textContent()).toMatch(/boxed/);

    await ask('Describe it slowly, please.');
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    await cancel.waitFor();
    expect(await questionPanel().getAttribute('aria-busy')).toBe('true');
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(true);
    await cancel.click();
    expect(await questionPanel().getByRole('alert').textContent()).toMatch(/^No answer: cancelled/);
    await askButton().waitFor();
  });

  it('a run that zooms shows each crop next to the step, its box on the screenshot, and the refused zooms\' errors', async () => {
    await page.getByLabel('Instruction').fill('Click the pink square.');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('button', { name: 'Approve', exact: true }).waitFor();

    // No questions while the agent works: the button says why.
    expect(await askButton().isDisabled()).toBe(true);
    expect(await askButton().getAttribute('title')).toMatch(/^A run is going/);

    const zooms = page.getByRole('list', { name: 'Zooms, step 1' }).getByRole('listitem');
    expect(await zooms.count()).toBe(3);
    expect(await zooms.nth(0).textContent()).toContain(`Z1: [${seen.firstBox!.join(', ')}] of image 0 (pink square)`);
    expect(await zooms.nth(1).textContent()).toContain('Z2: [0, 0, 200, 150] of image 0 (corner)');
    expect(await zooms.nth(2).textContent()).toBe(
      'Z3: [400, 400, 600, 600] of image 7 (older): not done - img_idx 7 names no image; you have been sent 3 image(s), img_idx 0..2',
    );
    // A zoom whose box cannot be a box is refused with the rest of its reply, and the step says so.
    expect(await page.locator('.step').first().locator('p.note-feedback').textContent()).toContain(
      'bbox_2d [500, 500, 400, 600] is empty or inverted; x2 must exceed x1 and y2 exceed y1',
    );

    // The first crop is the one the model was sent, and it shows the target.
    const crop = await imageBytes('img[alt="Zoom 1 of step 1"]');
    const meta = await sharp(crop).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual(seen.crop);
    await findColour(crop, PINK);
    await page.waitForFunction(() => (document.querySelector('img[alt="Zoom 2 of step 1"]') as HTMLImageElement | null)?.naturalWidth);

    // The boxes on the step's screenshot: Z1 around the target, Z2 in the top-left corner.
    const screenshot = page.getByAltText('Screenshot the model saw at step 1');
    const shot = await screenshot.evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, height: img.naturalHeight }));
    const boxes = await page.locator('.step').first().locator('.zoom-box').evaluateAll((groups) =>
      groups.map((g) => {
        const r = g.querySelector('rect')!;
        return { label: g.getAttribute('data-label'), x: +r.getAttribute('x')!, y: +r.getAttribute('y')!, width: +r.getAttribute('width')!, height: +r.getAttribute('height')! };
      }),
    );
    expect(boxes.map((b) => b.label)).toEqual(['Z1', 'Z2']);
    const centre = { x: ((target.x + target.width / 2) / WIDTH) * shot.width, y: ((target.y + target.height / 2) / HEIGHT) * shot.height };
    const z1 = boxes[0]!;
    expect(centre.x).toBeGreaterThan(z1.x);
    expect(centre.x).toBeLessThan(z1.x + z1.width);
    expect(centre.y).toBeGreaterThan(z1.y);
    expect(centre.y).toBeLessThan(z1.y + z1.height);
    expect(z1.width / z1.height).toBeCloseTo(((seen.firstBox![2]! - seen.firstBox![0]!) * WIDTH) / ((seen.firstBox![3]! - seen.firstBox![1]!) * HEIGHT), 1);
    const z2 = boxes[1]!;
    expect(z2.x).toBe(0);
    expect(z2.y).toBe(0);
    expect(z2.width).toBeCloseTo(shot.width * 0.2, 0);
    expect(z2.height).toBeCloseTo(shot.height * 0.15, 0);

    // What the model thought before and after it saw the crops is both there.
    const reasoning = await page.getByLabel('Reasoning, step 1').textContent();
    expect(reasoning).toContain('Let me look closer at the pink square');
    expect(reasoning).toContain('One more look, at an older image.');
    expect(reasoning).toContain('I have seen enough');

    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await desktop.waitForEvent((e) => e.type === 'click' && e.target === 'target', 20_000);
    await page.getByRole('status', { name: 'Final status' }).waitFor({ timeout: 30_000 });
    expect(await askButton().isDisabled()).toBe(false);
  });

  it('after a reload the crops come from the run record', async () => {
    // The catch-up after a reload carries no image data: each crop is asked for by its file in the run folder.
    const asked: string[] = [];
    page.on('websocket', (socket) => socket.on('framesent', (frame) => asked.push(String(frame.payload))));
    await page.reload();
    await page.getByRole('list', { name: 'Zooms, step 1' }).waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector('img[alt="Zoom 1 of step 1"]') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await findColour(await imageBytes('img[alt="Zoom 1 of step 1"]'), PINK);
    expect(await page.locator('.step').first().locator('.zoom-box').count()).toBe(2);
    const files = asked.flatMap((frame) => {
      const request = JSON.parse(frame) as { name?: string; input?: { file?: string } };
      return request.name === 'runs.image' && request.input?.file ? [request.input.file] : [];
    });
    expect([...new Set(files.filter((file) => /^step-0001-\d+\.png$/.test(file)))].sort()).toEqual(['step-0001-2.png', 'step-0001-3.png']);
  });
});
