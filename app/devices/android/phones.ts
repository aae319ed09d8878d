/**
 * The phones adb sees, one device shell per phone, and the choice `--device android[:SERIAL]` makes:
 * - `adb devices -l` read into serial, state and properties (the state's fix when it is not `device`);
 * - PhoneShell: `adb -s SERIAL shell '<line>; echo <marker>$?'` and `adb -s SERIAL exec-out ...`, with the exit status
 *   read from the marker (adb.ts says why), and a dropped connection turned into a clear "went away" error after
 *   asking adb what became of the phone;
 * - choosePhone: the phone a spec names, or the only one attached (ANDROID_SERIAL first, as adb itself does);
 *   several, none, or one that is unauthorized or offline: an error that lists them and says what to do.
 */
import { AdbError, STATE_FIXES, adbErrorFrom, adbFailure, describeArgs, runAdb, type AdbRunOptions } from './adb';

export interface PhoneListing {
  serial: string;
  /** adb's word: device, unauthorized, offline, no permissions, recovery, ... */
  state: string;
  /** From `adb devices -l` (underscores for spaces; only once the phone is online). */
  model?: string;
  product?: string;
  device?: string;
  transportId?: number;
  usb?: string;
  /** What to do when the state is not `device`. */
  fix?: string;
}

/** `adb devices -l` output -> one entry per phone (lines adb prints about starting its server are skipped). */
export function parseDeviceList(output: string): PhoneListing[] {
  const phones: PhoneListing[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('*') || line.startsWith('List of devices')) continue;
    const match = /^(\S+)\s+(no permissions(?: \([^)]*\))?(?:; see \[[^\]]*\])?|\S+)(.*)$/.exec(line);
    if (!match) continue;
    const state = match[2]!.startsWith('no permissions') ? 'no permissions' : match[2]!;
    const phone: PhoneListing = { serial: match[1]!, state };
    for (const word of match[3]!.trim().split(/\s+/)) {
      const colon = word.indexOf(':');
      if (colon <= 0) continue;
      const key = word.slice(0, colon);
      const value = word.slice(colon + 1);
      if (key === 'model') phone.model = value;
      else if (key === 'product') phone.product = value;
      else if (key === 'device') phone.device = value;
      else if (key === 'transport_id' && /^\d+$/.test(value)) phone.transportId = Number(value);
      else if (key === 'usb') phone.usb = word;
    }
    const fix = STATE_FIXES[state];
    if (state !== 'device' && fix) phone.fix = fix;
    phones.push(phone);
  }
  return phones;
}

export async function listPhones(options: AdbRunOptions = {}): Promise<PhoneListing[]> {
  const result = await runAdb(['devices', '-l'], options);
  if (result.code !== 0) throw adbFailure('`adb devices -l`', result);
  return parseDeviceList(result.stdout.toString('utf8'));
}

function describe(phone: PhoneListing): string {
  return `${phone.serial} (${phone.state}${phone.model ? `, ${phone.model.replace(/_/g, ' ')}` : ''})`;
}

/** The phone is usable, or an AdbError with the fix for its state. */
function usable(phone: PhoneListing): PhoneListing {
  if (phone.state === 'device') return phone;
  if (phone.state === 'unauthorized') throw new AdbError(`the phone ${phone.serial} has not authorised this computer for USB debugging`, 'unauthorized', STATE_FIXES.unauthorized);
  if (phone.state === 'offline') throw new AdbError(`the phone ${phone.serial} is offline`, 'offline', STATE_FIXES.offline);
  throw new AdbError(`the phone ${phone.serial} is not ready (adb says "${phone.state}")`, 'failed', phone.fix ?? 'check it with `adb devices`');
}

/**
 * The phone to drive: `serial` (or ANDROID_SERIAL, as adb reads it) when given, else the only one attached.
 * Throws an AdbError that lists the phones when the choice is not clear or the phone cannot be used.
 */
export async function choosePhone(serial: string | undefined, options: AdbRunOptions = {}): Promise<PhoneListing> {
  const phones = await listPhones(options);
  const env = options.env ?? process.env;
  const wanted = serial ?? (env.ANDROID_SERIAL?.trim() || undefined);
  if (wanted !== undefined) {
    const found = phones.find((p) => p.serial === wanted);
    if (!found) {
      const from = serial === undefined ? ' (from ANDROID_SERIAL)' : '';
      throw new AdbError(
        `no phone with the serial ${wanted}${from} is attached${phones.length ? `; attached: ${phones.map(describe).join(', ')}` : ''}`,
        'not-found',
        phones.length ? 'use one of those serials: --device android:SERIAL' : "connect it by USB with USB debugging on (README, 'Phones') and check `adb devices`",
      );
    }
    return usable(found);
  }
  if (phones.length === 0) {
    throw new AdbError('no phone is attached', 'no-device', "connect one by USB with USB debugging on (README, 'Phones') and check `adb devices`");
  }
  if (phones.length > 1) {
    throw new AdbError(
      `${phones.length} phones are attached: ${phones.map(describe).join(', ')}`,
      'several',
      `choose one with --device android:SERIAL, e.g. --device android:${phones[0]!.serial}`,
    );
  }
  return usable(phones[0]!);
}

/** The marker that ends every device command line's output: `DESKPILOT_EXIT=<status>`. */
const EXIT_MARKER = 'DESKPILOT_EXIT=';
/** At the very end; not necessarily on a line of its own (output without a final newline runs into it). */
const MARKER_LINE = /DESKPILOT_EXIT=(\d+)\r?\n?$/;

export interface ShellOutput {
  /** The command's output (stdout; merged with stderr on phones without shell protocol v2), marker removed. */
  stdout: string;
  stderr: string;
  /** The exit status of the device command line. */
  status: number;
}

/** One phone's shell, through `adb -s SERIAL`. */
export class PhoneShell {
  constructor(
    readonly serial: string,
    private readonly options: AdbRunOptions = {},
  ) {}

  private run(args: string[], signal?: AbortSignal, timeoutMs?: number) {
    return runAdb(['-s', this.serial, ...args], {
      ...this.options,
      ...(signal ? { signal } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }

  /**
   * Run one device command line (quoted for the device shell). Resolves with its output and status; throws an
   * AdbError when adb refuses or the phone went away mid-command.
   */
  async shell(line: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ShellOutput> {
    const result = await this.run(['shell', `${line}; echo ${EXIT_MARKER}$?`], options.signal, options.timeoutMs);
    const known = adbErrorFrom(result.stderr, this.serial);
    if (known) throw known;
    const stdout = result.stdout.toString('utf8');
    const marker = MARKER_LINE.exec(stdout);
    if (!marker) {
      if (result.code !== 0) throw adbFailure(`\`adb shell ${describeArgs([line])}\``, result, this.serial);
      throw (
        (await this.goneError(line)) ??
        new AdbError(`the connection to the phone ${this.serial} dropped during \`${short(line)}\``, 'gone', 'check the cable or Wi-Fi connection; the command may or may not have run')
      );
    }
    return { stdout: stdout.slice(0, marker.index), stderr: result.stderr, status: Number(marker[1]) };
  }

  /** `shell`, and a non-zero status is an AdbError with what the command said. */
  async check(line: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
    const out = await this.shell(line, options);
    if (out.status !== 0) {
      const said = whatFailed(out.stderr.trim() || out.stdout.trim());
      throw new AdbError(`\`${short(line)}\` failed on the phone (exit ${out.status})${said ? `: ${said.slice(0, 300)}` : ''}`, 'failed');
    }
    return out.stdout;
  }

  /** `adb exec-out ARGS`: raw bytes (no pty, no line-end changes), for screenshots. */
  async execOut(args: string[], options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Buffer> {
    const result = await this.run(['exec-out', ...args], options.signal, options.timeoutMs);
    const known = adbErrorFrom(result.stderr, this.serial);
    if (known) throw known;
    if (result.code !== 0) throw adbFailure(`\`adb exec-out ${describeArgs(args)}\``, result, this.serial);
    if (result.stdout.length === 0) {
      const gone = await this.goneError(args.join(' '));
      if (gone) throw gone;
    }
    return result.stdout;
  }

  /** What became of the phone after a command's connection dropped: why it is gone, or null while adb still has it. */
  private async goneError(what: string): Promise<AdbError | null> {
    const state = await this.run(['get-state'], undefined, 5_000).catch((error: unknown) => error as Error);
    if (!(state instanceof Error) && state.code === 0 && state.stdout.toString('utf8').trim() === 'device') return null;
    const known = state instanceof Error ? null : adbErrorFrom(state.stderr, this.serial);
    const reason = state instanceof Error ? state.message : known?.failure === 'not-found' ? 'adb no longer lists it' : (known?.message ?? state.stderr.trim());
    return new AdbError(
      `the phone ${this.serial} went away during \`${short(what)}\` (${reason || 'adb no longer lists it'})`,
      'gone',
      'check the cable or Wi-Fi connection and `adb devices`, then start again',
    );
  }
}

/**
 * The words of a failed device command worth showing: its error lines (Android tools print "Error: ..." or a Java
 * exception, often followed by a long usage text), else its last three lines.
 */
function whatFailed(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^(error\b|exception\b|java\.\S+(exception|error)\b)|^\S+(Exception|Error):/i.test(l));
  return (errors.length ? errors.slice(0, 3) : lines.slice(-3)).join(' / ');
}

function short(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
