/**
 * The `type` action: deliver any text exactly, and say how each part was delivered.
 *
 * Measured on the fixture desktop (test/input/measure-typing.ts; figures in the report): keystroke typing on X11
 * (nut-js keyboard.type, xdotool type) loses or changes symbols and non-ASCII text in Chromium, and a plain
 * clipboard paste with ctrl+v does nothing in xterm. What is exact in both: own BOTH X selections (CLIPBOARD and
 * PRIMARY) with the text and press shift+Insert - GUI toolkits paste CLIPBOARD on shift+Insert, xterm pastes
 * PRIMARY. That is the `paste` method, the default on Linux/X11.
 *
 * Per target:
 * - newlines are not pasted but pressed as Enter between the pasted pieces: in a terminal Enter runs the line (a
 *   pasted newline may be held back by bracketed paste), in a text field it starts a new line either way;
 * - tabs are pasted as text: in a GUI text field a Tab key would move the focus away, in a terminal the pasted
 *   tab arrives as the same byte a Tab key sends;
 * - each line is pasted whole (up to PASTE_CHUNK code points at a time): every paste is a change of selection owner,
 *   and a change of owner is the one moment a slow target can drop a paste (below), so there are as few as can be;
 *   keystroke typing goes in chunks of KEYSTROKE_CHUNK code points, and the abort signal is checked between chunks,
 *   so a stop interrupts a long text within one chunk;
 * - the user's selections are saved first and put back after the last chunk (in the background, see
 *   END_SETTLE_MS; a selection someone took meanwhile is left alone).
 *
 * Exactly once, however slow the target (issue 9: under load a chunk was counted as pasted and never arrived).
 * Each chunk is offered by our own selection owner (x11-selection.ts) and counts as pasted only when the target
 * has collected a complete copy of it - never on a timer. If that does not happen within PASTE_TIMEOUT_MS, the
 * offer is withdrawn first - from then on the owner refuses it, and an answer the target has not collected yet is
 * taken back - so a paste that comes late gets nothing; only then is the chunk typed with keystrokes. Whether the
 * withdrawal found it collected after all decides the route, so no chunk is lost or doubled. After such a chunk the
 * next one is pasted again only if the late paste request has come in by then (the target pastes, it was just
 * slow, and it has caught up); otherwise the rest is typed (the window does not paste on these keys).
 * What was the real loss in issue 9: Chromium collected the chunk and then dropped it, because the selection owner
 * changed (xclip was ended 100 ms after serving) before Chromium had finished the paste; under load it takes
 * longer. No X event says when it has finished, so before each change of owner we wait until the target has been
 * quiet for a while (SETTLE_MS, END_SETTLE_MS) and then until it answers a ping (CATCH_UP_TIMEOUT_MS), which it
 * sends from the thread that finishes the paste. That is the one part not proven by what the owner sees.
 * The result lists which route delivered each part and says it in its note; what else is beyond our reach (a
 * target that collects the text and then drops it for its own reasons) is in x11-selection.ts.
 *
 * On Windows and macOS nut-js types Unicode directly (SendInput with KEYEVENTF_UNICODE, CGEvent Unicode strings),
 * so the `keystrokes` method is used there.
 */
import { execFile } from 'node:child_process';
import {
  MissingToolError,
  openPasteOwner,
  restoreSelection,
  saveSelection,
  type PasteOwner,
  type SavedSelection,
  type SelectionName,
} from './x11-selection';

export type TypingMethod = 'paste' | 'keystrokes' | 'xdotool';
/** Which keystroke asks the focused window to paste (paste method). */
export type PasteKeys = 'shift+insert' | 'ctrl+v' | 'ctrl+shift+v';

/** Keystroke typing is interrupted by a stop between pieces of this many code points. */
export const KEYSTROKE_CHUNK = 200;
/** One paste carries at most this many code points (a line is usually one paste; a stop cannot cut a paste anyway). */
export const PASTE_CHUNK = 4096;
/** How long a pasted chunk may take to be collected by the target before it is typed with keystrokes instead. */
export const PASTE_TIMEOUT_MS = 3000;
/**
 * The same for a chunk that keystrokes cannot type exactly (anything but printable ASCII: non-ASCII text is lost,
 * a Tab moves the focus): falling back would change the text, so a slow target is given longer. Measured with the
 * machine overloaded (both cores busy plus four other test runs): Chromium sometimes asked for the paste 3-5 s late.
 */
export const LOSSY_PASTE_TIMEOUT_MS = 10_000;

/** Whether keystroke typing delivers this chunk exactly (printable ASCII only). */
function keystrokesExact(chunk: string): boolean {
  return /^[\x20-\x7e]*$/.test(chunk);
}
/**
 * After the target collected a chunk, the selections change owner only once it has sent no request for this long
 * (or for twice as long as it took to react to the paste keys, if that is longer: a busy target is slow at both),
 * and at most SETTLE_MAX_MS. Chromium drops a paste it is still finishing when the owner changes, and nothing on
 * the X side tells when it has finished: its last requests are the best sign there is. Measured with both cores
 * busy: no wait, 0 of 8 four-chunk texts arrived whole; 150 ms, 1 chunk lost in about 110 corpus texts; 400 ms,
 * still 1 lost in 280 (20 loaded runs of the corpus test). Not enough alone: the ping that follows it
 * (CATCH_UP_TIMEOUT_MS) is what closed the gap - 20 of 20 runs of test/input/typing-load.test.ts whole with both
 * cores busy plus five other engineers' test runs (load average 6-8), where a CI run had lost two lines of one text.
 */
export const SETTLE_MS = 400;
export const SETTLE_MAX_MS = 2000;
/**
 * At the end of a `type` the offer is withdrawn at once (a later paste gets nothing), and the selections change
 * owner - back to the user's saved content - after a longer quiet time (it costs nothing: it happens in the
 * background, the action returns without it, and the next `type` waits for it).
 */
export const END_SETTLE_MS = 1000;
/**
 * After the quiet time, the window is pinged (_NET_WM_PING) and the owner changes only once it answered, or after
 * this long. Chromium answers from the browser thread that finishes a paste, after what was queued before: so a
 * starved browser is waited for as long as it needs, and a quick one costs a round trip. (The CI run that made this:
 * two lines of one text lost with both cores busy and other tests running, after 400 ms of quiet each.) Windows that
 * take no pings (xterm) rely on the quiet time alone; xterm inserts what it collected at once.
 */
export const CATCH_UP_TIMEOUT_MS = 5000;

function settleMs(reactionMs: number): number {
  return Math.min(SETTLE_MAX_MS, Math.max(SETTLE_MS, 2 * reactionMs));
}

export class TypingAborted extends Error {
  override name = 'AbortError';
  constructor(readonly typed: number) {
    super(`typing stopped after ${typed} characters`);
  }
}

/** What the typing code needs from the keyboard driver. */
export interface TypingKeyboard {
  /** Press a paste combo (hold in order, release in reverse). */
  pressPasteKeys(keys: PasteKeys): Promise<void>;
  pressEnter(): Promise<void>;
  /** Keystroke typing of a piece of text without newlines (nut-js keyboard.type). */
  typeKeystrokes(text: string): Promise<void>;
}

export interface TypeOptions {
  method: TypingMethod;
  pasteKeys?: PasteKeys;
  xDisplay?: string;
  signal?: AbortSignal;
  /** Which selections to fill for the paste (default both). */
  selections?: SelectionName[];
  /** How long a chunk may take to be collected (default PASTE_TIMEOUT_MS). */
  pasteTimeoutMs?: number;
  /** Called with a line for each selection request and answer (diagnosing a target). */
  trace?: (line: string) => void;
}

export type TypingRoute = 'paste' | 'keystrokes' | 'xdotool';

/** A stretch of the text delivered one way: code points [from, to), newlines (pressed as Enter) included. */
export interface TypedPart {
  route: TypingRoute;
  from: number;
  to: number;
  /** Why this part was not pasted (paste method only). */
  reason?: string;
}

export interface TypeResult {
  /** Characters (code points) delivered, newlines included. */
  typed: number;
  /** Which route delivered which part of the text, in order. */
  parts: TypedPart[];
  /** The parts in words, e.g. "characters 1-200 pasted; 201-300 typed with keystrokes: ..." */
  note: string;
}

/** Split text into lines (any newline convention) and each line into chunks of at most `size` code points. */
export function splitForTyping(text: string, size = KEYSTROKE_CHUNK): string[][] {
  return text.split(/\r\n|\n|\r/).map((line) => {
    const points = Array.from(line);
    const chunks: string[] = [];
    for (let i = 0; i < points.length; i += size) chunks.push(points.slice(i, i + size).join(''));
    return chunks;
  });
}

function checkAbort(signal: AbortSignal | undefined, typed: number): void {
  if (signal?.aborted) throw new TypingAborted(typed);
}

function xdotoolType(text: string, xDisplay: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'xdotool',
      ['type', '--clearmodifiers', '--delay', '12', '--', text],
      { env: xDisplay ? { ...process.env, DISPLAY: xDisplay } : process.env, timeout: 60_000 },
      (error) => {
        if (!error) resolve();
        else if ((error as { code?: unknown }).code === 'ENOENT') reject(new MissingToolError('the xdotool typing method needs xdotool (apt-get install xdotool)'));
        else reject(new Error(`xdotool type failed: ${error.message}`));
      },
    );
  });
}

/** Clean-up left running by a stopped typeText (see there). */
let pendingCleanup: Promise<void> = Promise.resolve();

/** `promise`, or TypingAborted as soon as `signal` aborts (the promise itself keeps running). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, typed: () => number): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new TypingAborted(typed()));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new TypingAborted(typed()));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Records which route delivered which code points, merging neighbours (across the newlines between them). */
class Parts {
  /** newlineAfter: a newline (Enter) follows the part, so a next part of the same route extends it. */
  readonly list: Array<TypedPart & { newlineAfter: boolean }> = [];
  position = 0;

  add(route: TypingRoute, length: number, reason?: string): void {
    const last = this.list[this.list.length - 1];
    if (last && last.route === route && last.reason === reason && (last.to === this.position || last.newlineAfter)) {
      last.to = this.position + length;
      last.newlineAfter = false;
    } else {
      this.list.push({ route, from: this.position, to: this.position + length, ...(reason ? { reason } : {}), newlineAfter: false });
    }
    this.position += length;
  }

  /** A newline, pressed as Enter: it belongs to the parts around it. */
  newline(): void {
    const last = this.list[this.list.length - 1];
    if (last && last.to === this.position) last.newlineAfter = true;
    this.position += 1;
  }

  result(extra: string[]): TypeResult {
    const parts = this.list.map(({ route, from, to, reason }) => ({ route, from, to, ...(reason ? { reason } : {}) }));
    return { typed: this.position, parts, note: describe(parts, this.position, extra) };
  }
}

const ROUTE_WORDS: Record<TypingRoute, string> = { paste: 'pasted', keystrokes: 'typed with keystrokes', xdotool: 'typed with xdotool' };

function describe(parts: TypedPart[], total: number, extra: string[]): string {
  const routes = new Set(parts.map((p) => p.route));
  let text: string;
  if (parts.length === 0) text = total === 0 ? 'nothing to type' : `pressed Enter ${total} time${total === 1 ? '' : 's'}`;
  else if (routes.size === 1 && parts.every((p) => !p.reason)) text = `all ${total} characters ${ROUTE_WORDS[parts[0]!.route]}`;
  else {
    text = parts
      .map((p, i) => `${i === 0 ? 'characters ' : ''}${p.from + 1}-${p.to} ${ROUTE_WORDS[p.route]}${p.reason ? ` (${p.reason})` : ''}`)
      .join('; ');
  }
  if (parts.some((p) => p.route !== 'paste') && parts.some((p) => p.reason)) extra.push('keystrokes may change symbols and non-ASCII text');
  return [text, ...extra].join('; ');
}

/** Type `text` into whatever has the keyboard focus. */
export async function typeText(text: string, keyboard: TypingKeyboard, options: TypeOptions): Promise<TypeResult> {
  const { method, signal, xDisplay } = options;
  const lines = splitForTyping(text, method === 'paste' ? PASTE_CHUNK : KEYSTROKE_CHUNK);
  const parts = new Parts();
  const typed = (): number => parts.position;

  const keystrokes = async (piece: string): Promise<TypingRoute> => {
    if (method === 'xdotool') {
      await xdotoolType(piece, xDisplay);
      return 'xdotool';
    }
    await keyboard.typeKeystrokes(piece);
    return 'keystrokes';
  };
  /** A paste chunk that goes by keystrokes after all: in keystroke-sized pieces, a stop checked between them. */
  const typeInstead = async (chunk: string, reason: string): Promise<void> => {
    for (const [index, piece] of splitForTyping(chunk, KEYSTROKE_CHUNK)[0]!.entries()) {
      if (index > 0) checkAbort(signal, typed());
      parts.add(await keystrokes(piece), Array.from(piece).length, reason);
    }
  };
  const enter = async (): Promise<void> => {
    checkAbort(signal, typed());
    await keyboard.pressEnter();
    parts.newline();
  };

  if (method !== 'paste') {
    for (const [index, chunks] of lines.entries()) {
      for (const chunk of chunks) {
        checkAbort(signal, typed());
        parts.add(await keystrokes(chunk), Array.from(chunk).length);
      }
      if (index < lines.length - 1) await enter();
    }
    return parts.result([]);
  }

  // A stop must end the action at once: waits below race the abort signal, and the clean-up they leave behind
  // (withdrawing our offer, restoring the user's selections) finishes in the background. The next typeText waits
  // for it before it saves the selections again.
  await pendingCleanup;
  const which = options.selections ?? ['clipboard', 'primary'];
  const timeoutMs = options.pasteTimeoutMs ?? PASTE_TIMEOUT_MS;
  const saved: SavedSelection[] = await abortable(Promise.all(which.map((s) => saveSelection(s, xDisplay))), signal, typed);
  const opening = openPasteOwner(xDisplay, { selections: which, trace: options.trace });
  /** A chunk went by keystrokes and its paste request has not come yet: the owner's late count then. */
  let unansweredMark: number | undefined;
  const cleanUp = async (): Promise<void> => {
    const owner = await opening.catch(() => undefined);
    // A paste keystroke the target has not acted on yet would paste whatever the clipboard then holds. Keep
    // refusing it (our owner stays, with nothing on offer) until its request has come, or PASTE_TIMEOUT_MS more.
    if (owner && unansweredMark !== undefined) await owner.waitLateRequest(unansweredMark, timeoutMs);
    const held = (await owner?.release()) ?? [];
    // Put the user's selections back (or leave them empty, as they were) - those still ours: one someone else
    // took meanwhile holds something newer.
    await Promise.all(saved.filter((s) => held.includes(s.selection)).map((s) => restoreSelection(s, xDisplay).catch(() => undefined)));
  };

  const extra: string[] = [];
  let pasting = true;
  /** After a chunk went by keystrokes: the owner's late-request count then, to tell whether the target caught up. */
  let lateMark: number | undefined;
  let owner: PasteOwner | undefined;
  /** How long the target took from the paste keys to collecting the text, last time. */
  let reactionMs = 0;
  let lateAtStart = 0;
  try {
    owner = await abortable(opening, signal, typed);
    lateAtStart = owner.lateRequests;
    for (const [index, chunks] of lines.entries()) {
      for (const chunk of chunks) {
        checkAbort(signal, typed());
        const length = Array.from(chunk).length;
        if (lateMark !== undefined) {
          // The last chunk was not pasted. Paste again only once its paste request has come (and been refused):
          // then the target is past that keystroke, and a paste of this chunk cannot land before it.
          pasting = owner.lateRequests > lateMark;
          if (pasting) unansweredMark = undefined;
          if (!pasting) extra.push('the window did not ask for the pasted text, so the rest was typed with keystrokes');
          lateMark = undefined;
        }
        if (!pasting) {
          await typeInstead(chunk, 'after a paste that was not collected');
          continue;
        }
        const offer = await abortable(owner.offer(chunk), signal, typed);
        // The offer took the selections anew (the change of owner is how Chromium tells texts apart). Let the target
        // handle that change before it is asked to paste: the ping is answered after the events queued before it,
        // the owner change among them. Without this wait a 3840x2160 Chromium now and then lost the first line of
        // a text (collected, never inserted: 1 of 23 runs of the corpus test on an idle machine, and in two CI
        // runs); with it none in 8 - too few to prove the cause, but the wait is a round trip per chunk. Windows
        // that take no pings (xterm) answer "unsupported" at once.
        if (offer.held) await abortable(offer.waitCaughtUp(CATCH_UP_TIMEOUT_MS, signal), signal, typed);
        let collected = false;
        const waitMs = options.pasteTimeoutMs ?? (keystrokesExact(chunk) ? timeoutMs : LOSSY_PASTE_TIMEOUT_MS);
        if (offer.held) {
          offer.arm();
          const pressedAt = Date.now();
          await keyboard.pressPasteKeys(options.pasteKeys ?? 'shift+insert');
          collected = await abortable(offer.waitCollected(waitMs, signal), signal, typed);
          reactionMs = Date.now() - pressedAt;
          // Not collected in time: withdraw, and find out whether it was collected meanwhile after all.
          if (!collected) collected = await abortable(offer.withdraw(), signal, typed);
        }
        if (collected) {
          // Before the owner changes again (next chunk, or the end), let the target finish this paste: quiet, then
          // caught up with its event queue (see CATCH_UP_TIMEOUT_MS).
          await abortable(offer.waitQuiet(settleMs(reactionMs), SETTLE_MAX_MS, signal), signal, typed);
          await abortable(offer.waitCaughtUp(CATCH_UP_TIMEOUT_MS, signal), signal, typed);
          parts.add('paste', length);
          if (offer.collected > 1) extra.push(`the window asked ${offer.collected} times for characters ${parts.position - length + 1}-${parts.position}`);
        } else {
          const reason = offer.held ? `the paste was not collected within ${Math.round(waitMs / 100) / 10} s` : 'another client holds the clipboard';
          lateMark = owner.lateRequests;
          unansweredMark = lateMark;
          await typeInstead(chunk, reason);
        }
      }
      if (index < lines.length - 1) await enter();
    }
  } catch (error) {
    if (error instanceof TypingAborted) {
      pendingCleanup = cleanUp();
      throw error;
    }
    await cleanUp();
    throw error;
  }
  if (unansweredMark !== undefined && owner.lateRequests > unansweredMark) unansweredMark = undefined;
  const late = owner.lateRequests - lateAtStart;
  if (late > 0) extra.push(`${late} late paste request${late === 1 ? ' was' : 's were'} refused, so nothing was pasted twice`);
  if (unansweredMark !== undefined) {
    extra.push(`the clipboard is put back once the window has asked for the paste it did not make, or in ${Math.round(timeoutMs / 100) / 10} s`);
  }
  // The clean-up finishes in the background (the next typeText waits for it): see END_SETTLE_MS.
  await owner.withdrawCurrent();
  const settled = owner;
  pendingCleanup = settled
    .waitQuiet(Math.max(END_SETTLE_MS, settleMs(reactionMs)), SETTLE_MAX_MS)
    .then(() => settled.waitCaughtUp(CATCH_UP_TIMEOUT_MS))
    .then(cleanUp);
  return parts.result(extra);
}
