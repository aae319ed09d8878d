/**
 * The engine host (behind the browser UI and the desktop app) driving a phone: `devices.list` shows the phones the
 * real adb client sees on testkit/fake-adb, the `device` setting chooses one (the profile then defaults to the
 * mobile model), a run performs mobile_use actions on it, and a profile for the wrong tool is refused with the fix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DeviceList, RunEvent } from '../../app/contract';
import type { SettingsView } from '../../app/host/bridge';
import { EngineHost } from '../../app/host/engine-host';
import { MemorySettingsStore } from '../../app/host/settings-store';
import { startFakeAdb, type FakeAdb } from '../../testkit/fake-adb';
import { FakeDesktop } from '../../testkit/fake-desktop';
import { startFakeVllm, type Reply } from '../../testkit/fake-vllm/server';

const home = mkdtempSync(join(tmpdir(), 'phone-host-home-'));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const mobile = (args: Record<string, unknown>): Reply => ({ content: '', toolCalls: [{ name: 'mobile_use', arguments: args }] });

async function setup(script: Reply[]) {
  const fake: FakeAdb = await startFakeAdb({ devices: [{ serial: 'R58M40ABCDE', model: 'Pixel 7' }, { serial: 'UNAUTH01', state: 'unauthorized' }] });
  const model = await startFakeVllm({ servedModel: 'mobile', toolParser: true, script });
  const host = new EngineHost({
    store: new MemorySettingsStore(),
    runsRoot: mkdtempSync(join(home, 'runs-')),
    createDesktop: async () => new FakeDesktop({ width: 1000, height: 800 }),
    overrides: { endpoint: model.url, approve: 'auto', settle: { enabled: false, quietMs: 0, maxMs: 0 } },
    adb: { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ADB_SERVER_SOCKET: fake.socketSpec } },
  });
  const events: RunEvent[] = [];
  host.onEvent((e) => events.push(e));
  cleanups.push(async () => {
    await host.close();
    await model.close();
    await fake.close();
  });
  const ok = async <T>(name: string, input: unknown): Promise<T> => {
    const answer = await host.handle(name, input);
    if (!answer.ok) throw new Error(`${name} failed: ${answer.error}`);
    return answer.value as T;
  };
  const finished = async (): Promise<RunEvent> => {
    for (let i = 0; i < 400; i++) {
      const found = events.find((e) => e.type === 'run-finished');
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the run did not finish; events: ${events.map((e) => e.type).join(', ')}`);
  };
  return { fake, host, ok, finished };
}

describe('the engine host and phones', () => {
  it('devices.list shows this desktop and each phone with its state and the fix', async () => {
    const { ok } = await setup([]);
    const list = await ok<DeviceList>('devices.list', {});
    expect(list.desktop).toEqual({ spec: 'local', displays: [{ id: 0, name: expect.any(String), width: 1000, height: 800, primary: true }] });
    expect(list.phones).toEqual([
      { spec: 'android:R58M40ABCDE', serial: 'R58M40ABCDE', state: 'device', model: 'Pixel 7', size: { width: 1080, height: 2400 } },
      { spec: 'android:UNAUTH01', serial: 'UNAUTH01', state: 'unauthorized', fix: expect.stringContaining('Allow USB debugging') },
    ]);
  });

  it('a run on the phone chosen in the settings performs mobile_use actions there, with the mobile profile by default', async () => {
    const { fake, ok, finished } = await setup([
      mobile({ action: 'open', text: 'Settings' }),
      mobile({ action: 'click', coordinate: [500, 300] }),
      mobile({ action: 'type', text: 'Wi-Fi 東京' }),
      mobile({ action: 'terminate', status: 'success' }),
    ]);
    const view = await ok<SettingsView>('settings.save', { device: 'android:R58M40ABCDE' });
    expect(view.settings).toMatchObject({ device: 'android:R58M40ABCDE', profile: 'qwen3-vl-mobile' });
    await ok('run.start', { instruction: 'Search the settings for Wi-Fi' });
    expect(await finished()).toMatchObject({ type: 'run-finished', outcome: 'success' });
    const events = fake.commands('R58M40ABCDE').flatMap((c) => c.events);
    // 500/999 of 1080 and 300/999 of 2400.
    expect(events.flatMap((e) => (e.type === 'tap' ? [[e.x, e.y]] : []))).toEqual([[541, 721]]);
    expect(fake.typedText('R58M40ABCDE')).toBe('Wi-Fi 東京');
    expect(fake.snapshot('R58M40ABCDE').foreground).toBe('com.android.settings');
  });

  it('a computer_use profile with a phone, or an unauthorized phone, is refused with what to do', async () => {
    const { host, ok } = await setup([]);
    await ok('settings.save', { device: 'android:R58M40ABCDE', profile: 'qwen3-vl' });
    expect(await host.handle('run.start', { instruction: 'x' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/profile "qwen3-vl" speaks computer_use, but the device "android" speaks mobile_use; use a profile such as qwen3-vl-mobile/),
    });
    await ok('settings.save', { device: 'android:UNAUTH01', profile: 'qwen3-vl-mobile' });
    expect(await host.handle('run.start', { instruction: 'x' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^the phone could not be opened: the phone UNAUTH01 has not authorised this computer for USB debugging; unlock the phone/),
    });
  });
});
