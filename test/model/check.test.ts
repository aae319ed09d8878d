import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { diagnoseEndpoint, type EndpointReport } from '../../app/model/check';
import { normalizeEndpoint } from '../../app/model/endpoint-url';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type FakeVllmOptions, type Reply, type Script } from '../../testkit/fake-vllm/server';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';

const MODEL = 'Qwen/Qwen3-VL-8B-Instruct';
const fakes: FakeVllm[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function fake(options: FakeVllmOptions = {}): Promise<FakeVllm> {
  const f = await startFakeVllm(options);
  fakes.push(f);
  return f;
}

const REASONING = {
  reasoning: 'field:reasoning',
  reasoning_content: 'field:reasoning_content',
  both: 'field:reasoning',
  inline: 'inline',
  none: 'none',
} as const;

describe('check identifies a server from its behaviour', () => {
  for (const toolParser of [true, false]) {
    for (const form of Object.keys(REASONING) as Array<keyof typeof REASONING>) {
      for (const withV1 of [true, false]) {
        it(`parser ${toolParser ? 'on' : 'off'}, reasoning ${form}, URL ${withV1 ? 'with' : 'without'} /v1`, async () => {
          const server = await fake({ toolParser, reasoning: form, errorShape: form === 'none' ? 'old' : 'new' });
          const endpoint = withV1 ? `${server.url}/v1` : server.url;
          const report = await diagnoseEndpoint({ endpoint, model: MODEL, timeoutMs: 10_000 });
          expect(report).toMatchObject({
            endpoint,
            baseUrl: `${server.url}/v1`,
            v1Added: !withV1,
            reachable: true,
            models: [MODEL],
            model: { requested: MODEL, served: true, used: MODEL },
            maxModelLen: 32768,
            toolCallParser: toolParser,
            mode: toolParser ? 'native' : 'prompt',
            reasoning: REASONING[form],
            imageAccepted: true,
            problems: [],
          } satisfies Partial<EndpointReport>);
          expect(report.latencyMs).toEqual(expect.any(Number));
          if (form === 'both') expect(report.reasoningFields).toEqual(['reasoning', 'reasoning_content']);
          expect(report.notes.some((n) => n.includes('lacks /v1'))).toBe(!withV1);
        });
      }
    }
  }
});

describe('check says what is wrong and how to fix it', () => {
  it('names the served model when the given one is wrong, and still probes the server', async () => {
    const server = await fake({ toolParser: false });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: 'qwen3-vl-8b' });
    expect(report.model).toEqual({ requested: 'qwen3-vl-8b', served: false, used: MODEL });
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.problem).toBe(`The server does not serve the model "qwen3-vl-8b"; it serves "${MODEL}".`);
    expect(report.problems[0]!.fix).toContain(`--model "${MODEL}"`);
    expect(report.toolCallParser).toBe(false);
  });

  it('uses the only served model when none is given', async () => {
    const server = await fake({ servedModel: 'qwen3-vl-local' });
    const report = await diagnoseEndpoint({ endpoint: `${server.url}/v1/` });
    expect(report.model).toEqual({ requested: null, served: true, used: 'qwen3-vl-local' });
    expect(report.problems).toEqual([]);
  });

  it('reports a server that is not there', async () => {
    const server = await fake();
    const url = server.url;
    await server.close();
    const report = await diagnoseEndpoint({ endpoint: url, model: MODEL });
    expect(report.reachable).toBe(false);
    expect(report.problems[0]!.problem).toMatch(/^Nothing answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\.$/);
    expect(report.problems[0]!.fix).toContain('Start the model server');
  });

  it('reports a text-only model that refuses images', async () => {
    const server = await fake({ acceptImages: false });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL });
    expect(report.imageAccepted).toBe(false);
    expect(report.problems.map((p) => p.problem).join()).toContain('refused an image');
  });

  it('asks for the API key when the server wants one', async () => {
    const server = await fake({ apiKey: 'k' });
    const without = await diagnoseEndpoint({ endpoint: server.url, model: MODEL });
    expect(without.baseUrl).toBe(`${server.url}/v1`);
    expect(without.problems[0]!.fix).toContain('--api-key');
    const withKey = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, apiKey: 'k' });
    expect(withKey.problems).toEqual([]);
    expect(withKey.toolCallParser).toBe(true);
  });

  it('warns about a context too small for screenshots', async () => {
    const server = await fake({ maxModelLen: 4096 });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL });
    expect(report.problems.map((p) => p.fix).join()).toContain('--max-model-len');
  });

  it('says when it cannot tell the tool mode because the model did not call the tool', async () => {
    const server = await fake({ script: () => ({ content: 'I would rather not.' }) });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL });
    expect(report.toolCallParser).toBeNull();
    expect(report.mode).toBeNull();
    expect(report.notes.join()).toContain('did not call the probe tool');
    expect(report.problems).toEqual([]);
  });
});

/**
 * A stand-in model for `check --zoom`: the endpoint probes get what they ask for; the grounding probe (the request
 * that offers computer_use) gets `zooms` in turn, then a click on the red square found in the last image it was
 * sent - the crop when a zoom was answered - mapped back through the box onto the whole image's grid.
 */
function zoomingModel(zooms: Array<Record<string, unknown>>, box: readonly [number, number, number, number]): { script: Script; grounding: any[] } {
  const grounding: any[] = [];
  const script: Script = async (body, ctx): Promise<Reply> => {
    if (ctx.toolsOffered.includes('report_number')) return { toolCalls: [{ name: 'report_number', arguments: { value: 7 } }] };
    if (!ctx.toolsOffered.includes('computer_use')) return { content: 'Red.' };
    grounding.push(body);
    const round = grounding.length - 1;
    if (round < zooms.length) return { reasoning: 'Let me look closer.', toolCalls: [{ name: 'image_zoom_in_tool', arguments: zooms[round]! }] };
    const images = await decodeImages(body);
    const last = images.at(-1)!;
    const found = await findColour(last.data, { r: 230, g: 20, b: 20 });
    // The crop shows the box; the first image shows everything.
    const [x1, y1, x2, y2] = images.length > 1 ? box : ([0, 0, 1000, 1000] as const);
    const x = Math.round(x1 + (found.x / found.width) * (x2 - x1));
    const y = Math.round(y1 + (found.y / found.height) * (y2 - y1));
    return { toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }] };
  };
  return { script, grounding };
}

describe('check --zoom: the grounding probe lets the model zoom', () => {
  // Around the probe's red square (grid 766, 279), off-centre.
  const BOX = [740, 240, 820, 330] as const;

  for (const toolParser of [true, false]) {
    it(`answers a zoom with the crop and checks the click on the whole image (${toolParser ? 'hermes tool_calls' : 'tools in the prompt'})`, async () => {
      const model = zoomingModel([{ bbox_2d: [...BOX], label: 'red square' }], BOX);
      const server = await fake({ toolParser, script: model.script });
      const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, zoom: true });
      expect(report.problems).toEqual([]);
      expect(report.grounding).toMatchObject({ result: 'grid', profile: 'qwen3-vl:zoom', zooms: 1, zoomErrors: [], suggestedProfile: 'qwen3-vl:zoom' });
      // The zoom tool was offered, and the crop came back as the zoom's tool response: the box's region, enlarged.
      const [first, second] = model.grounding;
      expect(JSON.stringify(first.tools ?? first.messages[0].content)).toContain('image_zoom_in_tool');
      const sent = await decodeImages(second);
      expect(sent).toHaveLength(2);
      const regionW = ((BOX[2] - BOX[0]) / 1000) * 1344;
      const regionH = ((BOX[3] - BOX[1]) / 1000) * 896;
      expect(Math.abs(sent[1]!.width / sent[1]!.height / (regionW / regionH) - 1)).toBeLessThan(0.05);
      expect(sent[1]!.width).toBeGreaterThan(regionW);
      if (toolParser) expect(second.messages.some((m: { role: string }) => m.role === 'tool')).toBe(true);
      else expect(textOf(second)).toContain('<tool_response>');
      expect(textOf(second)).toContain('The zoomed-in region [740, 240, 820, 330] (red square)');
    });
  }

  it('sends a bad box back to the model as an error, and the report says so', async () => {
    const model = zoomingModel([{ bbox_2d: [820, 240, 740, 330] }, { bbox_2d: [...BOX], img_idx: 3 }], BOX);
    const server = await fake({ script: model.script });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, zoom: 2 });
    // Neither zoom was done; the model was told why each time and then clicked on the whole image.
    expect(textOf(model.grounding[1])).toContain('empty or inverted');
    expect(textOf(model.grounding[2])).toContain('Zoom not done: img_idx 3 names no image; you have been sent 1 image(s)');
    expect(report.grounding).toMatchObject({ result: 'grid', zooms: 0, profile: 'qwen3-vl:zoom=2' });
    expect(report.grounding.zoomErrors).toHaveLength(2);
    expect(report.grounding.zoomErrors![0]).toContain('empty or inverted');
    expect(report.notes.join('\n')).toContain("2 of the model's zooms could not be done and it was sent the error");
  });

  it('stops a model that only ever zooms, saying so', async () => {
    const model = zoomingModel(Array.from({ length: 10 }, () => ({ bbox_2d: [...BOX] })), BOX);
    const server = await fake({ script: model.script });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, zoom: 1 });
    expect(report.grounding).toMatchObject({ result: 'no-call', zooms: 1, zoomErrors: ['at most 1 zooms per step; act on what you have seen'] });
    expect(report.grounding.reason).toContain('still zooming');
    // The one zoom allowed, one refused past the limit, and the next zooming reply ends the probe.
    expect(model.grounding).toHaveLength(3);
  });

  it('is off without --zoom: the probe offers no zoom tool and the report has no zoom count', async () => {
    const model = zoomingModel([], BOX);
    const server = await fake({ script: model.script });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL });
    expect(report.grounding.result).toBe('grid');
    expect(report.grounding.zooms).toBeUndefined();
    expect(JSON.stringify(model.grounding[0].tools)).not.toContain('image_zoom_in_tool');
  });
});

describe('check --agent osworld-qwen3vl: the probe speaks the preset', () => {
  it('sends the agent\'s system prompt and no tools, and maps its answer through the 1000-point grid the prompt states', async () => {
    const grounding: any[] = [];
    const server = await fake({
      toolParser: true,
      maxModelLen: 65536,
      script: async (body, ctx): Promise<Reply> => {
        if (ctx.toolsOffered.includes('report_number')) return { toolCalls: [{ name: 'report_number', arguments: { value: 7 } }] };
        if (!ctx.toolsOffered.includes('computer_use')) return { content: 'Red.' };
        grounding.push(body);
        const [image] = await decodeImages(body);
        const found = await findColour(image!.data, { r: 230, g: 20, b: 20 });
        const point = [Math.round((found.x / found.width) * 1000), Math.round((found.y / found.height) * 1000)];
        // The reply format the agent's prompt asks for: an Action line, then one tool call in the text.
        return { content: `Action: Click the red square.\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [${point.join(', ')}]}}\n</tool_call>` };
      },
    });
    const report = await diagnoseEndpoint({ endpoint: server.url, model: MODEL, agent: 'osworld-qwen3vl' });
    expect(report.grounding).toMatchObject({ result: 'grid', profile: 'osworld-qwen3vl' });
    expect(grounding).toHaveLength(1);
    expect(grounding[0].tools).toBeUndefined();
    expect(JSON.stringify(grounding[0].messages[0])).toContain('# Response format');
  });
});

describe('normalizeEndpoint', () => {
  it('strips the tails people paste and knows whether /v1 is there', () => {
    expect(normalizeEndpoint('http://h:8000')).toEqual({ base: 'http://h:8000', hasVersion: false });
    expect(normalizeEndpoint('http://h:8000/v1/')).toEqual({ base: 'http://h:8000/v1', hasVersion: true });
    expect(normalizeEndpoint('http://h:8000/v1/chat/completions')).toEqual({ base: 'http://h:8000/v1', hasVersion: true });
    expect(normalizeEndpoint('localhost:11434/v1')).toEqual({ base: 'http://localhost:11434/v1', hasVersion: true });
    expect(() => normalizeEndpoint('ftp://h')).toThrow(/not an http\(s\) URL/);
  });
});

describe('deskpilot check (the command)', () => {
  const bin = fileURLToPath(new URL('../../bin/deskpilot.js', import.meta.url));
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'check', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  it('prints one JSON object and exits 0 for a healthy server reached without /v1', async () => {
    const server = await fake({ toolParser: false, reasoning: 'inline' });
    const result = await run(['--endpoint', server.url, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EndpointReport;
    expect(report).toMatchObject({ v1Added: true, toolCallParser: false, reasoning: 'inline', imageAccepted: true, problems: [] });
  });

  it('exits 1 and names the served model when the given one is wrong', async () => {
    const server = await fake();
    const result = await run(['--endpoint', `${server.url}/v1`, '--model', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`The server does not serve the model "nope"; it serves "${MODEL}".`);
    expect(result.stdout).toContain('Tool calls   parsed by the server');
  });

  it('--zoom: the probe zooms, and the report says how many zooms were used', async () => {
    const box = [740, 240, 820, 330] as const;
    const server = await fake({ script: zoomingModel([{ bbox_2d: [...box] }], box).script });
    const result = await run(['--endpoint', server.url, '--model', MODEL, '--zoom']);
    expect(result.stdout).toMatch(/Grounding {4}answers in the 0\.\.1000 grid: clicked \(\d+, \d+\) on the red square; profile qwen3-vl:zoom fits; 1 zoom used\n/);
    expect(result.code).toBe(0);
  });

  it('--zoom with a pixel profile is bad usage', async () => {
    const result = await run(['--endpoint', 'http://127.0.0.1:9', '--profile', 'qwen2.5-vl', '--zoom']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('zoom needs a profile whose model points on a grid');
  });

  it('exits 2 on bad usage', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('endpoint is not set: give --endpoint, set DESKPILOT_ENDPOINT, or put it in the config file');
  });
});
