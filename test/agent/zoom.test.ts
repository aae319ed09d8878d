/**
 * Zoom while reasoning (image_zoom_in_tool, issue 12) against the fake vLLM server (real HTTP, streaming and
 * parser) and a desktop double whose screen holds one small red target. The stand-in model asks to zoom into a box
 * around where it thinks the target is, finds the target in the CROP it was sent (by its pixels, never by knowing
 * where it was painted), maps the crop point back through its box onto the screenshot's grid and clicks there.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRun } from '../../app/agent/loop';
import { RunSettingsSchema, type Decision, type Proposal, type RunEvent, type RunSettingsInput } from '../../app/contract';
import { ModelClient } from '../../app/model/client';
import type { Approver } from '../../app/policy/approval';
import { createRunRecorder } from '../../app/runs/recorder';
import { renderReport } from '../../app/runs/report';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type Reply, type Script } from '../../testkit/fake-vllm/server';
import { FakeDesktop } from '../../testkit/fake-desktop';

let server: FakeVllm | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

class CountingApprover implements Approver {
  readonly asked: Proposal[] = [];
  decide(proposal: Proposal): Promise<Decision> {
    this.asked.push(proposal);
    return Promise.resolve({ kind: 'approve' });
  }
}

/** A grey screen with faint vertical stripes and a red square of `side` pixels centred on `at`. */
function paintTarget(at: { x: number; y: number }, side: number) {
  return (width: number, height: number): Buffer => {
    const data = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        const red = Math.abs(x + 0.5 - at.x) <= side / 2 && Math.abs(y + 0.5 - at.y) <= side / 2;
        const grey = x % 16 < 8 ? 190 : 170;
        data[o] = red ? 230 : grey;
        data[o + 1] = red ? 20 : grey;
        data[o + 2] = red ? 20 : grey;
      }
    }
    return data;
  };
}

/** The centre of the red pixels of a PNG, in its pixels, or null when there are none. */
async function redCentre(png: Buffer): Promise<{ x: number; y: number; width: number; height: number } | null> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const o = (y * info.width + x) * 3;
      if (data[o]! > 150 && data[o + 1]! < 90 && data[o + 2]! < 90) {
        sx += x + 0.5;
        sy += y + 0.5;
        n++;
      }
    }
  }
  return n === 0 ? null : { x: sx / n, y: sy / n, width: info.width, height: info.height };
}

const zoomCall = (args: Record<string, unknown>): Reply => ({
  reasoning: 'The icon is tiny; let me look closer.',
  toolCalls: [{ name: 'image_zoom_in_tool', arguments: args }],
});
const terminate: Reply = { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] };

async function setup(options: {
  script: Script;
  screen: { width: number; height: number };
  paint?: (width: number, height: number) => Buffer;
  toolParser?: boolean;
  settings?: Partial<RunSettingsInput>;
  approver?: Approver | null;
}) {
  server = await startFakeVllm({ servedModel: 'qwen3-vl-test', script: options.script, toolParser: options.toolParser ?? true });
  const settings = RunSettingsSchema.parse({
    endpoint: server.url,
    model: 'qwen3-vl-test',
    approve: 'ask',
    zoom: true,
    maxSteps: 5,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
    ...options.settings,
  });
  const desktop = new FakeDesktop({ ...options.screen, static: true, ...(options.paint ? { paint: options.paint } : {}) });
  const recorderDir = join(mkdtempSync(join(tmpdir(), 'deskpilot-zoom-')), 'run');
  const run = new AgentRun('Click the red icon, then finish.', settings, {
    desktop,
    model: new ModelClient({ endpoint: settings.endpoint, model: settings.model, retryDelayMs: 10 }),
    approver: options.approver === undefined ? new CountingApprover() : options.approver,
    recorder: createRunRecorder({ dir: recorderDir, runId: 'zoom-run', settings }),
  }, 'zoom-run');
  const events: RunEvent[] = [];
  run.on((e) => events.push(e));
  return { run, desktop, events, server: server!, recorderDir };
}

const zooms = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: 'zoom' }> => e.type === 'zoom');

describe('zoom while reasoning', () => {
  const cases = [
    { screen: { width: 1920, height: 1080 }, target: { x: 1503, y: 207 }, side: 10, mode: 'native' },
    { screen: { width: 3840, height: 2160 }, target: { x: 3011, y: 1731 }, side: 14, mode: 'native' },
    { screen: { width: 1920, height: 1080 }, target: { x: 611, y: 884 }, side: 8, mode: 'prompt' },
  ] as const;

  for (const { screen, target, side, mode } of cases) {
    it(`finds a small target in the crop and clicks it on the full screen (${screen.width}x${screen.height}, ${mode} tools)`, async () => {
      // Where the model believes the target is, roughly: a box of 60x70 grid units around it, off-centre.
      const gx = (target.x / screen.width) * 1000;
      const gy = (target.y / screen.height) * 1000;
      const bbox = [Math.round(gx - 22), Math.round(gy - 41), Math.round(gx + 38), Math.round(gy + 29)] as const;
      const seen: { crop?: { width: number; height: number }; clicked?: [number, number]; toolMessage?: boolean; cropText?: boolean } = {};
      const script: Script = async (body, ctx) => {
        if (ctx.index === 0) return zoomCall({ bbox_2d: [...bbox], label: 'red icon', img_idx: 0 });
        if (ctx.index === 1) {
          const images = await decodeImages(body);
          const crop = images[images.length - 1]!;
          seen.crop = { width: crop.width, height: crop.height };
          seen.toolMessage = body.messages.some((m: { role: string }) => m.role === 'tool');
          seen.cropText = textOf(body).includes('<tool_response>');
          const found = await redCentre(crop.data);
          if (!found) return { content: 'I cannot see it.', toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'failure' } }] };
          const x = Math.round(bbox[0] + (found.x / found.width) * (bbox[2] - bbox[0]));
          const y = Math.round(bbox[1] + (found.y / found.height) * (bbox[3] - bbox[1]));
          seen.clicked = [x, y];
          return { content: 'Action: click the red icon', toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }] };
        }
        return terminate;
      };
      const approver = new CountingApprover();
      const { run, desktop, events, server: vllm, recorderDir } = await setup({
        script,
        screen,
        paint: paintTarget(target, side),
        toolParser: mode === 'native',
        approver,
      });
      const result = await run.start();
      expect(result.outcome).toBe('success');

      // The crop: that region of the real screen, its aspect ratio kept, enlarged (the box is small), never smaller.
      const regionW = ((bbox[2] - bbox[0]) / 1000) * screen.width;
      const regionH = ((bbox[3] - bbox[1]) / 1000) * screen.height;
      expect(seen.crop).toBeDefined();
      const crop = seen.crop!;
      expect(Math.abs(crop.width / crop.height / (regionW / regionH) - 1)).toBeLessThan(0.05);
      expect(crop.width).toBeGreaterThan(regionW * 1.5);
      expect(crop.height).toBeGreaterThan(regionH * 1.5);
      if (mode === 'native') expect(seen.toolMessage).toBe(true);
      else expect(seen.cropText).toBe(true);

      // The click: within one grid unit of the target, on the full screenshot's grid, and performed there.
      expect(seen.clicked).toBeDefined();
      expect(Math.abs(seen.clicked![0] - (target.x / screen.width) * 1000)).toBeLessThanOrEqual(1);
      expect(Math.abs(seen.clicked![1] - (target.y / screen.height) * 1000)).toBeLessThanOrEqual(1);
      expect(desktop.performed).toHaveLength(1);
      const action = events.find((e): e is Extract<RunEvent, { type: 'action' }> => e.type === 'action');
      expect(Math.abs(action!.screen!.x - target.x)).toBeLessThanOrEqual(screen.width / 1000 + 1);
      expect(Math.abs(action!.screen!.y - target.y)).toBeLessThanOrEqual(screen.height / 1000 + 1);

      // The zoom asked for no approval, took no step, and is in the record with its crop and box.
      expect(approver.asked.map((p) => p.action.action)).toEqual(['left_click']);
      expect(result.steps).toBe(2);
      const [zoom] = zooms(events);
      expect(zoom).toMatchObject({ step: 1, ok: true, bbox: [...bbox], label: 'red icon', imageIndex: 0, on: { step: 1 } });
      expect(zoom!.crop).toMatchObject({ width: crop.width, height: crop.height, index: 1 });
      expect(zoom!.on!.box.x).toBeCloseTo((bbox[0] / 1000) * screen.width, 0);
      expect(zoom!.screen!.width).toBeCloseTo(regionW, 0);
      expect(existsSync(join(recorderDir, zoom!.crop!.file))).toBe(true);
      const recorded = readFileSync(join(recorderDir, 'events.jsonl'), 'utf8');
      expect(recorded).toContain('"type":"zoom"');
      // The report draws the box on the step's screenshot and shows the crop as the model got it.
      const html = renderReport(recorderDir);
      expect(html).toContain(`<g class="zoom"><rect x="${zoom!.on!.box.x.toFixed(1)}" y="${zoom!.on!.box.y.toFixed(1)}"`);
      expect(html).toContain(`src="data:image/png;base64,${readFileSync(join(recorderDir, zoom!.crop!.file)).toString('base64')}"`);
      // Three requests: the step's first, the one after the zoom (same step, round 2), the terminate step.
      expect(vllm.requests.filter((r) => r.path.endsWith('/chat/completions') && r.status === 200)).toHaveLength(3);
      expect(events.filter((e) => e.type === 'model-request').map((e) => (e as { round?: number }).round)).toEqual([undefined, 2, undefined]);
    });
  }

  it('offers image_zoom_in_tool with the profile grid, and only when zoom is on', async () => {
    let offered: string[] = [];
    let description = '';
    const { run } = await setup({
      screen: { width: 1280, height: 800 },
      settings: { profile: 'qwen3-vl:grid=999' },
      script: (body, ctx) => {
        offered = ctx.toolsOffered;
        description = JSON.stringify(body.tools ?? []);
        return terminate;
      },
    });
    await run.start();
    expect(offered).toEqual(['computer_use', 'image_zoom_in_tool']);
    expect(description).toContain('normalized to the range 0-999');
  });

  it('sends bad zooms back to the model as errors and refuses zooms past the per-step limit', async () => {
    const texts: string[] = [];
    const script: Script = (body, ctx) => {
      texts.push(textOf(body));
      const replies: Reply[] = [
        zoomCall({ bbox_2d: [100, 100, 200, 200], img_idx: 5 }),
        zoomCall({ bbox_2d: [300, 100, 200, 200] }),
        zoomCall({ bbox_2d: [100, 100, 300, 300] }),
        zoomCall({ bbox_2d: [100, 100, 150, 150], img_idx: 1 }),
        terminate,
      ];
      return replies[Math.min(ctx.index, replies.length - 1)]!;
    };
    const { run, events } = await setup({ script, screen: { width: 1280, height: 800 }, settings: { zoom: 1 } });
    const result = await run.start();
    expect(result.outcome).toBe('success');
    // img_idx 5: no such image (the model had been sent one) - a tool response error, no crop.
    expect(texts[1]).toContain('img_idx 5 names no image');
    // x1 > x2: the reply is not performed, the parser's error goes back.
    expect(texts[2]).toMatch(/empty or inverted/);
    // The third is answered; the fourth is past zoom=1 and refused.
    expect(texts[4]).toContain('at most 1 zooms per step');
    expect(zooms(events).map((z) => z.ok)).toEqual([false, true, false]);
    expect(result.steps).toBe(1);
  });

  it('a reply that zooms performs none of its other calls', async () => {
    const script: Script = [
      {
        toolCalls: [
          { name: 'image_zoom_in_tool', arguments: { bbox_2d: [0, 0, 500, 500] } },
          { name: 'computer_use', arguments: { action: 'left_click', coordinate: [100, 100] } },
        ],
      },
      terminate,
    ];
    const { run, desktop, server: vllm } = await setup({ script, screen: { width: 1280, height: 800 } });
    expect((await run.start()).outcome).toBe('success');
    expect(desktop.performed).toHaveLength(0);
    const second = vllm.requests.filter((r) => r.path.endsWith('/chat/completions'))[1]!;
    expect(textOf(second.body)).toContain('this reply also zoomed in');
  });

  it('stop during the zooms ends the run before anything is performed', async () => {
    const script: Script = [zoomCall({ bbox_2d: [0, 0, 500, 500] }), { toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [1, 1] } }] }];
    const { run, desktop, events } = await setup({ script, screen: { width: 1280, height: 800 } });
    run.on((e) => {
      if (e.type === 'zoom') run.stop('stopped while zooming');
    });
    const result = await run.start();
    expect(result.outcome).toBe('stopped');
    expect(desktop.performed).toHaveLength(0);
    expect(events.filter((e) => e.type === 'model-request')).toHaveLength(1);
  });
});
