/**
 * The Android backend (app/devices/android) driving a stand-in phone through the REAL adb client (Debian's `adb`,
 * pointed at testkit/fake-adb with ADB_SERVER_SOCKET): what the phone received for each mobile_use action - taps
 * at the mapped pixels, swipes, keys, text exactly as typed, the input method switched and put back, apps opened -
 * and the errors a person meets (no phone, an unauthorized one, several, a screenshot that is not a PNG, a phone
 * that goes away).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MobileAction } from '../../app/base/actions';
import { AdbError } from '../../app/devices/android/adb';
import { AppNotFoundError } from '../../app/devices/android/apps';
import { openAndroidPhone, type AndroidPhone } from '../../app/devices/android/device';
import { UnknownAndroidKeyError } from '../../app/devices/android/keys';
import type { ActionTarget } from '../../app/screen/geometry';
import { ADB_KEYBOARD_IME, DEFAULT_APPS, LATIN_IME, PHONE_PALETTE, startFakeAdb, type FakeAdb, type FakeAdbOptions, type InputEvent } from '../../testkit/fake-adb';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';

const home = mkdtempSync(join(tmpdir(), 'android-test-home-'));
const fakes: FakeAdb[] = [];
const GRID_999 = { kind: 'grid', size: 999 } as const;

afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The environment adb runs in: only what it needs, the fake's socket, a HOME of its own. */
function adbEnv(fake: FakeAdb, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ADB_SERVER_SOCKET: fake.socketSpec, ...extra };
}

async function phoneOn(options: FakeAdbOptions = {}, serial?: string): Promise<{ fake: FakeAdb; phone: AndroidPhone; target: ActionTarget }> {
  const fake = await startFakeAdb(options);
  fakes.push(fake);
  const phone = await openAndroidPhone({ env: adbEnv(fake), ...(serial ? { serial } : {}) });
  const [display] = await phone.displays();
  const frame = await phone.capture(display!);
  return { fake, phone, target: { display: frame.display, space: GRID_999 } };
}

const events = (fake: FakeAdb, serial: string): InputEvent[] => fake.commands(serial).flatMap((c) => c.events);
/** Each command the phone ran, as its words (the backend's exit-status `echo` left out). */
const lines = (fake: FakeAdb, serial: string): string[] =>
  fake.commands(serial).flatMap((c) => (c.argv[0] === 'echo' && c.argv[1]?.startsWith('DESKPILOT_EXIT=') ? [] : [c.argv.join(' ')]));
const act = (phone: AndroidPhone, action: MobileAction, target: ActionTarget) => phone.perform(action, target);

describe('the screen', () => {
  it('is the size wm size reports, named after the phone, captured from a PNG', async () => {
    const { phone } = await phoneOn({ devices: [{ serial: 'R58M40ABCDE', model: 'Pixel 7' }] });
    const [display] = await phone.displays();
    expect(display).toMatchObject({ name: 'Pixel 7 (R58M40ABCDE)', bounds: { x: 0, y: 0, width: 1080, height: 2400 } });
    const frame = await phone.capture(display!);
    expect([frame.width, frame.height, frame.channels, frame.data.length]).toEqual([1080, 2400, 3, 1080 * 2400 * 3]);
  });

  it('a rotated phone is landscape, and taps go to the landscape pixels', async () => {
    const { fake, phone, target } = await phoneOn({ devices: [{ serial: 'ROT01', rotation: 1 }] });
    expect((await phone.displays())[0]!.bounds).toMatchObject({ width: 2400, height: 1080 });
    expect(target.display.bounds).toMatchObject({ width: 2400, height: 1080 });
    await act(phone, { action: 'click', coordinate: [999, 0] }, target);
    await act(phone, { action: 'click', coordinate: [500, 500] }, target);
    expect(events(fake, 'ROT01').filter((e) => e.type === 'tap').map((e) => e.type === 'tap' && [e.x, e.y])).toEqual([
      [2399, 0],
      [1201, 541],
    ]);
  });

  it('with a wm size override, taps are in the overridden size', async () => {
    const { fake, phone, target } = await phoneOn({ devices: [{ serial: 'OVR01', overrideSize: { width: 720, height: 1600 } }] });
    expect(target.display.bounds).toMatchObject({ width: 720, height: 1600 });
    await act(phone, { action: 'click', coordinate: [500, 500] }, target);
    expect(events(fake, 'OVR01')).toContainEqual({ type: 'tap', x: 360, y: 801, hit: null });
  });

  it('a screenshot that is not a PNG is an error that says what came instead', async () => {
    const fake = await startFakeAdb({ devices: [{ serial: 'CRLF01', screencap: 'crlf' }, { serial: 'ERR01', screencap: 'error' }] });
    fakes.push(fake);
    const mangled = await openAndroidPhone({ env: adbEnv(fake), serial: 'CRLF01' });
    await expect(mangled.capture((await mangled.displays())[0]!)).rejects.toThrow(/not a PNG: its line ends were turned into CRLF/);
    const failing = await openAndroidPhone({ env: adbEnv(fake), serial: 'ERR01' });
    await expect(failing.capture((await failing.displays())[0]!)).rejects.toThrow(/not a PNG; screencap said: "Error: Failed to take screenshot. Status: -1"/);
  });
});

describe('touches and keys', () => {
  const PHONE = 'FAKEPHONE01';

  it('a click on the 999 grid taps the mapped pixel; on the target found in the screenshot it taps the target', async () => {
    const { fake, phone, target } = await phoneOn();
    // 1080x2400: x = round(500 / 999 * 1080) = 541, y = round(300 / 999 * 2400) = 721.
    await act(phone, { action: 'click', coordinate: [500, 300] }, target);
    expect(lines(fake, PHONE).at(-1)).toBe('input tap 541 721');

    await act(phone, { action: 'open', text: 'Settings' }, target);
    const shot = await fake.screen(PHONE);
    const found = await findColour(shot, PHONE_PALETTE.target);
    const grid: [number, number] = [Math.round((found.x / found.width) * 999), Math.round((found.y / found.height) * 999)];
    const result = await act(phone, { action: 'click', coordinate: grid }, target);
    // Within one grid unit (1080 / 999 and 2400 / 999 pixels) of the target's centre.
    expect(Math.abs(result.screen!.x - found.x)).toBeLessThanOrEqual(1080 / 999);
    expect(Math.abs(result.screen!.y - found.y)).toBeLessThanOrEqual(2400 / 999);
    expect(events(fake, PHONE).at(-1)).toEqual({ type: 'tap', x: result.screen!.x, y: result.screen!.y, hit: 'target' });
    expect(fake.snapshot(PHONE).target).toBe('tapped');
  });

  it('long_press holds 800 ms by default (or the time given), swipe goes from one point to the other', async () => {
    const { fake, phone, target } = await phoneOn();
    await act(phone, { action: 'long_press', coordinate: [500, 500] }, target);
    await act(phone, { action: 'long_press', coordinate: [0, 999], time: 2.5 }, target);
    await act(phone, { action: 'swipe', coordinate: [500, 800], coordinate2: [500, 200] }, target);
    expect(lines(fake, PHONE)).toEqual(expect.arrayContaining(['input swipe 541 1201 541 1201 800', 'input swipe 0 2399 0 2399 2500', 'input swipe 541 1922 541 480 300']));
    expect(events(fake, PHONE).filter((e) => e.type === 'swipe')).toEqual([
      { type: 'swipe', from: [541, 1201], to: [541, 1201], durationMs: 800, longPress: true },
      { type: 'swipe', from: [0, 2399], to: [0, 2399], durationMs: 2500, longPress: true },
      { type: 'swipe', from: [541, 1922], to: [541, 480], durationMs: 300, longPress: false },
    ]);
    await expect(act(phone, { action: 'long_press', coordinate: [1, 1], time: -1 }, target)).rejects.toThrow(/between 0 and 60 seconds/);
  });

  it('system buttons are key events 4, 3, 82 and 66; keys by adb name or code; an unknown key sends nothing', async () => {
    const { fake, phone, target } = await phoneOn();
    for (const button of ['Back', 'Home', 'Menu', 'Enter'] as const) await act(phone, { action: 'system_button', button }, target);
    for (const key of ['volume_up', 'KEYCODE_ENTER', 'del', '26']) await act(phone, { action: 'key', text: key }, target);
    const keys = events(fake, PHONE).flatMap((e) => (e.type === 'key' ? [e.code] : []));
    expect(keys).toEqual([4, 3, 82, 66, 24, 66, 67, 26]);
    const before = fake.commands(PHONE).length;
    await expect(act(phone, { action: 'key', text: 'volume_upp' }, target)).rejects.toThrow(UnknownAndroidKeyError);
    await expect(act(phone, { action: 'key', text: '999' }, target)).rejects.toThrow(/unknown Android key "999"/);
    expect(fake.commands(PHONE).length).toBe(before);
  });

  it('wait waits; terminate and answer send nothing to the phone', async () => {
    const { fake, phone, target } = await phoneOn();
    const before = fake.commands(PHONE).length;
    await act(phone, { action: 'wait', time: 0.05 }, target);
    await act(phone, { action: 'terminate', status: 'success' }, target);
    await act(phone, { action: 'answer', text: '42' }, target);
    expect(fake.commands(PHONE).length).toBe(before);
  });
});

describe('typing', () => {
  const PHONE = 'FAKEPHONE01';

  async function inShop(options: FakeAdbOptions = {}) {
    const opened = await phoneOn(options);
    await act(opened.phone, { action: 'open', text: 'com.example.shop' }, opened.target);
    return opened;
  }

  it('ASCII arrives exactly through input text: spaces, quotes, & ; | < > ( ) $ ` \\ and % (also %s)', async () => {
    const { fake, phone, target } = await inShop();
    const texts = ['Hello, world & "friends" 100%', `it's a;b|c<d>e(f)g$HOME \`id\` back\\slash 50%s off %%s`, '  two  spaces '];
    for (const text of texts) await act(phone, { action: 'type', text }, target);
    expect(fake.typedText(PHONE)).toBe(texts.join(''));
    expect(fake.snapshot(PHONE).fieldText).toBe(texts.join(''));
    // Nothing but input text was used: the input method was never touched.
    expect(lines(fake, PHONE).some((l) => l.includes('ime '))).toBe(false);
  });

  it('a newline is the Enter key and a tab the Tab key, between the pieces of text', async () => {
    const { fake, phone, target } = await inShop();
    await act(phone, { action: 'type', text: 'one\ntwo\tthree' }, target);
    const typed = events(fake, PHONE).flatMap((e) => (e.type === 'text' ? [e.text] : e.type === 'key' ? [`<${e.code}>`] : []));
    expect(typed).toEqual(['one', '<66>', 'two', '<61>', 'three']);
  });

  it('other text goes through ADBKeyboard, which is the input method only while it types', async () => {
    const { fake, phone, target } = await inShop();
    const result = await act(phone, { action: 'type', text: '東京 ✓ café' }, target);
    expect(fake.typedText(PHONE)).toBe('東京 ✓ café');
    expect(events(fake, PHONE)).toContainEqual({ type: 'text', text: '東京 ✓ café', via: 'ADBKeyboard', into: 'com.example.shop' });
    expect(fake.snapshot(PHONE).inputMethod).toBe(LATIN_IME);
    expect(lines(fake, PHONE).filter((l) => l.startsWith('ime set'))).toEqual([`ime set ${ADB_KEYBOARD_IME}`, `ime set ${LATIN_IME}`]);
    expect(result.note).toMatch(/ADBKeyboard, then the keyboard switched back/);
  });

  it('ADBKeyboard installed but not enabled is enabled for the typing and disabled again', async () => {
    const { fake, phone, target } = await inShop({ devices: [{ serial: PHONE, adbKeyboard: 'installed' }] });
    await act(phone, { action: 'type', text: 'Grüße 👋' }, target);
    expect(fake.typedText(PHONE)).toBe('Grüße 👋');
    expect(lines(fake, PHONE).filter((l) => l.startsWith('ime enable') || l.startsWith('ime disable'))).toEqual([`ime enable ${ADB_KEYBOARD_IME}`, `ime disable ${ADB_KEYBOARD_IME}`]);
    expect(fake.snapshot(PHONE).inputMethod).toBe(LATIN_IME);
  });

  it('without ADBKeyboard, non-ASCII text is refused with how to install it, and nothing is typed', async () => {
    const { fake, phone, target } = await inShop({ devices: [{ serial: PHONE, adbKeyboard: 'absent' }] });
    await expect(act(phone, { action: 'type', text: 'café' }, target)).rejects.toThrow(/ADBKeyboard is not installed on the phone; nothing was typed; install ADBKeyboard .*adb install ADBKeyboard\.apk/);
    expect(fake.typedText(PHONE)).toBe('');
    expect(lines(fake, PHONE).some((l) => l.startsWith('input text') || l.startsWith('ime set'))).toBe(false);
  });
});

describe('open', () => {
  const PHONE = 'FAKEPHONE01';

  it('opens an app by its name, a common name or its package, with monkey', async () => {
    const { fake, phone, target } = await phoneOn();
    expect(await act(phone, { action: 'open', text: 'Settings' }, target)).toEqual({ note: 'opened com.android.settings' });
    expect(fake.snapshot(PHONE).foreground).toBe('com.android.settings');
    await act(phone, { action: 'open', text: 'chrome' }, target);
    expect(fake.snapshot(PHONE).foreground).toBe('com.android.chrome');
    await act(phone, { action: 'open', text: 'Shop' }, target);
    expect(fake.snapshot(PHONE).foreground).toBe('com.example.shop');
    await act(phone, { action: 'open', text: 'com.android.contacts' }, target);
    expect(fake.snapshot(PHONE).foreground).toBe('com.android.contacts');
    expect(lines(fake, PHONE)).toContain("monkey -p com.android.settings -c android.intent.category.LAUNCHER 1");
  });

  it('a name that matches nothing is an error naming what is installed', async () => {
    const { fake, phone, target } = await phoneOn();
    await expect(act(phone, { action: 'open', text: 'Nothing Here' }, target)).rejects.toThrow(AppNotFoundError);
    await expect(act(phone, { action: 'open', text: 'com.nope.app' }, target)).rejects.toThrow(/com\.nope\.app is not installed on the phone; installed packages include .*com\.android\.settings/);
    expect(fake.snapshot(PHONE).foreground).toBe(null);
  });
});

describe('the device shell', () => {
  it("reads each command's output and exit status, also output without a final newline", async () => {
    const { phone } = await phoneOn();
    expect(await phone.shell.shell('echo -n partial')).toMatchObject({ stdout: 'partial', status: 0 });
    expect(await phone.shell.shell('wm size')).toMatchObject({ stdout: 'Physical size: 1080x2400\n', status: 0 });
    expect(await phone.shell.shell('false')).toMatchObject({ status: 1 });
    await expect(phone.shell.check('input frobnicate')).rejects.toThrow(/`input frobnicate` failed on the phone \(exit 1\): Error: Unknown command: frobnicate/);
  });
});

describe('what the risk check can ask the phone', () => {
  it('the focused app, and whether its text field takes a password', async () => {
    const bank = { package: 'com.example.bank', label: 'Bank', colour: { r: 10, g: 120, b: 60 }, passwordField: true };
    const { phone, target } = await phoneOn({ devices: [{ serial: 'FAKEPHONE01', apps: [...DEFAULT_APPS, bank] }] });
    const probe = phone.windowProbe();
    expect(await probe.focused()).toEqual({ className: 'com.google.android.apps.nexuslauncher/.NexusLauncherActivity' });
    await act(phone, { action: 'open', text: 'Bank' }, target);
    expect(await probe.focused()).toEqual({ className: 'com.example.bank/.MainActivity', passwordField: true });
    await act(phone, { action: 'open', text: 'Shop' }, target);
    expect(await probe.focused()).toEqual({ className: 'com.example.shop/.MainActivity', passwordField: false });
  });
});

describe('choosing the phone', () => {
  it('no phone: a clear error with the fix', async () => {
    const fake = await startFakeAdb({ devices: [] });
    fakes.push(fake);
    const failure = await openAndroidPhone({ env: adbEnv(fake) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AdbError);
    expect(failure).toMatchObject({ failure: 'no-device', message: expect.stringMatching(/^no phone is attached; connect one by USB with USB debugging on/) });
  });

  it('an unauthorized phone says to accept the prompt on it; an offline one to plug it in again', async () => {
    const fake = await startFakeAdb({ devices: [{ serial: 'UNAUTH01', state: 'unauthorized' }, { serial: 'OFF01', state: 'offline' }] });
    fakes.push(fake);
    await expect(openAndroidPhone({ env: adbEnv(fake), serial: 'UNAUTH01' })).rejects.toThrow(/UNAUTH01 has not authorised this computer .*Allow USB debugging/);
    await expect(openAndroidPhone({ env: adbEnv(fake), serial: 'OFF01' })).rejects.toThrow(/OFF01 is offline; plug the cable in again/);
  });

  it('several phones: without a serial an error lists them; -s SERIAL (or ANDROID_SERIAL) picks one', async () => {
    const fake = await startFakeAdb({ devices: [{ serial: 'PHONEA', model: 'Pixel 7' }, { serial: 'PHONEB', model: 'SM-G991B' }] });
    fakes.push(fake);
    await expect(openAndroidPhone({ env: adbEnv(fake) })).rejects.toThrow(/2 phones are attached: PHONEA \(device, Pixel 7\), PHONEB \(device, SM G991B\); choose one with --device android:SERIAL/);
    await expect(openAndroidPhone({ env: adbEnv(fake), serial: 'PHONEC' })).rejects.toThrow(/no phone with the serial PHONEC is attached; attached: PHONEA/);
    const b = await openAndroidPhone({ env: adbEnv(fake), serial: 'PHONEB' });
    await b.perform({ action: 'system_button', button: 'Home' }, { display: (await b.displays())[0]!, space: GRID_999 });
    expect(lines(fake, 'PHONEB')).toContain('input keyevent 3');
    expect(lines(fake, 'PHONEA')).not.toContain('input keyevent 3');
    const a = await openAndroidPhone({ env: adbEnv(fake, { ANDROID_SERIAL: 'PHONEA' }) });
    expect(a.serial).toBe('PHONEA');
  });

  it('ANDROID_ADB_SERVER_PORT reaches the server as ADB_SERVER_SOCKET does', async () => {
    const fake = await startFakeAdb({ devices: [{ serial: 'PORT01' }] });
    fakes.push(fake);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ANDROID_ADB_SERVER_PORT: String(fake.port) };
    const phone = await openAndroidPhone({ env });
    expect((await phone.displays())[0]!.bounds).toMatchObject({ width: 1080, height: 2400 });
    expect(fake.requests().some((r) => r.startsWith('shell'))).toBe(true);
  });

  it('a phone that goes away mid-run: the next command says so instead of hanging or typing nothing silently', async () => {
    const { fake, phone, target } = await phoneOn({ devices: [{ serial: 'GONE01', goAwayAfterCommands: 3 }] }, 'GONE01');
    await expect(
      (async () => {
        for (let i = 0; i < 5; i++) await act(phone, { action: 'click', coordinate: [100, 100] }, target);
      })(),
    ).rejects.toThrow(/the phone GONE01 went away during `input tap 108 240` \(adb no longer lists it\); check the cable/);
    expect(fake.devices()).toEqual([]);
    await expect(phone.capture(target.display)).rejects.toThrow(/GONE01/);
  });
});
