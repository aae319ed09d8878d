/**
 * The loop drives whatever device it is given, in the tool the device speaks: a mobile_use profile runs on a
 * touchscreen device (taps and swipes land where the model pointed, through the one mapper), and a profile whose
 * tool is not the device's is refused before anything happens, with an error naming both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRun } from '../../app/agent/loop';
import { RunSettingsSchema, type RunEvent } from '../../app/contract';
import { ModelClient } from '../../app/model/client';
import { FakeDesktop, FakePhone } from '../../testkit/fake-desktop';
import { startFakeVllm, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';

const mobile = (args: Record<string, unknown>): Reply => ({ toolCalls: [{ name: 'mobile_use', arguments: args }] });

let server: FakeVllm | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function settingsFor(url: string, profile: string) {
  return RunSettingsSchema.parse({
    endpoint: url,
    model: 'qwen3-vl-test',
    profile,
    approve: 'auto',
    maxSteps: 5,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
    ocr: { enabled: false },
  });
}

/** Where a point of the 0..999 grid lands on a 1080x2400 screen, computed here apart from the engine's mapper. */
const onPhone = (x: number, y: number) => ({ x: Math.round((x / 999) * 1080), y: Math.round((y / 999) * 2400) });

describe('a mobile_use run', () => {
  it('taps and swipes at the mapped points of the phone screen and ends when the model terminates', async () => {
    server = await startFakeVllm({
      servedModel: 'qwen3-vl-test',
      script: [
        mobile({ action: 'click', coordinate: [333, 666] }),
        mobile({ action: 'swipe', coordinate: [500, 800], coordinate2: [500, 200] }),
        mobile({ action: 'terminate', status: 'success' }),
      ],
    });
    const settings = settingsFor(server.url, 'qwen3-vl-mobile');
    const phone = new FakePhone({ width: 1080, height: 2400 });
    const run = new AgentRun('Open the settings.', settings, {
      desktop: phone,
      model: new ModelClient({ endpoint: server.url, model: settings.model }),
      approver: null,
    });
    const events: RunEvent[] = [];
    run.on((e) => events.push(e));

    const result = await run.start();

    expect(result.outcome).toBe('success');
    expect(phone.performed.map((p) => p.action)).toEqual([
      { action: 'click', coordinate: [333, 666] },
      { action: 'swipe', coordinate: [500, 800], coordinate2: [500, 200] },
    ]);
    expect(phone.performed[0]!.target.space).toEqual({ kind: 'grid', size: 999 });
    const proposals = events.flatMap((e) => (e.type === 'proposal' ? [e.proposal] : []));
    expect(proposals.map((p) => [p.tool, p.screen])).toEqual([
      ['mobile_use', onPhone(333, 666)],
      ['mobile_use', onPhone(500, 800)],
    ]);
    expect(proposals[1]!.summary).toBe(
      `Swipe from (${onPhone(500, 800).x}, ${onPhone(500, 800).y}) to (${onPhone(500, 200).x}, ${onPhone(500, 200).y})`,
    );
    const actions = events.flatMap((e) => (e.type === 'action' ? [e] : []));
    expect(actions.map((a) => [a.ok, a.screen, a.screen2])).toEqual([
      [true, onPhone(333, 666), undefined],
      [true, onPhone(500, 800), onPhone(500, 200)],
    ]);
    // The model was offered the phone's tool, not the desktop's.
    const firstTools = JSON.stringify(server.chatRequests()[0]!.body.tools ?? server.chatRequests()[0]!.body.messages[0]);
    expect(firstTools).toContain('mobile_use');
    expect(firstTools).not.toContain('computer_use');
  });

  it('refuses a mobile_use profile for a computer_use desktop, and the other way round, naming both tools', async () => {
    const settings = settingsFor('http://127.0.0.1:9/v1', 'qwen3-vl-mobile');
    const model = new ModelClient({ endpoint: settings.endpoint, model: settings.model });
    expect(() => new AgentRun('x', settings, { desktop: new FakeDesktop(), model, approver: null })).toThrow(
      'profile "qwen3-vl-mobile" speaks mobile_use, but the device "fake" speaks computer_use; use a profile such as qwen3-vl',
    );
    const desktopSettings = settingsFor('http://127.0.0.1:9/v1', 'qwen3-vl');
    expect(() => new AgentRun('x', desktopSettings, { desktop: new FakePhone(), model, approver: null })).toThrow(
      'profile "qwen3-vl" speaks computer_use, but the device "fake phone" speaks mobile_use; use a profile such as qwen3-vl-mobile',
    );
  });
});
