/**
 * Performing validated `computer_use` actions on the local desktop with nut-js.
 *
 * - Coordinates are mapped by screen/geometry.ts (modelToGlobal) and nowhere else.
 * - Clicks: move, then press/release; double and triple clicks are 2 and 3 real clicks in quick succession, so the
 *   application counts them itself (a browser sees detail 2 / 3, dblclick, and selects a word / a line).
 * - left_click_drag: press at the current position, move there in steps (applications want motion events), release.
 * - scroll / hscroll: wheel steps (scroll.ts says how many and which way), at the coordinate if one is given.
 * - key: keys pressed in order, released in reverse (keys.ts resolves the names; Shift is added for shifted
 *   characters like "+").
 * - type: typing.ts (exact paste on X11); the note says which route delivered which part of the text.
 * - wait sleeps, ending early on abort; terminate and answer do nothing.
 * Everything held is released on error and on abort, and releaseAll() releases it from outside (stop button).
 */
import { existsSync } from 'node:fs';
import type { ComputerAction } from '../base/actions';
import { modelToGlobal, type ActionTarget, type PerformResult, type Point } from '../screen/geometry';
import { resolveCombo, Key, X_KEYSYMS } from './keys';
import { bindSpareKeycodes, unmappedKeysyms, xdotoolCombo } from '../platform/x11/keymap';
import { loadNut, selectDisplay, type Nut } from '../platform/nut';
import { scrollDirection, scrollSteps } from './scroll';
import { typeText, TypingAborted, type PasteKeys, type TypingMethod } from './typing';

export type { PerformResult };

export interface InputDriver {
  perform(action: ComputerAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult>;
  /** Release every key and button this driver may hold. Never throws. */
  releaseAll(): Promise<void>;
}

export interface LocalInputOptions {
  /** X11 display to drive, e.g. ":1" (default $DISPLAY). One process drives one X display at a time (nut.ts). */
  xDisplay?: string;
  /** How `type` delivers text (default: `paste` on Linux, `keystrokes` elsewhere). */
  typing?: TypingMethod;
  /** Key combo that pastes (paste method; default shift+Insert, see typing.ts). */
  pasteKeys?: PasteKeys;
}

/** The action was stopped through its AbortSignal; everything held has been released. */
export class ActionAborted extends Error {
  override name = 'AbortError';
}

/** Pause between the clicks of a double/triple click: well inside any double-click interval. */
const MULTI_CLICK_GAP_MS = 25;
/** A pointer move waits this long after the last button release (moveTo says why). */
const RELEASE_BEFORE_MOVE_MS = 40;
/** Pause between the wheel steps of one scroll, so that smooth-scrolling applications count each one. */
const SCROLL_STEP_GAP_MS = 8;
/** A drag moves in this many steps at most, pausing DRAG_STEP_MS between them. */
const DRAG_MAX_STEPS = 24;
const DRAG_STEP_MS = 10;

/** Keys that some X keyboard maps lack (Xvfb's default has no F13-F24 and no media keys). */
const MAYBE_UNMAPPED = new Set<Key>([
  Key.F13, Key.F14, Key.F15, Key.F16, Key.F17, Key.F18, Key.F19, Key.F20, Key.F21, Key.F22, Key.F23, Key.F24,
  Key.AudioMute, Key.AudioVolDown, Key.AudioVolUp, Key.AudioPlay, Key.AudioStop, Key.AudioPause, Key.AudioPrev, Key.AudioNext,
  Key.Menu, Key.Print, Key.ScrollLock, Key.NumLock, Key.CapsLock, Key.Insert, Key.RightSuper, Key.RightAlt,
  Key.NumPad0, Key.NumPad1, Key.NumPad2, Key.NumPad3, Key.NumPad4, Key.NumPad5, Key.NumPad6, Key.NumPad7, Key.NumPad8, Key.NumPad9,
  Key.Add, Key.Subtract, Key.Multiply, Key.Divide, Key.Decimal,
]);

const MODIFIERS = [Key.LeftControl, Key.RightControl, Key.LeftShift, Key.RightShift, Key.LeftAlt, Key.RightAlt, Key.LeftSuper, Key.RightSuper];

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ActionAborted('action stopped');
}

/** Is a local X display (":N") reachable? Checked before libnut opens it: libnut cannot survive a bad display. */
function checkXDisplay(xDisplay: string | undefined): void {
  if (process.platform !== 'linux') return;
  const name = xDisplay ?? process.env.DISPLAY;
  if (!name) throw new Error('no X display to drive: DISPLAY is not set (run inside an X11 session, or pass --display / xDisplay such as ":0")');
  const local = /^(?:unix)?:(\d+)(?:\.\d+)?$/.exec(name);
  if (local && !existsSync(`/tmp/.X11-unix/X${local[1]}`)) {
    throw new Error(`X display ${name} is not running (no /tmp/.X11-unix/X${local[1]})`);
  }
}

export async function createLocalInput(options: LocalInputOptions = {}): Promise<InputDriver> {
  const xDisplay = options.xDisplay;
  checkXDisplay(xDisplay);
  const nut: Nut = await loadNut(xDisplay);
  const { mouse, keyboard, Button } = nut;
  const typing: TypingMethod = options.typing ?? (process.platform === 'linux' ? 'paste' : 'keystrokes');

  /** Keys and buttons we hold right now, in the order pressed. */
  const heldKeys: Key[] = [];
  const heldButtons = new Set<number>();

  // Every nut-js call goes through here so that libnut talks to our display even if another driver switched it.
  const onDisplay = async (): Promise<void> => {
    await selectDisplay(xDisplay);
  };

  const press = async (key: Key): Promise<void> => {
    await keyboard.pressKey(key);
    heldKeys.push(key);
  };
  const release = async (key: Key): Promise<void> => {
    const at = heldKeys.lastIndexOf(key);
    if (at >= 0) heldKeys.splice(at, 1);
    await keyboard.releaseKey(key);
  };
  const releaseHeldKeys = async (): Promise<void> => {
    while (heldKeys.length) {
      const key = heldKeys.pop()!;
      await keyboard.releaseKey(key).catch(() => undefined);
    }
  };
  const pressButton = async (button: number): Promise<void> => {
    heldButtons.add(button);
    await mouse.pressButton(button);
  };
  /** When a button was last released (see moveTo). */
  let releasedAt = 0;
  const releaseButton = async (button: number): Promise<void> => {
    heldButtons.delete(button);
    await mouse.releaseButton(button);
    releasedAt = performance.now();
  };
  const click = async (button: number, count: number, signal?: AbortSignal): Promise<void> => {
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(MULTI_CLICK_GAP_MS);
      checkAbort(signal);
      await pressButton(button);
      await releaseButton(button);
    }
  };

  /** Hold keys in order, release in reverse; Shift is added before a shifted key unless already held. */
  const combo = async (names: readonly string[], signal?: AbortSignal): Promise<string | undefined> => {
    const strokes = resolveCombo(names); // throws UnknownKeyError before anything is pressed
    if (process.platform === 'linux' && strokes.some((s) => MAYBE_UNMAPPED.has(s.key))) {
      // libnut cannot press a key the X keyboard map lacks (see x11-keymap.ts): let xdotool press the combo.
      const keysyms: string[] = [];
      for (const stroke of strokes) {
        if (stroke.shift && !keysyms.includes('Shift_L') && !keysyms.includes('Shift_R')) keysyms.push('Shift_L');
        keysyms.push(X_KEYSYMS.get(stroke.key)!);
      }
      const missing = await unmappedKeysyms(keysyms, xDisplay);
      if (missing.length > 0) {
        checkAbort(signal);
        await bindSpareKeycodes(missing, xDisplay);
        await xdotoolCombo(keysyms, xDisplay);
        return `pressed with xdotool: ${missing.join(', ')} ${missing.length === 1 ? 'was' : 'were'} not on the X keyboard map (now bound to spare keycodes)`;
      }
    }
    const pressed: Key[] = [];
    try {
      for (const stroke of strokes) {
        checkAbort(signal);
        if (stroke.shift && !pressed.includes(Key.LeftShift) && !pressed.includes(Key.RightShift)) {
          await press(Key.LeftShift);
          pressed.push(Key.LeftShift);
        }
        await press(stroke.key);
        pressed.push(stroke.key);
      }
    } finally {
      for (const key of pressed.reverse()) await release(key).catch(() => undefined);
    }
    return undefined;
  };

  const point = (coordinate: readonly [number, number], target: ActionTarget): Point =>
    modelToGlobal({ x: coordinate[0], y: coordinate[1] }, target.space, target.display, target.imageSize);

  // The X server queues XTest button events but moves the pointer at once (a warp): a move right after a release
  // can overtake it, so the release - and the click - lands at the new point (seen in a replay with no delay under
  // load: the click went to the common parent of two buttons). A move waits until the release has had its moment.
  const moveTo = async (p: Point): Promise<void> => {
    const since = performance.now() - releasedAt;
    if (since < RELEASE_BEFORE_MOVE_MS) await sleep(RELEASE_BEFORE_MOVE_MS - since);
    await mouse.setPosition(p);
  };

  const drag = async (to: Point, signal?: AbortSignal): Promise<Point> => {
    const from = await mouse.getPosition();
    await pressButton(Button.LEFT);
    try {
      const distance = Math.hypot(to.x - from.x, to.y - from.y);
      const steps = Math.max(2, Math.min(DRAG_MAX_STEPS, Math.ceil(distance / 20)));
      for (let i = 1; i <= steps; i++) {
        checkAbort(signal);
        await moveTo({ x: Math.round(from.x + ((to.x - from.x) * i) / steps), y: Math.round(from.y + ((to.y - from.y) * i) / steps) });
        await sleep(DRAG_STEP_MS);
      }
    } finally {
      await releaseButton(Button.LEFT).catch(() => undefined);
    }
    return { x: from.x, y: from.y };
  };

  const scroll = async (axis: 'vertical' | 'horizontal', pixels: number, signal?: AbortSignal): Promise<string> => {
    const steps = scrollSteps(pixels);
    const direction = scrollDirection(axis, pixels);
    for (let i = 0; i < steps; i++) {
      checkAbort(signal);
      if (i > 0) await sleep(SCROLL_STEP_GAP_MS);
      if (direction === 'up') await mouse.scrollUp(1);
      else if (direction === 'down') await mouse.scrollDown(1);
      // Measured on X11: libnut's horizontal sign is inverted (nut-js scrollRight sends button 6, which scrolls
      // left: Chromium reports deltaX < 0). So on Linux right is scrollLeft and left is scrollRight.
      else if ((direction === 'right') === (process.platform === 'linux')) await mouse.scrollLeft(1);
      else await mouse.scrollRight(1);
    }
    return `${steps} wheel step${steps === 1 ? '' : 's'} ${direction}`;
  };

  const tapKeys = async (keys: Key[]): Promise<void> => {
    const pressed: Key[] = [];
    try {
      for (const key of keys) {
        await press(key);
        pressed.push(key);
      }
    } finally {
      for (const key of pressed.reverse()) await release(key).catch(() => undefined);
    }
  };

  /** Release what this driver is known to hold (after an error or an abort inside an action). */
  const releaseTracked = async (): Promise<void> => {
    try {
      await onDisplay();
      await releaseHeldKeys();
      for (const button of [...heldButtons]) await releaseButton(button).catch(() => undefined);
    } catch {
      // never throws
    }
  };

  const releaseAll = async (): Promise<void> => {
    await releaseTracked();
    try {
      // From outside (stop, kill switch) modifiers are released even if we do not know of them being held: a stuck
      // Ctrl is the worst outcome.
      for (const key of MODIFIERS) await keyboard.releaseKey(key).catch(() => undefined);
    } catch {
      // never throws
    }
  };

  const perform = async (action: ComputerAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult> => {
    checkAbort(signal);
    await onDisplay();
    try {
      switch (action.action) {
        case 'mouse_move': {
          const p = point(action.coordinate, target);
          await moveTo(p);
          return { screen: p };
        }
        case 'left_click':
        case 'right_click':
        case 'middle_click':
        case 'double_click':
        case 'triple_click': {
          const p = point(action.coordinate, target);
          const button = action.action === 'right_click' ? Button.RIGHT : action.action === 'middle_click' ? Button.MIDDLE : Button.LEFT;
          const count = action.action === 'double_click' ? 2 : action.action === 'triple_click' ? 3 : 1;
          await moveTo(p);
          await click(button, count, signal);
          return { screen: p };
        }
        case 'left_click_drag': {
          const p = point(action.coordinate, target);
          const from = await drag(p, signal);
          return { screen: p, screen2: from };
        }
        case 'scroll':
        case 'hscroll': {
          const p = action.coordinate ? point(action.coordinate, target) : undefined;
          if (p) await moveTo(p);
          const note = await scroll(action.action === 'scroll' ? 'vertical' : 'horizontal', action.pixels, signal);
          return p ? { screen: p, note } : { note };
        }
        case 'key': {
          const note = await combo(action.keys, signal);
          return note ? { note } : {};
        }
        case 'type': {
          const result = await typeText(
            action.text,
            {
              pressPasteKeys: async (keys) => {
                await onDisplay();
                if (keys === 'shift+insert') await tapKeys([Key.LeftShift, Key.Insert]);
                else if (keys === 'ctrl+v') await tapKeys([Key.LeftControl, Key.V]);
                else await tapKeys([Key.LeftControl, Key.LeftShift, Key.V]);
              },
              pressEnter: async () => {
                await onDisplay();
                await tapKeys([Key.Return]);
              },
              typeKeystrokes: async (text) => {
                await onDisplay();
                await keyboard.type(text);
              },
            },
            { method: typing, pasteKeys: options.pasteKeys, xDisplay, signal },
          );
          // Which route delivered which part (paste, keystrokes), in words; a part typed by keystrokes because a paste
          // was not collected may differ (symbols, non-ASCII), which the model should know.
          return result.parts.some((p) => p.reason) ? { note: result.note, warning: result.note } : { note: result.note };
        }
        case 'wait': {
          await sleep(action.time * 1000, signal);
          checkAbort(signal);
          return {};
        }
        case 'terminate':
        case 'answer':
          return {};
      }
    } catch (error) {
      await releaseTracked();
      if (error instanceof TypingAborted) throw new ActionAborted(error.message);
      throw error;
    }
  };

  return { perform, releaseAll };
}
