/**
 * Running the `adb` command of Debian's `adb` package (or any adb on PATH, or DESKPILOT_ADB): every phone
 * operation is one `adb [-s SERIAL] ...` child process, its output read as bytes, its errors turned into AdbErrors
 * that say what is wrong and how to fix it.
 *
 * Why the adb client and not an npm adb client: the client is what people already use and trust with their phone.
 * It starts the adb server when none runs, holds the key the phone authorised (~/.android/adbkey), and reads
 * ADB_SERVER_SOCKET, ANDROID_ADB_SERVER_PORT and ANDROID_SERIAL itself, exactly as `adb` does in a terminal -
 * because it is `adb`. The npm clients that speak the server's protocol (adbkit and forks) reimplement that wire
 * format, cannot start a server, and are not in this project's package list; a few milliseconds per command saved
 * is not worth a second implementation of device choice and errors that differ from the ones people look up.
 *
 * Two client behaviours this file works around (both seen with the Debian client, 29.0.6):
 * - `adb shell a b c` joins its arguments with spaces and the phone's shell splits them again, like ssh: callers
 *   give ONE device command line, already quoted for the device shell (text.ts shellQuote);
 * - a phone that goes away mid-command makes `adb shell` exit 0 with no output, and legacy phones (no shell_v2)
 *   always exit 0. So every device command line ends with `; echo <marker>$?`: the marker carries the command's
 *   exit status, and its absence means the connection dropped (then `adb get-state` says what happened).
 */
import { spawn } from 'node:child_process';
import { Aborted, errorMessage } from '../../base/errors';

/** Why an adb command failed, as far as adb's own words tell. */
export type AdbFailure =
  | 'adb-missing'
  | 'no-server'
  | 'no-device'
  | 'several'
  | 'not-found'
  | 'unauthorized'
  | 'offline'
  | 'no-permissions'
  | 'gone'
  | 'timeout'
  | 'failed';

export class AdbError extends Error {
  override name = 'AdbError';
  constructor(
    message: string,
    readonly failure: AdbFailure,
    /** What the person can do about it (already part of the message). */
    readonly fix?: string,
  ) {
    super(fix ? `${message}; ${fix}` : message);
  }
}

/** How to fix each device state adb reports that is not `device` (also shown by `deskpilot devices`). */
export const STATE_FIXES: Record<string, string> = {
  unauthorized:
    "unlock the phone and accept the 'Allow USB debugging?' prompt (tick 'Always allow from this computer'); no prompt? In Developer options tap 'Revoke USB debugging authorizations' and plug the cable in again",
  offline: "plug the cable in again (or `adb reconnect`); if it stays offline, run `adb kill-server` and restart the phone's USB debugging",
  authorizing: 'wait a moment: adb is checking the key the phone accepted',
  connecting: 'wait a moment: adb is connecting to the phone',
  'no permissions':
    'this user may not open the USB device: add a udev rule for the phone (Debian/Ubuntu: `sudo apt-get install android-sdk-platform-tools-common`), plug it in again, or run `adb kill-server` and retry',
  bootloader: 'the phone is in its bootloader: start Android normally',
  recovery: 'the phone is in recovery mode: start Android normally',
  sideload: 'the phone is waiting for a sideload: start Android normally',
  rescue: 'the phone is in rescue mode: start Android normally',
};

const ADB_MISSING_FIX =
  'install it: `sudo apt-get install adb` (Debian/Ubuntu; `scripts/install.sh` does it), or set DESKPILOT_ADB to the adb binary';

export interface AdbRunOptions {
  /** The adb binary (default: $DESKPILOT_ADB, else `adb` on PATH). */
  adbPath?: string;
  /** The environment adb sees (default: this process's): ADB_SERVER_SOCKET, ANDROID_ADB_SERVER_PORT, ... */
  env?: NodeJS.ProcessEnv;
  /** Kill the client after this long (default 20 s): a phone that stops answering never hangs a run. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AdbResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export const DEFAULT_ADB_TIMEOUT_MS = 20_000;

export function adbBinary(options: Pick<AdbRunOptions, 'adbPath' | 'env'> = {}): string {
  return options.adbPath ?? (options.env ?? process.env).DESKPILOT_ADB ?? 'adb';
}

/** Run `adb ARGS` (never through a shell). Rejects only when adb cannot run, times out or is aborted. */
export function runAdb(args: readonly string[], options: AdbRunOptions = {}): Promise<AdbResult> {
  const binary = adbBinary(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_ADB_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new Aborted('the adb command was cancelled', 'action'));
    const child = spawn(binary, [...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new AdbError(`\`adb ${describeArgs(args)}\` did not finish within ${timeoutMs / 1000} s`, 'timeout', 'check that the phone is connected and unlocked (`adb devices`)')));
    }, timeoutMs);
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(() => reject(new Aborted('the adb command was cancelled', 'action')));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(() =>
        reject(
          error.code === 'ENOENT'
            ? new AdbError(`the adb command (${binary}) is not installed`, 'adb-missing', ADB_MISSING_FIX)
            : new AdbError(`adb could not be started: ${errorMessage(error)}`, 'failed'),
        ),
      );
    });
    child.on('close', (code) => finish(() => resolve({ code, stdout: Buffer.concat(out), stderr })));
  });
}

/** The arguments as a person would type them, for messages (long ones cut). */
export function describeArgs(args: readonly string[]): string {
  const text = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * adb's own error text -> an AdbError with the fix, or null when stderr says nothing adb-specific. `serial`: the
 * phone the command was for, if one was chosen.
 */
export function adbErrorFrom(stderr: string, serial?: string): AdbError | null {
  const text = stderr.trim();
  const phone = serial ? `the phone ${serial}` : 'the phone';
  if (/\bunauthorized\b/.test(text)) return new AdbError(`${phone} has not authorised this computer for USB debugging`, 'unauthorized', STATE_FIXES.unauthorized);
  if (/device offline/.test(text)) return new AdbError(`${phone} is offline`, 'offline', STATE_FIXES.offline);
  if (/insufficient permissions|no permissions/.test(text)) return new AdbError(`${phone} cannot be opened: ${firstLine(text)}`, 'no-permissions', STATE_FIXES['no permissions']);
  const missing = /device '([^']*)' not found/.exec(text);
  if (missing) return new AdbError(`no phone with the serial ${missing[1]} is attached`, 'not-found', 'see the attached phones with `deskpilot devices` (or `adb devices`)');
  if (/no devices\/emulators found|no devices found|no emulators found/.test(text)) {
    return new AdbError('no phone is attached', 'no-device', "connect one by USB with USB debugging on (README, 'Phones') and check `adb devices`");
  }
  if (/more than one (device|emulator)/.test(text)) {
    return new AdbError('several phones are attached', 'several', 'choose one with --device android:SERIAL (`deskpilot devices` lists them)');
  }
  if (/cannot connect to daemon|cannot start server on remote host|failed to start daemon|Connection refused/.test(text)) {
    return new AdbError(
      `adb cannot reach its server (${firstLine(text)})`,
      'no-server',
      'run `adb start-server`; if ADB_SERVER_SOCKET or ANDROID_ADB_SERVER_PORT is set, check that a server listens there',
    );
  }
  return null;
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.replace(/^(adb: )?error: /, '').trim()).find(Boolean) ?? text;
}

/** The command's own failure: adb's error if it gave one, else its exit code and last words. */
export function adbFailure(what: string, result: AdbResult, serial?: string): AdbError {
  const known = adbErrorFrom(result.stderr, serial);
  if (known) return known;
  const said = (result.stderr.trim() || result.stdout.toString('utf8').trim()).split('\n').slice(-3).join(' / ');
  return new AdbError(`${what} failed (exit ${result.code ?? 'signal'})${said ? `: ${said.slice(0, 300)}` : ''}`, 'failed');
}
