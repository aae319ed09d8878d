import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { diagnoseEndpoint, type EndpointReport } from '../../app/model/check';
import { normalizeEndpoint } from '../../app/model/endpoint-url';
import { startFakeVllm, type FakeVllm, type FakeVllmOptions } from '../../testkit/fake-vllm/server';

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

  it('exits 2 on bad usage', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('endpoint is not set: give --endpoint, set DESKPILOT_ENDPOINT, or put it in the config file');
  });
});
