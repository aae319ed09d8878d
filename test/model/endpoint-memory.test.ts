/**
 * The client remembers per endpoint whether the server parses tool calls: a second client for a server without a
 * tool parser sends the tools in the prompt from its first request (no refused request first), and a remembered
 * `native` that the server refuses falls back as before and is corrected.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelClient, type ModelEvent } from '../../app/model/client';
import { EndpointMemory } from '../../app/model/endpoint-memory';
import { getProfile } from '../../app/model/profiles';
import { toolsForProfile } from '../../app/model/prompt';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';

const MODEL = 'qwen3-vl-test';
const profile = getProfile('qwen3-vl');
const request = (tools = toolsForProfile(profile, { width: 1920, height: 1088 })) => ({
  profile,
  system: 'You are a helpful assistant.',
  turns: [{ role: 'user' as const, parts: [{ type: 'text' as const, text: 'Click OK.' }] }],
  tools,
});
const click = { toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [500, 500] } }] };

let server: FakeVllm | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const memoryFile = () => join(mkdtempSync(join(tmpdir(), 'deskpilot-memory-')), 'deskpilot', 'endpoints.json');

async function ask(client: ModelClient, tools?: ReturnType<typeof toolsForProfile>): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of client.stream(request(tools))) events.push(event);
  return events;
}

describe('endpoint memory', () => {
  it('a second client for a server without a tool parser sends no `tools` request at all', async () => {
    server = await startFakeVllm({ servedModel: MODEL, toolParser: false, script: [click] });
    const file = memoryFile();
    const first = new ModelClient({ endpoint: server.url, model: MODEL, memory: new EndpointMemory(file) });
    await ask(first);
    // The first client found out the usual way: a refused request with `tools`, then the prompt.
    expect(server.chatRequests().map((r) => [r.status, 'tools' in r.body])).toEqual([
      [400, true],
      [200, false],
    ]);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.values(stored.endpoints).map((e) => (e as { mode: string }).mode)).toEqual(['prompt']);

    const second = new ModelClient({ endpoint: server.url, model: MODEL, memory: new EndpointMemory(file) });
    const events = await ask(second);
    const requests = server.chatRequests().slice(2);
    expect(requests.map((r) => [r.status, 'tools' in r.body])).toEqual([[200, false]]);
    // The tools went in the system prompt, and the person is told why.
    expect(requests[0]!.body.messages[0].content).toContain('"name": "computer_use"');
    expect(events.find((e) => e.type === 'mode')).toMatchObject({ mode: 'prompt', reason: expect.stringContaining(file) });
    expect(events.at(-1)).toMatchObject({ type: 'done', mode: 'prompt' });
  });

  it('falls back from a remembered native that the server refuses, and remembers the prompt mode instead', async () => {
    server = await startFakeVllm({ servedModel: MODEL, toolParser: false, script: [click] });
    const file = memoryFile();
    const memory = new EndpointMemory(file);
    const probe = new ModelClient({ endpoint: server.url, model: MODEL });
    memory.remember(await probe.baseUrl(), MODEL, 'native');
    const client = new ModelClient({ endpoint: server.url, model: MODEL, memory });
    const events = await ask(client);
    expect(events.at(-1)).toMatchObject({ type: 'done', mode: 'prompt' });
    expect(memory.recall(await probe.baseUrl(), MODEL)).toBe('prompt');
  });

  it('remembers native only from a request that offered tools, and keeps one entry per server and model', async () => {
    server = await startFakeVllm({ servedModel: MODEL, toolParser: true, script: [click] });
    const file = memoryFile();
    const memory = new EndpointMemory(file);
    const base = await new ModelClient({ endpoint: server.url, model: MODEL }).baseUrl();
    await ask(new ModelClient({ endpoint: server.url, model: MODEL, memory }), []);
    expect(memory.recall(base, MODEL)).toBeUndefined();
    await ask(new ModelClient({ endpoint: server.url, model: MODEL, memory }));
    await ask(new ModelClient({ endpoint: server.url, model: MODEL, memory }));
    expect(memory.recall(base, MODEL)).toBe('native');
    expect(memory.recall(base, 'another-model')).toBeUndefined();
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).endpoints)).toEqual([`${base} ${MODEL}`]);
  });

  it('starts from nothing when the file is damaged, and writes a whole file again', () => {
    const file = memoryFile();
    const memory = new EndpointMemory(file);
    memory.remember('http://a/v1', 'm', 'prompt');
    writeFileSync(file, '{"version": 1, "endpoints": {"http://a/v1 m": {"mode": "pro');
    expect(memory.recall('http://a/v1', 'm')).toBeUndefined();
    memory.remember('http://b/v1', 'm', 'native');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, endpoints: { 'http://b/v1 m': { mode: 'native' } } });
  });
});
