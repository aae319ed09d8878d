/**
 * The agent loop against replies built to freeze or flood it (issue 9): a Stop requested while such replies stream
 * and are parsed ends the run as 'stopped' at once with nothing performed; a reply with more calls than the
 * profile allows, or longer than its size limit, performs nothing and the model is told why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRun, type ModelStreamer } from '../../app/agent/loop';
import { RunSettingsSchema, type RunEvent } from '../../app/contract';
import { ModelClient, type ModelEvent } from '../../app/model/client';
import { startFakeVllm, textOf, type FakeVllm, type FakeVllmOptions, type Reply } from '../../testkit/fake-vllm/server';
import { FakeDesktop } from '../../testkit/fake-desktop';
import { adversarialReplies } from '../../testkit/adversarial/replies';

const settingsFor = (endpoint: string) =>
  RunSettingsSchema.parse({
    endpoint,
    model: 'qwen3-vl-test',
    approve: 'auto',
    maxSteps: 5,
    maxInvalidReplies: 10,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
  });

/**
 * A model that streams the given contents in 64 KB chunks a millisecond apart (as a network does), and counts the
 * chunks it still got to send after `stopAt` was set.
 */
class ScriptedModel implements ModelStreamer {
  replies = 0;
  chunksAfterStop = 0;
  stopAt: number | null = null;

  constructor(private readonly contents: string[]) {}

  async *stream(): AsyncIterable<ModelEvent> {
    const content = this.contents[Math.min(this.replies, this.contents.length - 1)] ?? '';
    this.replies++;
    for (let i = 0; i < content.length; i += 64 * 1024) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (this.stopAt !== null) this.chunksAfterStop++;
      yield { type: 'content', delta: content.slice(i, i + 64 * 1024) };
    }
    yield { type: 'done', message: { content, tool_calls: [] }, finishReason: 'stop', mode: 'prompt', latencyMs: 0 };
  }
}

describe('agent loop and adversarial replies', () => {
  it('a stop requested while 1 MB adversarial replies stream and parse ends the run at once, performing nothing', async () => {
    // Replies that freeze a parser that is not linear (each rejected: no call, or too many), then a valid click that
    // must never be reached.
    const rejected = adversarialReplies(1_000_000)
      .filter((r) => ['fence + blank lines', "'\\n{' repeated", "'<tool_call>' repeated", 'nested line-start objects', 'many valid calls'].includes(r.name))
      .map((r) => r.text);
    expect(rejected).toHaveLength(5);
    const click = '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [500, 500]}}\n</tool_call>';
    const model = new ScriptedModel([...rejected, click]);
    const desktop = new FakeDesktop();
    const run = new AgentRun('Do the task.', settingsFor('http://127.0.0.1:9/v1'), { desktop, model, approver: null });
    const events: RunEvent[] = [];
    let repliesAfterStop = 0;
    run.on((event) => {
      events.push(event);
      if (model.stopAt !== null && event.type === 'model-reply') repliesAfterStop++;
      // A person presses Stop as the third reply starts: the timer fires at the first turn of the event loop the
      // engine leaves free, which is while that reply streams.
      if (event.type === 'model-request' && event.attempt === 3) {
        setTimeout(() => {
          model.stopAt = model.replies;
          run.stop();
        }, 0);
      }
    });
    const result = await run.start();
    expect(result.outcome).toBe('stopped');
    expect(desktop.performed).toEqual([]);
    expect(desktop.releases).toBeGreaterThan(0);
    // The two replies before the stop were parsed (into errors) and fed back; the stop took effect within one
    // chunk of the third, and no reply after it was parsed.
    const replies = events.filter((e): e is Extract<RunEvent, { type: 'model-reply' }> => e.type === 'model-reply');
    expect(replies).toHaveLength(2);
    expect(replies.every((r) => r.calls.length === 0)).toBe(true);
    expect(events.filter((e) => e.type === 'feedback')).toHaveLength(2);
    expect(model.stopAt).toBe(3);
    expect(model.chunksAfterStop).toBeLessThanOrEqual(1);
    expect(repliesAfterStop).toBe(0);
  });
});

describe('agent loop and the reply limits (real client, fake vLLM)', () => {
  let server: FakeVllm | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function runWith(script: Reply[], options: Omit<FakeVllmOptions, 'script'> = {}) {
    server = await startFakeVllm({ servedModel: 'qwen3-vl-test', ...options, script });
    const settings = settingsFor(server.url);
    const desktop = new FakeDesktop();
    const run = new AgentRun('Click the button, then finish.', settings, {
      desktop,
      model: new ModelClient({ endpoint: settings.endpoint, model: settings.model }),
      approver: null,
    });
    const result = await run.start();
    return { result, desktop, requests: server.chatRequests().filter((r) => r.status === 200) };
  }

  const click = (x: number) => ({ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, 100] } });

  it('performs nothing of a reply with more calls than limits.callsPerReply and tells the model the limit and the count', async () => {
    const { result, desktop, requests } = await runWith([
      { content: 'I will click all six.', toolCalls: [1, 2, 3, 4, 5, 6].map((x) => click(x * 100)) },
      { toolCalls: [click(700)] },
      { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] },
    ]);
    expect(result.outcome).toBe('success');
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'left_click', coordinate: [700, 100] }]);
    expect(textOf(requests[1]!.body)).toContain(
      'Your last reply was not performed: the reply has 6 tool calls, more than the limit of 5 per reply (limits.callsPerReply of profile "qwen3-vl")',
    );
  });

  it('cuts off a reply past limits.replyBytes, performs nothing of it, and tells the model without sending the reply back whole', async () => {
    const { result, desktop, requests } = await runWith(
      [
        { content: `Let me type it all.\n${'x'.repeat(2 * 1024 * 1024)}`, toolCalls: [click(100)] },
        { toolCalls: [click(200)] },
        { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] },
      ],
      { chunkChars: 32 * 1024, chunkDelayMs: 1 },
    );
    expect(result.outcome).toBe('success');
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'left_click', coordinate: [200, 100] }]);
    expect(requests[0]!.closedEarly).toBe(true);
    const next = textOf(requests[1]!.body);
    expect(next).toContain('Your last reply was not performed: the reply is longer than the limit of 1 MiB (limits.replyBytes of profile "qwen3-vl"; the client stopped reading after 1 MiB)');
    // The model sees the start of what it wrote, not megabytes of it.
    expect(next).toContain('Let me type it all.');
    expect(next.length).toBeLessThan(20_000);
  });

  it('sends back only the start of a large reply it refused (here: one call too many), never the whole of it', async () => {
    const { desktop, requests } = await runWith([
      { content: `Thinking aloud.\n${'y'.repeat(600 * 1024)}`, toolCalls: [1, 2, 3, 4, 5, 6].map((x) => click(x * 100)) },
      { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] },
    ]);
    expect(desktop.performed).toEqual([]);
    const next = textOf(requests[1]!.body);
    expect(next).toContain('Thinking aloud.');
    expect(next).toMatch(/\[\.\.\. \d+ more characters not repeated\]/);
    expect(next.length).toBeLessThan(20_000);
  });
});
