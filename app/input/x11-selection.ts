/**
 * X11 selections (CLIPBOARD and PRIMARY): read what they hold and put it back (xclip), and offer our own text for
 * one paste at a time with a selection owner that knows exactly what each requestor collected (x11, in process).
 * Used by the paste typing method (typing.ts) on Linux.
 *
 * X selections are not stored anywhere: the owning client answers each paste request. "Restoring" means running a
 * process that answers with the saved bytes (a detached xclip, so it outlives us), "empty" means no owner at all.
 *
 * Why our own owner and not `xclip -i` (used until issue 9): xclip says only that it answered "a request". It
 * cannot tell a paste from a clipboard watcher, nor an answer the requestor collected from one it never read, and
 * the only way to stop it serving is to kill it, after which a paste still on its way finds no owner. On a busy
 * machine that lost text (a chunk "served", then nothing pasted) and needed a quiet-time guess. The owner below
 * speaks the ICCCM protocol itself through the x11 package (a pure-JS X client; no X library or tool has an
 * owner that reports transfers), so:
 * - a chunk counts as delivered when a requestor has collected a complete copy: it deleted the property we wrote
 *   the text into (ICCCM 2.4), or, for INCR transfers (ICCCM 2.7.2), deleted the final zero-length piece;
 * - content requests that arrive before the paste keys were pressed (clipboard managers react to every owner
 *   change) are refused: they are not our paste, and they would keep a copy of what is typed;
 * - a withdrawn offer is never served again: later requests are refused (the requestor pastes nothing), and an
 *   answer written but not yet collected is taken back with GetProperty(delete), which the X server performs
 *   atomically: either we get our bytes back (the requestor can no longer read them) or the requestor already
 *   had them (then the chunk was delivered after all). So a late paste can neither add the text a second time nor
 *   be mistaken for a lost one.
 * What stays out of reach at this level: a requestor that collects the text and then drops it looks exactly like
 * one that pasted it. Chromium does when the owner changes before it has finished the paste (typing.ts waits for
 * it to go quiet first), or when its own 1 s request timeout (ui/base/x/selection_requestor.cc) passed before the
 * answer came: it then deletes the property unread, as ICCCM asks of a requestor that gets a SelectionNotify it no
 * longer waits for, and that deletion is exactly what a collection looks like. (A first line lost now and then on a
 * 3840x2160 Chromium was not seen again once typing.ts let the target handle each change of owner before pasting.)
 * The connection is a plain socket (shm: false; the x11 package's default is an fd-passing IPC pipe, not needed
 * here) and stays open for the process (openPasteOwner): opened and closed per action next to libnut's Xlib
 * connection, that one was seen to fail (Xlib "fatal IO error", which ends the process).
 */
import { execFile, spawn } from 'node:child_process';

export type SelectionName = 'clipboard' | 'primary';

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

export interface SavedSelection {
  selection: SelectionName;
  /** null: the selection had no owner (empty). */
  content: { type: string; data: Buffer } | null;
}

/** Targets that describe the selection rather than hold its content. */
const META_TARGETS = new Set(['TARGETS', 'TIMESTAMP', 'MULTIPLE', 'SAVE_TARGETS', 'DELETE', 'INCR']);
/** Which target to save, best first: text keeps its encoding, images stay images. */
const PREFERRED = ['image/png', 'UTF8_STRING', 'text/plain;charset=utf-8', 'text/plain', 'STRING', 'TEXT'];

function xclipEnv(xDisplay: string | undefined): NodeJS.ProcessEnv {
  return xDisplay ? { ...process.env, DISPLAY: xDisplay } : process.env;
}

function notFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

const MISSING = 'typing on Linux/X11 needs xclip (to save and restore the clipboard); install it, e.g. `apt-get install xclip`';

function readOut(args: string[], xDisplay: string | undefined, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    execFile('xclip', args, { env: xclipEnv(xDisplay), encoding: 'buffer', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error) {
        if (notFound(error)) reject(new MissingToolError(MISSING));
        // No owner, or the owner cannot convert: treat as empty. A hung owner times out the same way.
        else resolve(null);
      } else resolve(stdout);
    });
  });
}

/** Save what a selection holds (one representation: an image if there is one, else text). */
export async function saveSelection(selection: SelectionName, xDisplay?: string, timeoutMs = 1000): Promise<SavedSelection> {
  const targetsOut = await readOut(['-selection', selection, '-o', '-t', 'TARGETS'], xDisplay, timeoutMs);
  if (!targetsOut) return { selection, content: null };
  const targets = targetsOut
    .toString('utf8')
    .split('\n')
    .map((t) => t.trim())
    .filter((t) => t && !META_TARGETS.has(t));
  const type = PREFERRED.find((p) => targets.includes(p)) ?? targets[0];
  if (!type) return { selection, content: null };
  const data = await readOut(['-selection', selection, '-o', '-t', type], xDisplay, timeoutMs);
  return { selection, content: data ? { type, data } : null };
}

/**
 * Put a saved selection back. Empty stays empty (nothing to do once our owner has gone). Otherwise a detached
 * xclip keeps serving the saved content, as the original owner did, until someone else takes the selection.
 */
export function restoreSelection(saved: SavedSelection, xDisplay?: string): Promise<void> {
  const content = saved.content;
  if (!content) return Promise.resolve();
  return new Promise((resolve, reject) => {
    // Without -verbose/-quiet xclip forks itself into the background once it owns the selection; the parent exits.
    const child = spawn('xclip', ['-selection', saved.selection, '-t', content.type, '-i'], {
      env: xclipEnv(xDisplay),
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.on('error', (error) => reject(notFound(error) ? new MissingToolError(MISSING) : error));
    child.on('exit', () => {
      // The parent exits when it forks; the background child may not own the selection yet. Return only once it
      // does, so that a paste right after this action gets the user's content back.
      void waitOwned(saved.selection, xDisplay).then(resolve);
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(content.data);
    child.unref();
  });
}

async function waitOwned(selection: SelectionName, xDisplay: string | undefined): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if (await readOut(['-selection', selection, '-o', '-t', 'TARGETS'], xDisplay, 500).catch(() => null)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The x11 package, typed for the few requests used here (it ships no types).

interface XError extends Error {
  error?: number;
}
type XCallback<T> = (error: XError | null | undefined, value: T) => unknown;
interface XEvent {
  name?: string;
  wid?: number;
  atom?: number;
  state?: number;
  time?: number;
  owner?: number;
  requestor?: number;
  selection?: number;
  target?: number;
  property?: number;
  message_type?: number;
  data?: number[];
}
interface XProperty {
  type: number;
  format: number;
  bytesAfter: number;
  data: Buffer;
}
interface XClient {
  AllocID(): number;
  InternAtom(onlyIfExists: boolean, name: string, callback: XCallback<number>): void;
  CreateWindow(wid: number, parent: number, x: number, y: number, width: number, height: number, border: number, depth: number, windowClass: number, visual: number, values: Record<string, number>): void;
  ChangeWindowAttributes(wid: number, values: { eventMask: number }): void;
  SetSelectionOwner(owner: number, selection: number, time: number): void;
  GetSelectionOwner(selection: number, callback: XCallback<number>): void;
  GetAtomName(atom: number, callback: XCallback<string>): void;
  ChangeProperty(mode: number, wid: number, property: number, type: number, format: 8 | 32, data: Buffer | number[]): void;
  GetProperty(remove: number, wid: number, property: number, type: number, longOffset: number, longLength: number, callback: XCallback<XProperty>): void;
  SendEvent(destination: number, propagate: number, eventMask: number, event: Record<string, unknown>): void;
  SendClientMessage(destination: number, wid: number, messageType: number, format: 32, data: number[], eventMask: number): void;
  close(callback?: () => void): void;
  on(name: 'event', listener: (event: XEvent) => void): void;
  on(name: 'error', listener: (error: XError) => void): void;
  on(name: 'end', listener: () => void): void;
}
interface XDisplayInfo {
  client: XClient;
  screen: Array<{ root: number }>;
}
interface X11Module {
  createClient(options: { display?: string; shm?: false }, callback: (error: Error | null | undefined, display: XDisplayInfo) => void): XClient;
}

const PROPERTY_CHANGE_MASK = 0x00400000;
const SUBSTRUCTURE_NOTIFY_MASK = 0x00080000;
const PROPERTY_DELETED = 1;
const INPUT_ONLY = 2;
const ATOM_PRIMARY = 1;
const ATOM_ATOM = 4;
const ATOM_STRING = 31;
const ATOM_WINDOW = 33;
const CURRENT_TIME = 0;
/** Answers larger than this go by INCR, in pieces of this size; far below any server's request limit. */
export const INCR_ABOVE_BYTES = 64 * 1024;

let x11Module: Promise<X11Module> | undefined;
function loadX11(): Promise<X11Module> {
  // @ts-expect-error the x11 package ships no types; X11Module above describes the part used here.
  x11Module ??= import('x11').then((m: { default?: X11Module } & X11Module) => m.default ?? m);
  return x11Module;
}

function connectX(xDisplay: string | undefined): Promise<XDisplayInfo> {
  const name = xDisplay ?? process.env.DISPLAY;
  if (!name) return Promise.reject(new Error('no X display to paste on: DISPLAY is not set'));
  return loadX11().then(
    (x11) =>
      new Promise((resolve, reject) => {
        const fail = (error: Error): void => reject(new Error(`cannot connect to X display ${name} to paste: ${error.message}`));
        const client = x11.createClient({ display: name, shm: false }, (error, display) => (error ? fail(error) : resolve(display)));
        client.on('error', fail); // errors during setup; the owner replaces this listener's effect once connected
      }),
  );
}

function internAtom(client: XClient, name: string): Promise<number> {
  return new Promise((resolve, reject) =>
    client.InternAtom(false, name, (error, atom) => {
      if (error) reject(new Error(`X InternAtom ${name} failed: ${error.message}`));
      else resolve(atom);
      return true;
    }),
  );
}

function selectionOwner(client: XClient, selection: number): Promise<number> {
  return new Promise((resolve, reject) =>
    client.GetSelectionOwner(selection, (error, owner) => {
      if (error) reject(new Error(`X GetSelectionOwner failed: ${error.message}`));
      else resolve(owner);
      return true;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The paste owner.

/** One text on offer in CLIPBOARD and PRIMARY, for one paste. */
export interface PasteOffer {
  /**
   * From now on content requests are our paste's (call right before pressing the paste keys). Until then they are
   * refused: they come from clipboard watchers reacting to the new owner.
   */
  arm(): void;
  /** True once a requestor has collected a complete copy; false if the time passes or `signal` aborts first. */
  waitCollected(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * Stop offering the text: later requests are refused and an answer not yet collected is taken back. Resolves
   * with whether a requestor collected a complete copy (before or during the withdrawal). Idempotent.
   */
  withdraw(): Promise<boolean>;
  /** Complete copies collected so far (more than one: the target asked again for the same paste). */
  readonly collected: number;
  /** False if another client holds both selections (then nothing of ours can be pasted: do not press). */
  readonly held: boolean;
  /**
   * Resolves once no request has come for `quietMs` (at most `maxMs`, or on abort): the time a target needs to
   * finish a paste after it collected the text, which no request or event shows (see SETTLE_MS in typing.ts).
   */
  waitQuiet(quietMs: number, maxMs: number, signal?: AbortSignal): Promise<void>;
  /** See PasteOwner.waitCaughtUp. */
  waitCaughtUp(timeoutMs: number, signal?: AbortSignal): Promise<CatchUp>;
}

/**
 * Whether the focused window has handled everything sent to it before: 'answered' (it answered a _NET_WM_PING sent
 * now), 'unsupported' (it does not take pings: xterm, windows without EWMH support), 'timeout' (no answer in time).
 */
export type CatchUp = 'answered' | 'unsupported' | 'timeout';

export interface PasteOwner {
  /** Withdraw the text on offer (if any) and offer `text`. */
  offer(text: string): Promise<PasteOffer>;
  /** Content requests that came while nothing was on offer (refused): pastes that came after a withdrawal. */
  readonly lateRequests: number;
  /** True once lateRequests exceeds `count`; false after `timeoutMs`. */
  waitLateRequest(count: number, timeoutMs: number): Promise<boolean>;
  /** Stop offering the current text (later requests are refused) but keep the selections: no change of owner. */
  withdrawCurrent(): Promise<void>;
  /** Resolves once no request has come for `quietMs`, or after `maxMs`. */
  waitQuiet(quietMs: number, maxMs: number): Promise<void>;
  /**
   * Ping the active window (EWMH _NET_WM_PING) and wait for its answer. A client answers from the thread that
   * handles its X events, after the events and tasks queued before the ping: for Chromium, whose browser process
   * finishes a paste there, the answer says the paste it collected is done - the one thing no request shows.
   */
  waitCaughtUp(timeoutMs: number, signal?: AbortSignal): Promise<CatchUp>;
  /**
   * Withdraw what is on offer and give the selections up (they become empty). Resolves with the selections it
   * still held: one another client took meanwhile (the user copied something) must not be "restored". Never throws.
   */
  release(): Promise<SelectionName[]>;
  /** Release and disconnect (the next openPasteOwner connects anew). Never throws. */
  close(): Promise<void>;
}

export interface PasteOwnerOptions {
  /** Which selections to own (default both: GUI toolkits paste CLIPBOARD on shift+Insert, xterm PRIMARY). */
  selections?: SelectionName[];
  /** Answers above this many bytes go by INCR (default INCR_ABOVE_BYTES; small values are for tests). */
  incrAboveBytes?: number;
  /** Called with a line for each request, answer and collection (for diagnosing a target). */
  trace?: (line: string) => void;
}

type TransferState = 'sent' | 'incr' | 'collected' | 'taking-back' | 'taken-back' | 'abandoned';

/** One answer to one content request. */
interface Transfer {
  offer: Offer;
  requestor: number;
  property: number;
  /** Atom of the type we answered with. */
  type: number;
  /** All the bytes; for INCR, `sent` tells how many are out. */
  bytes: Buffer;
  state: TransferState;
  /** INCR: bytes written so far; the final zero-length piece is written once sent === bytes.length. */
  sent: number;
  /** What is in the requestor's property right now (for taking it back). */
  pending: Buffer;
}

class Offer implements PasteOffer {
  armed = false;
  open = true;
  collected = 0;
  held = false;
  readonly transfers: Transfer[] = [];
  private readonly listeners = new Set<() => void>();
  private withdrawal: Promise<boolean> | undefined;

  constructor(
    readonly text: string,
    private readonly owner: Owner,
  ) {}

  arm(): void {
    this.armed = true;
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }

  waitCollected(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const check = (): void => {
        if (this.collected > 0) finish(true);
        else if (!this.open || !this.owner.serving()) finish(false);
      };
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(this.collected > 0), timeoutMs);
      this.listeners.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) finish(false);
      else check();
    });
  }

  waitQuiet(quietMs: number, maxMs: number, signal?: AbortSignal): Promise<void> {
    return this.owner.waitQuiet(quietMs, maxMs, signal);
  }

  waitCaughtUp(timeoutMs: number, signal?: AbortSignal): Promise<CatchUp> {
    return this.owner.waitCaughtUp(timeoutMs, signal);
  }

  withdraw(): Promise<boolean> {
    this.withdrawal ??= this.owner.withdraw(this).then(() => this.collected > 0);
    return this.withdrawal;
  }
}

class Owner implements PasteOwner {
  lateRequests = 0;
  /** When the last request of any kind came (Date.now()). */
  lastRequestAt = 0;
  private current: Offer | undefined;
  /** Selections we own right now (SelectionClear removes one: someone else took it). */
  private readonly owned = new Set<number>();
  /** Transfers waiting for the requestor, by requestor window and property. */
  private readonly active = new Map<string, Transfer>();
  private readonly watched = new Set<number>();
  private connected = true;
  private closing: Promise<void> | undefined;
  /** Atom names for the trace, looked up as they are first seen. */
  private readonly names = new Map<number, string>([[ATOM_STRING, 'STRING']]);

  constructor(
    private readonly client: XClient,
    private readonly window: number,
    private readonly selections: number[],
    private readonly atoms: Record<'targets' | 'incr' | 'utf8' | 'textPlainUtf8' | 'textPlain' | 'text' | 'wmProtocols' | 'netWmPing' | 'netActiveWindow', number>,
    private readonly incrAbove: number,
    private readonly onEnd: () => void,
    private readonly root: number,
  ) {
    client.on('event', (event) => this.onEvent(event));
    // A window answers a ping by sending it to the root window for SubstructureNotify: that is how we hear it.
    client.ChangeWindowAttributes(root, { eventMask: SUBSTRUCTURE_NOTIFY_MASK });
    // Requests to a requestor's window fail once it is gone; nothing to do then (it cannot paste any more).
    client.on('error', (error) => this.trace(`X error ${error.message}`));
    client.on('end', () => {
      this.onEnd();
      this.connected = false;
      this.owned.clear();
      this.current?.changed();
    });
  }

  private trace: (line: string) => void = () => undefined;
  private tracing = false;

  /** The socket keeps the process alive only while a text is being typed (see openPasteOwner and release). */
  setInUse(inUse: boolean): void {
    const stream = (this.client as unknown as { stream?: { ref?(): void; unref?(): void } }).stream;
    if (inUse) stream?.ref?.();
    else stream?.unref?.();
  }

  /** Where trace lines go from now on (undefined: nowhere). */
  setTrace(trace: ((line: string) => void) | undefined): void {
    this.trace = trace ?? (() => undefined);
    this.tracing = trace !== undefined;
  }

  private readonly lateListeners = new Set<() => void>();

  waitLateRequest(count: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.lateRequests <= count && this.connected) return;
        finish(this.lateRequests > count);
      };
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        this.lateListeners.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.lateListeners.add(check);
      check();
    });
  }

  serving(): boolean {
    return this.connected && this.owned.size > 0;
  }

  async offer(text: string): Promise<PasteOffer> {
    if (this.current) await this.current.withdraw();
    if (!this.connected) throw new Error('the X connection for pasting was closed');
    const offer = new Offer(text, this);
    this.current = offer;
    // Take the selections anew for every text, even while we hold them: applications tell texts apart by the
    // change of owner (Chromium pastes the text it got before, for as long as the owner stays the same).
    for (const selection of this.selections) this.client.SetSelectionOwner(this.window, selection, CURRENT_TIME);
    const owners = await Promise.all(this.selections.map((s) => selectionOwner(this.client, s)));
    this.owned.clear();
    owners.forEach((owner, i) => {
      if (owner === this.window) this.owned.add(this.selections[i]!);
    });
    offer.held = this.owned.size > 0;
    this.trace(`offer ${JSON.stringify(text.slice(0, 24))} (${Array.from(text).length} chars)`);
    return offer;
  }

  async withdraw(offer: Offer): Promise<void> {
    if (!offer.open) return;
    offer.open = false;
    if (this.current === offer) this.current = undefined;
    const backs: Array<Promise<void>> = [];
    for (const transfer of offer.transfers) {
      if (transfer.state === 'incr') this.settle(transfer, 'abandoned'); // it can never complete now
      else if (transfer.state === 'sent') backs.push(this.takeBack(transfer));
    }
    await Promise.all(backs);
    this.trace(`withdrawn: collected ${offer.collected}`);
    offer.changed();
  }

  async withdrawCurrent(): Promise<void> {
    await this.current?.withdraw().catch(() => false);
  }

  waitQuiet(quietMs: number, maxMs: number, signal?: AbortSignal): Promise<void> {
    const start = Date.now();
    return new Promise((resolve) => {
      const tick = (): void => {
        const now = Date.now();
        const left = Math.min(quietMs - (now - this.lastRequestAt), maxMs - (now - start));
        if (left <= 0 || signal?.aborted || !this.connected) resolve();
        else setTimeout(tick, left);
      };
      tick();
    });
  }

  /** Pings waiting for their answer, by the ping's timestamp field. */
  private readonly pings = new Map<number, () => void>();
  private pingStamp = (Date.now() % 0x7fffffff) >>> 0;

  async waitCaughtUp(timeoutMs: number, signal?: AbortSignal): Promise<CatchUp> {
    if (!this.connected || signal?.aborted) return 'unsupported';
    const window = (await this.property32(this.root, this.atoms.netActiveWindow, ATOM_WINDOW))[0];
    if (!window) return 'unsupported';
    const protocols = await this.property32(window, this.atoms.wmProtocols, ATOM_ATOM);
    if (!protocols.includes(this.atoms.netWmPing) || !this.connected) return 'unsupported';
    this.pingStamp = (this.pingStamp + 1) >>> 0;
    const stamp = this.pingStamp;
    return new Promise((resolve) => {
      const finish = (value: CatchUp): void => {
        clearTimeout(timer);
        this.pings.delete(stamp);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => finish('timeout');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pings.set(stamp, () => finish('answered'));
      try {
        this.client.SendClientMessage(window, window, this.atoms.wmProtocols, 32, [this.atoms.netWmPing, stamp, window, 0, 0], 0);
      } catch {
        finish('unsupported');
      }
    });
  }

  /** A 32-bit property as numbers ([] when absent, of another type, or on an error: the window may be gone). */
  private property32(window: number, property: number, type: number): Promise<number[]> {
    return new Promise((resolve) => {
      try {
        this.client.GetProperty(0, window, property, type, 0, 64, (error, value) => {
          if (error || value.format !== 32 || value.type !== type) resolve([]);
          else resolve(Array.from({ length: value.data.length / 4 }, (_, i) => value.data.readUInt32LE(i * 4)));
          return true;
        });
      } catch {
        resolve([]);
      }
    });
  }

  async release(): Promise<SelectionName[]> {
    const held: SelectionName[] = [];
    try {
      if (this.current) await this.current.withdraw();
      if (!this.connected || this.owned.size === 0) return held;
      for (const selection of this.owned) held.push(selection === ATOM_PRIMARY ? 'primary' : 'clipboard');
      for (const selection of this.owned) this.client.SetSelectionOwner(0, selection, CURRENT_TIME);
      this.owned.clear();
      await selectionOwner(this.client, this.selections[0]!); // a round trip: the server has done it
    } catch {
      // never throws: a lost connection has given the selections up anyway
    } finally {
      if (this.connected) this.setInUse(false);
    }
    return held;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.release();
      this.onEnd();
      if (!this.connected) return;
      this.connected = false;
      // Closing the connection destroys our window, and with it our ownership of the selections.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        try {
          this.client.close(() => {
            clearTimeout(timer);
            resolve();
          });
        } catch {
          clearTimeout(timer);
          resolve();
        }
      });
    })();
    return this.closing;
  }

  private onEvent(event: XEvent): void {
    // After close() has begun the client refuses new requests; the server drops our ownership with the window.
    if (!this.connected) return;
    try {
      this.dispatch(event);
    } catch (error) {
      this.trace(`event ${event.name} not handled: ${(error as Error).message}`);
    }
  }

  private dispatch(event: XEvent): void {
    if (event.name === 'SelectionRequest' && event.owner === this.window) this.onRequest(event);
    else if (event.name === 'PropertyNotify' && event.state === PROPERTY_DELETED) this.onDeleted(event.wid!, event.atom!);
    else if (event.name === 'ClientMessage' && event.message_type === this.atoms.wmProtocols && event.data?.[0] === this.atoms.netWmPing) {
      this.pings.get(event.data[1]!)?.();
    } else if (event.name === 'SelectionClear' && event.owner === this.window) {
      this.owned.delete(event.selection!);
      this.trace(`lost selection ${event.selection}`);
      this.current?.changed();
    }
  }

  private onRequest(event: XEvent): void {
    this.lastRequestAt = Date.now();
    const requestor = event.requestor!;
    const target = event.target!;
    // ICCCM 2.2: a property of None comes from an obsolete client, which wants the answer in the target's name.
    const property = event.property || target;
    const offer = this.current;
    const name = `${event.selection === ATOM_PRIMARY ? 'PRIMARY' : 'CLIPBOARD'} request for ${this.atomName(target)} from ${requestor}`;
    if (!offer?.open) {
      if (target !== this.atoms.targets) {
        this.lateRequests += 1;
        for (const listener of this.lateListeners) listener();
      }
      this.trace(`${name}: refused (nothing on offer)`);
      return this.notify(event, 0);
    }
    if (target === this.atoms.targets) {
      // The same list for every text (it is replaced in place, and requestors may keep the list they got); the
      // legacy STRING/TEXT/text/plain are answered too, but only when they hold the text exactly.
      this.client.ChangeProperty(0, requestor, property, ATOM_ATOM, 32, [this.atoms.targets, this.atoms.utf8, this.atoms.textPlainUtf8]);
      return this.notify(event, property);
    }
    const answer = this.encode(offer.text, target);
    if (!answer || !offer.armed) {
      this.trace(`${name}: refused (${answer ? 'before the paste keys' : 'unsupported target'})`);
      return this.notify(event, 0);
    }
    const key = `${requestor}/${property}`;
    const previous = this.active.get(key);
    if (previous) this.settle(previous, 'abandoned'); // the requestor asked again on the same property
    if (!this.watched.has(requestor)) {
      // Deletions of the property are how the requestor tells us it collected the answer.
      this.client.ChangeWindowAttributes(requestor, { eventMask: PROPERTY_CHANGE_MASK });
      this.watched.add(requestor);
    }
    const transfer: Transfer = { offer, requestor, property, type: answer.type, bytes: answer.bytes, state: 'sent', sent: 0, pending: answer.bytes };
    if (answer.bytes.length > this.incrAbove) {
      transfer.state = 'incr';
      transfer.pending = Buffer.alloc(0);
      this.client.ChangeProperty(0, requestor, property, this.atoms.incr, 32, [answer.bytes.length]);
    } else {
      this.client.ChangeProperty(0, requestor, property, answer.type, 8, answer.bytes);
    }
    offer.transfers.push(transfer);
    this.active.set(key, transfer);
    this.trace(`${name}: answered ${answer.bytes.length} bytes${transfer.state === 'incr' ? ' by INCR' : ''}`);
    this.notify(event, property);
  }

  private onDeleted(window: number, property: number): void {
    const transfer = this.active.get(`${window}/${property}`);
    if (!transfer) return;
    if (transfer.state === 'sent') {
      this.settle(transfer, 'collected');
    } else if (transfer.state === 'incr') {
      // The requestor took the previous piece: write the next one, or the final zero-length piece.
      const piece = transfer.bytes.subarray(transfer.sent, transfer.sent + this.incrAbove);
      transfer.sent += piece.length;
      if (piece.length === 0) transfer.state = 'sent'; // its deletion completes the transfer
      transfer.pending = piece;
      this.client.ChangeProperty(0, window, property, transfer.type, 8, piece);
    }
    // 'taking-back': decided by the GetProperty reply (our own delete also reports here).
  }

  private settle(transfer: Transfer, state: 'collected' | 'taken-back' | 'abandoned'): void {
    transfer.state = state;
    const key = `${transfer.requestor}/${transfer.property}`;
    if (this.active.get(key) === transfer) this.active.delete(key);
    if (state === 'collected') {
      transfer.offer.collected += 1;
      this.trace(`collected by ${transfer.requestor}`);
    }
    transfer.offer.changed();
  }

  /** Delete the answer from the requestor's window unless it was collected; the X server does this atomically. */
  private takeBack(transfer: Transfer): Promise<void> {
    transfer.state = 'taking-back';
    const words = Math.ceil(transfer.pending.length / 4) + 1; // all of it: the server deletes only a fully read property
    return new Promise((resolve) => {
      this.client.GetProperty(1, transfer.requestor, transfer.property, 0, 0, words, (error, value) => {
        // Our bytes still there: now gone, the requestor cannot read them. Anything else: it had taken them.
        // (An error: the requestor's window is gone, and with it the answer, read or not; it cannot paste now.)
        const ours = !error && value.type === transfer.type && value.data.equals(transfer.pending);
        this.settle(transfer, ours || error ? 'taken-back' : 'collected');
        this.trace(`take back from ${transfer.requestor}: ${ours ? 'taken back' : error ? 'requestor gone' : 'it had been collected'}`);
        resolve();
        return true;
      });
    });
  }

  private notify(event: XEvent, property: number): void {
    this.client.SendEvent(event.requestor!, 0, 0, {
      name: 'SelectionNotify',
      time: event.time ?? CURRENT_TIME,
      requestor: event.requestor,
      selection: event.selection,
      target: event.target,
      property,
    });
  }

  private atomName(atom: number): string {
    if (!this.tracing) return `#${atom}`;
    const known = this.names.get(atom) ?? Object.entries(this.atoms).find(([, a]) => a === atom)?.[0];
    if (known) return known;
    this.names.set(atom, `#${atom}`);
    this.client.GetAtomName(atom, (error, name) => {
      if (!error) this.names.set(atom, name);
      return true;
    });
    return `#${atom}`;
  }

  /** The text in the encoding `target` asks for, if that holds it exactly. */
  private encode(text: string, target: number): { type: number; bytes: Buffer } | undefined {
    if (target === this.atoms.utf8 || target === this.atoms.textPlainUtf8) return { type: target, bytes: Buffer.from(text, 'utf8') };
    if ((target === ATOM_STRING || target === this.atoms.text) && isLatin1(text)) return { type: ATOM_STRING, bytes: Buffer.from(text, 'latin1') };
    if (target === this.atoms.textPlain && isAscii(text)) return { type: target, bytes: Buffer.from(text, 'latin1') };
    return undefined;
  }
}

function isLatin1(text: string): boolean {
  return /^[\t\n\x20-\x7e\xa0-\xff]*$/.test(text);
}
function isAscii(text: string): boolean {
  return /^[\t\n\x20-\x7e]*$/.test(text);
}

/** One owner per display and set of selections, kept connected: see openPasteOwner. */
const owners = new Map<string, Promise<Owner>>();

/**
 * The paste owner for a display, connected on first use and kept for the life of the process (between release()
 * and the next openPasteOwner the connection does not keep the process alive). Kept rather than closed after each `type`: this process also holds libnut's Xlib
 * connection, and with a connection opened and closed per action that one was seen to fail (Xlib "fatal IO error"
 * ends the process).
 */
export function openPasteOwner(xDisplay?: string, options: PasteOwnerOptions = {}): Promise<PasteOwner> {
  const selections = options.selections ?? ['clipboard', 'primary'];
  const incrAbove = options.incrAboveBytes ?? INCR_ABOVE_BYTES;
  const key = `${xDisplay ?? process.env.DISPLAY ?? ''}|${selections.join(',')}|${incrAbove}`;
  let owner = owners.get(key);
  if (!owner) {
    owner = connectOwner(xDisplay, selections, incrAbove, () => owners.delete(key));
    owners.set(key, owner);
    owner.catch(() => owners.delete(key));
  }
  return owner.then((o) => {
    o.setTrace(options.trace);
    o.setInUse(true);
    return o;
  });
}

async function connectOwner(xDisplay: string | undefined, names: SelectionName[], incrAbove: number, onEnd: () => void): Promise<Owner> {
  const display = await connectX(xDisplay);
  const client = display.client;
  const [clipboard, targets, incr, utf8, textPlainUtf8, textPlain, text, wmProtocols, netWmPing, netActiveWindow] = await Promise.all(
    ['CLIPBOARD', 'TARGETS', 'INCR', 'UTF8_STRING', 'text/plain;charset=utf-8', 'text/plain', 'TEXT', 'WM_PROTOCOLS', '_NET_WM_PING', '_NET_ACTIVE_WINDOW'].map(
      (n) => internAtom(client, n),
    ),
  );
  const window = client.AllocID();
  client.CreateWindow(window, display.screen[0]!.root, -1, -1, 1, 1, 0, 0, INPUT_ONLY, 0, {});
  const selections = names.map((s) => (s === 'primary' ? ATOM_PRIMARY : clipboard!));
  return new Owner(
    client,
    window,
    selections,
    {
      targets: targets!,
      incr: incr!,
      utf8: utf8!,
      textPlainUtf8: textPlainUtf8!,
      textPlain: textPlain!,
      text: text!,
      wmProtocols: wmProtocols!,
      netWmPing: netWmPing!,
      netActiveWindow: netActiveWindow!,
    },
    incrAbove,
    onEnd,
    display.screen[0]!.root,
  );
}
