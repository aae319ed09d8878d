/**
 * Interleaved thinking (qwen3-vl-interleaved, seed 000) against the fake vLLM server: the reasoning of earlier calls
 * goes back with them (exact messages, both server modes), several calls in one reply are performed in order and
 * each approved on its own, a denial stops the rest of the reply, and a reply without a call is the final answer.
 * Also the agent's `answer` action under a \boxed{} profile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRun } from '../../app/agent/loop';
import { RunSettingsSchema, type Decision, type Proposal, type RunEvent, type RunSettingsInput } from '../../app/contract';
import { ModelClient } from '../../app/model/client';
import type { Approver } from '../../app/policy/approval';
import { startFakeVllm, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { FakeDesktop } from '../../testkit/fake-desktop';

let server: FakeVllm | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

class ScriptedApprover implements Approver {
  readonly asked: Proposal[] = [];
  constructor(private readonly answers: Decision[]) {}
  decide(proposal: Proposal): Promise<Decision> {
    this.asked.push(proposal);
    return Promise.resolve(this.answers.shift() ?? { kind: 'approve' });
  }
}

const twoCalls: Reply = {
  reasoning: 'First open the menu, then type the name.',
  content: 'Opening the menu and typing.',
  toolCalls: [
    { name: 'computer_use', arguments: { action: 'left_click', coordinate: [100, 200] } },
    { name: 'computer_use', arguments: { action: 'type', text: 'report' } },
  ],
};

async function setup(script: Reply[], approver: ScriptedApprover, options: { toolParser?: boolean; settings?: Partial<RunSettingsInput> } = {}) {
  server = await startFakeVllm({ servedModel: 'interleave-test', script, toolParser: options.toolParser ?? true, reasoning: 'reasoning_content' });
  const settings = RunSettingsSchema.parse({
    endpoint: server.url,
    model: 'interleave-test',
    profile: 'qwen3-vl-interleaved',
    approve: 'ask',
    maxSteps: 5,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
    ...options.settings,
  });
  const desktop = new FakeDesktop();
  const run = new AgentRun('Save the report.', settings, {
    desktop,
    model: new ModelClient({ endpoint: settings.endpoint, model: settings.model, retryDelayMs: 10 }),
    approver,
  });
  const events: RunEvent[] = [];
  run.on((e) => events.push(e));
  return { run, desktop, events, server: server! };
}

describe('interleaved thinking', () => {
  it('performs both calls of one reply in order, each approved on its own, and sends the reasoning back (native tools)', async () => {
    const approver = new ScriptedApprover([]);
    const { run, desktop, server: vllm } = await setup([twoCalls, { content: 'The report is saved.' }], approver);
    const result = await run.start();
    expect(result.outcome).toBe('answered');
    expect(result.answer).toBe('The report is saved.');
    expect(desktop.performed.map((p) => p.action.action)).toEqual(['left_click', 'type']);
    expect(approver.asked.map((p) => p.id)).toEqual(['1.0', '1.1']);
    const second = vllm.chatRequests()[1]!.body;
    const assistant = second.messages[2];
    expect(assistant.role).toBe('assistant');
    expect(assistant.content).toBe('<think>\nFirst open the menu, then type the name.\n</think>\n\nOpening the menu and typing.');
    expect(assistant.tool_calls.map((c: { function: { name: string; arguments: string } }) => c.function.arguments)).toEqual([
      '{"action": "left_click", "coordinate": [100, 200]}',
      '{"action": "type", "text": "report"}',
    ]);
    const tools = second.messages.slice(3, 5);
    expect(tools.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['tool', 'Performed.'],
      ['tool', 'Performed.'],
    ]);
  });

  it('sends the reasoning back in prompt mode too, the calls as <tool_call> text', async () => {
    const approver = new ScriptedApprover([]);
    const { run, server: vllm } = await setup([twoCalls, { content: 'Done.' }], approver, { toolParser: false });
    expect((await run.start()).outcome).toBe('answered');
    const last = vllm.chatRequests().at(-1)!.body;
    const assistant = last.messages.find((m: { role: string }) => m.role === 'assistant');
    expect(assistant.content).toBe(
      '<think>\nFirst open the menu, then type the name.\n</think>\n\nOpening the menu and typing.\n' +
        '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [100, 200]}}\n</tool_call>\n' +
        '<tool_call>\n{"name": "computer_use", "arguments": {"action": "type", "text": "report"}}\n</tool_call>',
    );
  });

  it('a denial stops the rest of the reply and the model is told which calls ran', async () => {
    const approver = new ScriptedApprover([{ kind: 'deny', note: 'wrong menu' }]);
    const { run, desktop, server: vllm } = await setup([twoCalls, { content: 'Stopping here.' }], approver);
    expect((await run.start()).outcome).toBe('answered');
    expect(desktop.performed).toHaveLength(0);
    expect(approver.asked).toHaveLength(1);
    const second = vllm.chatRequests()[1]!.body;
    const tools = second.messages.filter((m: { role: string }) => m.role === 'tool').map((m: { content: string }) => m.content);
    expect(tools).toEqual([
      'The user denied this action; it was not performed. Note from the user: wrong menu',
      'Not performed: an earlier action in this reply was denied.',
    ]);
  });

  it('a reply without a call is an invalid reply for other profiles', async () => {
    const approver = new ScriptedApprover([]);
    const { run, events } = await setup([{ content: 'All done.' }], approver, { settings: { profile: 'qwen3-vl', maxInvalidReplies: 1 } });
    const result = await run.start();
    expect(result.outcome).toBe('error');
    expect(events.filter((e) => e.type === 'feedback')).toHaveLength(2);
  });

  it("the answer action shows the last \\boxed{} for a capcurriculum profile, keeping what the model wrote", async () => {
    const approver = new ScriptedApprover([]);
    const { run, events } = await setup(
      [{ toolCalls: [{ name: 'computer_use', arguments: { action: 'answer', text: 'The total is \\boxed{42}' } }] }],
      approver,
      { settings: { profile: 'capcurriculum' } },
    );
    const result = await run.start();
    expect(result).toMatchObject({ outcome: 'answered', answer: '42' });
    expect(events.find((e) => e.type === 'answer')).toMatchObject({ text: '42', raw: 'The total is \\boxed{42}' });
  });
});
