/**
 * Keeps Deskpilot's own windows out of the model's way: the Desktop the engine host uses is wrapped so that around
 * every capture() and perform() the app's visible windows are hidden (and shown again afterwards, without taking
 * focus). The model therefore never sees or clicks Deskpilot itself. Windows the person had hidden stay hidden.
 *
 * Hiding is reference-counted (a capture inside a perform hides once) and the windows come back after a short grace
 * period, so the settle loop's rapid captures do not make them flicker.
 */
import { sleep } from '../app/base/sleep';
import type { ComputerUseDesktop } from '../app/devices/device';

/** The parts of a BrowserWindow used here. */
export interface OwnWindow {
  isDestroyed(): boolean;
  isVisible(): boolean;
  hide(): void;
  /** Show without focusing: focus must stay in the application the model is working in. */
  showInactive(): void;
}

export interface WindowHiderOptions {
  /** Wait after hiding before the screen is used, so the window manager has unmapped the windows. */
  hideSettleMs?: number;
  /** Wait after the last capture/perform before the windows come back. */
  restoreDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Timer used for the delayed restore (tests pass a synchronous one). */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
}

const realSleep = (ms: number) => sleep(ms);
const realSchedule = (fn: () => void, ms: number) => {
  const timer = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(timer) };
};

export class WindowHider {
  private depth = 0;
  private hidden: OwnWindow[] = [];
  private pendingRestore: { cancel(): void } | null = null;
  private readonly hideSettleMs: number;
  private readonly restoreDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly schedule: NonNullable<WindowHiderOptions['schedule']>;

  constructor(
    private readonly windows: () => readonly OwnWindow[],
    options: WindowHiderOptions = {},
  ) {
    this.hideSettleMs = options.hideSettleMs ?? 150;
    this.restoreDelayMs = options.restoreDelayMs ?? 400;
    this.sleep = options.sleep ?? realSleep;
    this.schedule = options.schedule ?? realSchedule;
  }

  /** Whether the windows are currently held out of the way. */
  get active(): boolean {
    return this.depth > 0 || this.pendingRestore !== null;
  }

  /** Runs `work` with every visible Deskpilot window hidden. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.depth++;
    this.pendingRestore?.cancel();
    this.pendingRestore = null;
    try {
      const newlyHidden = this.hideVisible();
      if (newlyHidden && this.hideSettleMs > 0) await this.sleep(this.hideSettleMs);
      return await work();
    } finally {
      this.depth--;
      if (this.depth === 0) this.scheduleRestore();
    }
  }

  /** Brings the hidden windows back now (the run ended, or the person asked for the window). */
  restoreNow(): void {
    this.pendingRestore?.cancel();
    this.pendingRestore = null;
    const windows = this.hidden;
    this.hidden = [];
    for (const window of windows) if (!window.isDestroyed()) window.showInactive();
  }

  /** Main hid or showed `window` on purpose: do not bring it back with the others. */
  forget(window: OwnWindow): void {
    this.hidden = this.hidden.filter((w) => w !== window);
  }

  private hideVisible(): boolean {
    let hid = false;
    for (const window of this.windows()) {
      if (window.isDestroyed() || !window.isVisible()) continue;
      window.hide();
      if (!this.hidden.includes(window)) this.hidden.push(window);
      hid = true;
    }
    return hid;
  }

  private scheduleRestore(): void {
    if (this.restoreDelayMs <= 0) {
      this.restoreNow();
      return;
    }
    this.pendingRestore = this.schedule(() => {
      this.pendingRestore = null;
      if (this.depth === 0) this.restoreNow();
    }, this.restoreDelayMs);
  }
}

export interface KeepOutOptions {
  /** Hide around capture() too. Off where content protection already keeps the windows out of screenshots. */
  hideForCapture: boolean;
  /** Read each time: the person can switch hiding off in the settings. */
  enabled: () => boolean;
}

/** The Desktop the engine gets in the app: the same desktop with Deskpilot's windows out of the way. */
export function keepOutOfTheWay(desktop: ComputerUseDesktop, hider: WindowHider, options: KeepOutOptions): ComputerUseDesktop {
  return {
    kind: desktop.kind,
    tool: desktop.tool,
    displays: () => desktop.displays(),
    capture: (display) =>
      options.hideForCapture && options.enabled() ? hider.hold(() => desktop.capture(display)) : desktop.capture(display),
    perform: (action, target, signal) =>
      options.enabled() ? hider.hold(() => desktop.perform(action, target, signal)) : desktop.perform(action, target, signal),
    releaseAll: () => desktop.releaseAll(),
    close: () => desktop.close(),
  };
}
