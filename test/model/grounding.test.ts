import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { diagnoseEndpoint, type EndpointReport } from '../../app/model/check';
import { classifyGroundingPoint } from '../../app/model/grounding';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type FakeVllmOptions, type Reply, type ScriptContext } from '../../testkit/fake-vllm/server';

const MODEL = 'Qwen/Qwen3-VL-8B-Instruct';
const fakes: FakeVllm[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});


type Clicker = (square: { x: number; y: number; width: number; height: number }) => Reply;

const click = (x: number, y: number): Reply => ({
  content: '',
  toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }],
});

const answers: Record<string, Clicker> = {
  grid: (s) => click(Math.round((s.x / s.width) * 1000), Math.round((s.y / s.height) * 1000)),
  grid999: (s) => click(Math.round((s.x / s.width) * 999), Math.round((s.y / s.height) * 999)),
  pixels: (s) => click(Math.round(s.x), Math.round(s.y)),
  elsewhere: () => click(120, 800),
  prose: () => ({ content: 'I see a red square near the top right of the screen.' }),
};

/** A stand-in model: answers the grounding request with `clicker`, and the other probes plausibly. */
function standIn(clicker: Clicker) {
  return async (body: any, ctx: ScriptContext): Promise<Reply> => {
    if (textOf(body).includes('Click the red square.')) {
      const images = await decodeImages(body);
      return clicker(await findColour(images[images.length - 1]!.data, { r: 255, g: 0, b: 0 }, { minPixels: 100 }));
    }
    if (ctx.toolsOffered[0]) return { content: '', toolCalls: [{ name: ctx.toolsOffered[0], arguments: { value: 7 } }] };
    return { content: 'OK.' };
  };
}

async function fake(clicker: Clicker, options: FakeVllmOptions = {}): Promise<FakeVllm> {
  const f = await startFakeVllm({ ...options, script: standIn(clicker) });
  fakes.push(f);
  return f;
}

function groundingRequest(server: FakeVllm) {
  return server.chatRequests().find((r) => textOf(r.body).includes('Click the red square.'));
}

describe('the grounding probe finds which coordinate space the model clicks in', () => {
  it('a model answering in the 0..1000 grid fits qwen3-vl: no problem', async () => {
    const server = await fake(answers.grid!);
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.grounding).toMatchObject({
      result: 'grid',
      profile: 'qwen3-vl',
      expected: { grid: [766, 279], pixels: [1030, 250] },
      imageSize: { width: 1344, height: 896 },
      suggestedProfile: 'qwen3-vl',
    });
    expect(report.grounding.point).toEqual([766, 279]);
    expect(report.problems).toEqual([]);

    // The model was shown the probe screenshot with the computer_use tool, its screen stated as the grid.
    const request = groundingRequest(server)!;
    const [image] = await decodeImages(request.body);
    expect(image).toMatchObject({ width: 1344, height: 896 });
    expect(request.body.tools.map((t: any) => t.function.name)).toEqual(['computer_use']);
    expect(request.body.tools[0].function.description).toContain("The screen's resolution is 1000x1000.");
  });

  it('a model answering on a 0..999 grid counts as grid too', async () => {
    const server = await fake(answers.grid999!);
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.grounding.result).toBe('grid');
    expect(report.problems).toEqual([]);
  });

  it('a model answering in absolute pixels is a problem under qwen3-vl, with qwen2.5-vl as the fix', async () => {
    const server = await fake(answers.pixels!);
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.grounding).toMatchObject({ result: 'absolute', point: [1030, 250], suggestedProfile: 'qwen2.5-vl' });
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.problem).toContain('answered (1030, 250) in absolute pixels');
    expect(report.problems[0]!.problem).toContain('the profile qwen3-vl reads the 0..1000 grid');
    expect(report.problems[0]!.fix).toBe('This model answers in absolute pixels: use --profile qwen2.5-vl.');
  });

  it('works the same when the tools go in the prompt (no tool parser on the server)', async () => {
    const server = await fake(answers.pixels!, { toolParser: false, reasoning: 'inline' });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.mode).toBe('prompt');
    expect(report.grounding).toMatchObject({ result: 'absolute', point: [1030, 250], suggestedProfile: 'qwen2.5-vl' });
    const request = groundingRequest(server)!;
    expect(request.body.tools).toBeUndefined();
    expect(request.body.messages[0].content).toContain('<tools>');
  });

  it('checks against the chosen profile: pixels fit qwen2.5-vl, the grid then suggests qwen3-vl', async () => {
    const pixels = await fake(answers.pixels!);
    const fits = await diagnoseEndpoint({ endpoint: pixels.url, model: MODEL, profile: 'qwen2.5-vl', timeoutMs: 10_000 });
    expect(fits.grounding).toMatchObject({ result: 'absolute', profile: 'qwen2.5-vl', suggestedProfile: 'qwen2.5-vl' });
    expect(fits.problems).toEqual([]);
    // qwen2.5-vl's tool text states the image's own size, which is what its points are in.
    expect(groundingRequest(pixels)!.body.tools[0].function.description).toContain("The screen's resolution is 1344x896.");

    const grid = await fake(answers.grid!);
    const mismatch = await diagnoseEndpoint({ endpoint: grid.url, model: MODEL, profile: 'qwen2.5-vl', timeoutMs: 10_000 });
    expect(mismatch.grounding).toMatchObject({ result: 'grid', suggestedProfile: 'qwen3-vl' });
    expect(mismatch.problems.map((p) => p.fix)).toEqual(['This model answers in the 0..1000 grid: use --profile qwen3-vl.']);
  });

  it('a mobile_use profile is probed on a phone-shaped screenshot: the 999 grid fits qwen3-vl-mobile, pixels suggest qwen2.5-vl-mobile', async () => {
    const tap = (x: number, y: number): Reply => ({ content: '', toolCalls: [{ name: 'mobile_use', arguments: { action: 'click', coordinate: [x, y] } }] });
    const seen: { width: number; height: number }[] = [];
    const onGrid = await fake((sq) => {
      seen.push({ width: sq.width, height: sq.height });
      return tap(Math.round((sq.x / sq.width) * 999), Math.round((sq.y / sq.height) * 999));
    });
    const fits = await diagnoseEndpoint({ endpoint: onGrid.url, model: MODEL, profile: 'qwen3-vl-mobile', timeoutMs: 10_000 });
    expect(seen).toEqual([{ width: 672, height: 1344 }]);
    expect(fits.grounding).toMatchObject({ result: 'grid', profile: 'qwen3-vl-mobile', suggestedProfile: 'qwen3-vl-mobile', imageSize: { width: 672, height: 1344 }, expected: { grid: [699, 283], pixels: [470, 380] } });
    expect(fits.problems).toEqual([]);
    expect(groundingRequest(onGrid)!.body.tools[0].function.name).toBe('mobile_use');

    const inPixels = await fake((sq) => tap(Math.round(sq.x), Math.round(sq.y)));
    const mismatch = await diagnoseEndpoint({ endpoint: inPixels.url, model: MODEL, profile: 'qwen3-vl-mobile', timeoutMs: 10_000 });
    expect(mismatch.grounding).toMatchObject({ result: 'absolute', point: [470, 380], suggestedProfile: 'qwen2.5-vl-mobile' });
    expect(mismatch.problems.map((p) => p.fix)).toEqual(['This model answers in absolute pixels: use --profile qwen2.5-vl-mobile.']);
  });

  it('a click elsewhere is "missed", with the point, and a note rather than a failed check', async () => {
    const server = await fake(answers.elsewhere!);
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.grounding).toMatchObject({ result: 'missed', point: [120, 800] });
    expect(report.grounding.suggestedProfile).toBeUndefined();
    expect(report.problems).toEqual([]);
    expect(report.notes.join('\n')).toContain('the model clicked (120, 800), on neither');
  });

  it('a reply in prose is "no-call"', async () => {
    const server = await fake(answers.prose!);
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.grounding.result).toBe('no-call');
    expect(report.grounding.point).toBeUndefined();
    expect(report.grounding.reason).toContain('I see a red square');
    expect(report.problems).toEqual([]);
  });

  it('is skipped, with the reason, when the server refuses images', async () => {
    const server = await fake(answers.grid!, { acceptImages: false });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, timeoutMs: 10_000 });
    expect(report.grounding.result).toBe('skipped');
    expect(report.grounding.reason).toContain('image probe failed');
    expect(groundingRequest(server)).toBeUndefined();
  });

  it('a server error during the probe skips it and leaves the rest of the report intact', async () => {
    const f = await startFakeVllm({
      script: async (body, ctx) =>
        textOf(body).includes('Click the red square.')
          ? { error: { status: 500, message: 'CUDA out of memory' } }
          : standIn(answers.grid!)(body, ctx),
    });
    fakes.push(f);
    const report = await diagnoseEndpoint({ endpoint: f.url, model: MODEL, timeoutMs: 10_000 });
    expect(report).toMatchObject({ imageAccepted: true, toolCallParser: true, problems: [] } satisfies Partial<EndpointReport>);
    expect(report.grounding.result).toBe('skipped');
    expect(report.grounding.reason).toContain('CUDA out of memory');
    expect(report.notes.join('\n')).toContain('Grounding probe skipped');
  });
});

describe('classifyGroundingPoint', () => {
  it('tells the grid, pixels and misses apart on the probe image', () => {
    expect(classifyGroundingPoint([766, 279])).toBe('grid');
    expect(classifyGroundingPoint([765, 278])).toBe('grid');
    expect(classifyGroundingPoint([1030, 250])).toBe('absolute');
    expect(classifyGroundingPoint([1050, 270])).toBe('absolute');
    expect(classifyGroundingPoint([500, 500])).toBe('missed');
    expect(classifyGroundingPoint([0.77, 0.28])).toBe('missed');
  });
});

describe('deskpilot check prints the grounding result', () => {
  const bin = fileURLToPath(new URL('../../bin/deskpilot.js', import.meta.url));
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'check', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  it('names the profile to use when the model answers in pixels, and exits 1', async () => {
    const server = await fake(answers.pixels!);
    const result = await run(['--endpoint', `${server.url}/v1`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Grounding    answers in absolute pixels: clicked (1030, 250) on the red square; use --profile qwen2.5-vl');
    expect(result.stdout).toContain('Fix: This model answers in absolute pixels: use --profile qwen2.5-vl.');
  });

  it('exits 0 with --profile qwen2.5-vl for the same model, and puts the result in the JSON', async () => {
    const server = await fake(answers.pixels!);
    const result = await run(['--endpoint', `${server.url}/v1`, '--profile', 'qwen2.5-vl', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EndpointReport;
    expect(report.grounding).toMatchObject({ result: 'absolute', profile: 'qwen2.5-vl', point: [1030, 250] });
  });

  it('refuses an unknown profile as bad usage', async () => {
    const result = await run(['--endpoint', 'http://127.0.0.1:9/v1', '--profile', 'gpt-9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown profile "gpt-9"');
  });
});
