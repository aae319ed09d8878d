/**
 * End to end on a phone: the real `deskpilot` command (spawned) with the qwen3-vl-mobile profile, against the fake
 * vLLM server replying mobile_use calls and a stand-in phone (testkit/fake-adb) reached through Debian's real `adb`
 * client. The stand-in model opens Settings by name, finds the red target in the phone screenshot it was actually
 * sent and taps it, types ASCII with shell-special characters and CJK/emoji text, swipes, presses Back and ends;
 * every effect is checked on the phone. Also `deskpilot devices`, `act --device android` on a 1080x2400 screen,
 * and the errors: a profile for the wrong tool, an unauthorized phone, no phone, several phones.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { renderReport } from '../../app/runs/report';
import { PHONE_PALETTE, startFakeAdb, type FakeAdb, type FakeAdbOptions, type InputEvent } from '../../testkit/fake-adb';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';

const ASCII = 'Hello, world & "friends" 100%';
const UNICODE = '東京 ✓ café';
const home = mkdtempSync(join(tmpdir(), 'deskpilot-phone-home-'));
const fakes: FakeAdb[] = [];
const servers: FakeVllm[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const fake of fakes.splice(0)) await fake.close();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

async function adbServer(options: FakeAdbOptions = {}): Promise<FakeAdb> {
  const fake = await startFakeAdb(options);
  fakes.push(fake);
  return fake;
}

/** The CLI as a person runs it, with nothing of this machine's settings: its own HOME, the fake adb server. */
function deskpilot(args: string[], fake: FakeAdb): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ADB_SERVER_SOCKET: fake.socketSpec };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/deskpilot.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const call = (args: Record<string, unknown>): Reply => ({
  reasoning: `Next: ${String(args.action)}.`,
  content: `<tool_call>\n${JSON.stringify({ name: 'mobile_use', arguments: args })}\n</tool_call>`,
});

describe('deskpilot run --device android', () => {
  it('taps the target it found in the phone screenshot, types exactly, swipes, goes Back, opens Settings by name, exits 0', async () => {
    const fake = await adbServer({ devices: [{ serial: 'R58M40ABCDE', model: 'Pixel 7' }] });
    const seen: { width: number; height: number }[] = [];
    const offered: string[][] = [];
    let targetGrid: [number, number] = [0, 0];
    const server = await startFakeVllm({
      servedModel: 'mobile-stand-in',
      reasoning: 'inline',
      script: async (body, ctx): Promise<Reply> => {
        const latest = (await decodeImages(body)).at(-1)!;
        seen.push({ width: latest.width, height: latest.height });
        offered.push(ctx.toolsOffered);
        switch (ctx.index) {
          case 0:
            return call({ action: 'open', text: 'Settings' });
          case 1: {
            // The target, found in the image this request carried, on the 0..999 grid.
            const patch = await findColour(latest.data, PHONE_PALETTE.target);
            targetGrid = [Math.round((patch.x / patch.width) * 999), Math.round((patch.y / patch.height) * 999)];
            return call({ action: 'click', coordinate: targetGrid });
          }
          case 2:
            return call({ action: 'type', text: ASCII });
          case 3:
            return call({ action: 'type', text: UNICODE });
          case 4:
            return call({ action: 'swipe', coordinate: [500, 800], coordinate2: [500, 300] });
          case 5:
            return call({ action: 'system_button', button: 'Back' });
          default:
            return call({ action: 'terminate', status: 'success' });
        }
      },
    });
    servers.push(server);
    const out = join(home, 'record');
    const result = await deskpilot(['run', 'Open Settings, tap the red button, write the note, scroll, go back.', '--device', 'android',
      '--endpoint', server.url, '--approve', 'auto', '--out', out], fake);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The mobile profile was the default for a phone, and the model was sent the phone's shape (smart-resized).
    expect(JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8'))).toMatchObject({ profile: 'qwen3-vl-mobile', device: 'android' });
    expect(offered.length).toBe(7);
    expect(offered.every((tools) => tools.includes('mobile_use') && !tools.includes('computer_use'))).toBe(true);
    expect(seen[0]!.height).toBeGreaterThan(seen[0]!.width * 2);
    expect(Math.abs(seen[0]!.height / seen[0]!.width - 2400 / 1080)).toBeLessThan(0.05);

    const phoneEvents: InputEvent[] = fake.commands('R58M40ABCDE').flatMap((c) => c.events);
    const taps = phoneEvents.filter((e) => e.type === 'tap');
    expect(taps).toHaveLength(1);
    const tap = taps[0]!;
    // The one mapper: x = round(gx / 999 * 1080), y = round(gy / 999 * 2400); it hit the target.
    expect(tap).toEqual({ type: 'tap', x: Math.round((targetGrid[0] / 999) * 1080), y: Math.round((targetGrid[1] / 999) * 2400), hit: 'target' });
    expect(fake.typedText('R58M40ABCDE')).toBe(ASCII + UNICODE);
    expect(phoneEvents.filter((e) => e.type === 'text').map((e) => e.type === 'text' && [e.via, e.into])).toEqual([
      ['input text', 'com.android.settings'],
      ['ADBKeyboard', 'com.android.settings'],
    ]);
    expect(phoneEvents).toContainEqual({ type: 'swipe', from: [541, 1922], to: [541, 721], durationMs: 300, longPress: false });
    expect(phoneEvents.filter((e) => e.type === 'key').map((e) => e.type === 'key' && e.code)).toEqual([4]);
    // Back left Settings; the keyboard is the person's again.
    expect(fake.snapshot('R58M40ABCDE')).toMatchObject({ foreground: null, inputMethod: 'com.android.inputmethod.latin/.LatinIME' });

    const events = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const performed = events.filter((e) => e.type === 'action' && e.ok === true).map((e) => (e.action as { action: string }).action);
    expect(performed).toEqual(['open', 'click', 'type', 'type', 'swipe', 'system_button']);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'done' });
    const report = renderReport(out);
    expect(report).toContain('Open Settings, tap the red button');
    expect(report).toContain('東京 ✓ café');
    // Replayed on another phone of the same size: the same taps, text, swipe and Back arrive there.
    const other = await adbServer({ devices: [{ serial: 'REPLAY01' }] });
    const replay = await deskpilot(['replay', out, '--device', 'android', '--approve', 'auto', '--delay', '0'], other);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('Performed 6 of 6 action(s).');
    const replayed = other.commands('REPLAY01').flatMap((c) => c.events);
    expect(replayed.filter((e) => e.type === 'tap')).toEqual([tap]);
    expect(other.typedText('REPLAY01')).toBe(ASCII + UNICODE);
    expect(replayed.filter((e) => e.type === 'swipe' || e.type === 'key')).toEqual(phoneEvents.filter((e) => e.type === 'swipe' || e.type === 'key'));
    // A desktop replay of a phone run is refused with the fix.
    const wrong = await deskpilot(['replay', out, '--device', 'local', '--dry-run'], other);
    expect([wrong.code, wrong.stderr]).toEqual([2, 'deskpilot: this run was recorded on a phone (mobile_use actions): replay it with --device android[:SERIAL]\n']);

    // The swipe is drawn as an arrow on its step's screenshot.
    expect(report).toMatch(/<line class="swipe" x1="[\d.]+" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+"[^>]*marker-end="url\(#arrow-5\)"\/>/);
  }, 60_000);

  it('a phone that goes away mid-run ends the run with a clear error and a readable record, without hanging', async () => {
    const fake = await adbServer({ devices: [{ serial: 'GONE01', goAwayAfterCommands: 12 }] });
    // Taps until the phone is gone: the run must end by itself, not by the step budget.
    const server = await startFakeVllm({ servedModel: 'm', script: [call({ action: 'click', coordinate: [500, 500] })] });
    servers.push(server);
    const out = join(home, 'gone-record');
    const result = await deskpilot(['run', 'tap', '--device', 'android', '--endpoint', server.url, '--model', 'm', '--approve', 'auto', '--max-steps', '50', '--out', out], fake);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/the phone GONE01 went away during `[^`]+` \(adb no longer lists it\); check the cable/);
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => e.type === 'run-finished')).toMatchObject({ outcome: 'error', message: expect.stringContaining('went away') });
    expect(renderReport(out)).toContain('went away');
  }, 60_000);

  it('a computer_use profile for a phone is a usage error before anything is opened', async () => {
    const fake = await adbServer();
    const result = await deskpilot(['run', 'x', '--device', 'android', '--profile', 'qwen3-vl', '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm'], fake);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/profile "qwen3-vl" speaks computer_use, but a phone \(--device android\) takes mobile_use actions; use --profile qwen3-vl-mobile/);
    expect(fake.requests()).toEqual([]);
  });

  it('an unauthorized phone ends the command at once with the fix, and no model is asked', async () => {
    const fake = await adbServer({ devices: [{ serial: 'UNAUTH01', state: 'unauthorized' }] });
    const server = await startFakeVllm({ servedModel: 'm' });
    servers.push(server);
    const result = await deskpilot(['run', 'x', '--device', 'android', '--endpoint', server.url, '--model', 'm'], fake);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the phone UNAUTH01 has not authorised this computer for USB debugging; unlock the phone and accept the 'Allow USB debugging\?' prompt/);
    expect(server.chatRequests()).toEqual([]);
  });
});

describe('deskpilot devices, act and capture on a phone', () => {
  it('devices lists each phone with its state, model, screen size and the fix for a phone that is not ready', async () => {
    const fake = await adbServer({ devices: [{ serial: 'R58M40ABCDE', model: 'Pixel 7' }, { serial: 'UNAUTH01', state: 'unauthorized' }, { serial: 'OFF01', state: 'offline' }] });
    const text = await deskpilot(['devices'], fake);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/--device android:R58M40ABCDE +device {2}Pixel 7 {2}1080x2400\n/);
    expect(text.stdout).toMatch(/--device android:UNAUTH01 +unauthorized\n +fix: unlock the phone and accept/);
    expect(text.stdout).toMatch(/--device android:OFF01 +offline\n +fix: plug the cable in again/);
    const json = JSON.parse((await deskpilot(['devices', '--json'], fake)).stdout) as { phones: unknown[] };
    // In adb's order (by serial).
    expect(json.phones).toEqual([
      expect.objectContaining({ spec: 'android:OFF01', state: 'offline' }),
      { spec: 'android:R58M40ABCDE', serial: 'R58M40ABCDE', state: 'device', model: 'Pixel 7', size: { width: 1080, height: 2400 } },
      expect.objectContaining({ spec: 'android:UNAUTH01', state: 'unauthorized', fix: expect.stringContaining('Allow USB debugging') }),
    ]);
  });

  it('act taps within one grid unit of where a 999-grid coordinate points on 1080x2400', async () => {
    const fake = await adbServer({ devices: [{ serial: 'R58M40ABCDE' }] });
    const result = await deskpilot(['act', '--device', 'android', '{"action": "click", "coordinate": [250, 750]}'], fake);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const tap = fake.commands('R58M40ABCDE').flatMap((c) => c.events).find((e) => e.type === 'tap');
    expect(tap).toBeDefined();
    if (tap?.type !== 'tap') return;
    // 250/999 of 1080 = 270.3 and 750/999 of 2400 = 1801.8: one grid unit is 1.08 x 2.4 pixels.
    expect(Math.abs(tap.x - (250 / 999) * 1080)).toBeLessThanOrEqual(1080 / 999);
    expect(Math.abs(tap.y - (750 / 999) * 2400)).toBeLessThanOrEqual(2400 / 999);
    expect(JSON.parse(result.stdout)).toMatchObject({ action: { action: 'click' }, screen: { x: tap.x, y: tap.y }, size: { width: 1080, height: 2400 } });
  });

  it('act: several phones without a serial list them; a serial picks one; bad arguments never reach the phone', async () => {
    const fake = await adbServer({ devices: [{ serial: 'PHONEA' }, { serial: 'PHONEB' }] });
    const several = await deskpilot(['act', '--device', 'android', '{"action": "system_button", "button": "Home"}'], fake);
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/2 phones are attached: PHONEA \(device, Pixel 7\), PHONEB \(device, Pixel 7\); choose one with --device android:SERIAL/);
    const picked = await deskpilot(['act', '--device', 'android:PHONEB', '{"action": "system_button", "button": "Home"}'], fake);
    expect(picked.code).toBe(0);
    expect(fake.commands('PHONEB').flatMap((c) => c.events)).toEqual([{ type: 'key', code: 3, name: 'KEYCODE_HOME', longPress: false }]);
    const bad = await deskpilot(['act', '--device', 'android:PHONEB', '{"action": "click", "coordinate": [1200, 5]}'], fake);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/coordinate/);
    const unknownKey = await deskpilot(['act', '--device', 'android:PHONEB', '{"action": "key", "text": "nokey"}'], fake);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toMatch(/unknown Android key "nokey"/);
  });

  it('with no phone attached, act says so and how to connect one', async () => {
    const fake = await adbServer({ devices: [] });
    const result = await deskpilot(['act', '--device', 'android', '{"action": "system_button", "button": "Home"}'], fake);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("deskpilot: no phone is attached; connect one by USB with USB debugging on (README, 'Phones') and check `adb devices`\n");
  });

  it('ask --device android sends the phone screen to the mobile model and prints its answer', async () => {
    const fake = await adbServer({ devices: [{ serial: 'R58M40ABCDE', model: 'Pixel 7' }] });
    const server = await startFakeVllm({ servedModel: 'qwen3-vl-mobile-test', script: [{ content: 'The Settings app is open.' }] });
    servers.push(server);
    const r = await deskpilot(['ask', 'Which app is open?', '--device', 'android', '--endpoint', server.url], fake);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('The Settings app is open.\n');
    const body = server.chatRequests()[0]!.body;
    expect(textOf(body)).toContain('Which app is open?');
    const [image] = await decodeImages(body);
    expect(image!.height).toBeGreaterThan(image!.width * 2); // the 1080x2400 phone screen, resized for the model
  });

  it('capture writes the image the mobile model would be sent, phone-shaped', async () => {
    const fake = await adbServer({ devices: [{ serial: 'R58M40ABCDE', rotation: 1 }] });
    const file = join(home, 'phone.png');
    const result = await deskpilot(['capture', '--device', 'android', '--out', file, '--json'], fake);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ profile: 'qwen3-vl-mobile' });
    const written = await findColour(readFileSync(file), PHONE_PALETTE.wallpaper);
    // Landscape: the phone is turned.
    expect(written.width).toBeGreaterThan(written.height * 2);
  });
});
