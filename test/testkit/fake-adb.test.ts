/**
 * The stand-in adb server (testkit/fake-adb) as the REAL adb client sees it: Debian's `adb` is pointed at it with
 * ADB_SERVER_SOCKET=tcp:127.0.0.1:PORT (a "remote" server, so the client never forks a server of its own) and every
 * answer is read back through it - device lists, shell output and exit codes, screenshots, the errors it prints.
 * After each test the fake is closed and its port checked; after the file, no adb server may have been started.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PHONE_PALETTE, startFakeAdb, type FakeAdb, type FakeAdbOptions } from '../../testkit/fake-adb';
import { findColour } from '../../testkit/fixture-desktop/locate-colour';

const home = mkdtempSync(join(tmpdir(), 'fake-adb-home-'));
const fakes: FakeAdb[] = [];
/** adb clients still running (a test that failed half-way must not leave one behind). */
const clients = new Set<ChildProcess>();

async function fake(options: FakeAdbOptions = {}): Promise<FakeAdb> {
  const server = await startFakeAdb(options);
  fakes.push(server);
  return server;
}

interface AdbResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the real adb client against a fake; never through a shell, so the arguments arrive as written here. */
function adb(server: FakeAdb, args: string[], how: { viaPort?: boolean } = {}): Promise<AdbResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm' };
  if (how.viaPort) env.ANDROID_ADB_SERVER_PORT = String(server.port);
  else env.ADB_SERVER_SOCKET = server.socketSpec;
  return new Promise((resolve, reject) => {
    const child = spawn('adb', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    clients.add(child);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clients.delete(child);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

const text = (r: AdbResult) => r.stdout.toString('utf8');

/** PIDs of adb servers (`adb ... fork-server server`) running now. */
function adbServerPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)adb$/.test(argv[0] ?? '') && argv.includes('fork-server')) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

let serversBefore: number[] = [];
beforeAll(() => {
  serversBefore = adbServerPids();
});

afterEach(async () => {
  for (const child of clients) child.kill('SIGKILL');
  for (const server of fakes.splice(0)) {
    await server.close();
    // Nothing may be left listening on the fake's port.
    const refused = await new Promise<boolean>((resolve) => {
      const probe = net.connect(server.port, '127.0.0.1');
      probe.on('connect', () => (probe.destroy(), resolve(false)));
      probe.on('error', () => resolve(true));
    });
    expect(refused, `port ${server.port} still accepts connections after close()`).toBe(true);
  }
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  const started = adbServerPids().filter((pid) => !serversBefore.includes(pid));
  // Only servers that appeared during this file are ours to stop.
  for (const pid of started) process.kill(pid, 'SIGKILL');
  expect(started, 'the tests started a real adb server').toEqual([]);
});

const PHONE = 'R58M40ABCDE';

describe('host services', () => {
  it('adb devices lists each phone with its state, as the real server formats it', async () => {
    const server = await fake({
      devices: [
        { serial: PHONE },
        { serial: 'emulator-5554', transport: 'local' },
        { serial: 'UNAUTH01', state: 'unauthorized' },
        { serial: 'OFF01', state: 'offline' },
      ],
    });
    const short = await adb(server, ['devices']);
    expect(short.code).toBe(0);
    // USB devices first, then emulators, each sorted by serial; a blank line ends the list.
    expect(text(short)).toBe(`List of devices attached\nOFF01\toffline\n${PHONE}\tdevice\nUNAUTH01\tunauthorized\nemulator-5554\tdevice\n\n`);

    const long = await adb(server, ['devices', '-l']);
    expect(text(long).split('\n')).toEqual([
      'List of devices attached',
      'OFF01                  offline usb:1-3 transport_id:4',
      `${PHONE}            device usb:1-1 product:panther model:Pixel_7 device:panther transport_id:1`,
      'UNAUTH01               unauthorized usb:1-2 transport_id:3',
      'emulator-5554          device product:panther model:Pixel_7 device:panther transport_id:2',
      '',
      '',
    ]);
    // Each query opens its own connection after the client's version check, which the fake answers as 0x29.
    expect(server.requests()).toEqual(['host:version', 'host:devices', 'host:version', 'host:devices-l']);
  });

  it('answers ANDROID_ADB_SERVER_PORT clients too (a local server the client accepts, so it starts none)', async () => {
    const server = await fake();
    const result = await adb(server, ['devices'], { viaPort: true });
    expect(result.stderr).toBe('');
    expect(text(result)).toBe('List of devices attached\nFAKEPHONE01\tdevice\n\n');
  });

  it('adb get-state and get-serialno ask the host services', async () => {
    const server = await fake({ devices: [{ serial: PHONE }, { serial: 'UNAUTH01', state: 'unauthorized' }] });
    expect(text(await adb(server, ['-s', PHONE, 'get-state']))).toBe('device\n');
    expect(text(await adb(server, ['-s', 'UNAUTH01', 'get-state']))).toBe('unauthorized\n');
    expect(text(await adb(server, ['-s', PHONE, 'get-serialno']))).toBe(`${PHONE}\n`);
    expect(server.requests()).toContain(`host-serial:${PHONE}:get-state`);
  });

  it('adb kill-server stops the fake, and the next client fails instead of starting a server', async () => {
    const server = await fake();
    const kill = await adb(server, ['kill-server']);
    expect(kill.code).toBe(0);
    expect(server.killed).toBe(true);
    const after = await adb(server, ['devices']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('* cannot start server on remote host');
    expect(after.stderr).toContain(`cannot connect to daemon at ${server.socketSpec}`);
  });
});

describe('choosing a device', () => {
  it('with two phones, a command without -s gets the client’s own error; -s picks one', async () => {
    const server = await fake({ devices: [{ serial: PHONE }, { serial: 'SECOND01' }] });
    const ambiguous = await adb(server, ['shell', 'wm', 'size']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe('error: more than one device/emulator\n');
    const picked = await adb(server, ['-s', 'SECOND01', 'shell', 'getprop', 'ro.serialno']);
    expect(text(picked)).toBe('SECOND01\n');
    expect(server.commands(PHONE)).toEqual([]);
  });

  it('an unauthorized phone and an offline phone give the server’s messages', async () => {
    const server = await fake({ devices: [{ serial: 'UNAUTH01', state: 'unauthorized' }, { serial: 'OFF01', state: 'offline' }] });
    const unauthorized = await adb(server, ['-s', 'UNAUTH01', 'shell', 'wm', 'size']);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toBe(
      "error: device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your device.\n",
    );
    const offline = await adb(server, ['-s', 'OFF01', 'exec-out', 'screencap', '-p']);
    // exec-out skips the feature query and fails at the transport switch; the client exits 255 there.
    expect(offline.code).toBe(255);
    expect(offline.stderr).toBe('error: device offline\n');
    const missing = await adb(server, ['-s', 'NOPE', 'shell', 'true']);
    expect(missing.stderr).toBe("error: device 'NOPE' not found\n");
    expect(server.commands('UNAUTH01')).toEqual([]);
  });

  it('with no phone attached the client says so; a phone plugged in later is listed', async () => {
    const server = await fake({ devices: [] });
    expect((await adb(server, ['shell', 'true'])).stderr).toBe('error: no devices/emulators found\n');
    expect(text(await adb(server, ['devices']))).toBe('List of devices attached\n\n');
    server.add({ serial: PHONE });
    expect(text(await adb(server, ['devices']))).toBe(`List of devices attached\n${PHONE}\tdevice\n\n`);
  });

  it('-s also takes the model:, product: and device: qualifiers and the usb devpath', async () => {
    const server = await fake({ devices: [{ serial: PHONE, model: 'SM-G991B' }, { serial: 'SECOND01' }] });
    for (const target of ['model:SM_G991B', 'product:panther', 'usb:1-1']) {
      const result = await adb(server, ['-s', target, 'shell', 'getprop ro.serialno']);
      // product: matches both phones, which is ambiguous, as on a real server.
      expect(result.stderr || text(result), target).toBe(target === 'product:panther' ? 'error: more than one device\n' : `${PHONE}\n`);
    }
  });
});

describe('shell and exec-out', () => {
  it('adb -s SERIAL shell wm size: shell protocol v2, the size and an override', async () => {
    const server = await fake({ devices: [{ serial: PHONE, overrideSize: { width: 720, height: 1600 } }] });
    const result = await adb(server, ['-s', PHONE, 'shell', 'wm', 'size']);
    expect(result.code).toBe(0);
    expect(text(result)).toBe('Physical size: 1080x2400\nOverride size: 720x1600\n');
    expect(server.requests()).toEqual(['host:version', `host-serial:${PHONE}:features`, `host:tport:serial:${PHONE}`, 'shell,v2,TERM=xterm,raw:wm size']);
  });

  it('passes exit codes and stderr through the shell protocol; a legacy phone returns merged output and 0', async () => {
    const server = await fake({ devices: [{ serial: PHONE }, { serial: 'OLD01', shellV2: false }] });
    const v2 = await adb(server, ['-s', PHONE, 'shell', 'echo out; nosuchcommand; exit 3']);
    expect(v2.code).toBe(3);
    expect(text(v2)).toBe('out\n');
    expect(v2.stderr).toBe('/system/bin/sh: nosuchcommand: inaccessible or not found\n');
    const legacy = await adb(server, ['-s', 'OLD01', 'shell', 'echo out; nosuchcommand; exit 3']);
    expect(legacy.code).toBe(0);
    expect(text(legacy)).toBe('out\n/system/bin/sh: nosuchcommand: inaccessible or not found\n');
    expect(server.requests()).toContain('shell:echo out; nosuchcommand; exit 3');
  });

  it('runs each line as sh -c would: variables, $?, && and ||, redirections, TERM from the client', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const result = await adb(server, ['shell', 'A="x y"; echo $A "$TERM"; false || echo $?; true && echo ok; nosuch 2>/dev/null; echo $? >&2']);
    expect([result.code, text(result), result.stderr]).toEqual([0, 'x y xterm\n1\nok\n', '127\n']);
    // A new line is a new shell: A is gone.
    expect(text(await adb(server, ['shell', 'echo "[$A]"']))).toBe('[]\n');
    const file = await adb(server, ['shell', 'screencap -p > /sdcard/s.png']);
    expect([file.code, file.stderr]).toEqual([1, 'fake-adb: not simulated: writing to the file /sdcard/s.png (the phone has no files here)\n']);
  });

  it('adb exec-out screencap -p returns a PNG of the screen size, as does adb shell (v2 and legacy)', async () => {
    const server = await fake({ devices: [{ serial: PHONE }, { serial: 'OLD01', shellV2: false, screen: { width: 720, height: 1280 } }] });
    for (const [serial, args, size] of [
      [PHONE, ['exec-out', 'screencap', '-p'], [1080, 2400]],
      [PHONE, ['shell', 'screencap', '-p'], [1080, 2400]],
      ['OLD01', ['shell', 'screencap', '-p'], [720, 1280]],
    ] as const) {
      const result = await adb(server, ['-s', serial, ...args]);
      expect(result.code).toBe(0);
      const meta = await sharp(result.stdout).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', ...size]);
      expect(result.stdout.equals(await server.screen(serial))).toBe(true);
    }
    // exec-out quotes each argument itself (the shell protocol's `adb shell` does not).
    expect(server.requests()).toContain("exec:screencap '-p'");
  });

  it('a rotated phone sends landscape screenshots and says how it is rotated', async () => {
    const server = await fake({ devices: [{ serial: PHONE, rotation: 1 }] });
    const png = (await adb(server, ['exec-out', 'screencap', '-p'])).stdout;
    expect(await sharp(png).metadata()).toMatchObject({ width: 2400, height: 1080 });
    expect(text(await adb(server, ['shell', 'wm size']))).toBe('Physical size: 1080x2400\n');
    expect(text(await adb(server, ['shell', 'settings get system user_rotation']))).toBe('1\n');
    expect(text(await adb(server, ['shell', 'dumpsys input']))).toMatch(/SurfaceOrientation: 1\n/);
    expect(text(await adb(server, ['shell', 'dumpsys window displays']))).toMatch(/cur=2400x1080 .*\n[\s\S]*mRotation=1 /);
    await adb(server, ['shell', 'settings put system user_rotation 0']);
    expect(await sharp((await adb(server, ['exec-out', 'screencap', '-p'])).stdout).metadata()).toMatchObject({ width: 1080, height: 2400 });
  });

  it('a screencap that is not a PNG: mangled by a pty, or an error', async () => {
    const server = await fake({ devices: [{ serial: 'CRLF01', screencap: 'crlf' }, { serial: 'ERR01', screencap: 'error' }] });
    const mangled = await adb(server, ['-s', 'CRLF01', 'exec-out', 'screencap', '-p']);
    expect(mangled.stdout.subarray(0, 9)).toEqual(Buffer.from('\x89PNG\r\r\n\x1a\r', 'latin1'));
    await expect(sharp(mangled.stdout).metadata()).rejects.toThrow();
    const failed = await adb(server, ['-s', 'ERR01', 'exec-out', 'screencap', '-p']);
    expect(failed.code).toBe(0);
    expect(text(failed)).toBe('Error: Failed to take screenshot. Status: -1\n');
    const v2 = await adb(server, ['-s', 'ERR01', 'shell', 'screencap', '-p']);
    expect([v2.code, v2.stdout.length, v2.stderr]).toEqual([1, 0, 'Error: Failed to take screenshot. Status: -1\n']);
  });
});

describe('input', () => {
  it('adb shell input tap 10 20 is recorded, and a tap on the target found by colour turns it green', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    expect((await adb(server, ['shell', 'input', 'tap', '10', '20'])).code).toBe(0);
    expect(server.commands(PHONE)).toEqual([
      { line: 'input tap 10 20', via: 'shell,v2', argv: ['input', 'tap', '10', '20'], events: [{ type: 'tap', x: 10, y: 20, hit: null }], exitCode: 0 },
    ]);

    await adb(server, ['shell', 'monkey -p com.android.settings -c android.intent.category.LAUNCHER 1']);
    const before = (await adb(server, ['exec-out', 'screencap', '-p'])).stdout;
    const target = await findColour(before, PHONE_PALETTE.target);
    await adb(server, ['shell', `input tap ${Math.round(target.x)} ${Math.round(target.y)}`]);
    const after = (await adb(server, ['exec-out', 'screencap', '-p'])).stdout;
    await expect(findColour(after, PHONE_PALETTE.target)).rejects.toThrow(/found no/);
    const tapped = await findColour(after, PHONE_PALETTE.targetTapped);
    expect([Math.round(tapped.x), Math.round(tapped.y)]).toEqual([Math.round(target.x), Math.round(target.y)]);
    expect(server.snapshot(PHONE)).toMatchObject({ foreground: 'com.android.settings', target: 'tapped' });
  });

  it("input text decodes the device shell's quoting and %s: 'Hello%s\"x\"' types Hello \"x\"", async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    // One argument: adb passes the line as is, and the phone's shell removes the single quotes.
    await adb(server, ['shell', `input text 'Hello%s"x"'`]);
    expect(server.typedText(PHONE)).toBe('Hello "x"');
    // Several arguments: adb joins them with spaces without quoting (like ssh), so the phone's shell eats the
    // double quotes - exactly what happens on a real phone.
    await adb(server, ['shell', 'input', 'text', 'Hello%s"x"']);
    expect(server.commands(PHONE).map((c) => c.line)).toEqual([`input text 'Hello%s"x"'`, 'input text Hello%s"x"']);
    expect(server.typedText(PHONE)).toBe('Hello "x"Hello x');
    // exec-out quotes each argument, so the same arguments arrive intact.
    await adb(server, ['exec-out', 'input', 'text', 'a%sb"c"']);
    expect(server.typedText(PHONE)).toBe('Hello "x"Hello xa b"c"');
  });

  it('text with the characters a backend must escape arrives only when escaped', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const typed = `Hello, world & "friends" 100% $HOME;(x)|y<z>\`w\` \\`;
    const escaped = `'${typed.replace(/ /g, '%s').replace(/'/g, `'\\''`)}'`;
    await adb(server, ['shell', `input text ${escaped}`]);
    expect(server.typedText(PHONE)).toBe(typed);
    // Unescaped, the phone's shell splits it into commands (here: a background job and a missing command).
    const raw = await adb(server, ['shell', 'input text Hello,%sworld%s&%s"friends"']);
    expect(raw.code).toBe(127);
    expect(raw.stderr).toBe('/system/bin/sh: %sfriends: inaccessible or not found\n');
    expect(server.typedText(PHONE)).toBe(typed + 'Hello, world ');
  });

  it('input text refuses non-ASCII as Android does, typing nothing', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const result = await adb(server, ['shell', 'input text 東京']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('java.lang.NullPointerException');
    expect(server.typedText(PHONE)).toBe('');
  });

  it('keyevents by number and name, swipes and long presses are recorded and change the screen', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    await adb(server, ['shell', 'monkey -p com.android.settings -c android.intent.category.LAUNCHER 1']);
    const list = await findColour(await server.screen(PHONE), PHONE_PALETTE.rowA);
    await adb(server, ['shell', 'input swipe 540 2000 540 1000 300']);
    expect((await findColour(await server.screen(PHONE), PHONE_PALETTE.rowA)).y).not.toBeCloseTo(list.y, 0);
    const target = await findColour(await server.screen(PHONE), PHONE_PALETTE.target);
    await adb(server, ['shell', `input swipe ${target.x} ${target.y} ${target.x} ${target.y} 800`]);
    expect(server.snapshot(PHONE).target).toBe('long-pressed');
    await adb(server, ['shell', 'input keyevent KEYCODE_VOLUME_UP BACK; input keyevent 3; input keyevent --longpress 82 nosuchkey']);
    const events = server.commands(PHONE).flatMap((c) => c.events);
    expect(events.slice(0, 2)).toEqual([
      { type: 'swipe', from: [540, 2000], to: [540, 1000], durationMs: 300, longPress: false },
      { type: 'swipe', from: [target.x, target.y], to: [target.x, target.y], durationMs: 800, longPress: true },
    ]);
    expect(events.slice(2).map((e) => e.type === 'key' && [e.code, e.name, e.longPress])).toEqual([
      [24, 'KEYCODE_VOLUME_UP', false],
      [4, 'KEYCODE_BACK', false],
      [3, 'KEYCODE_HOME', false],
      [82, 'KEYCODE_MENU', true],
      [0, 'KEYCODE_UNKNOWN', true],
    ]);
    expect(server.snapshot(PHONE).foreground).toBeNull();
  });

  it('bad input arguments fail as input does', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const bad = await adb(server, ['shell', 'input tap ten 20']);
    expect([bad.code, bad.stderr]).toEqual([255, `Exception occurred while executing 'tap':\njava.lang.NumberFormatException: For input string: "ten"\n`]);
    const split = await adb(server, ['shell', 'input text two words']);
    expect(split.code).toBe(1);
    expect(split.stderr).toMatch(/^Error: Invalid arguments for command: text\nUsage: input/);
    const refused = await adb(server, ['shell', 'input text a|b']);
    expect([refused.code, refused.stderr]).toEqual([2, "fake-adb: a pipe ('|') is not simulated (at character 13)\n"]);
    expect(server.commands(PHONE).at(-1)).toMatchObject({ argv: [], shellError: { kind: 'unsupported' } });
    expect(server.typedText(PHONE)).toBe('');
  });
});

describe('apps and the keyboard', () => {
  it('monkey opens an app by package, the home icon too, and Back and Home leave it', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const packages = text(await adb(server, ['shell', 'pm list packages']));
    expect(packages).toContain('package:com.android.settings\n');
    expect(text(await adb(server, ['shell', 'pm list packages -3']))).toBe('package:com.example.shop\npackage:com.android.adbkeyboard\n');
    const home = await server.screen(PHONE);
    const settingsColour = { r: 96, g: 125, b: 139 };
    const icon = await findColour(home, settingsColour);

    const monkey = await adb(server, ['shell', 'monkey', '-p', 'com.android.settings', '-c', 'android.intent.category.LAUNCHER', '1']);
    expect(monkey.code).toBe(0);
    expect(text(monkey)).toContain('Events injected: 1\n');
    expect(server.snapshot(PHONE).foreground).toBe('com.android.settings');
    const app = await server.screen(PHONE);
    expect((await findColour(app, settingsColour)).count).toBeGreaterThan(icon.count);
    await findColour(app, PHONE_PALETTE.target);

    await adb(server, ['shell', 'input keyevent 4']);
    expect(server.snapshot(PHONE).foreground).toBeNull();
    expect((await server.screen(PHONE)).equals(home)).toBe(true);
    await adb(server, ['shell', `input tap ${Math.round(icon.x)} ${Math.round(icon.y)}`]);
    expect(server.snapshot(PHONE).foreground).toBe('com.android.settings');
    await adb(server, ['shell', 'input keyevent KEYCODE_HOME']);
    expect(server.snapshot(PHONE).foreground).toBeNull();

    const unknown = await adb(server, ['shell', 'monkey -p com.nope -c android.intent.category.LAUNCHER 1']);
    expect([unknown.code, text(unknown).endsWith('** No activities found to run, monkey aborted.\n')]).toEqual([252, true]);
  });

  it('ADBKeyboard types UTF-8 from base64 only while it is the input method', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    await adb(server, ['shell', 'monkey -p com.example.shop -c android.intent.category.LAUNCHER 1']);
    expect(text(await adb(server, ['shell', 'ime list -s']))).toBe('com.android.inputmethod.latin/.LatinIME\ncom.android.adbkeyboard/.AdbIME\n');
    const before = text(await adb(server, ['shell', 'settings get secure default_input_method'])).trim();
    expect(before).toBe('com.android.inputmethod.latin/.LatinIME');
    const b64 = Buffer.from('東京 ✓ café').toString('base64');
    const broadcast = `am broadcast -a ADB_INPUT_B64 --es msg ${b64}`;

    expect(text(await adb(server, ['shell', broadcast]))).toBe('Broadcasting: Intent { act=ADB_INPUT_B64 flg=0x400000 (has extras) }\nBroadcast completed: result=0\n');
    expect(server.typedText(PHONE)).toBe('');

    expect(text(await adb(server, ['shell', 'ime enable com.android.adbkeyboard/.AdbIME && ime set com.android.adbkeyboard/.AdbIME']))).toBe(
      'Input method com.android.adbkeyboard/.AdbIME: already enabled for user #0\nInput method com.android.adbkeyboard/.AdbIME selected for user #0\n',
    );
    await adb(server, ['shell', broadcast]);
    await adb(server, ['shell', `ime set ${before}`]);
    expect(server.typedText(PHONE)).toBe('東京 ✓ café');
    expect(server.commands(PHONE).flatMap((c) => c.events)).toContainEqual({ type: 'text', text: '東京 ✓ café', via: 'ADBKeyboard', into: 'com.example.shop' });
    expect(server.snapshot(PHONE)).toMatchObject({ inputMethod: before, fieldText: '東京 ✓ café' });
  });

  it('ADBKeyboard installed but not enabled needs ime enable; absent, it cannot be selected', async () => {
    const server = await fake({ devices: [{ serial: 'INST01', adbKeyboard: 'installed' }, { serial: 'NONE01', adbKeyboard: 'absent' }] });
    expect(text(await adb(server, ['-s', 'INST01', 'shell', 'ime list -s']))).toBe('com.android.inputmethod.latin/.LatinIME\n');
    expect(text(await adb(server, ['-s', 'INST01', 'shell', 'ime list -a -s']))).toContain('com.android.adbkeyboard/.AdbIME\n');
    expect((await adb(server, ['-s', 'INST01', 'shell', 'ime set com.android.adbkeyboard/.AdbIME'])).code).toBe(255);
    expect(text(await adb(server, ['-s', 'INST01', 'shell', 'ime enable com.android.adbkeyboard/.AdbIME']))).toContain('now enabled');
    expect((await adb(server, ['-s', 'INST01', 'shell', 'ime set com.android.adbkeyboard/.AdbIME'])).code).toBe(0);

    expect(text(await adb(server, ['-s', 'NONE01', 'shell', 'ime list -a -s']))).toBe('com.android.inputmethod.latin/.LatinIME\n');
    expect(text(await adb(server, ['-s', 'NONE01', 'shell', 'pm list packages adbkeyboard']))).toBe('');
    const set = await adb(server, ['-s', 'NONE01', 'shell', 'ime set com.android.adbkeyboard/.AdbIME']);
    expect([set.code, set.stderr]).toEqual([255, 'Unknown input method com.android.adbkeyboard/.AdbIME cannot be selected for user #0\n']);
  });

  it('getprop answers the model and the properties a backend lists', async () => {
    const server = await fake({ devices: [{ serial: PHONE, model: 'SM-G991B', release: '13', sdk: 33 }] });
    expect(text(await adb(server, ['shell', 'getprop ro.product.model']))).toBe('SM-G991B\n');
    expect(text(await adb(server, ['shell', 'getprop ro.build.version.sdk; getprop no.such.prop']))).toBe('33\n\n');
    expect(text(await adb(server, ['devices', '-l']))).toContain('model:SM_G991B');
  });
});

describe('a phone that goes away', () => {
  it('mid-command: the connection closes, the client returns, and the phone is gone', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const running = adb(server, ['-s', PHONE, 'shell', 'sleep 30']);
    while (!server.commands(PHONE).some((c) => c.argv[0] === 'sleep')) await new Promise((r) => setTimeout(r, 20));
    server.remove(PHONE);
    const result = await running;
    // adb 29 reports no error for a shell-protocol stream that ends without an exit packet: it exits 0, silently.
    expect([result.code, result.stdout.length, result.stderr]).toEqual([0, 0, '']);
    expect(text(await adb(server, ['devices']))).toBe('List of devices attached\n\n');
    expect((await adb(server, ['-s', PHONE, 'shell', 'true'])).stderr).toBe(`error: device '${PHONE}' not found\n`);
  });

  it('after a set number of commands (goAwayAfterCommands): the next screenshot comes back empty', async () => {
    const server = await fake({ devices: [{ serial: PHONE, goAwayAfterCommands: 1 }] });
    expect(text(await adb(server, ['shell', 'wm size']))).toBe('Physical size: 1080x2400\n');
    const shot = await adb(server, ['exec-out', 'screencap', '-p']);
    expect([shot.code, shot.stdout.length]).toEqual([0, 0]);
    expect(server.devices()).toEqual([]);
    expect((await adb(server, ['shell', 'wm size'])).stderr).toBe('error: no devices/emulators found\n');
  });

  it('going offline closes its connections and later commands get "device offline"', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const running = adb(server, ['exec-out', 'sleep 30']);
    while (server.commands(PHONE).length === 0) await new Promise((r) => setTimeout(r, 20));
    server.setState(PHONE, 'offline');
    expect((await running).stdout.length).toBe(0);
    expect(text(await adb(server, ['devices']))).toBe(`List of devices attached\n${PHONE}\toffline\n\n`);
    expect((await adb(server, ['shell', 'true'])).stderr).toBe('error: device offline\n');
    server.setState(PHONE, 'device');
    expect((await adb(server, ['shell', 'true'])).code).toBe(0);
  });
});

/** Speaks the host protocol by hand, for the requests older clients send and Debian's 29.0.6 does not. */
async function raw(server: FakeAdb, ...requests: string[]): Promise<{ data: Buffer; closed: boolean }> {
  const socket = net.connect(server.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<boolean>((resolve) => socket.on('end', () => resolve(true)));
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  for (const request of requests) socket.write(`${Buffer.byteLength(request).toString(16).padStart(4, '0')}${request}`);
  const ended = await closed;
  socket.destroy();
  return { data: Buffer.concat(chunks), closed: ended };
}

describe('the host protocol by hand', () => {
  it('answers each host query with OKAY + hex length + payload, then closes the connection', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    expect(await raw(server, 'host:version')).toEqual({ data: Buffer.from('OKAY00040029'), closed: true });
    expect((await raw(server, 'host:features')).data.toString()).toBe('OKAY0068shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp,abb_exec,remount_shell');
    expect((await raw(server, 'host:host-features')).data.toString()).toMatch(/^OKAY[0-9a-f]{4}shell_v2,.*push_sync$/);
    expect((await raw(server, `host-serial:${PHONE}:get-devpath`)).data.toString()).toBe('OKAY0007usb:1-1');
    expect((await raw(server, 'host:nonsense')).data.toString()).toBe('FAIL0014unknown host service');
  });

  it('switches transports the old way (OKAY only) and the new way (OKAY + 8-byte transport id)', async () => {
    const server = await fake({ devices: [{ serial: PHONE, shellV2: false }, { serial: 'emulator-5554', transport: 'local' }] });
    expect((await raw(server, `host:transport:${PHONE}`, 'shell:echo hi')).data.toString()).toBe('OKAYOKAYhi\n');
    expect((await raw(server, 'host:transport-usb', 'exec:getprop ro.serialno')).data.toString()).toBe(`OKAYOKAY${PHONE}\n`);
    expect((await raw(server, 'host:transport-local', 'exec:getprop ro.serialno')).data.toString()).toBe('OKAYOKAYemulator-5554\n');
    expect((await raw(server, 'host:transport-id:2', 'exec:echo two')).data.toString()).toBe('OKAYOKAYtwo\n');
    const tport = (await raw(server, 'host:tport:usb', 'exec:echo x')).data;
    expect([tport.subarray(0, 4).toString(), tport.readBigUInt64LE(4), tport.subarray(12).toString()]).toEqual(['OKAY', 1n, 'OKAYx\n']);
    expect((await raw(server, 'host:transport-any')).data.toString()).toBe('FAIL001dmore than one device/emulator');
    // A service adbd does not have: the stream closes.
    expect((await raw(server, `host:transport:${PHONE}`, 'sync:')).data.toString()).toBe('OKAYFAIL0006closed');
  });

  it('frames shell protocol v2 output: stdout and stderr packets, then the exit code', async () => {
    const server = await fake({ devices: [{ serial: PHONE }] });
    const { data } = await raw(server, `host:transport:${PHONE}`, 'shell,v2,raw:echo out; echo err >&2; exit 7');
    const packet = (id: number, body: Buffer) => Buffer.concat([Buffer.from([id]), Buffer.from(new Uint32Array([body.length]).buffer), body]);
    expect(data).toEqual(Buffer.concat([Buffer.from('OKAYOKAY'), packet(1, Buffer.from('out\n')), packet(2, Buffer.from('err\n')), packet(3, Buffer.from([7]))]));
    // A pty merges the streams and turns LF into CRLF.
    const pty = await raw(server, `host:transport:${PHONE}`, 'shell,v2,pty:echo a; echo b >&2');
    expect(pty.data.subarray(8)).toEqual(Buffer.concat([packet(1, Buffer.from('a\r\nb\r\n')), packet(3, Buffer.from([0]))]));
  });
});
