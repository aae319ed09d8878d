/**
 * The fast capture path: libnut (nut-js's native module) reading the screen directly (XGetImage on X11).
 *
 * What libnut really returns, checked on Xvfb with known colours: BGRA byte order, 4 bytes per pixel, rows of
 * `byteWidth` bytes, and the fourth byte is X's padding byte (0 on a 24-bit visual), NOT alpha. Fed to sharp as
 * RGBA it would be fully transparent, and any resize (which premultiplies alpha) turns it black. (nut-js's
 * screen.grab() hands the same buffer on, flagged ColorMode.BGR, with pixelDensity = grab size / screen size.)
 * So every grab is converted here to packed RGB.
 *
 * Which X display - two traps found by trying libnut 2.7 (nut-js 4.2.6) on two Xvfb servers at once:
 * - libnut keeps one "main" connection, opened lazily at the first call that needs it, with the name given to
 *   setXDisplayName() or, if none was ever given, $DISPLAY at that moment. Its captureScreen() checks the
 *   requested rectangle against THAT display's size;
 * - but captureScreen() reads the pixels through a fresh XOpenDisplay(NULL) on every call, i.e. from $DISPLAY as
 *   it is at the moment of the call (strace shows one new X connection per grab). With $DISPLAY unset or naming a
 *   display that cannot be opened, it dereferences NULL and the process dies with a segfault; with $DISPLAY
 *   naming another server it silently returns that server's pixels cropped to the main display's size.
 * So a grab here points both at the same display: the main connection through app/platform/nut.ts's
 * selectDisplay() (one libnut, one current display per process, shared with the input side), and $DISPLAY set
 * for the duration of the synchronous captureScreen() call only (no other JavaScript can run in between). A
 * display is probed with xrandr before libnut is pointed at it, so a wrong name is an error, not a crash.
 * Once libnut holds a connection to a server, that server must outlive it: a dead server makes Xlib end the
 * process ("XIO: fatal IO error") at the next switch or at exit.
 */
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { z } from 'zod';
import type { Display } from './geometry';
import { resolveXDisplay, runX } from '../platform/x11/x11';
import { selectDisplay } from '../platform/nut';
import { errorMessage } from '../base/errors';

const BitmapSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  byteWidth: z.number().int().positive(),
  bytesPerPixel: z.literal(4),
  image: z.custom<Buffer>((v) => Buffer.isBuffer(v), 'a Buffer'),
});

interface Libnut {
  captureScreen(x?: number, y?: number, width?: number, height?: number): unknown;
  getScreenSize(): { width: number; height: number };
}

let libnut: Libnut | undefined;

function loadLibnut(): Libnut {
  if (libnut) return libnut;
  const pkg =
    process.platform === 'linux'
      ? '@nut-tree-fork/libnut-linux'
      : process.platform === 'darwin'
        ? '@nut-tree-fork/libnut-darwin'
        : process.platform === 'win32'
          ? '@nut-tree-fork/libnut-win32'
          : undefined;
  if (!pkg) throw new Error(`native capture is not available on ${process.platform}`);
  // CJS native addon: require() it; importing it as ESM gives the same object with more ceremony.
  const mod = createRequire(import.meta.url)(pkg) as Partial<Libnut>;
  if (typeof mod.captureScreen !== 'function' || typeof mod.getScreenSize !== 'function') {
    throw new Error(`${pkg} does not export captureScreen/getScreenSize; is @nut-tree-fork/nut-js 4.2.x installed?`);
  }
  libnut = mod as Libnut;
  return libnut;
}

/** The X display most recently probed and selected by useNativeDisplay. */
let lastProbed: string | undefined;

/**
 * Point libnut at `xDisplay` (default $DISPLAY) after making sure it can be opened (see the file comment), and
 * return the name to pass to grabRgb. Undefined on platforms without X.
 */
export async function useNativeDisplay(xDisplay?: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const name = resolveXDisplay(xDisplay);
  if (name !== lastProbed) {
    await runX('xrandr', ['--current'], name).catch((error: unknown) => {
      throw new Error(`cannot open X display ${name} for capture: ${errorMessage(error)}`);
    });
    lastProbed = name;
  }
  await selectDisplay(name);
  return name;
}

/** Run a synchronous libnut call with $DISPLAY = xDisplay, restoring it right after. */
function withDisplayEnvSync<T>(xDisplay: string | undefined, call: () => T): T {
  if (xDisplay === undefined || process.env.DISPLAY === xDisplay) return call();
  const saved = process.env.DISPLAY;
  process.env.DISPLAY = xDisplay;
  try {
    return call();
  } finally {
    if (saved === undefined) delete process.env.DISPLAY;
    else process.env.DISPLAY = saved;
  }
}

export interface RgbImage {
  width: number;
  height: number;
  /** Packed RGB, 3 bytes per pixel, rows of width * 3 bytes. */
  data: Buffer;
}

/** A grab exactly as libnut returns it: BGRX, rows of `byteWidth` bytes. */
export interface RawGrab {
  width: number;
  height: number;
  byteWidth: number;
  image: Buffer;
}

/**
 * libnut's grab of a rectangle (global coordinates; on macOS in points, the result in physical pixels), validated
 * but not converted. `xDisplay` is what useNativeDisplay returned (it must have been called first).
 */
export function grabRaw(region?: { x: number; y: number; width: number; height: number }, xDisplay?: string): RawGrab {
  const lib = loadLibnut();
  const raw = withDisplayEnvSync(xDisplay, () =>
    region ? lib.captureScreen(region.x, region.y, region.width, region.height) : lib.captureScreen(),
  );
  const parsed = BitmapSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`libnut returned an unexpected bitmap: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { width, height, byteWidth, image } = parsed.data;
  if (byteWidth < width * 4 || image.length < byteWidth * height) {
    throw new Error(`libnut returned ${image.length} bytes for ${width}x${height} with rows of ${byteWidth} bytes`);
  }
  return { width, height, byteWidth, image };
}

/**
 * grabRaw converted to packed RGB: one pass that swaps B and R and drops the padding byte, in place in the buffer
 * libnut allocated (no second frame-sized allocation per grab: each one costs page faults and pushes V8 towards
 * another full GC). Everything after it (resize, encode) handles 3 bytes per pixel and sharp needs no band
 * extraction.
 */
export function grabRgb(region?: { x: number; y: number; width: number; height: number }, xDisplay?: string): RgbImage {
  const { width, height, byteWidth, image } = grabRaw(region, xDisplay);
  const rowBytes = width * 4;
  let packed = image;
  if (byteWidth !== rowBytes) {
    // Padded rows: pack them first (rare; XGetImage pads 32-bit rows only to 32 bits).
    packed = Buffer.allocUnsafe(rowBytes * height);
    for (let y = 0; y < height; y++) image.copy(packed, y * rowBytes, y * byteWidth, y * byteWidth + rowBytes);
  }
  return { width, height, data: bgrxToRgb(packed, width * height, true) };
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * `pixels` BGRX pixels -> packed RGB: into a new buffer, or with `inPlace` into the first 3/4 of `src` (safe:
 * pixel i is written at 3i, at or before where it was read, after it was read).
 */
export function bgrxToRgb(src: Buffer, pixels: number, inPlace = false): Buffer {
  const out = inPlace ? src.subarray(0, pixels * 3) : Buffer.allocUnsafeSlow(pixels * 3);
  let i = 0;
  if (LITTLE_ENDIAN && src.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    // Four pixels (four little-endian words B|G<<8|R<<16|X<<24) become three words of R,G,B,R | G,B,R,G | B,R,G,B.
    const s = new Uint32Array(src.buffer, src.byteOffset, pixels);
    const o = new Uint32Array(out.buffer, out.byteOffset, Math.floor((pixels * 3) / 4));
    const whole = pixels - (pixels % 4);
    for (let j = 0; i < whole; i += 4) {
      const a = s[i] as number;
      const b = s[i + 1] as number;
      const c = s[i + 2] as number;
      const d = s[i + 3] as number;
      o[j++] = ((a >>> 16) & 0xff) | (a & 0xff00) | ((a & 0xff) << 16) | (((b >>> 16) & 0xff) << 24);
      o[j++] = ((b >>> 8) & 0xff) | ((b & 0xff) << 8) | (((c >>> 16) & 0xff) << 16) | (((c >>> 8) & 0xff) << 24);
      o[j++] = (c & 0xff) | (((d >>> 16) & 0xff) << 8) | ((d & 0xff00) << 8) | ((d & 0xff) << 24);
    }
  }
  for (; i < pixels; i++) {
    const b = src[i * 4] as number;
    const g = src[i * 4 + 1] as number;
    const r = src[i * 4 + 2] as number;
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  }
  return out;
}

/** Non-X11 platforms: the main display from libnut, with its scale factor measured from a grab. */
export async function mainDisplayFromNative(): Promise<Display> {
  const lib = loadLibnut();
  const size = lib.getScreenSize();
  const grab = grabRaw();
  const scaleFactor = Math.round((grab.width / size.width) * 100) / 100;
  return { id: 0, name: 'main', bounds: { x: 0, y: 0, width: size.width, height: size.height }, scaleFactor, primary: true };
}
