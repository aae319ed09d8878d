/**
 * The engine host's `ask` request (the UI's Ask button) against the fake vLLM server: the question and the run
 * target's current screen reach the model (a desktop's display, or the phone on testkit/fake-adb), the answer comes
 * back as the profile finds it, and what cannot be done says why - no endpoint, a model error, a question already
 * being answered, a run going on - while Cancel ends the wait.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../app/contract';
import type { AskAnswer, BridgeResponse } from '../../app/host/bridge';
import { EngineHost } from '../../app/host/engine-host';
import { MemorySettingsStore } from '../../app/host/settings-store';
import { CAPCURRICULUM_SYSTEM_PROMPT } from '../../app/model/profiles';
import { startFakeAdb } from '../../testkit/fake-adb';
import { FakeDesktop } from '../../testkit/fake-desktop';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type Script } from '../../testkit/fake-vllm/server';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';

const home = mkdtempSync(join(tmpdir(), 'ask-host-'));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const SCREEN = { width: 1000, height: 800 };
const SQUARE = { x: 700, y: 200, side: 40 };

/** A dark screen with one green square: only the screenshot tells the stand-in model where it is. */
function paint(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3, 30);
  for (let y = SQUARE.y; y < SQUARE.y + SQUARE.side; y++) {
    for (let x = SQUARE.x; x < SQUARE.x + SQUARE.side; x++) data.set([20, 220, 40], (y * width + x) * 3);
  }
  return data;
}

async function setup(options: { script: Script; overrides?: Record<string, unknown>; adbSocket?: string; chunkDelayMs?: number }) {
  const model: FakeVllm = await startFakeVllm({ servedModel: 'stand-in', toolParser: true, chunkDelayMs: options.chunkDelayMs ?? 0, script: options.script });
  const host = new EngineHost({
    store: new MemorySettingsStore(),
    runsRoot: mkdtempSync(join(home, 'runs-')),
    createDesktop: async () => new FakeDesktop({ ...SCREEN, static: true, paint }),
    overrides: { endpoint: model.url, profile: 'capcurriculum', settle: { enabled: false, quietMs: 0, maxMs: 0 }, ...options.overrides },
    ...(options.adbSocket ? { adb: { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ADB_SERVER_SOCKET: options.adbSocket } } } : {}),
  });
  const events: RunEvent[] = [];
  host.onEvent((e) => events.push(e));
  cleanups.push(async () => {
    await host.close();
    await model.close();
  });
  const ask = (question: string) => host.handle('ask', { question }) as Promise<BridgeResponse<AskAnswer>>;
  return { model, host, ask, events };
}

const value = <T>(answer: BridgeResponse<T>): T => {
  if (!answer.ok) throw new Error(`refused: ${answer.error}`);
  return answer.value;
};

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !probe(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!probe()) throw new Error(`gave up waiting for ${what}`);
}

describe('ask in the engine host', () => {
  it('sends the question with the current screen under the profile\'s system prompt and answers the last \\boxed{}', async () => {
    const { model, ask } = await setup({
      script: async (body) => {
        const [image] = await decodeImages(body);
        const found = await findColour(image!.data, { r: 20, g: 220, b: 40 });
        const where = found.x > found.width / 2 ? 'right' : 'left';
        return { content: `<think> A green square sits on the ${where}. </think> The square is \\boxed{green, on the ${where}}` };
      },
    });
    const answer = value(await ask('  What colour is the square, and where?  '));
    expect(answer).toMatchObject({
      question: 'What colour is the square, and where?',
      answer: 'green, on the right',
      reasoning: 'A green square sits on the right.',
      about: 'this desktop, display 0 (1000x800)',
      profile: 'capcurriculum',
      model: 'stand-in',
    });
    expect(answer.note).toBeUndefined();
    const [request] = model.chatRequests();
    expect(request!.body.messages[0]).toEqual({ role: 'system', content: CAPCURRICULUM_SYSTEM_PROMPT });
    expect(textOf(request!.body)).toContain('What colour is the square, and where?');
    expect(request!.body.tools ?? []).toEqual([]);
    const images = await decodeImages(request!.body);
    expect(images).toHaveLength(1);
    expect({ width: images[0]!.width, height: images[0]!.height }).toEqual(answer.image);
  });

  it('without a \\boxed{} the whole reply is the answer, with the note saying so', async () => {
    const { ask } = await setup({ script: [{ content: '<think> Looking. </think> It is a green square.' }] });
    const answer = value(await ask('What is on the screen?'));
    expect(answer.answer).toBe('It is a green square.');
    expect(answer.reasoning).toBe('Looking.');
    expect(answer.note).toMatch(/boxed/);
  });

  it('says what went wrong: no endpoint, an empty question, a model error', async () => {
    const { ask, host } = await setup({ script: [{ error: { status: 500, message: 'CUDA out of memory' } }] });
    expect(await host.handle('ask', { question: '   ' })).toMatchObject({ ok: false, error: 'ask: question: type a question about the screen first' });
    const failed = await ask('What is on the screen?');
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error).toMatch(/^the model could not answer: .*CUDA out of memory/);

    const bare = new EngineHost({ store: new MemorySettingsStore(), runsRoot: mkdtempSync(join(home, 'runs-')), createDesktop: async () => new FakeDesktop(SCREEN) });
    cleanups.push(() => bare.close());
    const none = await bare.handle('ask', { question: 'What is on the screen?' });
    expect(none).toMatchObject({ ok: false, error: expect.stringMatching(/^no model endpoint is set.*open Settings/) });
  });

  it('one question at a time, no run meanwhile; Cancel ends the wait and says so', async () => {
    const { model, ask, host } = await setup({ chunkDelayMs: 3000, script: [{ content: 'A slow and very long answer about the screen that takes its time to arrive.' }] });
    const first = ask('What is on the screen?');
    await until('the model to be asked', () => model.chatRequests().length === 1);
    const second = await ask('And now?');
    expect(second).toMatchObject({ ok: false, error: 'a question is already being answered; wait for its answer or Cancel it' });
    expect(await host.handle('run.start', { instruction: 'Click something' })).toMatchObject({ ok: false, error: expect.stringMatching(/^a question about the screen is being answered/) });
    expect(value(await host.handle('ask.cancel', {}))).toEqual({ cancelled: true });
    const cancelled = await first;
    expect(cancelled).toMatchObject({ ok: false, error: expect.stringMatching(/^cancelled/) });
    await until('the request to be dropped', () => model.chatRequests()[0]!.closedEarly);
    expect(model.chatRequests()).toHaveLength(1);
    expect(value(await host.handle('ask.cancel', {}))).toEqual({ cancelled: false });
  });

  it('is refused while a run is going, and answers once the run has ended', async () => {
    const { host, ask, events } = await setup({
      overrides: { profile: 'qwen3-vl', approve: 'ask' },
      script: (_body, ctx) =>
        ctx.toolsOffered.length === 0
          ? { content: 'A dark screen with a green square.' }
          : { content: '', toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [500, 500] } }] },
    });
    value(await host.handle('run.start', { instruction: 'Click the middle' }));
    await until('the approval question', () => events.some((e) => e.type === 'approval-requested'));
    expect(await ask('What is on the screen?')).toMatchObject({ ok: false, error: expect.stringMatching(/^a run is going: ask when it has finished \(or Stop it\)/) });
    value(await host.handle('run.stop', {}));
    await host.idle();
    expect(value(await ask('What is on the screen?')).answer).toBe('A dark screen with a green square.');
  });

  it('asks about the phone when the target is a phone', async () => {
    const adb = await startFakeAdb({ devices: [{ serial: 'R58M40ABCDE', model: 'Pixel 7' }] });
    cleanups.push(() => adb.close());
    const { model, ask } = await setup({
      adbSocket: adb.socketSpec,
      overrides: { device: 'android:R58M40ABCDE', profile: 'qwen3-vl-mobile' },
      script: [{ content: 'The home screen.' }],
    });
    const answer = value(await ask('Which app is open?'));
    expect(answer).toMatchObject({ answer: 'The home screen.', about: 'the phone android:R58M40ABCDE (1080x2400)', profile: 'qwen3-vl-mobile' });
    const [image] = await decodeImages(model.chatRequests()[0]!.body);
    expect(image!.height).toBeGreaterThan(image!.width);
  });
});
