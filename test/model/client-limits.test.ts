/**
 * The client against replies that never end or are built to be slow: the reply-size limit (it stops reading,
 * closes the request and hands on a cut-off message the parser reports), and tool-call deltas streamed without
 * an index, in large numbers (each continues the latest call; assembling them must not rescan the calls so far).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CUT_OFF_KEEP_CHARS, ModelClient, type ModelEvent, type ModelRequest } from '../../app/model/client';
import { parseReply } from '../../app/model/parse';
import { getProfile } from '../../app/model/profiles';
import { toolsForProfile } from '../../app/model/prompt';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';

const MODEL = 'Qwen/Qwen3-VL-8B-Instruct';
const profile = getProfile('qwen3-vl');
const MiB = 1024 * 1024;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function request(): ModelRequest {
  return { profile, turns: [{ role: 'user', parts: [{ type: 'text', text: 'Go.' }] }], tools: toolsForProfile(profile, { width: 1920, height: 1088 }) };
}

async function collect(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function fake(options: Parameters<typeof startFakeVllm>[0]): Promise<FakeVllm> {
  const server = await startFakeVllm(options);
  closers.push(() => server.close());
  return server;
}

describe('reply-size limit', () => {
  it('stops reading a streamed reply past limits.replyBytes, closes the request, and hands on a cut-off message', async () => {
    const server = await fake({ servedModel: MODEL, chunkChars: 16 * 1024, chunkDelayMs: 2, script: () => ({ content: `I will type.\n${'a'.repeat(3 * MiB)}` }) });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL });
    const events = await collect(client.stream(request()));
    const done = events.at(-1);
    if (done?.type !== 'done') throw new Error('no done event');
    expect(done.message.cutOff?.receivedBytes).toBeGreaterThan(MiB);
    expect(done.message.cutOff?.receivedBytes).toBeLessThanOrEqual(MiB + 16 * 1024);
    // Only the start is kept, and nothing past the limit was shown.
    expect(done.message.content).toBe(`I will type.\n${'a'.repeat(CUT_OFF_KEEP_CHARS - 13)}`);
    const shown = events.flatMap((e) => (e.type === 'content' ? [e.delta] : [])).join('');
    expect(shown.length).toBeLessThanOrEqual(MiB);
    // The server saw the client go away before the reply was complete (it paces its chunks, as a model does).
    await expect.poll(() => server.chatRequests()[0]?.closedEarly).toBe(true);
    expect(server.chatRequests()[0]?.finished).toBe(false);
    expect(parseReply(done.message, profile).errors).toEqual([
      expect.stringMatching(/^the reply is longer than the limit of 1 MiB \(limits\.replyBytes of profile "qwen3-vl"; the client stopped reading after 1 MiB\); nothing of it was performed/),
    ]);
  });

  it('marks a non-streamed reply past the limit the same way, keeping only its start', async () => {
    const server = await fake({ servedModel: MODEL, script: () => ({ reasoning: 'r'.repeat(10), content: 'b'.repeat(MiB + 1) }) });
    const client = new ModelClient({ endpoint: `${server.url}/v1`, model: MODEL, streaming: false });
    const done = await client.complete(request());
    expect(done.message.cutOff).toEqual({ receivedBytes: MiB + 1 });
    expect(done.message.content).toHaveLength(CUT_OFF_KEEP_CHARS);
    expect(parseReply(done.message, profile).calls).toEqual([]);
  });
});

/** A server that streams the given chat-completion chunks as SSE. */
async function sseServer(chunks: unknown[]): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Written in a few large writes: the point is the client's work per delta, not the network.
      const lines = chunks.map((c) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: MODEL, ...(c as object) })}\n\n`);
      for (let i = 0; i < lines.length; i += 1000) res.write(lines.slice(i, i + 1000).join(''));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

describe('tool-call deltas', () => {
  it('continues the latest call for deltas without an index, however many calls and deltas there are', async () => {
    const delta = (tool_calls: unknown[]) => ({ choices: [{ index: 0, delta: { tool_calls }, finish_reason: null }] });
    const chunks: unknown[] = [];
    const CALLS = 3000;
    for (let i = 0; i < CALLS; i++) {
      chunks.push(delta([{ index: i, id: `call_${i}`, type: 'function', function: { name: 'computer_use', arguments: '' } }]));
      for (const piece of ['{"action": ', '"wait", ', `"time": ${i % 7}}`]) chunks.push(delta([{ function: { arguments: piece } }]));
    }
    const client = new ModelClient({ endpoint: await sseServer(chunks), model: MODEL });
    const done = await client.complete(request());
    expect(done.message.tool_calls).toHaveLength(CALLS);
    expect(done.message.tool_calls[0]).toEqual({ id: 'call_0', type: 'function', index: 0, function: { name: 'computer_use', arguments: '{"action": "wait", "time": 0}' } });
    expect(done.message.tool_calls[CALLS - 1]?.function.arguments).toBe(`{"action": "wait", "time": ${(CALLS - 1) % 7}}`);
    // ... and the parser refuses that many calls in one reply.
    expect(parseReply(done.message, profile).errors).toEqual([expect.stringContaining(`the reply has ${CALLS} tool calls, more than the limit of 5`)]);
  });
});
