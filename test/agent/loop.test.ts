/**
 * The agent loop against the fake vLLM server (real HTTP, real streaming, real parser) and a desktop double:
 * approval paths, invalid replies fed back, stop, pause, loop detection, history windows and the run record.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRun, type AgentDeps } from '../../app/agent/loop';
import { RunSettingsSchema, type Decision, type Proposal, type RunEvent, type RunSettingsInput } from '../../app/contract';
import { ModelClient } from '../../app/model/client';
import type { Approver } from '../../app/policy/approval';
import { createRunRecorder } from '../../app/runs/recorder';
import { imageUrlsOf, startFakeVllm, textOf, type FakeVllm, type FakeVllmOptions, type Reply } from '../../testkit/fake-vllm/server';
import { FakeDesktop, type FakeDesktopOptions } from '../../testkit/fake-desktop';

const click = (x: number, y: number): Reply => ({
  content: 'Action: click it',
  toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }],
});
const terminate = (status: 'success' | 'failure' = 'success'): Reply => ({
  toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status } }],
});

let server: FakeVllm | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

class ScriptedApprover implements Approver {
  readonly asked: Proposal[] = [];
  constructor(private readonly answers: Array<Decision | 'hang'>) {}
  decide(proposal: Proposal, signal: AbortSignal): Promise<Decision> {
    this.asked.push(proposal);
    const answer = this.answers.shift() ?? { kind: 'approve' };
    if (answer === 'hang') {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }
    return Promise.resolve(answer);
  }
}

interface Setup {
  script: FakeVllmOptions['script'];
  server?: Omit<FakeVllmOptions, 'script'>;
  settings?: Partial<RunSettingsInput>;
  desktop?: FakeDesktopOptions;
  approver?: Approver | null;
  record?: boolean;
}

async function setup(options: Setup) {
  server = await startFakeVllm({ servedModel: 'qwen3-vl-test', ...options.server, script: options.script });
  const settings = RunSettingsSchema.parse({
    endpoint: server.url,
    model: 'qwen3-vl-test',
    approve: 'auto',
    maxSteps: 10,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
    ...options.settings,
  });
  const desktop = new FakeDesktop(options.desktop);
  const recorderDir = options.record ? join(mkdtempSync(join(tmpdir(), 'deskpilot-run-')), 'run') : undefined;
  const deps: AgentDeps = {
    desktop,
    model: new ModelClient({ endpoint: settings.endpoint, model: settings.model, retryDelayMs: 10, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) }),
    approver: options.approver ?? null,
    ...(recorderDir ? { recorder: createRunRecorder({ dir: recorderDir, runId: 'test-run', settings }) } : {}),
  };
  const run = new AgentRun('Click the button, then finish.', settings, deps, 'test-run');
  const events: RunEvent[] = [];
  run.on((e) => events.push(e));
  return { run, desktop, events, server: server!, recorderDir };
}

describe('agent loop', () => {
  it('performs an approved click at the mapped screen point and ends when the model terminates', async () => {
    const { run, desktop, events } = await setup({ script: [click(500, 250), terminate()] });
    const result = await run.start();
    expect(result.outcome).toBe('success');
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'left_click', coordinate: [500, 250] }]);
    const action = events.find((e) => e.type === 'action');
    expect(action && action.type === 'action' && action.screen).toEqual({ x: 640, y: 200 });
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'done' });
  });

  it('streams the reasoning as events before the proposal', async () => {
    const { run, events } = await setup({
      server: { reasoning: 'reasoning', chunkChars: 8 },
      script: [{ ...click(100, 100), reasoning: 'The button is at the top left of the screen.' }, terminate()],
    });
    await run.start();
    const kinds = events.map((e) => e.type);
    const firstDelta = kinds.indexOf('reasoning-delta');
    expect(firstDelta).toBeGreaterThan(-1);
    expect(firstDelta).toBeLessThan(kinds.indexOf('proposal'));
    const reasoning = events.flatMap((e) => (e.type === 'reasoning-delta' ? [e.delta] : [])).join('');
    expect(reasoning).toBe('The button is at the top left of the screen.');
  });

  it('feeds invalid replies back with the parser error and performs nothing from them', async () => {
    const { run, desktop, server } = await setup({
      server: { toolParser: false },
      script: [
        { content: 'I think I should click the button now.' },
        { content: '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [10, }\n</tool_call>' },
        { content: '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [1400, 20]}}\n</tool_call>' },
        click(10, 20),
        terminate(),
      ],
    });
    const result = await run.start();
    expect(result.outcome).toBe('success');
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'left_click', coordinate: [10, 20] }]);
    // The first request offered native tools and was refused (no tool parser); the client fell back to prompt mode.
    const requests = server
      .chatRequests()
      .filter((r) => r.status === 200)
      .map((r) => textOf(r.body));
    expect(requests[1]).toContain('no tool call');
    expect(requests[2]).toMatch(/JSON/i);
    expect(requests[3]).toContain('1400');
  });

  it('gives up after too many invalid replies without performing anything', async () => {
    const { run, desktop } = await setup({
      script: [{ content: 'Thinking about it.' }],
      settings: { maxInvalidReplies: 2 },
    });
    const result = await run.start();
    expect(result.outcome).toBe('error');
    expect(result.message).toMatch(/invalid replies/);
    expect(desktop.performed).toEqual([]);
  });

  it('deny with a note performs nothing and the note reaches the model in the next request', async () => {
    const approver = new ScriptedApprover([{ kind: 'deny', note: 'Use the blue button instead.' }]);
    const { run, desktop, server } = await setup({
      script: [click(300, 300), terminate('failure')],
      settings: { approve: 'ask' },
      approver,
    });
    const result = await run.start();
    expect(result.outcome).toBe('failure');
    expect(desktop.performed).toEqual([]);
    expect(textOf(server.chatRequests()[1]!.body)).toContain('Use the blue button instead.');
  });

  it('performs the edited action instead of the proposed one, and re-validates edits', async () => {
    const approver = new ScriptedApprover([
      { kind: 'edit', action: { action: 'left_click', coordinate: [5000, 1] } },
      { kind: 'edit', action: { action: 'double_click', coordinate: [250, 750] } },
    ]);
    const { run, desktop } = await setup({ script: [click(300, 300), terminate()], settings: { approve: 'ask' }, approver });
    await run.start();
    expect(approver.asked).toHaveLength(2); // the out-of-grid edit was refused and the person asked again
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'double_click', coordinate: [250, 750] }]);
  });

  it('approve-all approves identical actions for the rest of the run without asking again', async () => {
    const approver = new ScriptedApprover([{ kind: 'approve-all' }, { kind: 'approve' }]);
    const { run, desktop } = await setup({
      script: [click(400, 400), click(400, 400), click(600, 600), terminate()],
      settings: { approve: 'ask' },
      approver,
    });
    await run.start();
    expect(desktop.performed).toHaveLength(3);
    expect(approver.asked.map((p) => p.summary)).toHaveLength(2);
  });

  it('stop during a slow model stream aborts the request, performs nothing and releases input', async () => {
    const { run, desktop, events, server } = await setup({
      server: { chunkDelayMs: 100, chunkChars: 4, reasoning: 'reasoning' },
      script: [{ ...click(100, 100), reasoning: 'Let me look at this very carefully before I decide anything at all.' }],
    });
    run.on((e) => {
      if (e.type === 'reasoning-delta') run.stop();
    });
    const result = await run.start();
    expect(result.outcome).toBe('stopped');
    expect(desktop.performed).toEqual([]);
    expect(desktop.releases).toBeGreaterThan(0);
    await expect.poll(() => server.chatRequests()[0]?.closedEarly).toBe(true);
    expect(events.filter((e) => e.type === 'reasoning-delta')).toHaveLength(1);
  });

  it('stop while an approval is pending cancels it and sends no input', async () => {
    const approver = new ScriptedApprover(['hang']);
    const { run, desktop } = await setup({ script: [click(100, 100)], settings: { approve: 'ask' }, approver });
    run.on((e) => {
      if (e.type === 'approval-requested') setTimeout(() => run.stop(), 20);
    });
    const result = await run.start();
    expect(result.outcome).toBe('stopped');
    expect(desktop.performed).toEqual([]);
  });

  it('a slow action is cut short by stop', async () => {
    const { run, desktop } = await setup({
      script: [{ toolCalls: [{ name: 'computer_use', arguments: { action: 'type', text: 'a long text' } }] }, terminate()],
      desktop: { typeMs: 10_000 },
    });
    run.on((e) => {
      if (e.type === 'decision') setTimeout(() => run.stop(), 50);
    });
    const started = Date.now();
    const result = await run.start();
    expect(result.outcome).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(desktop.releases).toBeGreaterThan(0);
  });

  it('pause holds before the next action until resumed', async () => {
    const { run, desktop, events } = await setup({ script: [click(100, 100), terminate()] });
    run.pause();
    const done = run.start();
    await expect.poll(() => run.state).toBe('paused');
    expect(desktop.performed).toEqual([]);
    run.resume();
    const result = await done;
    expect(result.outcome).toBe('success');
    expect(desktop.performed).toHaveLength(1);
    expect(events.some((e) => e.type === 'state' && e.state === 'paused')).toBe(true);
  });

  it('detects the same action on an unchanged screen and asks the person even in auto mode', async () => {
    const approver = new ScriptedApprover([{ kind: 'deny', note: 'You are repeating yourself.' }]);
    const { run, desktop, events, server } = await setup({
      script: [click(100, 100), click(100, 100), click(100, 100), terminate('failure')],
      desktop: { static: true },
      settings: { loopThreshold: 3 },
      approver,
    });
    const result = await run.start();
    expect(result.outcome).toBe('failure');
    expect(desktop.performed).toHaveLength(2);
    expect(events.some((e) => e.type === 'loop-detected')).toBe(true);
    expect(approver.asked).toHaveLength(1);
    expect(textOf(server.chatRequests()[3]!.body)).toContain('You are repeating yourself.');
  });

  it('ends an unattended run that loops', async () => {
    const { run, desktop } = await setup({ script: [click(100, 100)], desktop: { static: true } });
    const result = await run.start();
    expect(result.outcome).toBe('error');
    expect(result.message).toMatch(/loop/);
    expect(desktop.performed).toHaveLength(2);
  });

  it('ends clearly at the step budget', async () => {
    const { run, desktop } = await setup({ script: [click(100, 100), click(200, 200)], settings: { maxSteps: 4 } });
    const result = await run.start();
    expect(result.outcome).toBe('max-steps');
    expect(desktop.performed).toHaveLength(4);
  });

  it('tells the model when typing did not go as asked, and shows the person how each action was done', async () => {
    const note = 'characters 1-5 typed with keystrokes (the paste was not collected within 3 s); keystrokes may change symbols and non-ASCII text';
    const { run, server, events } = await setup({
      script: [{ toolCalls: [{ name: 'computer_use', arguments: { action: 'type', text: 'héllo' } }] }, click(5, 5), terminate()],
      desktop: { typeResult: { note, warning: note } },
    });
    await run.start();
    const actions = events.filter((e) => e.type === 'action');
    expect(actions[0]).toMatchObject({ ok: true, note });
    // The type's result carries the warning; the click's plain "Performed." does not.
    expect(textOf(server.chatRequests()[1]!.body)).toContain(`Performed. Note: ${note}.`);
    expect(textOf(server.chatRequests()[2]!.body).split(`Note: ${note}`).length).toBe(2);
  });

  it('an answer ends the run with the answer', async () => {
    const { run } = await setup({
      script: [{ toolCalls: [{ name: 'computer_use', arguments: { action: 'answer', text: '42 files' } }] }],
    });
    const result = await run.start();
    expect(result).toMatchObject({ outcome: 'answered', answer: '42 files' });
  });

  it('drops old screenshots in batches: 3 to 6 images per request, the prefix unchanged between drops', async () => {
    const clicks = Array.from({ length: 12 }, (_, i) => click(i + 1, i + 1));
    const { run, server } = await setup({ script: [...clicks, terminate()], settings: { maxSteps: 13 } });
    await run.start();
    const bodies = server.chatRequests().map((r) => r.body);
    expect(bodies).toHaveLength(13);
    expect(bodies.map((b) => imageUrlsOf(b).length)).toEqual([1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 3, 4, 5]);
    // Each request starts with the previous one's messages, byte for byte, except where a batch was dropped.
    const extends_ = bodies.slice(1).map((b, i) => {
      const previous = bodies[i]!.messages;
      return JSON.stringify(b.messages.slice(0, previous.length)) === JSON.stringify(previous);
    });
    expect(extends_.flatMap((same, i) => (same ? [] : [i + 2]))).toEqual([7, 11]);
    // The system prompt, tools and the first user text never change from step to step.
    const stable = (b: { messages: unknown[]; tools?: unknown }) => JSON.stringify([b.messages[0], b.tools]);
    expect(new Set(bodies.map(stable)).size).toBe(1);
    expect(textOf(bodies[6])).toContain('[screenshot omitted]');
  });

  it('passes earlier reasoning back for interleaved-thinking profiles and drops it otherwise', async () => {
    const script = (): Reply[] => [{ ...click(10, 10), reasoning: 'first-step-reasoning' }, terminate()];
    const kept = await setup({ script: script(), server: { reasoning: 'reasoning' }, settings: { profile: 'qwen3-vl-interleaved' } });
    await kept.run.start();
    expect(JSON.stringify(kept.server.chatRequests()[1]!.body.messages)).toContain('first-step-reasoning');
    await kept.server.close();

    const dropped = await setup({ script: script(), server: { reasoning: 'reasoning' }, settings: { profile: 'qwen3-vl-thinking' } });
    await dropped.run.start();
    expect(JSON.stringify(dropped.server.chatRequests()[1]!.body.messages)).not.toContain('first-step-reasoning');
  });

  it('writes a readable run record as it goes', async () => {
    const { run, recorderDir } = await setup({ script: [click(100, 100), terminate()], record: true });
    await run.start();
    const lines = readFileSync(join(recorderDir!, 'events.jsonl'), 'utf8').trim().split('\n');
    const types = lines.map((l) => (JSON.parse(l) as RunEvent).type);
    expect(types[0]).toBe('run-started');
    expect(types).toContain('action');
    expect(types).toContain('timings');
    expect(types).toContain('run-finished');
  });

  it('uses the API key for the model server and never writes it to the record or shows it in an event', async () => {
    const key = 'sk-canary-7f3a9c21e4b8';
    const { run, recorderDir, events } = await setup({
      script: [click(100, 100), terminate()],
      server: { apiKey: key },
      settings: { apiKey: key },
      record: true,
    });
    const result = await run.start();
    expect(result.outcome).toBe('success');
    expect(server!.chatRequests().length).toBe(2);
    // Every file of the record, byte for byte, and every event a shell would have seen.
    for (const name of readdirSync(recorderDir!)) {
      expect(readFileSync(join(recorderDir!, name)).includes(key), name).toBe(false);
    }
    expect(readFileSync(join(recorderDir!, 'settings.json'), 'utf8')).toContain('"apiKey": "(set)"');
    expect(JSON.stringify(events)).not.toContain(key);
  });
});
