/**
 * Capturing one display as raw pixels.
 *
 * Two paths: 'native' (libnut's XGetImage, in-process; measured about 8x faster, see `npm run bench`) is the
 * default; 'screenshot-desktop' (ImageMagick `import` on X11, a child process and a PNG round trip) is the
 * fallback and the benchmark's baseline. Both return the display's pixels as packed RGB (channels 3); the type
 * allows RGBA (channels 4, opaque) for frames from other sources.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { Display } from './geometry';
import { grabRgb, useNativeDisplay } from './native';
import { resolveXDisplay } from '../platform/x11/x11';

export interface Frame {
  display: Display;
  /** Pixel size of `data` (physical pixels: on a HiDPI display, bounds * scaleFactor). */
  width: number;
  height: number;
  channels: 3 | 4;
  /** Raw pixels, row-major, no padding: RGB, or RGBA with alpha 255. */
  data: Buffer;
  /** Date.now() when the grab finished. */
  capturedAt: number;
  /** How it was captured: 'native', 'screenshot-desktop', or another Desktop's own way ('osworld-guest', ...). */
  method: string;
}

export interface CaptureOptions {
  method?: 'native' | 'screenshot-desktop';
  /** X11: the X display to capture from, e.g. ":1" (default $DISPLAY). */
  xDisplay?: string;
}

/** Capture `display` (from listDisplays) as raw pixels. */
export async function captureDisplay(display: Display, options: CaptureOptions = {}): Promise<Frame> {
  const method = options.method ?? 'native';
  if (method === 'native') {
    const xDisplay = await useNativeDisplay(options.xDisplay);
    const { x, y, width, height } = display.bounds;
    let image;
    try {
      image = grabRgb({ x, y, width, height }, xDisplay);
    } catch (error) {
      // Typically the layout changed since the displays were listed (a monitor unplugged or resized).
      const message = error instanceof Error ? error.message.replace(/^Error: /, '') : String(error);
      throw new Error(`capture of display ${display.id} (${display.name} ${width}x${height}+${x}+${y}) failed: ${message}; list the displays again`);
    }
    return { display, width: image.width, height: image.height, channels: 3, data: image.data, capturedAt: Date.now(), method };
  }
  return captureWithScreenshotDesktop(display, options.xDisplay);
}

// ---------------------------------------------------------------------------------------------------------------
// screenshot-desktop

interface SdDisplay {
  id: string | number;
  name?: string;
  width?: number;
  height?: number;
  offsetX?: number;
  offsetY?: number;
}

interface ScreenshotDesktop {
  (options?: { screen?: string | number; format?: string }): Promise<Buffer>;
  listDisplays(): Promise<SdDisplay[]>;
}

let screenshotDesktop: ScreenshotDesktop | undefined;
function loadScreenshotDesktop(): ScreenshotDesktop {
  screenshotDesktop ??= createRequire(import.meta.url)('screenshot-desktop') as ScreenshotDesktop;
  return screenshotDesktop;
}

/**
 * screenshot-desktop reads DISPLAY from this process's environment when it spawns xrandr and import. To capture
 * another X display, DISPLAY is swapped for the duration of one call; calls are queued so two never overlap.
 */
let queue: Promise<unknown> = Promise.resolve();
function withDisplayEnv<T>(xDisplay: string, run: () => Promise<T>): Promise<T> {
  const next = queue.then(async () => {
    const saved = process.env.DISPLAY;
    process.env.DISPLAY = xDisplay;
    try {
      return await run();
    } finally {
      if (saved === undefined) delete process.env.DISPLAY;
      else process.env.DISPLAY = saved;
    }
  });
  queue = next.catch(() => undefined);
  return next;
}

async function captureWithScreenshotDesktop(display: Display, xDisplay: string | undefined): Promise<Frame> {
  const sd = loadScreenshotDesktop();
  const b = display.bounds;
  const x = process.platform === 'linux' ? resolveXDisplay(xDisplay) : undefined;
  const run = async (): Promise<{ png: Buffer; crop?: { left: number; top: number } }> => {
    const outputs = await sd.listDisplays();
    // Its displays are xrandr outputs; ours are RandR monitors. Same geometry -> that output; else an output
    // containing the monitor (a virtual monitor from --setmonitor), cropped below.
    const geometryOf = (o: SdDisplay) => ({ x: o.offsetX ?? 0, y: o.offsetY ?? 0, w: o.width ?? 0, h: o.height ?? 0 });
    const exact = outputs.find((o) => {
      const g = geometryOf(o);
      return g.x === b.x && g.y === b.y && g.w === b.width && g.h === b.height;
    });
    const containing =
      exact ??
      outputs.find((o) => {
        const g = geometryOf(o);
        return g.x <= b.x && g.y <= b.y && g.x + g.w >= b.x + b.width && g.y + g.h >= b.y + b.height;
      });
    const chosen = containing ?? (outputs.length === 1 && process.platform !== 'linux' ? outputs[0] : undefined);
    if (!chosen) {
      const seen = outputs.map((o) => `${o.id} ${o.width}x${o.height}+${o.offsetX}+${o.offsetY}`).join(', ');
      throw new Error(`screenshot-desktop has no screen covering display ${display.id} (${display.name}); it sees: ${seen || 'none'}`);
    }
    const png = await sd({ screen: chosen.id, format: 'png' });
    const g = geometryOf(chosen);
    return exact || process.platform !== 'linux' ? { png } : { png, crop: { left: b.x - g.x, top: b.y - g.y } };
  };
  const { png, crop } = x ? await withDisplayEnv(x, run) : await run();
  // ImageMagick writes a grey PNG when every pixel is grey: force three sRGB channels whatever it wrote.
  let pipeline = sharp(png).removeAlpha().toColourspace('srgb');
  if (crop) pipeline = pipeline.extract({ left: crop.left, top: crop.top, width: b.width, height: b.height });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`screenshot-desktop gave a ${info.channels}-channel image; expected RGB`);
  return { display, width: info.width, height: info.height, channels: 3, data, capturedAt: Date.now(), method: 'screenshot-desktop' };
}
