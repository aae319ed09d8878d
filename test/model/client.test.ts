import { afterEach, describe, expect, it, vi } from 'vitest';
import sharp from 'sharp';
import { ModelClient, ModelError, type ModelEvent, type ModelRequest } from '../../app/model/client';
import { getProfile } from '../../app/model/profiles';
import { toolsForProfile, type Turn } from '../../app/model/prompt';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type FakeVllmOptions, type Reply } from '../../testkit/fake-vllm/server';

const MODEL = 'Qwen/Qwen3-VL-8B-Instruct';
const thinking = getProfile('qwen3-vl-thinking');
const instruct = getProfile('qwen3-vl');
const TURNS: Turn[] = [{ role: 'user', parts: [{ type: 'text', text: 'Open the Files app.' }] }];

const fakes: FakeVllm[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function fake(options: FakeVllmOptions): Promise<FakeVllm> {
  const f = await startFakeVllm(options);
  fakes.push(f);
  return f;
}

function request(profile = thinking, extra: Partial<ModelRequest> = {}): ModelRequest {
  return { profile, system: 'You are a helpful assistant.', turns: TURNS, tools: toolsForProfile(profile, { width: 1920, height: 1088 }), ...extra };
}

async function collect(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const joined = (events: ModelEvent[], type: 'reasoning' | 'content') =>
  events.flatMap((e) => (e.type === type ? [e.delta] : [])).join('');

function doneOf(events: ModelEvent[]) {
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error(`the last event is ${done?.type}, not done`);
  return done;
}

const CLICK: Reply = {
  reasoning: 'I see the Files icon on the left.',
  content: 'Action: open Files',
  toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [31, 412] } }],
};

describe('client against the fake in every mode', () => {
  const forms = ['reasoning', 'reasoning_content', 'both', 'inline', 'none'] as const;
  for (const toolParser of [true, false]) {
    for (const reasoning of forms) {
      for (const streaming of [true, false]) {
        it(`parser ${toolParser ? 'on' : 'off'}, reasoning ${reasoning}, ${streaming ? 'streamed' : 'not streamed'}`, async () => {
          const server = await fake({ toolParser, reasoning, script: () => CLICK, chunkChars: 5 });
          const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, streaming });
          // 'none' stands for a model that does not think, so it is driven with the Instruct profile.
          const events = await collect(client.stream(request(reasoning === 'none' ? instruct : thinking)));
          const done = doneOf(events);

          // Reasoning reaches the UI as reasoning, whichever way the server sends it.
          expect(joined(events, 'reasoning')).toBe(reasoning === 'none' ? '' : CLICK.reasoning);
          expect(joined(events, 'content')).not.toContain('</think>');

          if (toolParser) {
            expect(done.mode).toBe('native');
            expect(events.some((e) => e.type === 'mode')).toBe(false);
            expect(joined(events, 'content')).toBe('Action: open Files\n');
            expect(done.message.tool_calls).toHaveLength(1);
            const call = done.message.tool_calls[0]!;
            expect(call.function.name).toBe('computer_use');
            expect(JSON.parse(call.function.arguments)).toEqual({ action: 'left_click', coordinate: [31, 412] });
            expect(call.id).toMatch(/^chatcmpl-tool-/);
            expect(done.finishReason).toBe('tool_calls');
            // The streamed fragments add up to the same call.
            const fragments = events.flatMap((e) => (e.type === 'tool_call' ? [e.argumentsDelta] : [])).join('');
            expect(fragments).toBe(call.function.arguments);
            expect(server.chatRequests()).toHaveLength(1);
            expect(server.chatRequests()[0]!.body.tools).toHaveLength(1);
          } else {
            // Fell back to prompt tools after vLLM's 400, and said so.
            expect(done.mode).toBe('prompt');
            expect(events[0]).toMatchObject({ type: 'mode', mode: 'prompt' });
            expect(done.message.tool_calls).toEqual([]);
            expect(joined(events, 'content')).toContain('<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [31, 412]}}\n</tool_call>');
            const [refused, retried] = server.chatRequests();
            expect(refused!.status).toBe(400);
            expect(retried!.body.tools).toBeUndefined();
            expect(retried!.body.messages[0].content).toContain('# Tools\n\nYou may call one or more functions');
          }

          // The final message keeps what the server sent, for the parser.
          if (reasoning === 'inline') expect(done.message.content).toContain(`${CLICK.reasoning}\n</think>`);
          if (reasoning === 'reasoning' || reasoning === 'both') expect(done.message.reasoning).toBe(CLICK.reasoning);
          if (reasoning === 'reasoning_content' || reasoning === 'both') expect(done.message.reasoning_content).toBe(CLICK.reasoning);
          if (reasoning === 'none') expect(done.message.reasoning).toBeUndefined();

          // The profile's sampling went with the request; usage came back.
          const body = server.chatRequests().at(-1)!.body;
          const sampling = reasoning === 'none' ? { temperature: 0, top_p: 1, max_tokens: 2048 } : { temperature: 0.6, top_p: 0.95, max_tokens: 8192 };
          expect(body).toMatchObject({ model: MODEL, ...sampling });
          expect(body.stream === true).toBe(streaming);
          if (streaming) expect(body.stream_options).toEqual({ include_usage: true });
          expect(done.usage?.promptTokens).toBeGreaterThan(0);
        });
      }
    }
  }

  it('remembers the prompt mode after the fallback (no second 400)', async () => {
    const server = await fake({ toolParser: false });
    const client = new ModelClient({ endpoint: server.url, model: MODEL });
    await client.complete(request());
    expect(client.mode).toBe('prompt');
    const again = await collect(client.stream(request()));
    expect(again.some((e) => e.type === 'mode')).toBe(false);
    expect(server.chatRequests().map((r) => r.status)).toEqual([400, 200, 200]);
  });

  it('with mode "native" forced on a server without a parser, says how to start vLLM', async () => {
    const server = await fake({ toolParser: false });
    const client = new ModelClient({ endpoint: server.url, model: MODEL, mode: 'native' });
    const error = await client.complete(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toContain('--enable-auto-tool-choice --tool-call-parser hermes');
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('with mode "prompt" on a server with a parser, still sends the tools in the prompt', async () => {
    const server = await fake({ toolParser: true, script: () => CLICK });
    const client = new ModelClient({ endpoint: server.url, model: MODEL, mode: 'prompt' });
    const done = await client.complete(request(instruct));
    expect(done.mode).toBe('prompt');
    expect(server.chatRequests()[0]!.body.tools).toBeUndefined();
    expect(done.message.content).toContain('<tool_call>');
  });
});

describe('inline reasoning split', () => {
  it('splits live at </think> even when the tag is cut across chunks (one character per chunk)', async () => {
    const server = await fake({ reasoning: 'inline', chunkChars: 1, script: () => ({ reasoning: 'a < b </thin not yet', content: 'Done.' }) });
    const client = new ModelClient({ endpoint: server.url, model: MODEL });
    const events = await collect(client.stream(request(thinking, { tools: [] })));
    expect(joined(events, 'reasoning')).toBe('a < b </thin not yet');
    expect(joined(events, 'content')).toBe('Done.');
    expect(doneOf(events).message.content).toBe('a < b </thin not yet\n</think>\n\nDone.');
  });

  it('splits a reply that opens with <think> for a non-thinking profile too', async () => {
    const server = await fake({ chunkChars: 3, script: () => ({ content: '<think>\nhmm\n</think>\n\nAnswer' }) });
    const client = new ModelClient({ endpoint: server.url, model: MODEL });
    const events = await collect(client.stream(request(instruct, { tools: [] })));
    expect(joined(events, 'reasoning')).toBe('hmm');
    expect(joined(events, 'content')).toBe('Answer');
  });

});

describe('cancel', () => {
  it('stops mid-stream through the AbortSignal: no event after the abort, and the request is closed', async () => {
    const long = 'word '.repeat(400);
    const server = await fake({ chunkDelayMs: 20, script: () => ({ content: long }) });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    const controller = new AbortController();
    const seen: ModelEvent[] = [];
    let afterAbort = 0;
    const error = await (async () => {
      for await (const event of client.stream(request(instruct, { tools: [], signal: controller.signal }))) {
        if (controller.signal.aborted) afterAbort++;
        seen.push(event);
        if (seen.length === 3) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe('aborted');
    expect(afterAbort).toBe(0);
    expect(seen.some((e) => e.type === 'done')).toBe(false);
    await vi.waitFor(() => expect(server.chatRequests()[0]!.closedEarly).toBe(true));
    expect(server.chatRequests()[0]!.finished).toBe(false);
  });

  it('closes the request when the consumer stops reading', async () => {
    const server = await fake({ chunkDelayMs: 20, script: () => ({ content: 'word '.repeat(400) }) });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    for await (const event of client.stream(request(instruct, { tools: [] }))) {
      if (event.type === 'content') break;
    }
    await vi.waitFor(() => expect(server.chatRequests()[0]!.closedEarly).toBe(true));
  });

  it('refuses at once when the signal is already aborted', async () => {
    const server = await fake({});
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    const error = await client.complete(request(instruct, { signal: AbortSignal.abort() })).catch((e: unknown) => e);
    expect((error as ModelError).kind).toBe('aborted');
    expect(server.chatRequests()).toHaveLength(0);
  });
});

describe('retries and timeouts', () => {
  it('retries a 503 and then succeeds, saying so with a retry event', async () => {
    const server = await fake({ script: [{ error: { status: 503, message: 'engine is loading' } }, { content: 'OK.' }] });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, retryDelayMs: 10 });
    const events = await collect(client.stream(request(instruct, { tools: [] })));
    expect(events[0]).toMatchObject({ type: 'retry', attempt: 1, delayMs: 10 });
    expect((events[0] as { error: string }).error).toContain('engine is loading');
    expect(doneOf(events).message.content).toBe('OK.');
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('does not retry a 400', async () => {
    const server = await fake({ script: [{ error: { status: 400, message: 'bad request body' } }, { content: 'OK.' }] });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, retryDelayMs: 10 });
    const error = await client.complete(request(instruct, { tools: [] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'http', status: 400 });
    expect((error as Error).message).toContain('bad request body');
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('waits as long as Retry-After says on a 429', async () => {
    const server = await fake({ script: [{ error: { status: 429, message: 'slow down', retryAfter: 1 } }, { content: 'OK.' }] });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, retryDelayMs: 10 });
    const events = await collect(client.stream(request(instruct, { tools: [] })));
    expect(events[0]).toMatchObject({ type: 'retry', attempt: 1, delayMs: 1000 });
    expect(doneOf(events).message.content).toBe('OK.');
  });

  it('gives up after maxRetries with a clear message', async () => {
    const server = await fake({ errorShape: 'old', script: [{ error: { status: 500, message: 'CUDA out of memory' } }] });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, retryDelayMs: 5, maxRetries: 2 });
    const events: ModelEvent[] = [];
    const error = await (async () => {
      for await (const e of client.stream(request(instruct, { tools: [] }))) events.push(e);
    })().catch((e: unknown) => e);
    expect(events.map((e) => e.type)).toEqual(['retry', 'retry']);
    expect(error).toMatchObject({ kind: 'http', status: 500 });
    expect((error as Error).message).toBe('The model server failed (500: CUDA out of memory).');
    expect(server.chatRequests()).toHaveLength(3);
  });

  it('retries connection errors and then names the server it cannot reach', async () => {
    const server = await fake({});
    const url = server.url;
    await server.close();
    const client = new ModelClient({ endpoint: `${url}/v1`, model: MODEL, retryDelayMs: 5, maxRetries: 1 });
    const events: ModelEvent[] = [];
    const error = await (async () => {
      for await (const e of client.stream(request(instruct, { tools: [] }))) events.push(e);
    })().catch((e: unknown) => e);
    expect(events.map((e) => e.type)).toEqual(['retry']);
    expect(error).toMatchObject({ kind: 'connection' });
    expect((error as Error).message).toContain(`Cannot reach the model server at ${url}/v1`);
  });

  it('never retries once the reply has started: an error inside the stream is reported', async () => {
    const server = await fake({ script: [{ content: 'Hello there, this is long.', streamError: { message: 'engine died', afterChunks: 3 } }] });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, retryDelayMs: 5 });
    const events: ModelEvent[] = [];
    const error = await (async () => {
      for await (const e of client.stream(request(instruct, { tools: [] }))) events.push(e);
    })().catch((e: unknown) => e);
    expect(events.some((e) => e.type === 'content')).toBe(true);
    expect(events.some((e) => e.type === 'retry')).toBe(false);
    expect((error as Error).message).toContain('engine died');
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('times out when the server goes quiet mid-stream', async () => {
    const server = await fake({ script: () => ({ content: 'slow reply', chunkDelayMs: 5_000 }) });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, timeoutMs: 300, maxRetries: 0 });
    const error = await client.complete(request(instruct, { tools: [] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout' });
    expect((error as Error).message).toContain('sent nothing for');
  });

  it('times out when the server never answers', async () => {
    const server = await fake({ script: () => new Promise<Reply>(() => {}) });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, timeoutMs: 300, maxRetries: 0 });
    const error = await client.complete(request(instruct, { tools: [] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout' });
  });
});

describe('errors a person understands', () => {
  for (const errorShape of ['old', 'new'] as const) {
    it(`names the wrong model (${errorShape} error body)`, async () => {
      const server = await fake({ errorShape });
      const client = new ModelClient({ endpoint: `${server.url}/v1`, model: 'qwen3-vl' });
      const error = await client.complete(request(instruct)).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'http', status: 404 });
      expect((error as Error).message).toContain('does not serve the model "qwen3-vl"');
      expect((error as Error).message).toContain('deskpilot check');
    });
  }

  it('says the context is too small and how to fix it', async () => {
    const server = await fake({ maxModelLen: 4096 });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    const error = await client.complete(request(thinking)).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'http', status: 400 });
    expect((error as Error).message).toContain("maximum context length is 4096 tokens");
    expect((error as Error).message).toContain('--max-model-len');
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('sends the API key, and says when it is refused', async () => {
    const server = await fake({ apiKey: 'sekret' });
    const ok = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, apiKey: 'sekret' });
    expect((await ok.complete(request(instruct, { tools: [] }))).message.content).toBe('OK.');
    const bad = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, apiKey: 'wrong' });
    const error = await bad.complete(request(instruct, { tools: [] })).catch((e: unknown) => e);
    expect((error as Error).message).toContain('refused the API key (401');
  });

  it('without a key sends no Authorization header at all (no placeholder for a server of another origin to see)', async () => {
    const server = await fake({});
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    expect((await client.complete(request(instruct, { tools: [] }))).message.content).toBe('OK.');
    const chats = server.chatRequests();
    expect(chats.length).toBeGreaterThan(0);
    for (const r of chats) expect(r.headers.authorization).toBeUndefined();
    const keyed = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, apiKey: 'k1' });
    await keyed.complete(request(instruct, { tools: [] }));
    expect(server.chatRequests().at(-1)!.headers.authorization).toBe('Bearer k1');
  });
});

describe('base URL', () => {
  it('accepts the URL with or without /v1, a trailing slash, or the full chat-completions path', async () => {
    const server = await fake({});
    for (const endpoint of [server.url, `${server.url}/`, `${server.url}/v1`, `${server.url}/v1/`, `${server.url}/v1/chat/completions`]) {
      const client = new ModelClient({ endpoint, model: MODEL });
      const done = await client.complete(request(instruct, { tools: [] }));
      expect(done.message.content).toBe('OK.');
      expect(await client.baseUrl()).toBe(`${server.url}/v1`);
      const added = !endpoint.includes('/v1');
      expect(client.notes.some((n) => n.includes('lacks /v1'))).toBe(added);
    }
    expect(server.requests.filter((r) => r.path !== '/v1/chat/completions' && r.path !== '/v1/models' && r.path !== '/models').length).toBe(0);
  });
});

describe('request content', () => {
  it('delivers images and extra body fields exactly', async () => {
    const server = await fake({});
    const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#3366ff' } }).png().toBuffer();
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    await client.complete({
      profile: instruct,
      turns: [{ role: 'user', parts: [{ type: 'text', text: 'What is this?' }, { type: 'image', mime: 'image/png', base64: png.toString('base64') }] }],
      tools: [],
      extraBody: { mm_processor_kwargs: { max_pixels: 1_000_000 } },
    });
    const body = server.chatRequests()[0]!.body;
    const images = await decodeImages(body);
    expect(images).toMatchObject([{ mime: 'image/png', width: 64, height: 32 }]);
    expect(images[0]!.data.equals(png)).toBe(true);
    expect(textOf(body)).toContain('What is this?');
    expect(body.mm_processor_kwargs).toEqual({ max_pixels: 1_000_000 });
  });
});
