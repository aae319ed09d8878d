/**
 * Zoom while reasoning, end to end (issue 12): `deskpilot run --zoom` spawned against the fake vLLM server on the
 * real X11 fixture desktop (Xvfb + openbox + Chromium kiosk), at 1920x1080 and 3840x2160.
 *
 * A small magenta target (12x12 px) is put somewhere random. The stand-in model asks to zoom into a box around it
 * (off-centre, so the box alone does not say where the target is), finds the target in the CROP it was sent, maps
 * the crop position back through its box onto the full screenshot's grid and clicks there. The test checks the
 * crop against a screenshot it takes itself (ImageMagick's `import`, not the engine's capture): the crop is exactly
 * that region of the screen, its aspect ratio within 5% of the box's, never smaller than the region's own pixels
 * and enlarged when the box is small. The page (over CDP) must record the click within one grid unit of the target
 * centre; the zoom must ask for no approval and take no step; the run record keeps the crop.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImages, startFakeVllm, type FakeVllmOptions, type Reply } from '../../testkit/fake-vllm/server';
import { startFixtureDesktop, type FixtureDesktop, type Rect } from '../../testkit/fixture-desktop/desktop';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';

const run = promisify(execFile);
const MAGENTA = { r: 255, g: 0, b: 204 };
const TARGET_SIDE = 12;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn `bin/deskpilot.js` with `stdin` written to it and then closed (the terminal approver reads lines). */
function runCli(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/deskpilot.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The whole X screen as PNG, grabbed by ImageMagick: an independent view of what is on the screen. */
async function screenshot(display: string): Promise<Buffer> {
  const { stdout } = await run('import', ['-display', display, '-window', 'root', 'png:-'], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

interface Scenario {
  screen: { width: number; height: number };
  server: FakeVllmOptions;
  /** `ask`: the terminal approver answers one "y" (the click); a zoom asking for approval would leave the click none. */
  approve: 'ask' | 'auto';
}

async function runZoomScenario(desktop: FixtureDesktop, { screen, server: serverOptions, approve }: Scenario) {
  await desktop.clear();
  // Somewhere random, away from the edges so an off-centre box around it stays on the screen, and away from the
  // page's status line (it lies above the target and its text changes with every event the page records).
  const status = await desktop.elementRect('#status');
  const margin = 0.06 * screen.width;
  let target: Rect;
  do {
    target = {
      x: 120 + Math.round(Math.random() * (screen.width - 260)),
      y: 120 + Math.round(Math.random() * (screen.height - 260)),
      width: TARGET_SIDE,
      height: TARGET_SIDE,
    };
  } while (
    target.x > status.x - margin && target.x < status.x + status.width + margin &&
    target.y > status.y - margin && target.y < status.y + status.height + margin
  );
  await desktop.moveTarget(target, 'rgb(255, 0, 204)');
  await desktop.page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
  const shot = await screenshot(desktop.display.display);
  const centre = { x: target.x + TARGET_SIDE / 2, y: target.y + TARGET_SIDE / 2 };

  // The box the model zooms into: about 40x50 grid units, the target off its centre by a random amount.
  const g = { x: (centre.x / screen.width) * 1000, y: (centre.y / screen.height) * 1000 };
  const left = 8 + Math.round(Math.random() * 24);
  const top = 8 + Math.round(Math.random() * 34);
  const bbox = [Math.round(g.x - left), Math.round(g.y - top), Math.round(g.x - left) + 40, Math.round(g.y - top) + 50] as const;

  const seen: { crop?: Buffer; cropSize?: { width: number; height: number }; clicked?: [number, number] } = {};
  const vllm = await startFakeVllm({
    servedModel: 'stand-in',
    ...serverOptions,
    script: async (body, ctx): Promise<Reply> => {
      if (ctx.index === 0) {
        return {
          reasoning: 'There is a tiny magenta mark; let me look closer before I click.',
          toolCalls: [{ name: 'image_zoom_in_tool', arguments: { bbox_2d: [...bbox], label: 'magenta mark' } }],
        };
      }
      if (ctx.index === 1) {
        const crop = (await decodeImages(body)).at(-1)!;
        seen.crop = crop.data;
        seen.cropSize = { width: crop.width, height: crop.height };
        // Found in the crop only; the crop shows the box, so its fractions map back onto the screenshot's grid.
        const found = await findColour(crop.data, MAGENTA);
        const x = Math.round(bbox[0] + (found.x / found.width) * (bbox[2] - bbox[0]));
        const y = Math.round(bbox[1] + (found.y / found.height) * (bbox[3] - bbox[1]));
        seen.clicked = [x, y];
        return { reasoning: 'There it is.', toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }] };
      }
      return { reasoning: 'Done.', toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] };
    },
  });
  const out = join(mkdtempSync(join(tmpdir(), 'deskpilot-zoom-e2e-')), 'record');
  try {
    const result = await runCli(
      ['run', 'Click the small magenta mark.', '--zoom', '--endpoint', `${vllm.url}/v1`, '--model', 'stand-in',
        '--approve', approve, '--out', out, '--profile', 'qwen3-vl-thinking'],
      { DISPLAY: desktop.display.display },
      approve === 'ask' ? 'y\n' : '',
    );
    return { result, out, seen, bbox, target, centre, shot, requests: vllm.chatRequests().filter((r) => r.status === 200).length };
  } finally {
    await vllm.close();
  }
}

type Outcome = Awaited<ReturnType<typeof runZoomScenario>>;

async function expectZoomedAndClicked(desktop: FixtureDesktop, screen: { width: number; height: number }, o: Outcome, approve: 'ask' | 'auto') {
  expect(o.result.stderr).toBe('');
  expect(o.result.code).toBe(0);
  // Answered requests (a server without a tool parser first refuses the native tools with a 400): the step's first,
  // the one after the zoom (same step), the terminate step.
  expect(o.requests).toBe(3);

  // The crop, against the box's region of the screen (in screen pixels; the screenshot is sent at full size).
  const region = {
    x: (o.bbox[0] / 1000) * screen.width,
    y: (o.bbox[1] / 1000) * screen.height,
    width: ((o.bbox[2] - o.bbox[0]) / 1000) * screen.width,
    height: ((o.bbox[3] - o.bbox[1]) / 1000) * screen.height,
  };
  const crop = o.seen.cropSize!;
  expect(crop).toBeDefined();
  expect(Math.abs(crop.width / crop.height / (region.width / region.height) - 1)).toBeLessThan(0.05);
  expect(crop.width).toBeGreaterThanOrEqual(region.width);
  expect(crop.height).toBeGreaterThanOrEqual(region.height);
  // A box of a few dozen pixels is enlarged, not sent at its own size.
  expect(crop.width * crop.height).toBeGreaterThan(4 * region.width * region.height);

  // Exactly that region: the target's place in the crop maps back to where the test's own screenshot has it ...
  const inShot = await findColour(o.shot, MAGENTA);
  expect(Math.abs(inShot.x - o.centre.x)).toBeLessThanOrEqual(1);
  expect(Math.abs(inShot.y - o.centre.y)).toBeLessThanOrEqual(1);
  const inCrop = await findColour(o.seen.crop!, MAGENTA);
  const back = { x: region.x + (inCrop.x / crop.width) * region.width, y: region.y + (inCrop.y / crop.height) * region.height };
  expect(Math.abs(back.x - inShot.x)).toBeLessThanOrEqual(0.5);
  expect(Math.abs(back.y - inShot.y)).toBeLessThanOrEqual(0.5);
  // ... and the rest of it looks like that region of the screenshot at the crop's scale. The region's edges fall
  // between pixels: the whole pixels around it are scaled and the region's own part cut out, so a sharp edge is
  // compared where it is, not up to a screen pixel (several crop pixels) off.
  const cropPixels = await sharp(o.seen.crop!).removeAlpha().raw().toBuffer();
  const whole = { left: Math.floor(region.x), top: Math.floor(region.y), right: Math.ceil(region.x + region.width), bottom: Math.ceil(region.y + region.height) };
  const scale = { x: crop.width / region.width, y: crop.height / region.height };
  const scaled = { width: Math.round((whole.right - whole.left) * scale.x), height: Math.round((whole.bottom - whole.top) * scale.y) };
  const offset = {
    left: Math.min(scaled.width - crop.width, Math.round((region.x - whole.left) * scale.x)),
    top: Math.min(scaled.height - crop.height, Math.round((region.y - whole.top) * scale.y)),
  };
  const shotPixels = await sharp(o.shot)
    .removeAlpha()
    .extract({ left: whole.left, top: whole.top, width: whole.right - whole.left, height: whole.bottom - whole.top })
    .resize(scaled.width, scaled.height, { fit: 'fill' })
    .extract({ left: offset.left, top: offset.top, width: crop.width, height: crop.height })
    .raw()
    .toBuffer();
  let difference = 0;
  for (let i = 0; i < cropPixels.length; i++) difference += Math.abs(cropPixels[i]! - shotPixels[i]!);
  expect(difference / cropPixels.length).toBeLessThan(3);

  // The click: within one grid unit of the target's centre, on the model's grid and as the page recorded it.
  expect(Math.abs(o.seen.clicked![0] - (o.centre.x / screen.width) * 1000)).toBeLessThanOrEqual(1);
  expect(Math.abs(o.seen.clicked![1] - (o.centre.y / screen.height) * 1000)).toBeLessThanOrEqual(1);
  const clicks = (await desktop.waitForEvent((e) => e.type === 'click')).filter((e) => e.type === 'click');
  expect(clicks).toHaveLength(1);
  expect(clicks[0]!.target).toBe('target');
  expect(Math.abs(clicks[0]!.x! - o.centre.x)).toBeLessThanOrEqual(screen.width / 1000);
  expect(Math.abs(clicks[0]!.y! - o.centre.y)).toBeLessThanOrEqual(screen.height / 1000);

  // No approval for the zoom, no step for it; the record keeps the crop the model was sent.
  const events = readFileSync(join(o.out, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
  // Only the click is proposed and goes to the approval policy (terminate ends the run without a proposal); with
  // `ask`, the person was asked once, and the one "y" given was enough.
  const proposed = events.filter((e) => e.type === 'proposal').map((e) => [e.proposal.step, e.proposal.action.action]);
  expect(proposed).toEqual([[1, 'left_click']]);
  expect(events.filter((e) => e.type === 'approval-requested').map((e) => e.proposal.action.action)).toEqual(['left_click']);
  const decidedBy = events.filter((e) => e.type === 'decision').map((e) => e.by);
  expect(decidedBy[0]).toBe(approve === 'ask' ? 'person' : 'policy');
  if (approve === 'ask') expect(o.result.stdout.match(/Approve\?/g)).toHaveLength(1);
  const zooms = events.filter((e) => e.type === 'zoom');
  expect(zooms).toHaveLength(1);
  expect(zooms[0]).toMatchObject({ step: 1, ok: true, bbox: [...o.bbox], label: 'magenta mark' });
  expect(readFileSync(join(o.out, zooms[0]!.crop.file)).equals(o.seen.crop!)).toBe(true);
  expect(events.find((e) => e.type === 'run-finished')).toMatchObject({ outcome: 'success', steps: 2 });
  expect(JSON.parse(readFileSync(join(o.out, 'run.json'), 'utf8'))).toMatchObject({ steps: 2 });
}

const MODES = {
  'raw <tool_call> text, inline </think>': { toolParser: false, reasoning: 'inline', chunkChars: 24 },
  'hermes tool_calls, reasoning field': { toolParser: true, reasoning: 'reasoning', chunkChars: 24 },
} as const satisfies Record<string, FakeVllmOptions>;

describe('deskpilot run --zoom on a real 1920x1080 desktop', () => {
  const screen = { width: 1920, height: 1080 };
  let desktop: FixtureDesktop;
  beforeAll(async () => {
    desktop = await startFixtureDesktop({ ...screen, terminal: false });
  }, 60_000);
  afterAll(async () => {
    await desktop?.stop();
  });

  for (const [name, server] of Object.entries(MODES)) {
    it(`zooms, finds the target in the crop, clicks it (${name})`, async () => {
      const outcome = await runZoomScenario(desktop, { screen, server, approve: 'ask' });
      await expectZoomedAndClicked(desktop, screen, outcome, 'ask');
    }, 60_000);
  }
});

describe('deskpilot run --zoom on a real 3840x2160 desktop', () => {
  const screen = { width: 3840, height: 2160 };
  let desktop: FixtureDesktop;
  beforeAll(async () => {
    desktop = await startFixtureDesktop({ ...screen, terminal: false });
  }, 120_000);
  afterAll(async () => {
    await desktop?.stop();
  });

  it('zooms, finds the target in the crop, clicks it (hermes tool_calls, --approve auto)', async () => {
    const outcome = await runZoomScenario(desktop, { screen, server: MODES['hermes tool_calls, reasoning field'], approve: 'auto' });
    await expectZoomedAndClicked(desktop, screen, outcome, 'auto');
  }, 120_000);
});
