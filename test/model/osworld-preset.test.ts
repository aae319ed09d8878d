/**
 * The `osworld-qwen3vl` agent preset against OSWorld's own mm_agents/qwen3vl_agent.py: the requests it sends at step
 * 1 and at step 6 (one step under "Previous actions", 4 earlier screenshots kept) compared byte for byte with ones
 * this test assembles from the reference's text (test/fixtures/osworld-qwen3vl; nothing of it comes from our code),
 * in both server modes; its sampling; the reply parsing and the Action lines; the /999 mapping to screen pixels;
 * the image size its smart_resize gives.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PreviousActionsHistory } from '../../app/agent/history';
import { AgentRun } from '../../app/agent/loop';
import { RunSettingsSchema, type Decision, type RunEvent } from '../../app/contract';
import { ModelClient } from '../../app/model/client';
import { osworldActionLine } from '../../app/model/osworld-qwen3vl';
import { parseReply } from '../../app/model/parse';
import { getProfile, profileForSettings } from '../../app/model/profiles';
import type { Approver } from '../../app/policy/approval';
import { modelToScreen } from '../../app/screen/geometry';
import { preparedSize } from '../../app/screen/prepare';
import { FakeDesktop } from '../../testkit/fake-desktop';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/osworld-qwen3vl');
/** The reference's system prompt as CPython builds it (fixture README). */
const REFERENCE_SYSTEM_PROMPT = readFileSync(path.join(FIXTURES, 'system-prompt.txt'), 'utf8');
const REPLIES = JSON.parse(readFileSync(path.join(FIXTURES, 'replies.json'), 'utf8')) as Array<{ content: string; actionLine: string }>;
const INSTRUCTION = 'Make a folder named "reports" in Documents (in “Dokumente” too, if there is one).';

/** The reference's instruction_prompt f-string, written out from qwen3vl_agent.py. */
function referenceInstructionPrompt(instruction: string, previousActions: string): string {
  return `
Please generate the next move according to the UI screenshot, instruction and previous actions.

Instruction: ${instruction}

Previous actions:
${previousActions}`;
}

/**
 * The messages qwen3vl_agent.py's predict() builds, following its code: `shots` are the screenshots so far (the
 * current one last, as data URLs), `responses` and `actions` those of the steps already taken; history_n = 4.
 */
function referenceMessages(shots: string[], responses: string[], actions: string[]): unknown[] {
  const historyN = 4;
  const currentStep = actions.length;
  const historyStart = Math.max(0, currentStep - historyN);
  const previous = actions.slice(0, historyStart).map((a, i) => `Step ${i + 1}: ${a}`);
  const instructionPrompt = referenceInstructionPrompt(INSTRUCTION, previous.length ? previous.join('\n') : 'None');
  const image = (url: string) => ({ type: 'image_url', image_url: { url } });
  const messages: unknown[] = [{ role: 'system', content: [{ type: 'text', text: REFERENCE_SYSTEM_PROMPT }] }];
  const historyLen = Math.min(historyN, responses.length);
  const current = shots[shots.length - 1]!;
  if (historyLen > 0) {
    const historyResponses = responses.slice(-historyLen);
    const historyShots = shots.slice(-historyLen - 1, -1);
    for (let idx = 0; idx < historyLen; idx++) {
      const content = idx === 0 ? [image(historyShots[idx]!), { type: 'text', text: instructionPrompt }] : [image(historyShots[idx]!)];
      messages.push({ role: 'user', content });
      messages.push({ role: 'assistant', content: [{ type: 'text', text: historyResponses[idx] }] });
    }
    messages.push({ role: 'user', content: [image(current)] });
  } else {
    messages.push({ role: 'user', content: [image(current), { type: 'text', text: instructionPrompt }] });
  }
  return messages;
}

const approveAll: Approver = { decide: (): Promise<Decision> => Promise.resolve({ kind: 'approve' }) };

let server: FakeVllm | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function runPreset(mode: 'native' | 'prompt') {
  // max_tokens 32768 needs a context beyond it (vLLM: --max-model-len).
  server = await startFakeVllm({ servedModel: 'qwen3-vl-test', maxModelLen: 131072, toolParser: mode === 'native', script: REPLIES.map((r) => ({ content: r.content })) });
  const settings = RunSettingsSchema.parse({
    endpoint: server.url,
    model: 'qwen3-vl-test',
    agent: 'osworld-qwen3vl',
    approve: 'ask',
    maxSteps: 10,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
    ocr: { enabled: false, waitMs: 0 },
  });
  const desktop = new FakeDesktop({ width: 1920, height: 1080 });
  const run = new AgentRun(INSTRUCTION, settings, {
    desktop,
    model: new ModelClient({ endpoint: settings.endpoint, model: settings.model, mode, retryDelayMs: 10 }),
    approver: approveAll,
  });
  const events: RunEvent[] = [];
  run.on((e) => events.push(e));
  const result = await run.start();
  const shots = events.flatMap((e) => (e.type === 'observation' ? [`data:${e.image.mime};base64,${e.image.base64}`] : []));
  return { result, events, shots, desktop, requests: server.chatRequests().map((r) => r.body as Record<string, unknown>) };
}

describe('the osworld-qwen3vl preset sends what qwen3vl_agent.py sends', { timeout: 60_000 }, () => {
  for (const mode of ['native', 'prompt'] as const) {
    it(`step 1 and step 6, byte for byte (${mode} server mode)`, async () => {
      const { result, shots, requests, desktop, events } = await runPreset(mode);
      expect(result.outcome, result.message).toBe('success');
      expect(requests).toHaveLength(6);
      expect(shots).toHaveLength(6);
      // Each screenshot is the 1920x1080 screen at the agent's smart_resize size.
      const observed = events.flatMap((e) => (e.type === 'observation' ? [e.image] : []));
      expect(observed.map((i) => `${i.width}x${i.height} ${i.mime}`)).toEqual(Array(6).fill('1920x1088 image/png'));

      const responses = REPLIES.map((r) => r.content);
      const actions = REPLIES.map((r) => r.actionLine);
      expect(JSON.stringify(requests[0]!.messages)).toBe(JSON.stringify(referenceMessages(shots.slice(0, 1), [], [])));
      const step6 = referenceMessages(shots, responses.slice(0, 5), actions.slice(0, 5));
      expect(JSON.stringify(requests[5]!.messages)).toBe(JSON.stringify(step6));
      // Step 6: step 1 is under "Previous actions", steps 2-5 come with their screenshots, then the current one.
      expect(JSON.stringify(step6)).toContain('Previous actions:\\nStep 1: Click the Files icon in the dock.');
      expect((requests[5]!.messages as unknown[]).length).toBe(1 + 4 * 2 + 1);

      for (const body of requests) {
        expect(body).not.toHaveProperty('tools');
        expect(body).not.toHaveProperty('tool_choice');
        expect({ temperature: body.temperature, top_p: body.top_p, max_tokens: body.max_tokens }).toEqual({ temperature: 0, top_p: 0.9, max_tokens: 32768 });
      }
      expect(desktop.performed.map((p) => p.action.action)).toEqual(['left_click', 'double_click', 'key', 'type', 'key']);
    });
  }

  it('the request is the same in either server mode (it sends no tools)', async () => {
    const native = await runPreset('native');
    await server?.close();
    const prompt = await runPreset('prompt');
    expect(JSON.stringify(prompt.requests.map((r) => r.messages))).toBe(JSON.stringify(native.requests.map((r) => r.messages)));
  });
});

describe('osworld-qwen3vl replies, Action lines and coordinates', () => {
  const profile = getProfile('osworld-qwen3vl');

  it('parses each reply of the response format into its call, and names the step as the reference does', () => {
    const calls = REPLIES.map((r) => parseReply({ content: r.content }, profile, { imageSize: { width: 1920, height: 1088 } }));
    expect(calls.map((c) => c.errors)).toEqual(REPLIES.map(() => []));
    expect(calls.map((c) => c.calls.map((call) => (call.arguments as { action: string }).action))).toEqual([['left_click'], ['double_click'], ['key'], ['type'], ['key'], ['terminate']]);
    expect(REPLIES.map((r, i) => osworldActionLine(r.content, calls[i]!.calls as never))).toEqual(REPLIES.map((r) => r.actionLine));
  });

  it('an empty "Action:" line names nothing; a later one does; with none, the first call names the step', () => {
    const click = [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [1, 2] } }];
    expect(osworldActionLine('Action:\nAction: Open the menu.\n', click)).toBe('Open the menu.');
    expect(osworldActionLine('Thought: the menu.\n', click)).toBe('Performing click action');
    expect(osworldActionLine('', [{ name: 'computer_use', arguments: { action: 'key', keys: ['enter'] } }])).toBe('Performing press action');
    expect(osworldActionLine('no action here', [])).toBe('');
  });

  it('maps points with the divisor 999 and int(): 999 and 1000 are the last pixel, 0 the first', () => {
    const on = (x: number, y: number, width: number, height: number) => modelToScreen({ x, y }, profile.coordinates, { width, height });
    // Python: int(x * (1920 / 999)), int(y * (1080 / 999)); 1920 and 1080 lie off screen, so the last pixel.
    expect(on(999, 999, 1920, 1080)).toEqual({ x: 1919, y: 1079 });
    expect(on(1000, 1000, 1920, 1080)).toEqual({ x: 1919, y: 1079 });
    expect(on(0, 0, 1920, 1080)).toEqual({ x: 0, y: 0 });
    // int(500 * 1.921921...) = 960 (rounding would give 961); int(420 * 1.081081...) = 454.
    expect(on(500, 420, 1920, 1080)).toEqual({ x: 960, y: 454 });
    expect(on(500, 700, 3840, 2160)).toEqual({ x: 1921, y: 1513 });
    expect(on(700, 700, 1280, 720)).toEqual({ x: 896, y: 504 });
  });

  it("sizes screenshots as the agent's smart_resize does (factor 32, Python's rounding, at most 16*16*4*12800 pixels)", () => {
    expect(preparedSize({ width: 1920, height: 1080 }, profile.image)).toEqual({ width: 1920, height: 1088 });
    // 720 / 32 = 22.5: Python's round() gives 22 (704); half up would give 736.
    expect(preparedSize({ width: 1280, height: 720 }, profile.image)).toEqual({ width: 1280, height: 704 });
    // 3840x2160 is 8.3 M pixels, under 13,107,200: kept, the height rounded to 2176 (67.5 -> 68).
    expect(preparedSize({ width: 3840, height: 2160 }, profile.image)).toEqual({ width: 3840, height: 2176 });
    // 5120x2880 (14.7 M): scaled under the cap by floor, as the reference.
    expect(preparedSize({ width: 5120, height: 2880 }, profile.image)).toEqual({ width: 4800, height: 2688 });
  });

  it('the preset is chosen by the agent setting, and refuses what would change its request', () => {
    expect(profileForSettings({ agent: 'osworld-qwen3vl', profile: 'qwen3-vl' }).id).toBe('osworld-qwen3vl');
    expect(() => profileForSettings({ agent: 'osworld-qwen3vl', zoom: true })).toThrow(/cannot zoom/);
    expect(() => profileForSettings({ agent: 'osworld-qwen3vl', systemPrompt: 'Be careful.' })).toThrow(/system prompt unchanged/);
    expect(() => getProfile('osworld-qwen3vl:grid=999')).toThrow(/grid cannot be changed/);
    expect(() => RunSettingsSchema.parse({ endpoint: 'http://x/v1', model: 'm', agent: 'osworld' })).toThrow(/agent must be one of: osworld-qwen3vl/);
  });
});

describe('previous-actions history', () => {
  const shot = (n: number) => ({ mime: 'image/png', base64: `shot${n}` });
  const reply = (n: number) => ({ reasoning: null, text: '', raw: `Action: Step ${n}.\n<tool_call>...</tool_call>`, calls: [] });
  const images = (turns: ReturnType<PreviousActionsHistory['render']>) =>
    turns.flatMap((t) => (t.role === 'user' ? t.parts.flatMap((p) => (p.type === 'image' ? [p.base64] : [])) : []));

  it('sends a rejected reply and its errors after the current screenshot for that step only', () => {
    const history = new PreviousActionsHistory(4);
    history.start('Do it.', shot(1));
    history.addRejected({ reasoning: null, text: 'garbage', raw: 'garbage', calls: [] }, 'Your last reply was not performed: no tool call.');
    const retry = history.render();
    expect(retry.slice(-2)).toEqual([
      { role: 'assistant', text: 'garbage', calls: [] },
      { role: 'user', parts: [{ type: 'text', text: 'Your last reply was not performed: no tool call.' }] },
    ]);
    history.addReply(reply(1));
    history.addResults([], shot(2));
    const next = history.render();
    expect(next.map((t) => t.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(next)).not.toContain('garbage');
  });

  it('keeps the current screenshot and the 4 before it, however long the run', () => {
    const history = new PreviousActionsHistory(4);
    history.start('Do it.', shot(1));
    for (let n = 1; n <= 9; n++) {
      history.addReply(reply(n));
      history.addResults([], shot(n + 1));
    }
    const turns = history.render();
    expect(images(turns)).toEqual(['shot6', 'shot7', 'shot8', 'shot9', 'shot10']);
    const prompt = turns[0]!.role === 'user' ? turns[0]!.parts[1] : undefined;
    expect(prompt?.type === 'text' && prompt.text.endsWith('Previous actions:\nStep 1: Step 1.\nStep 2: Step 2.\nStep 3: Step 3.\nStep 4: Step 4.\nStep 5: Step 5.')).toBe(true);
  });
});
