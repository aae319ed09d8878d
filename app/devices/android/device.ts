/**
 * An Android phone as a Desktop the loop drives (`mobile_use`), through the adb client (adb.ts, phones.ts):
 * - screen: `adb exec-out screencap -p` (checked to be a PNG, decoded with sharp). Taps and swipes are in the
 *   logical display's space: `wm size` (its override when one is set), turned to the orientation the screenshot
 *   shows, so a rotated phone or a screenshot at another resolution still maps through the one mapper
 *   (screen/geometry.ts). Each frame carries that display, so a rotation mid-run is followed;
 * - click -> `input tap`; long_press -> `input swipe x y x y <ms>` (default 800 ms); swipe -> `input swipe x1 y1 x2 y2
 *   <ms>`; system_button Back/Home/Menu/Enter -> keyevent 4/3/82/66; key -> keyevent of an adb key name or code
 *   (keys.ts; an unknown name is an error back to the model);
 * - type: ASCII through `input text`, anything else through ADBKeyboard (text.ts); the input method is switched to
 *   ADBKeyboard only for the typing and back afterwards; without ADBKeyboard such text is refused, nothing typed;
 * - open: an app name or package resolved against `pm list packages` (apps.ts), launched with monkey;
 * - wait sleeps (Stop ends it); terminate and answer are the loop's.
 */
import sharp from 'sharp';
import type { MobileAction } from '../../base/actions';
import { sleep } from '../../base/sleep';
import type { WindowInfo, WindowProbe } from '../../platform/windows';
import { modelToGlobal, type ActionTarget, type Display, type PerformResult, type Point, type Size } from '../../screen/geometry';
import type { Frame, MobileUseDesktop } from '../device';
import { AdbError, type AdbRunOptions } from './adb';
import { parsePackageList, resolveApp } from './apps';
import { androidKeyCode } from './keys';
import { choosePhone, PhoneShell, type PhoneListing } from './phones';
import { ADB_KEYBOARD_IME, ADB_KEYBOARD_INSTALL, adbKeyboardCommands, inputTextCommands, isInputTextTypable, joinCommands, shellQuote } from './text';

export const DEFAULT_LONG_PRESS_MS = 800;
export const DEFAULT_SWIPE_MS = 300;
const MAX_PRESS_SECONDS = 60;

const SYSTEM_BUTTON_KEYCODES = { Back: 4, Home: 3, Menu: 82, Enter: 66 } as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface AndroidOptions extends AdbRunOptions {
  /** The phone's serial; default: ANDROID_SERIAL, else the only phone attached. */
  serial?: string;
}

/** `wm size` output -> the size taps are in (the override when set), portrait as the phone reports it. */
export function parseWmSize(output: string): { physical: Size; override?: Size } | null {
  const size = (label: string): Size | undefined => {
    const match = new RegExp(`${label} size: (\\d+)x(\\d+)`).exec(output);
    return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
  };
  const physical = size('Physical');
  if (!physical) return null;
  const override = size('Override');
  return override ? { physical, override } : { physical };
}

/**
 * The surface rotation (0-3) from `dumpsys input`: the touchscreen's SurfaceOrientation (Android 10-13), else the
 * internal viewport's orientation (later releases), or null when it says neither. The first screenshot corrects it
 * anyway (capture turns the display as the screenshot is).
 */
export function parseRotation(output: string): number | null {
  const match = /SurfaceOrientation: ([0-3])\b/.exec(output) ?? /Viewport INTERNAL:[^\n]*?\borientation=([0-3])\b/.exec(output);
  return match ? Number(match[1]) : null;
}

/**
 * Whether the focused text field takes a password, from `dumpsys input_method`: the inputType of the editor it
 * holds (`mCurAttribute:` on Android 10-12, `mCurEditorInfo` or `EditorInfo{...}` later), or undefined when the
 * output names no editor. TYPE_CLASS_TEXT with the PASSWORD, VISIBLE_PASSWORD or WEB_PASSWORD variation, or
 * TYPE_CLASS_NUMBER with NUMBER_PASSWORD.
 */
export function parsePasswordField(output: string): boolean | undefined {
  const editor = /(?:mCurAttribute|mCurEditorInfo|EditorInfo)[:={][^\n]*(?:\n[^\n]*)?/.exec(output);
  const match = editor ? /inputType=0x([0-9a-fA-F]{1,8})/.exec(editor[0]) : null;
  if (!match) return undefined;
  const type = parseInt(match[1]!, 16);
  const kind = type & 0xf;
  const variation = type & 0xff0;
  return (kind === 1 && (variation === 0x80 || variation === 0x90 || variation === 0xe0)) || (kind === 2 && variation === 0x10);
}

/** `dumpsys window` -> the focused window's component ("com.android.settings/.Settings"), if it says. */
export function parseFocusedWindow(output: string): string | undefined {
  const match = /mCurrentFocus=Window\{\S+ \S+ ([^\s}]+)\}/.exec(output);
  return match?.[1];
}

/** Open the phone `options.serial` names (or the only one attached): an error says why it cannot be used. */
export async function openAndroidPhone(options: AndroidOptions = {}): Promise<AndroidPhone> {
  const { serial, ...adb } = options;
  const listing = await choosePhone(serial, adb);
  return new AndroidPhone(listing, new PhoneShell(listing.serial, adb));
}

export class AndroidPhone implements MobileUseDesktop {
  readonly kind = 'android';
  readonly tool = 'mobile_use';
  private base: Size | null = null;
  private display: Display | null = null;

  constructor(
    readonly listing: PhoneListing,
    readonly shell: PhoneShell,
  ) {}

  get serial(): string {
    return this.listing.serial;
  }

  /** "Pixel 7 (R58M40ABCDE)". */
  get name(): string {
    return `${this.listing.model?.replace(/_/g, ' ') ?? 'Android phone'} (${this.serial})`;
  }

  /** The size taps are in, portrait (override or physical), read once. */
  private async baseSize(): Promise<Size> {
    if (this.base) return this.base;
    const sizes = parseWmSize(await this.shell.check('wm size'));
    if (!sizes) throw new AdbError(`the phone ${this.serial} did not report its screen size (\`wm size\`)`, 'failed');
    this.base = sizes.override ?? sizes.physical;
    return this.base;
  }

  private displayOf(size: Size): Display {
    return { id: 0, name: this.name, bounds: { x: 0, y: 0, width: size.width, height: size.height }, scaleFactor: 1, primary: true };
  }

  /** The base size turned the way `landscape` says. */
  private oriented(base: Size, landscape: boolean): Size {
    return landscape === base.width > base.height ? base : { width: base.height, height: base.width };
  }

  async displays(): Promise<Display[]> {
    const base = await this.baseSize();
    const rotation = parseRotation((await this.shell.shell('dumpsys input')).stdout) ?? 0;
    const natural = base.width > base.height;
    this.display = this.displayOf(this.oriented(base, rotation % 2 === 1 ? !natural : natural));
    return [this.display];
  }

  /** The screenshot, raw, with the display it shows (turned as the screenshot is). */
  async capture(display: Display, signal?: AbortSignal): Promise<Frame> {
    const png = await this.shell.execOut(['screencap', '-p'], signal ? { signal } : {});
    checkPng(png, this.serial);
    let decoded;
    try {
      decoded = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw new AdbError(`the screenshot from the phone ${this.serial} starts like a PNG but cannot be read (${(error as Error).message})`, 'failed', 'try again; if it keeps happening, restart the phone');
    }
    const { data, info } = decoded;
    const base = await this.baseSize();
    const space = this.oriented(base, info.width > info.height);
    const same = display.bounds.width === space.width && display.bounds.height === space.height;
    const shown = same ? display : { ...display, bounds: { ...display.bounds, width: space.width, height: space.height } };
    this.display = shown;
    return { display: shown, width: info.width, height: info.height, channels: 3, data, capturedAt: Date.now(), method: 'adb-screencap' };
  }

  async perform(action: MobileAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult> {
    const map = (c: readonly [number, number]): Point => modelToGlobal({ x: c[0], y: c[1] }, target.space, target.display, target.imageSize);
    const run = (line: string) => this.shell.check(line, signal ? { signal } : {});
    switch (action.action) {
      case 'click': {
        const at = map(action.coordinate);
        await run(`input tap ${at.x} ${at.y}`);
        return { screen: at };
      }
      case 'long_press': {
        const at = map(action.coordinate);
        const ms = pressMs(action.time, DEFAULT_LONG_PRESS_MS, 'long_press');
        await run(`input swipe ${at.x} ${at.y} ${at.x} ${at.y} ${ms}`);
        return { screen: at, note: `held ${ms} ms` };
      }
      case 'swipe': {
        const from = map(action.coordinate);
        const to = map(action.coordinate2);
        await run(`input swipe ${from.x} ${from.y} ${to.x} ${to.y} ${DEFAULT_SWIPE_MS}`);
        return { screen: from, screen2: to };
      }
      case 'system_button': {
        await run(`input keyevent ${SYSTEM_BUTTON_KEYCODES[action.button]}`);
        return {};
      }
      case 'key': {
        const key = androidKeyCode(action.text);
        await run(`input keyevent ${key.code}`);
        return { note: key.name };
      }
      case 'type':
        return this.type(action.text, signal);
      case 'open':
        return this.open(action.text, signal);
      case 'wait':
        await sleep(action.time * 1000, signal);
        return {};
      case 'terminate':
      case 'answer':
        return { note: 'nothing to perform' };
    }
  }

  /** Type exactly `text`: ASCII with `input text`, the rest through ADBKeyboard, or refuse. */
  private async type(text: string, signal?: AbortSignal): Promise<PerformResult> {
    const options = signal ? { signal } : {};
    if (text === '') return { note: 'nothing to type' };
    if (isInputTextTypable(text)) {
      for (const line of joinCommands(inputTextCommands(text))) await this.shell.check(line, options);
      return { note: `${[...text].length} characters typed with input text` };
    }
    const enabled = (await this.shell.check('ime list -s', options)).split('\n').map((l) => l.trim());
    let enableFirst = false;
    if (!enabled.includes(ADB_KEYBOARD_IME)) {
      const installed = (await this.shell.check('ime list -a -s', options)).split('\n').map((l) => l.trim());
      if (!installed.includes(ADB_KEYBOARD_IME)) {
        throw new AdbError(
          'the text has characters other than ASCII, which `adb shell input text` cannot type, and ADBKeyboard is not installed on the phone; nothing was typed',
          'failed',
          ADB_KEYBOARD_INSTALL,
        );
      }
      enableFirst = true;
    }
    const previous = (await this.shell.check('settings get secure default_input_method', options)).trim();
    const switchBack = previous !== '' && previous !== 'null' && previous !== ADB_KEYBOARD_IME;
    try {
      if (enableFirst) await this.shell.check(`ime enable ${ADB_KEYBOARD_IME}`, options);
      await this.shell.check(`ime set ${ADB_KEYBOARD_IME}`, options);
      for (const line of joinCommands(adbKeyboardCommands(text))) {
        const said = await this.shell.check(line, options);
        if (!/Broadcast completed/.test(said)) {
          throw new AdbError(`ADBKeyboard did not take the text (the broadcast answered ${JSON.stringify(said.trim().slice(0, 200))})`, 'failed');
        }
      }
    } finally {
      // Put the person's keyboard back even after a stop: without a signal, bounded by adb's timeout.
      if (switchBack) await this.shell.check(`ime set ${shellQuote(previous)}`, { timeoutMs: 10_000 }).catch(() => undefined);
      if (enableFirst) await this.shell.check(`ime disable ${ADB_KEYBOARD_IME}`, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    return { note: `${[...text].length} characters typed with ADBKeyboard${switchBack ? `, then the keyboard switched back to ${previous}` : ''}` };
  }

  /** Launch the app `name` means (apps.ts) with monkey. */
  private async open(name: string, signal?: AbortSignal): Promise<PerformResult> {
    const options = signal ? { signal } : {};
    const pkg = resolveApp(name, parsePackageList(await this.shell.check('pm list packages', options)));
    const out = await this.shell.shell(`monkey -p ${shellQuote(pkg)} -c android.intent.category.LAUNCHER 1`, options);
    if (/No activities found/.test(out.stdout)) {
      throw new AdbError(`${pkg} is installed but has no launcher activity, so it cannot be opened`, 'failed');
    }
    if (out.status !== 0) throw new AdbError(`monkey could not open ${pkg} (exit ${out.status}): ${(out.stderr || out.stdout).trim().slice(-300)}`, 'failed');
    return { note: `opened ${pkg}` };
  }

  /** Nothing stays held: every input command is complete when it returns. */
  async releaseAll(): Promise<void> {}

  async close(): Promise<void> {}

  /** What the risk check may know: the focused app and whether its text field takes a password. */
  windowProbe(): WindowProbe {
    return {
      focused: async (): Promise<WindowInfo | undefined> => {
        const out = await this.shell.shell('dumpsys window displays; dumpsys input_method', { timeoutMs: 5_000 });
        const component = parseFocusedWindow(out.stdout);
        const password = parsePasswordField(out.stdout);
        if (component === undefined && password === undefined) return undefined;
        return { ...(component ? { className: component } : {}), ...(password !== undefined ? { passwordField: password } : {}) };
      },
      // A phone has no windows to tell apart under a point.
      atPoint: async () => undefined,
    };
  }
}

/** A press's length in ms from the model's seconds, or an error naming the allowed range. */
function pressMs(seconds: number | undefined, fallback: number, action: string): number {
  if (seconds === undefined) return fallback;
  if (!(seconds >= 0 && seconds <= MAX_PRESS_SECONDS)) {
    throw new AdbError(`${action} time must be between 0 and ${MAX_PRESS_SECONDS} seconds, not ${seconds}`, 'failed');
  }
  return Math.max(1, Math.round(seconds * 1000));
}

/** A screenshot that is not a PNG: say what it is instead. */
function checkPng(png: Buffer, serial: string): void {
  if (png.subarray(0, 8).equals(PNG_SIGNATURE)) return;
  const fix = 'check `adb exec-out screencap -p > shot.png` by hand; restart the phone if it fails there too';
  if (png.length === 0) throw new AdbError(`the phone ${serial} sent an empty screenshot`, 'failed', fix);
  if (png.subarray(0, 5).equals(Buffer.from('\x89PNG\r', 'latin1')) && png[5] === 0x0d) {
    throw new AdbError(
      `the screenshot from the phone ${serial} is not a PNG: its line ends were turned into CRLF on the way, as a terminal (pty) does`,
      'failed',
      fix,
    );
  }
  const text = png.subarray(0, 200).toString('utf8');
  const printable = /^[\x20-\x7e\s]+$/.test(text);
  throw new AdbError(
    `the screenshot from the phone ${serial} is not a PNG${printable ? `; screencap said: ${JSON.stringify(text.trim().slice(0, 160))}` : ` (it starts with the bytes ${png.subarray(0, 8).toString('hex')})`}`,
    'failed',
    fix,
  );
}
