/**
 * The fake's own wire shapes (reference section 10), checked with plain fetch so that other tests and the UI can
 * rely on it, and its standalone mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const CALL = { name: 'computer_use', arguments: { action: 'left_click', coordinate: [10, 20] } };
const TOOLS = [{ type: 'function', function: { name: 'computer_use', description: 'd', parameters: { type: 'object', properties: {}, required: [] } } }];

function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
    .map((data) => (data === '[DONE]' ? '[DONE]' : JSON.parse(data)));
}

describe('fake vLLM wire shapes', () => {
  it('lists models like vLLM and answers /health', async () => {
    const server = await fake({ maxModelLen: 16384 });
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    expect(models).toMatchObject({ object: 'list', data: [{ id: MODEL, object: 'model', owned_by: 'vllm', max_model_len: 16384, parent: null }] });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/models`)).json()).toEqual({ detail: 'Not Found' });
  });

  it('with the hermes parser: tool_calls with a JSON-string argument, content null, finish tool_calls', async () => {
    const server = await fake({ script: [{ toolCalls: [CALL] }] });
    const body = await (await post(server.url, { model: MODEL, messages: [{ role: 'user', content: 'x' }], tools: TOOLS })).json();
    expect(body).toMatchObject({ object: 'chat.completion', model: MODEL, choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, stop_reason: null }] });
    const message = body.choices[0].message;
    expect(message.content).toBeNull();
    expect(message.tool_calls[0]).toMatchObject({ type: 'function', function: { name: 'computer_use', arguments: '{"action": "left_click", "coordinate": [10, 20]}' } });
    expect(message.tool_calls[0].id).toMatch(/^chatcmpl-tool-[0-9a-f]{32}$/);
    expect(body.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), prompt_tokens_details: null });
  });

  it('without the parser: 400 for tools with auto choice, raw <tool_call> text otherwise', async () => {
    const server = await fake({ toolParser: false, errorShape: 'old', script: [{ content: 'Action: click', toolCalls: [CALL] }] });
    const refused = await post(server.url, { model: MODEL, messages: [{ role: 'user', content: 'x' }], tools: TOOLS });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      object: 'error',
      message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
    const body = await (await post(server.url, { model: MODEL, messages: [{ role: 'user', content: 'x' }] })).json();
    expect(body.choices[0].message.content).toBe(
      'Action: click\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [10, 20]}}\n</tool_call>',
    );
    expect(body.choices[0].message.tool_calls).toEqual([]); // the older server's empty list
  });

  it('streams SSE in vLLM order: role, reasoning, content, tool-call name then fragments, finish, usage, [DONE]', async () => {
    const server = await fake({ reasoning: 'reasoning_content', chunkChars: 100, script: [{ reasoning: 'hmm', content: 'Go', toolCalls: [CALL] }] });
    const response = await post(server.url, {
      model: MODEL,
      messages: [{ role: 'user', content: 'x' }],
      tools: TOOLS,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = sseData(await response.text()) as Array<{ choices: Array<{ delta: unknown; finish_reason: string | null }>; usage?: unknown } | '[DONE]'>;
    const deltas = events.flatMap((e) => (e !== '[DONE]' && e.choices.length > 0 ? [e.choices[0]!.delta] : []));
    expect(deltas).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'hmm' },
      { content: 'Go\n' },
      { tool_calls: [{ id: expect.stringMatching(/^chatcmpl-tool-/), type: 'function', index: 0, function: { name: 'computer_use' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"action": "left_click", "coordinate": [10, 20]}' } }] },
      {},
    ]);
    const finish = events.at(-3) as { choices: Array<{ finish_reason: string }> };
    expect(finish.choices[0]!.finish_reason).toBe('tool_calls');
    expect(events.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('renders inline reasoning without an opening <think>', async () => {
    const server = await fake({ reasoning: 'inline', script: [{ reasoning: 'hmm', content: 'OK' }] });
    const body = await (await post(server.url, { model: MODEL, messages: [{ role: 'user', content: 'x' }] })).json();
    expect(body.choices[0].message.content).toBe('hmm\n</think>\n\nOK');
    expect(body.choices[0].message.reasoning).toBeUndefined();
  });

  it('sends an error event after a 200 and then [DONE]', async () => {
    const server = await fake({ script: [{ content: 'abcdefghijkl', streamError: { message: 'boom', afterChunks: 2 } }] });
    const text = await (await post(server.url, { model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true })).text();
    const events = sseData(text);
    expect(events.at(-2)).toEqual({ error: { message: 'boom', type: 'InternalServerError', param: null, code: 500 } });
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('answers 404 for an unknown model and 400 for a context that is too long', async () => {
    const server = await fake({ maxModelLen: 100 });
    const missing = await post(server.url, { model: 'other', messages: [{ role: 'user', content: 'x' }] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: 'The model `other` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
    const long = await post(server.url, { model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(1000) }], max_tokens: 50 });
    expect(long.status).toBe(400);
    expect((await long.json()).error.message).toMatch(/^This model's maximum context length is 100 tokens\. However, you requested \d+ tokens/);
  });
});

describe('fake vLLM standalone', () => {
  it('runs from the command line with a JSON script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-vllm-'));
    const script = join(dir, 'script.json');
    writeFileSync(script, JSON.stringify([{ content: 'first' }, { content: 'second' }]));
    const main = fileURLToPath(new URL('../../testkit/fake-vllm/main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const child = spawn(process.execPath, [tsx, main, '--port', '0', '--served-model', 'm', '--no-tool-parser', '--script', script]);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /at (http:\/\/\S+)\/v1/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`fake exited with ${code}: ${out}`)));
      });
      const ask = async () =>
        (await (await post(url, { model: 'm', messages: [{ role: 'user', content: 'x' }] })).json()).choices[0].message.content;
      expect(await ask()).toBe('first');
      expect(await ask()).toBe('second');
      expect(await ask()).toBe('second');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a script that is not a list of replies, saying where', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-vllm-'));
    const script = join(dir, 'bad.json');
    writeFileSync(script, JSON.stringify([{ content: 5 }]));
    const main = fileURLToPath(new URL('../../testkit/fake-vllm/main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const child = spawn(process.execPath, [tsx, main, '--port', '0', '--script', script]);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toContain('is not a list of replies');
    expect(err).toContain('content');
  });
});
