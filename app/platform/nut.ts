/**
 * Loading nut-js, and which X display it talks to.
 *
 * What libnut (nut-js's native part) does on X11, found by reading its exports and trying it: it opens the X
 * display lazily, on the first call that needs it, with XOpenDisplay(name) where name is the one given to
 * libnut.setXDisplayName() or, if none, $DISPLAY as it is at that moment; it keeps that one connection for every
 * later call. setXDisplayName() makes the next call close the connection and open the new display.
 * Consequences, documented for users of createLocalInput():
 * - one process drives one X display at a time; switching is possible, but only while the previous display is
 *   still alive (closing a connection to a dead X server is a fatal Xlib I/O error that ends the process);
 * - the display can be chosen without touching process.env.DISPLAY (which other code, e.g. screenshot tools
 *   spawned as children, also reads).
 */
import type * as NutJs from '@nut-tree-fork/nut-js';

export type Nut = typeof NutJs;

interface LibnutX11 {
  setXDisplayName(name: string): void;
}

let nutPromise: Promise<Nut> | undefined;
let libnutPromise: Promise<LibnutX11 | undefined> | undefined;
let activeDisplay: string | undefined;

/** Delay libnut puts after each key event (ms). nut-js sets 300 ms per key by default; XTest needs none. */
export const KEY_DELAY_MS = 0;

async function importNut(): Promise<Nut> {
  const mod = (await import('@nut-tree-fork/nut-js')) as Nut & { default?: Nut };
  // CJS module seen from ESM: the named exports may only be on `default`.
  const nut = (mod.default && 'mouse' in mod.default ? mod.default : mod) as Nut;
  nut.mouse.config.autoDelayMs = 0;
  nut.mouse.config.mouseSpeed = 100_000;
  nut.keyboard.config.autoDelayMs = 0;
  // The keyboard's constructor already told libnut to sleep 300 ms after every key; undo that.
  nut.providerRegistry.getKeyboard().setKeyboardDelay(KEY_DELAY_MS);
  nut.providerRegistry.getMouse().setMouseDelay(0);
  return nut;
}

async function importLibnutX11(): Promise<LibnutX11 | undefined> {
  if (process.platform !== 'linux') return undefined;
  const mod = (await import('@nut-tree-fork/libnut-linux')) as unknown as { default?: LibnutX11 } & Partial<LibnutX11>;
  const lib = (mod.default ?? mod) as Partial<LibnutX11>;
  return typeof lib.setXDisplayName === 'function' ? (lib as LibnutX11) : undefined;
}

/** nut-js, configured for speed (no artificial delays), talking to `xDisplay` (X11 only; else $DISPLAY). */
export async function loadNut(xDisplay?: string): Promise<Nut> {
  nutPromise ??= importNut();
  libnutPromise ??= importLibnutX11();
  const [nut, libnut] = await Promise.all([nutPromise, libnutPromise]);
  await useDisplay(libnut, xDisplay);
  return nut;
}

/** Point libnut at `xDisplay` before the next call, if it is not there already. */
export async function selectDisplay(xDisplay: string | undefined): Promise<void> {
  libnutPromise ??= importLibnutX11();
  await useDisplay(await libnutPromise, xDisplay);
}

async function useDisplay(libnut: LibnutX11 | undefined, xDisplay: string | undefined): Promise<void> {
  if (!libnut) return;
  const wanted = xDisplay ?? process.env.DISPLAY;
  if (!wanted) {
    throw new Error('no X display to drive: DISPLAY is not set (run inside an X11 session, or pass a display such as ":0")');
  }
  if (wanted === activeDisplay) return;
  libnut.setXDisplayName(wanted);
  activeDisplay = wanted;
}
