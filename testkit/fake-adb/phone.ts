/**
 * One simulated Android phone behind the fake adb server: the state a phone agent can see and change (screen,
 * foreground app, input method, settings, rotation) and the shell commands that see and change it, as Android 10+
 * answers them. Every command line that reaches the phone is read by the device shell rules (shell-words.ts) and
 * recorded with its words and its effect (taps, swipes, keys, typed text).
 *
 * Output texts follow what real phones print where a backend might read them (`wm size`, `pm list packages`,
 * `ime list -s`, `monkey`, `am broadcast`, `getprop`); the `dumpsys` outputs are small but shaped like the real ones
 * (the lines a backend greps for). Error paths (`ime set` of an unknown IME, `input` usage errors, monkey's abort)
 * print the real messages as far as known, with exit codes that are approximations: a backend should treat any
 * non-zero code as failure, not match a number. Anything the fake does not simulate says so on stderr, starting
 * "fake-adb:", with a failing exit code - never a silent success.
 *
 * Taps land on the logical display; a tap on the home screen's icon opens that app, on the target turns it green,
 * a still swipe of 500 ms or more on it (a long press) turns it blue; vertical swipes scroll the app's list; Back pops
 * the app, Home and the navigation bar's buttons do what they say. An app's text field has the focus when it opens.
 */
import { z } from 'zod';
import { expandWord, parseShellLine, type Redirect, type SimpleCommand } from './shell-words';
import { KEYCODE, keyCodeFromString } from './keycodes';
import { hitTest, renderPng, type Colour, type ScreenView, type TargetState } from './screen';

export type DeviceState = 'device' | 'unauthorized' | 'offline';

const colourSchema = z.object({ r: z.number().int().min(0).max(255), g: z.number().int().min(0).max(255), b: z.number().int().min(0).max(255) });

const appSchema = z.object({
  package: z.string().regex(/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)+$/, 'a package name like com.example.app'),
  label: z.string().min(1),
  colour: colourSchema,
  /** Its launcher activity (what `monkey -c android.intent.category.LAUNCHER` and the home icon start); none: not launchable. */
  activity: z.string().min(1).nullable().default('.MainActivity'),
  system: z.boolean().default(false),
  /** Its text field takes a password (EditorInfo inputType 0x81, TEXT | TEXT_VARIATION_PASSWORD, in `dumpsys input_method`). */
  passwordField: z.boolean().default(false),
});
export type FakeApp = z.infer<typeof appSchema>;

export const ADB_KEYBOARD_IME = 'com.android.adbkeyboard/.AdbIME';
export const LATIN_IME = 'com.android.inputmethod.latin/.LatinIME';

/** Apps a stock phone has, each with its own colour (none near the target's colours). */
export const DEFAULT_APPS: FakeApp[] = [
  { package: 'com.android.settings', label: 'Settings', colour: { r: 96, g: 125, b: 139 }, activity: '.Settings', system: true, passwordField: false },
  { package: 'com.android.chrome', label: 'Chrome', colour: { r: 251, g: 188, b: 5 }, activity: 'com.google.android.apps.chrome.Main', system: true, passwordField: false },
  { package: 'com.android.contacts', label: 'Contacts', colour: { r: 0, g: 150, b: 136 }, activity: '.activities.PeopleActivity', system: true, passwordField: false },
  { package: 'com.android.camera2', label: 'Camera', colour: { r: 121, g: 85, b: 72 }, activity: 'com.android.camera.CameraLauncher', system: true, passwordField: false },
  { package: 'com.google.android.apps.messaging', label: 'Messages', colour: { r: 103, g: 58, b: 183 }, activity: '.ui.ConversationListActivity', system: true, passwordField: false },
  { package: 'com.example.shop', label: 'Shop', colour: { r: 255, g: 112, b: 67 }, activity: '.MainActivity', system: false, passwordField: false },
];

/** Packages every phone has that have no launcher icon. */
const HIDDEN_SYSTEM_PACKAGES = ['android', 'com.android.systemui', 'com.android.shell', 'com.android.inputmethod.latin', 'com.android.providers.settings'];

/** What adbd 29+ on Android 10 reports (`host:features`); without shell_v2 the client falls back to `shell:`. */
export const DEVICE_FEATURES_V2 = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'apex', 'abb', 'fixed_push_symlink_timestamp', 'abb_exec', 'remount_shell'];

export const phoneOptionsSchema = z.object({
  serial: z.string().regex(/^[^\s:]+(:\d+)?$/, 'a serial without blanks (host:port allowed)'),
  state: z.enum(['device', 'unauthorized', 'offline']).default('device'),
  /** `usb` (listed with a devpath, `host:transport-usb`) or `local` (emulators and `adb connect` devices). */
  transport: z.enum(['usb', 'local']).default('usb'),
  /** Physical size in the natural (portrait) orientation, as `wm size` reports it. */
  screen: z.object({ width: z.number().int().min(32).max(8192), height: z.number().int().min(32).max(8192) }).default({ width: 1080, height: 2400 }),
  density: z.number().int().min(72).max(1000).default(420),
  /** `wm size WxH` already applied. */
  overrideSize: z.object({ width: z.number().int().min(32).max(8192), height: z.number().int().min(32).max(8192) }).optional(),
  /** Surface rotation 0-3 (90 degree steps); screenshots and taps are then in the rotated (landscape) space. */
  rotation: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(0),
  model: z.string().min(1).default('Pixel 7'),
  product: z.string().min(1).default('panther'),
  device: z.string().min(1).default('panther'),
  manufacturer: z.string().min(1).default('Google'),
  release: z.string().min(1).default('14'),
  sdk: z.number().int().min(16).default(34),
  /** ADBKeyboard: `enabled` (in `ime list -s`), `installed` (only in `ime list -a -s`, needs `ime enable`), `absent`. */
  adbKeyboard: z.enum(['enabled', 'installed', 'absent']).default('enabled'),
  apps: z.array(appSchema).default(DEFAULT_APPS),
  /** Advertise shell_v2 (the client then uses `shell,v2,...:`) or not (legacy `shell:`, no exit codes). */
  shellV2: z.boolean().default(true),
  /** What `screencap -p` writes: a PNG; a PNG whose LFs a pty turned into CRLFs (not a valid PNG); an error text. */
  screencap: z.enum(['png', 'crlf', 'error']).default('png'),
  /**
   * After this many command lines the phone goes away: the next one's service opens, then its connection drops
   * (no output, no exit code) and the phone leaves `host:devices`.
   */
  goAwayAfterCommands: z.number().int().min(0).optional(),
});
export type FakePhoneOptions = z.input<typeof phoneOptionsSchema>;
type PhoneConfig = z.infer<typeof phoneOptionsSchema>;

export type InputEvent =
  | { type: 'tap'; x: number; y: number; hit: string | null }
  | { type: 'swipe'; from: [number, number]; to: [number, number]; durationMs: number | null; longPress: boolean }
  | { type: 'key'; code: number; name: string; longPress: boolean }
  /** `into`: the package whose text field had the focus, or null when the text went nowhere. */
  | { type: 'text'; text: string; via: 'input text' | 'ADBKeyboard'; into: string | null };

export type ShellVia = 'shell' | 'shell,v2' | 'exec';

export interface ReceivedCommand {
  /** The command line exactly as the phone's shell received it. */
  line: string;
  via: ShellVia;
  /** The words of this one command after the shell's quoting rules ([] when the line did not parse). */
  argv: string[];
  events: InputEvent[];
  exitCode: number;
  /** Why the shell refused the line (a syntax error, or syntax the fake does not simulate). */
  shellError?: { kind: 'syntax' | 'unsupported'; message: string };
}

export interface Output {
  chunks: { stream: 1 | 2; data: Buffer }[];
  exitCode: number;
}

interface AppUi {
  target: TargetState;
  text: string;
  fieldFocused: boolean;
  scroll: number;
}

export interface PhoneSnapshot {
  serial: string;
  state: DeviceState;
  /** The package in front, or null on the home screen. */
  foreground: string | null;
  target: TargetState | null;
  fieldText: string | null;
  inputMethod: string;
  rotation: number;
  /** The logical display size (rotation and override applied): screenshot and tap space. */
  display: { width: number; height: number };
}

class ShellExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface Io {
  out(data: string | Buffer): void;
  err(data: string | Buffer): void;
  events: InputEvent[];
  signal: AbortSignal;
  /** `$?` when the command started (what a bare `exit` returns). */
  lastStatus: number;
}

type CommandResult = number | Promise<number>;

const USAGE_INPUT = `Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The sources are:
      dpad keyboard mouse touchpad gamepad touchnavigation joystick touchscreen stylus trackball

-d: specify the display ID.
      (Default: -1 for key event, 0 for motion event if not specified.)
The commands and default sources are:
      text <string> (Default: touchscreen)
      keyevent [--longpress] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      draganddrop <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      press (Default: trackball)
      roll <dx> <dy> (Default: trackball)
`;
const INPUT_SOURCES = new Set(['dpad', 'keyboard', 'mouse', 'touchpad', 'gamepad', 'touchnavigation', 'joystick', 'touchscreen', 'stylus', 'trackball']);
/** Java's Float.parseFloat, for what a phone agent sends (no hex floats, no NaN). */
const JAVA_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/;
const LONG_PRESS_MS = 500;

export class FakePhone {
  readonly serial: string;
  readonly transportId: number;
  readonly transport: 'usb' | 'local';
  readonly devpath: string | null;
  state: DeviceState;
  readonly commands: ReceivedCommand[] = [];
  private readonly config: PhoneConfig;
  private readonly apps: FakeApp[];
  private readonly ui = new Map<string, AppUi>();
  /** Foreground packages, bottom first; empty: the home screen. */
  private stack: string[] = [];
  private rotation: number;
  private overrideSize: { width: number; height: number } | undefined;
  private densityOverride: number | undefined;
  private readonly installedImes: string[];
  private readonly enabledImes: Set<string>;
  private currentIme = LATIN_IME;
  private readonly settings = { system: new Map<string, string>(), secure: new Map<string, string>(), global: new Map<string, string>() };

  constructor(options: FakePhoneOptions, transportId: number, usbPort: number) {
    const parsed = phoneOptionsSchema.safeParse(options);
    if (!parsed.success) throw new Error(`fake adb: bad options for the phone '${options.serial}':\n${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.serial = this.config.serial;
    this.state = this.config.state;
    this.transport = this.config.transport;
    this.transportId = transportId;
    this.devpath = this.transport === 'usb' ? `usb:1-${usbPort}` : null;
    this.apps = this.config.apps;
    this.rotation = this.config.rotation;
    this.overrideSize = this.config.overrideSize;
    this.installedImes = [LATIN_IME, ...(this.config.adbKeyboard === 'absent' ? [] : [ADB_KEYBOARD_IME])];
    this.enabledImes = new Set([LATIN_IME, ...(this.config.adbKeyboard === 'enabled' ? [ADB_KEYBOARD_IME] : [])]);
    this.settings.system.set('accelerometer_rotation', '0');
    this.settings.global.set('adb_enabled', '1');
    this.settings.global.set('device_name', this.config.model);
  }

  get features(): string[] {
    return this.config.shellV2 ? DEVICE_FEATURES_V2 : [];
  }

  get product(): string {
    return this.config.product;
  }
  get model(): string {
    return this.config.model;
  }
  get deviceName(): string {
    return this.config.device;
  }

  /** True once the phone has run as many commands as `goAwayAfterCommands` allows. */
  get dueToGoAway(): boolean {
    const limit = this.config.goAwayAfterCommands;
    return limit !== undefined && this.commandLines >= limit;
  }
  private commandLines = 0;

  display(): { width: number; height: number } {
    const base = this.overrideSize ?? this.config.screen;
    return this.rotation % 2 === 1 ? { width: base.height, height: base.width } : { ...base };
  }

  snapshot(): PhoneSnapshot {
    const foreground = this.stack[this.stack.length - 1] ?? null;
    const ui = foreground ? this.appUi(foreground) : null;
    return {
      serial: this.serial,
      state: this.state,
      foreground,
      target: ui?.target ?? null,
      fieldText: ui?.text ?? null,
      inputMethod: this.currentIme,
      rotation: this.rotation,
      display: this.display(),
    };
  }

  typedText(): string {
    return this.commands.flatMap((c) => c.events).map((e) => (e.type === 'text' ? e.text : '')).join('');
  }

  async screen(): Promise<Buffer> {
    const { width, height } = this.display();
    return renderPng(this.view(), width, height);
  }

  private view(): ScreenView {
    const foreground = this.stack[this.stack.length - 1];
    if (!foreground) {
      return { kind: 'home', icons: this.apps.filter((a) => a.activity !== null).map((a) => ({ package: a.package, colour: a.colour })) };
    }
    const app = this.app(foreground)!;
    const ui = this.appUi(foreground);
    return { kind: 'app', package: foreground, colour: app.colour, target: ui.target, textLength: [...ui.text].length, fieldFocused: ui.fieldFocused, scroll: ui.scroll };
  }

  private app(pkg: string): FakeApp | undefined {
    return this.apps.find((a) => a.package === pkg);
  }

  private appUi(pkg: string): AppUi {
    let ui = this.ui.get(pkg);
    if (!ui) {
      ui = { target: 'idle', text: '', fieldFocused: true, scroll: 0 };
      this.ui.set(pkg, ui);
    }
    return ui;
  }

  private open(pkg: string): void {
    this.stack = this.stack.filter((p) => p !== pkg);
    this.stack.push(pkg);
  }

  /** The variables of one `sh -c` run: its own assignments first, then adbd's environment. */
  private shellEnv(term: string | undefined, vars: Map<string, string>): (name: string) => string {
    const fixed: Record<string, string> = {
      HOME: '/',
      USER: 'shell',
      LOGNAME: 'shell',
      SHELL: '/bin/sh',
      TMPDIR: '/data/local/tmp',
      ANDROID_DATA: '/data',
      ANDROID_ROOT: '/system',
      EXTERNAL_STORAGE: '/sdcard',
      PATH: '/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin',
      ...(term ? { TERM: term } : {}),
      '0': '/system/bin/sh',
      '#': '0',
      '$': '4242',
      '-': 'c',
    };
    return (name) => vars.get(name) ?? fixed[name] ?? '';
  }

  /** Runs one command line as `/system/bin/sh -c LINE` would, recording each command in it. */
  async run(line: string, via: ShellVia, signal: AbortSignal, term?: string): Promise<Output> {
    this.commandLines++;
    const chunks: Output['chunks'] = [];
    const parsed = parseShellLine(line);
    if (!parsed.ok) {
      const prefix = parsed.kind === 'syntax' ? '/system/bin/sh: syntax error' : 'fake-adb';
      chunks.push({ stream: 2, data: Buffer.from(`${prefix}: ${parsed.message} (at character ${parsed.at + 1})\n`) });
      this.commands.push({ line, via, argv: [], events: [], exitCode: 2, shellError: { kind: parsed.kind, message: parsed.message } });
      return { chunks, exitCode: 2 };
    }
    // Each command line is a fresh shell: its variables die with it (and concurrent lines never share them).
    const vars = new Map<string, string>();
    const lookup = this.shellEnv(term, vars);
    let status = 0;
    try {
      for (const { joiner, command } of parsed.list) {
        if (signal.aborted) break;
        if ((joiner === '&&' && status !== 0) || (joiner === '||' && status === 0)) continue;
        vars.set('?', String(status));
        status = await this.runSimple(line, via, command, { vars, lookup }, chunks, signal);
      }
    } catch (error) {
      if (!(error instanceof ShellExit)) throw error;
      status = error.code;
    }
    return { chunks, exitCode: status };
  }

  private async runSimple(
    line: string,
    via: ShellVia,
    command: SimpleCommand,
    { vars, lookup }: { vars: Map<string, string>; lookup: (name: string) => string },
    chunks: Output['chunks'],
    signal: AbortSignal,
  ): Promise<number> {
    const argv = command.words.flatMap((word) => expandWord(word, lookup));
    const routes = this.routes(command.redirects, lookup);
    const record: ReceivedCommand = { line, via, argv, events: [], exitCode: 0 };
    const write = (fd: 1 | 2, data: string | Buffer) => {
      const route = typeof routes === 'string' ? fd : routes[fd];
      if (route) chunks.push({ stream: route, data: typeof data === 'string' ? Buffer.from(data) : data });
    };
    if (typeof routes === 'string') {
      write(2, `fake-adb: not simulated: ${routes}\n`);
      record.exitCode = 1;
      this.commands.push(record);
      return 1;
    }
    if (argv.length === 0) {
      for (const { name, value } of command.assignments) vars.set(name, expandWord(value, lookup, false).join(''));
      return 0;
    }
    this.commands.push(record);
    const io: Io = { out: (d) => write(1, d), err: (d) => write(2, d), events: record.events, signal, lastStatus: Number(vars.get('?') ?? 0) };
    try {
      record.exitCode = await this.exec(argv, io);
    } catch (error) {
      if (error instanceof ShellExit) record.exitCode = error.code;
      throw error;
    }
    return record.exitCode;
  }

  /** Where fds 1 and 2 go after the redirections, or why the fake cannot follow them. */
  private routes(redirects: Redirect[], lookup: (n: string) => string): { 1: 1 | 2 | null; 2: 1 | 2 | null } | string {
    const routes: { 1: 1 | 2 | null; 2: 1 | 2 | null } = { 1: 1, 2: 2 };
    for (const { fd: number, op, target } of redirects) {
      const to = expandWord(target, lookup, false).join('');
      if (number > 2) return `redirecting fd ${number}`;
      if (op === '<' || op === '<&') {
        if (number === 0 && (to === '/dev/null' || op === '<&')) continue;
        return `reading from ${to}`;
      }
      if (number === 0) return `redirecting stdin to ${to}`;
      const fd = number as 1 | 2;
      if (op === '>&') {
        if (to === '1' || to === '2') routes[fd] = routes[Number(to) as 1 | 2];
        else if (to === '-') routes[fd] = null;
        else return `the redirection ${fd}>&${to}`;
      } else if (to === '/dev/null') {
        routes[fd] = null;
      } else {
        return `writing to the file ${to} (the phone has no files here)`;
      }
    }
    return routes;
  }

  private exec(argv: string[], io: Io): CommandResult {
    const [name, ...args] = argv as [string, ...string[]];
    switch (name) {
      case 'input':
        return this.input(args, io);
      case 'am':
        return this.am(args, io);
      case 'ime':
        return this.ime(args, io);
      case 'settings':
        return this.settingsCommand(args, io);
      case 'pm':
        return this.pm(args, io);
      case 'cmd':
        if (args[0] === 'package') return this.pm(args.slice(1), io);
        return notSimulated(io, `cmd ${args[0] ?? ''}`);
      case 'monkey':
        return this.monkey(args, io);
      case 'getprop':
        return this.getprop(args, io);
      case 'wm':
        return this.wm(args, io);
      case 'dumpsys':
        return this.dumpsys(args, io);
      case 'screencap':
        return this.screencap(args, io);
      case 'sleep':
        return sleep(args, io);
      case 'echo': {
        const noNewline = args[0] === '-n';
        io.out(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
        return 0;
      }
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'exit':
        throw new ShellExit(args[0] === undefined ? io.lastStatus : Number(args[0]) & 0xff);
      default:
        io.err(`/system/bin/sh: ${name}: inaccessible or not found\n`);
        return 127;
    }
  }

  // ---- input ----

  private input(args: string[], io: Io): number {
    let rest = args;
    if (rest[0] && INPUT_SOURCES.has(rest[0])) rest = rest.slice(1);
    if (rest[0] === '-d') rest = rest.slice(2);
    const [command, ...params] = rest;
    const invalid = () => {
      io.err(`Error: Invalid arguments for command: ${command}\n${USAGE_INPUT}`);
      return 1;
    };
    const float = (text: string): number => {
      if (!JAVA_FLOAT.test(text)) throw new NumberFormat(text);
      return Number.parseFloat(text);
    };
    try {
      switch (command) {
        case 'text':
          // Android 10's input takes exactly one word: text split over several words is a usage error.
          if (params.length !== 1) return invalid();
          // The virtual keyboard's key map has keys for ASCII only: KeyCharacterMap.getEvents returns null for
          // anything else, and Android 10's input crashes on it - nothing is typed.
          if (/[^\x20-\x7e\n\t]/.test(params[0]!)) {
            io.err(`Exception occurred while executing 'text':\njava.lang.NullPointerException: Attempt to get length of null array\n`);
            return 255;
          }
          this.typeText(decodeInputText(params[0]!), 'input text', io);
          return 0;
        case 'keyevent': {
          const longPress = params[0] === '--longpress';
          const keys = longPress ? params.slice(1) : params;
          if (keys.length === 0) return invalid();
          for (const key of keys) this.key(keyCodeFromString(key), longPress, io);
          return 0;
        }
        case 'tap': {
          if (params.length !== 2) return invalid();
          this.tap(float(params[0]!), float(params[1]!), io);
          return 0;
        }
        case 'swipe':
        case 'draganddrop': {
          if (params.length !== 4 && params.length !== 5) return invalid();
          const [x1, y1, x2, y2] = params.slice(0, 4).map(float) as [number, number, number, number];
          let durationMs: number | null = null;
          if (params[4] !== undefined) {
            if (!/^[+-]?\d+$/.test(params[4])) throw new NumberFormat(params[4]);
            durationMs = Number(params[4]);
          }
          this.swipe([x1, y1], [x2, y2], durationMs, io);
          return 0;
        }
        case undefined:
          io.err(USAGE_INPUT);
          return 1;
        default:
          if (command === 'press' || command === 'roll' || command === 'motionevent') return notSimulated(io, `input ${command}`);
          io.err(`Error: Unknown command: ${command}\n${USAGE_INPUT}`);
          return 1;
      }
    } catch (error) {
      if (!(error instanceof NumberFormat)) throw error;
      io.err(`Exception occurred while executing '${command}':\njava.lang.NumberFormatException: For input string: "${error.text}"\n`);
      return 255;
    }
  }

  private tap(x: number, y: number, io: Io): void {
    const { width, height } = this.display();
    const element = hitTest(this.view(), width, height, x, y);
    io.events.push({ type: 'tap', x, y, hit: element ? (element.role === 'icon' ? `icon:${element.package}` : element.role) : null });
    const foreground = this.stack[this.stack.length - 1];
    switch (element?.role) {
      case 'icon':
        this.open(element.package);
        break;
      case 'target':
        this.appUi(foreground!).target = 'tapped';
        break;
      case 'field':
        this.appUi(foreground!).fieldFocused = true;
        break;
      case 'list':
        this.appUi(foreground!).fieldFocused = false;
        break;
      case 'nav-back':
        this.back();
        break;
      case 'nav-home':
        this.stack = [];
        break;
      default:
        break;
    }
  }

  private swipe(from: [number, number], to: [number, number], durationMs: number | null, io: Io): void {
    const still = Math.hypot(to[0] - from[0], to[1] - from[1]) < 10;
    const longPress = still && (durationMs ?? 0) >= LONG_PRESS_MS;
    io.events.push({ type: 'swipe', from, to, durationMs, longPress });
    const foreground = this.stack[this.stack.length - 1];
    if (!foreground) return;
    const { width, height } = this.display();
    const element = hitTest(this.view(), width, height, from[0], from[1]);
    if (longPress) {
      if (element?.role === 'target') this.appUi(foreground).target = 'long-pressed';
    } else if (!still) {
      this.appUi(foreground).scroll += Math.round(from[1] - to[1]);
    }
  }

  private key({ code, name }: { code: number; name: string }, longPress: boolean, io: Io): void {
    io.events.push({ type: 'key', code, name, longPress });
    const foreground = this.stack[this.stack.length - 1];
    if (code === KEYCODE.home) this.stack = [];
    else if (code === KEYCODE.back) this.back();
    else if (code === KEYCODE.del && foreground) {
      const ui = this.appUi(foreground);
      if (ui.fieldFocused) ui.text = [...ui.text].slice(0, -1).join('');
    }
  }

  private back(): void {
    this.stack.pop();
  }

  private typeText(text: string, via: 'input text' | 'ADBKeyboard', io: Io): void {
    const foreground = this.stack[this.stack.length - 1];
    const ui = foreground ? this.appUi(foreground) : null;
    const into = ui?.fieldFocused ? foreground! : null;
    if (ui?.fieldFocused) ui.text += text;
    io.events.push({ type: 'text', text, via, into });
  }

  // ---- am, monkey ----

  private am(args: string[], io: Io): number {
    const [sub, ...rest] = args;
    if (sub === 'broadcast') return this.broadcast(rest, io);
    if (sub === 'start') return this.amStart(rest, io);
    if (sub === 'force-stop') {
      if (rest[0] && this.stack.includes(rest[0])) this.stack = this.stack.filter((p) => p !== rest[0]);
      return 0;
    }
    return notSimulated(io, `am ${sub ?? ''}`);
  }

  private intentArgs(args: string[], io: Io): { action?: string; categories: string[]; component?: string; extras: Map<string, string> } | null {
    const intent = { categories: [] as string[], extras: new Map<string, string>() } as { action?: string; categories: string[]; component?: string; extras: Map<string, string> };
    for (let i = 0; i < args.length; i++) {
      const flag = args[i]!;
      const value = () => {
        const v = args[++i];
        if (v === undefined) throw new Error(`Argument expected after "${flag}"`);
        return v;
      };
      try {
        if (flag === '-a') intent.action = value();
        else if (flag === '-c') intent.categories.push(value());
        else if (flag === '-n') intent.component = value();
        else if (flag === '--es' || flag === '--ei' || flag === '--ez' || flag === '--el' || flag === '--ef') {
          const key = value();
          intent.extras.set(key, value());
        } else if (flag === '--user' || flag === '-f' || flag === '-p' || flag === '-d' || flag === '-t') value();
        else if (flag === '-W' || flag === '-S' || flag === '--receiver-foreground' || flag === '--include-stopped-packages') continue;
        else {
          notSimulated(io, `the intent option ${flag}`);
          return null;
        }
      } catch (error) {
        io.err(`Exception occurred while executing:\njava.lang.IllegalArgumentException: ${(error as Error).message}\n`);
        return null;
      }
    }
    return intent;
  }

  private broadcast(args: string[], io: Io): number {
    const intent = this.intentArgs(args, io);
    if (!intent) return 255;
    const parts = [intent.action ? `act=${intent.action}` : null, 'flg=0x400000', intent.extras.size ? '(has extras)' : null].filter(Boolean);
    io.out(`Broadcasting: Intent { ${parts.join(' ')} }\n`);
    // ADBKeyboard registers its receiver only while it is the active input method.
    if (this.currentIme === ADB_KEYBOARD_IME) {
      const msg = intent.extras.get('msg');
      if (intent.action === 'ADB_INPUT_TEXT' && msg !== undefined) this.typeText(msg, 'ADBKeyboard', io);
      else if (intent.action === 'ADB_INPUT_B64' && msg !== undefined) {
        const decoded = decodeBase64(msg);
        if (decoded !== null) this.typeText(decoded, 'ADBKeyboard', io);
      } else if (intent.action === 'ADB_CLEAR_TEXT') {
        const foreground = this.stack[this.stack.length - 1];
        if (foreground) this.appUi(foreground).text = '';
      } else if (intent.action === 'ADB_INPUT_CODE' && intent.extras.has('code')) {
        this.key(keyCodeFromString(intent.extras.get('code')!), false, io);
      }
    }
    io.out('Broadcast completed: result=0\n');
    return 0;
  }

  private amStart(args: string[], io: Io): number {
    const intent = this.intentArgs(args, io);
    if (!intent) return 255;
    const describe = [
      intent.action ? `act=${intent.action}` : null,
      intent.categories.length ? `cat=[${intent.categories.join(',')}]` : null,
      intent.component ? `cmp=${intent.component}` : null,
    ].filter(Boolean);
    io.out(`Starting: Intent { ${describe.join(' ')} }\n`);
    if (intent.categories.includes('android.intent.category.HOME')) {
      this.stack = [];
      return 0;
    }
    const pkg = intent.component?.split('/')[0];
    const app = pkg ? this.app(pkg) : undefined;
    if (!app || app.activity === null) {
      io.err(`Error: Activity not started, unable to resolve Intent { ${describe.join(' ')} flg=0x10000000 }\n`);
      return 1;
    }
    this.open(app.package);
    return 0;
  }

  private monkey(args: string[], io: Io): number {
    for (const arg of args) io.out(`  bash arg: ${arg}\n`);
    const packages: string[] = [];
    const categories: string[] = [];
    let count: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '-p') packages.push(args[++i] ?? '');
      else if (arg === '-c') categories.push(args[++i] ?? '');
      else if (arg === '-v') continue;
      else if (arg === '-s' || arg === '--throttle') i++;
      else if (/^\d+$/.test(arg)) count = Number(arg);
      else return notSimulated(io, `monkey ${arg}`);
    }
    if (count === undefined) {
      io.err('** Error: Count not specified\n');
      return 1;
    }
    if (count !== 1) return notSimulated(io, `monkey with ${count} random events (only 1, the app launch, is)`);
    if (categories.some((c) => c !== 'android.intent.category.LAUNCHER')) return notSimulated(io, `monkey -c ${categories.join(' ')}`);
    const launchable = this.apps.filter((a) => a.activity !== null && (packages.length === 0 || packages.includes(a.package)));
    if (launchable.length === 0) {
      // Monkey prints this and returns -4.
      io.out('** No activities found to run, monkey aborted.\n');
      return 252;
    }
    this.open(launchable[0]!.package);
    io.out('Events injected: 1\n## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)\n');
    return 0;
  }

  // ---- ime, settings ----

  private ime(args: string[], io: Io): number {
    const [sub, ...rest] = args;
    if (sub === 'list') {
      const all = rest.includes('-a');
      const ids = this.installedImes.filter((id) => all || this.enabledImes.has(id));
      if (rest.includes('-s')) io.out(ids.map((id) => `${id}\n`).join(''));
      else io.out(ids.map((id) => `${id}:\n  mId=${id} mSettingsActivityName=null\n  mIsDefaultResId=0x0\n`).join(''));
      return 0;
    }
    const id = rest[0];
    if ((sub === 'enable' || sub === 'disable' || sub === 'set') && id === undefined) {
      io.err(`Error: no input method id given for 'ime ${sub}'\n`);
      return 255;
    }
    if (sub === 'enable' || sub === 'disable') {
      if (!this.installedImes.includes(id!)) {
        io.err(`Unknown input method ${id} cannot be ${sub}d for user #0\n`);
        return 255;
      }
      const was = this.enabledImes.has(id!);
      if (sub === 'enable') this.enabledImes.add(id!);
      else {
        this.enabledImes.delete(id!);
        if (this.currentIme === id) this.currentIme = LATIN_IME;
      }
      io.out(`Input method ${id}: ${was === (sub === 'enable') ? 'already' : 'now'} ${sub}d for user #0\n`);
      return 0;
    }
    if (sub === 'set') {
      if (!this.enabledImes.has(id!)) {
        io.err(`Unknown input method ${id} cannot be selected for user #0\n`);
        return 255;
      }
      this.currentIme = id!;
      io.out(`Input method ${id} selected for user #0\n`);
      return 0;
    }
    if (sub === 'reset') {
      this.currentIme = LATIN_IME;
      for (const ime of this.enabledImes) if (ime !== LATIN_IME) io.out(`Input method ${ime} disabled for user #0\n`);
      this.enabledImes.clear();
      this.enabledImes.add(LATIN_IME);
      return 0;
    }
    return notSimulated(io, `ime ${sub ?? ''}`);
  }

  private settingsCommand(args: string[], io: Io): number {
    const [verb, namespace, key, value] = args;
    if (namespace !== 'system' && namespace !== 'secure' && namespace !== 'global') {
      io.err(`Invalid namespace '${namespace ?? ''}'\n`);
      return 255;
    }
    if (verb === 'get' && key !== undefined) {
      io.out(`${this.setting(namespace, key) ?? 'null'}\n`);
      return 0;
    }
    if (verb === 'put' && key !== undefined && value !== undefined) {
      return this.putSetting(namespace, key, value, io);
    }
    if (verb === 'list') {
      const keys = new Set([...this.settings[namespace].keys(), ...(namespace === 'secure' ? ['default_input_method', 'enabled_input_methods'] : []), ...(namespace === 'system' ? ['user_rotation'] : [])]);
      io.out([...keys].sort().map((k) => `${k}=${this.setting(namespace, k)}\n`).join(''));
      return 0;
    }
    return notSimulated(io, `settings ${args.join(' ')}`);
  }

  private setting(namespace: 'system' | 'secure' | 'global', key: string): string | undefined {
    if (namespace === 'secure' && key === 'default_input_method') return this.currentIme;
    if (namespace === 'secure' && key === 'enabled_input_methods') return [...this.enabledImes].join(':');
    if (namespace === 'system' && key === 'user_rotation') return String(this.rotation);
    return this.settings[namespace].get(key);
  }

  private putSetting(namespace: 'system' | 'secure' | 'global', key: string, value: string, io: Io): number {
    if (namespace === 'secure' && key === 'default_input_method') {
      if (!this.enabledImes.has(value)) return notSimulated(io, `switching to the input method ${value}, which is not enabled`);
      this.currentIme = value;
    } else if (namespace === 'system' && key === 'user_rotation') {
      if (!/^[0-3]$/.test(value)) {
        io.err(`fake-adb: user_rotation must be 0-3, not '${value}'\n`);
        return 1;
      }
      this.rotation = Number(value);
    } else if (namespace === 'secure' && key === 'enabled_input_methods') {
      return notSimulated(io, 'settings put secure enabled_input_methods (use ime enable)');
    } else {
      this.settings[namespace].set(key, value);
    }
    return 0;
  }

  // ---- pm, getprop ----

  private allPackages(): { name: string; system: boolean; apk: string }[] {
    const hidden = HIDDEN_SYSTEM_PACKAGES.map((name) => ({ name, system: true, apk: `/system/app/${name}/${name}.apk` }));
    const keyboard = this.installedImes.includes(ADB_KEYBOARD_IME) ? [{ name: 'com.android.adbkeyboard', system: false, apk: '/data/app/com.android.adbkeyboard-1/base.apk' }] : [];
    const apps = this.apps.map((a) => ({ name: a.package, system: a.system, apk: a.system ? `/system/app/${a.label}/${a.label}.apk` : `/data/app/${a.package}-1/base.apk` }));
    return [...hidden, ...apps, ...keyboard];
  }

  private pm(args: string[], io: Io): number {
    const [sub, ...rest] = args;
    if (sub === 'list' && rest[0] === 'packages') {
      let filter = '';
      let only: 'system' | 'third-party' | null = null;
      let withPath = false;
      for (let i = 1; i < rest.length; i++) {
        const arg = rest[i]!;
        if (arg === '-s') only = 'system';
        else if (arg === '-3') only = 'third-party';
        else if (arg === '-f') withPath = true;
        else if (arg === '-e' || arg === '-i' || arg === '-u') continue;
        else if (arg === '--user') i++;
        else if (arg.startsWith('-')) {
          io.err(`Error: Unknown option: ${arg}\n`);
          return 255;
        } else filter = arg;
      }
      const lines = this.allPackages()
        .filter((p) => p.name.includes(filter) && (only === null || (only === 'system') === p.system))
        .map((p) => `package:${withPath ? `${p.apk}=` : ''}${p.name}\n`);
      io.out(lines.join(''));
      return 0;
    }
    if (sub === 'path' && rest[0]) {
      const found = this.allPackages().find((p) => p.name === rest[0]);
      if (!found) return 1;
      io.out(`package:${found.apk}\n`);
      return 0;
    }
    return notSimulated(io, `pm ${sub ?? ''}`);
  }

  private props(): Record<string, string> {
    const c = this.config;
    return {
      'ro.build.version.release': c.release,
      'ro.build.version.sdk': String(c.sdk),
      'ro.product.brand': c.manufacturer.toLowerCase(),
      'ro.product.device': c.device,
      'ro.product.manufacturer': c.manufacturer,
      'ro.product.model': c.model,
      'ro.product.name': c.product,
      'ro.serialno': this.serial,
      'ro.sf.lcd_density': String(c.density),
      'sys.boot_completed': '1',
    };
  }

  private getprop(args: string[], io: Io): number {
    const props = this.props();
    if (args.length === 0) {
      io.out(Object.entries(props).map(([k, v]) => `[${k}]: [${v}]\n`).join(''));
      return 0;
    }
    io.out(`${props[args[0]!] ?? args[1] ?? ''}\n`);
    return 0;
  }

  // ---- wm, dumpsys, screencap ----

  private wm(args: string[], io: Io): number {
    const [sub, value] = args;
    const physical = this.config.screen;
    if (sub === 'size') {
      if (value === undefined) {
        io.out(`Physical size: ${physical.width}x${physical.height}\n`);
        if (this.overrideSize) io.out(`Override size: ${this.overrideSize.width}x${this.overrideSize.height}\n`);
        return 0;
      }
      if (value === 'reset') {
        this.overrideSize = undefined;
        return 0;
      }
      const match = /^(\d+)x(\d+)$/.exec(value);
      if (!match) {
        io.err(`Error: bad size ${value}\n`);
        return 255;
      }
      this.overrideSize = { width: Number(match[1]), height: Number(match[2]) };
      return 0;
    }
    if (sub === 'density') {
      if (value === undefined) {
        io.out(`Physical density: ${this.config.density}\n`);
        if (this.densityOverride) io.out(`Override density: ${this.densityOverride}\n`);
        return 0;
      }
      this.densityOverride = value === 'reset' ? undefined : Number(value);
      return 0;
    }
    return notSimulated(io, `wm ${sub ?? ''}`);
  }

  private dumpsys(args: string[], io: Io): number {
    const [service, ...rest] = args;
    const { width, height } = this.display();
    const base = this.overrideSize ?? this.config.screen;
    const physical = this.config.screen;
    const focus = this.stack[this.stack.length - 1];
    const focusActivity = focus ? `${focus}/${this.app(focus)?.activity ?? '.MainActivity'}` : 'com.google.android.apps.nexuslauncher/.NexusLauncherActivity';
    if (service === 'input') {
      io.out(
        [
          'INPUT MANAGER (dumpsys input)',
          '',
          'Input Manager State:',
          '  Interactive: true',
          '',
          'Input Reader State:',
          '  Device 3: touchscreen',
          '    Viewport INTERNAL: displayId=0, uniqueId=local:0, port=0, ' +
            `orientation=${this.rotation}, logicalFrame=[0, 0, ${width}, ${height}], physicalFrame=[0, 0, ${width}, ${height}], ` +
            `deviceSize=[${physical.width}, ${physical.height}], isActive=[1]`,
          `    SurfaceWidth: ${width}px`,
          `    SurfaceHeight: ${height}px`,
          `    SurfaceOrientation: ${this.rotation}`,
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (service === 'window' && (rest[0] === 'displays' || rest[0] === undefined || rest[0] === 'windows')) {
      const lines = ['WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)'];
      if (rest[0] !== 'windows') {
        lines.push(
          '  Display: mDisplayId=0',
          `    init=${physical.width}x${physical.height} ${this.config.density}dpi base=${base.width}x${base.height} cur=${width}x${height} app=${width}x${height}`,
          '    DisplayRotation',
          `      mRotation=${this.rotation} mDeferredRotationPauseCount=0`,
          `      mUserRotationMode=USER_ROTATION_LOCKED mUserRotation=ROTATION_${this.rotation * 90}`,
        );
      }
      lines.push(`  mCurrentFocus=Window{8a1f0c2 u0 ${focusActivity}}`, `  mFocusedApp=ActivityRecord{3c2b1a9 u0 ${focusActivity} t12}`, '');
      io.out(lines.join('\n'));
      return 0;
    }
    if (service === 'input_method') {
      // The editor the focused window's text field opened (InputMethodManagerService.dump, Android 10-12 layout).
      const app = focus ? this.app(focus) : undefined;
      const ui = focus ? this.appUi(focus) : null;
      const lines = [
        'Current Input Method Manager state:',
        `  mCurMethodId=${this.currentIme}`,
        `  mCurFocusedWindow=Window{8a1f0c2 u0 ${focusActivity}} softInputMode=STATE_UNSPECIFIED|ADJUST_RESIZE`,
      ];
      if (app && ui?.fieldFocused) {
        lines.push(
          '  mCurAttribute:',
          `    inputType=0x${(app.passwordField ? 0x81 : 0x1).toString(16)} imeOptions=0x6 privateImeOptions=null`,
          '    actionLabel=null actionId=0',
          `    packageName=${app.package} fieldId=2131230890 fieldName=null`,
          `  mInputShown=true`,
        );
      } else lines.push('  mCurAttribute: null', '  mInputShown=false');
      io.out(`${lines.join('\n')}\n`);
      return 0;
    }
    if (service !== undefined && !['input', 'window', 'input_method'].includes(service)) {
      io.err(`Can't find service: ${service}\n`);
      return 0;
    }
    return notSimulated(io, `dumpsys ${args.join(' ')}`);
  }

  private async screencap(args: string[], io: Io): Promise<number> {
    const options = args.filter((a) => a !== '-d' && !/^\d+$/.test(a));
    if (options.length !== 1 || options[0] !== '-p') return notSimulated(io, `screencap ${args.join(' ')} (only 'screencap -p' to stdout is)`);
    if (this.config.screencap === 'error') {
      io.err('Error: Failed to take screenshot. Status: -1\n');
      return 1;
    }
    const png = await this.screen();
    io.out(this.config.screencap === 'crlf' ? lfToCrlf(png) : png);
    return 0;
  }
}

class NumberFormat extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

function notSimulated(io: Io, what: string): number {
  io.err(`fake-adb: not simulated: ${what}\n`);
  return 1;
}

function sleep(args: string[], io: Io): Promise<number> | number {
  const seconds = Number(args[0]);
  if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) {
    io.err(`sleep: invalid number '${args[0] ?? ''}'\n`);
    return 1;
  }
  if (io.signal.aborted) return 130;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(0), seconds * 1000);
    io.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(130);
    });
  });
}

/** `input text`'s own rule on top of the shell's: each `%s` is a space (a lone `%` stays). */
export function decodeInputText(word: string): string {
  return word.replace(/%s/g, ' ');
}

/** android.util.Base64.decode(DEFAULT) as ADBKeyboard calls it: whitespace ignored, padding optional; null if invalid. */
export function decodeBase64(text: string): string | null {
  const compact = text.replace(/[\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(compact, 'base64').toString('utf8');
}

export function lfToCrlf(data: Buffer): Buffer {
  let lineFeeds = 0;
  for (const byte of data) if (byte === 0x0a) lineFeeds++;
  const out = Buffer.alloc(data.length + lineFeeds);
  let at = 0;
  for (const byte of data) {
    if (byte === 0x0a) out[at++] = 0x0d;
    out[at++] = byte;
  }
  return out;
}
