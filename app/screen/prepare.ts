/**
 * Turning a captured frame into exactly the image the model receives: smart-resized to the image spec's factor and
 * pixel budget (a model profile's `image`), encoded with sharp in its format.
 *
 * Speed decisions (figures from `npm run bench`, in the closing note of the screen work):
 * - Most screens need only a stretch of under one factor step (1920x1080 -> 1920x1088 for Qwen3-VL). sharp's
 *   resampling for that costs several times the PNG encode even with its nearest kernel, and a smoothing kernel
 *   blurs every text edge for a sub-pixel change. So a stretch of less than one factor step per axis is done here
 *   with nearest-neighbour (whole rows copied; at most factor-1 rows or columns doubled or dropped), and only a
 *   real rescale (pixel budget, tiny screens) goes through sharp's lanczos3.
 * - PNG at zlib level 1 with no adaptive filtering: several times faster than level 6 for about 30% more bytes
 *   on screen content. JPEG uses libjpeg-turbo's fast path (no mozjpeg trellis, which is ~4x slower) with 4:4:4
 *   chroma so coloured text stays sharp. WebP is offered but is the slowest encoder of the three.
 * - The native frame's RGBA buffer goes to sharp as is; its opaque alpha is dropped inside sharp's pipeline.
 */
import sharp from 'sharp';
import type { Size } from './geometry';
import { smartResize, type ImageSpec } from './smart-resize';
import type { Frame } from './capture';

export interface ModelImage {
  data: Buffer;
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
  /** Size of the encoded image (the smart-resize result). */
  width: number;
  height: number;
  /** Size of the frame it was made from. */
  source: { width: number; height: number };
}

/** What preparing needs of a frame (any Desktop's frame, not only ours: its `method` and `display` do not matter). */
export type RawImage = Pick<Frame, 'width' | 'height' | 'channels' | 'data'>;

export interface PrepareOptions {
  /** zlib level for PNG (0-9); default PNG_COMPRESSION_LEVEL. */
  pngCompressionLevel?: number;
}

export const PNG_COMPRESSION_LEVEL = 1;

const MIME = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

export type { ImageSpec };

/** The size prepareImage will produce for a frame of `size` (smartResize of the spec's rule). */
export function preparedSize(size: Size, spec: ImageSpec): Size {
  return smartResize(size, spec);
}

/** Smart-resize and encode a frame for the model. */
export async function prepareImage(frame: RawImage, spec: ImageSpec, options: PrepareOptions = {}): Promise<ModelImage> {
  checkFrame(frame);
  const source = { width: frame.width, height: frame.height };
  const target = preparedSize(source, spec);
  const { factor } = spec;

  const nearIdentity = Math.abs(target.width - source.width) < factor && Math.abs(target.height - source.height) < factor;
  let borrowed: Buffer | undefined;
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    let pipeline: sharp.Sharp;
    if (target.width === source.width && target.height === source.height) {
      pipeline = rawInput(frame.data, source, frame.channels);
    } else if (nearIdentity) {
      borrowed = borrowScratch(target.width * target.height * frame.channels);
      pipeline = rawInput(resampleNearest(frame.data, source, target, frame.channels, borrowed), target, frame.channels);
    } else {
      pipeline = rawInput(frame.data, source, frame.channels).resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' });
    }
    result = await encode(pipeline, spec, options).toBuffer({ resolveWithObject: true });
  } finally {
    if (borrowed) returnScratch(borrowed);
  }
  const { data, info } = result;
  if (info.width !== target.width || info.height !== target.height) {
    throw new Error(`prepared image is ${info.width}x${info.height}, expected ${target.width}x${target.height}`);
  }
  return { data, mime: MIME[spec.format], width: info.width, height: info.height, source };
}

function encode(pipeline: sharp.Sharp, spec: ImageSpec, options: PrepareOptions): sharp.Sharp {
  const { format, quality } = spec;
  if (format === 'png') {
    const level = options.pngCompressionLevel ?? PNG_COMPRESSION_LEVEL;
    return pipeline.png({ compressionLevel: level, adaptiveFiltering: false, palette: false });
  }
  if (format === 'jpeg') {
    return pipeline.jpeg({ quality, mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, chromaSubsampling: '4:4:4' });
  }
  return pipeline.webp({ quality, effort: 0, smartSubsample: false });
}

/**
 * The stretched pixels live only until sharp has encoded them, so one buffer is kept and reused: a fresh 6-25 MB
 * buffer per frame costs page faults and cache misses every time. Concurrent calls get their own buffer.
 */
let scratch: Buffer | undefined;
let scratchInUse = false;

function borrowScratch(bytes: number): Buffer | undefined {
  if (scratchInUse) return undefined;
  if (!scratch || scratch.length < bytes) scratch = Buffer.allocUnsafeSlow(bytes);
  scratchInUse = true;
  return scratch.subarray(0, bytes);
}

function returnScratch(buffer: Buffer): void {
  if (scratch && buffer.buffer === scratch.buffer) scratchInUse = false;
}

function rawInput(data: Buffer, size: Size, channels: 3 | 4): sharp.Sharp {
  const input = sharp(data, { raw: { width: size.width, height: size.height, channels } });
  return channels === 4 ? input.removeAlpha() : input;
}

function checkFrame(frame: RawImage): void {
  const expected = frame.width * frame.height * frame.channels;
  if (!Number.isInteger(frame.width) || !Number.isInteger(frame.height) || frame.width <= 0 || frame.height <= 0) {
    throw new Error(`frame has an invalid size ${frame.width}x${frame.height}`);
  }
  if (frame.data.length !== expected) {
    throw new Error(`frame data is ${frame.data.length} bytes; ${frame.width}x${frame.height}x${frame.channels} needs ${expected}`);
  }
}

/** For each destination index, the source index whose pixel centre is nearest. */
function nearestTable(from: number, to: number): Uint32Array {
  const table = new Uint32Array(to);
  for (let i = 0; i < to; i++) table[i] = Math.min(from - 1, Math.floor(((i + 0.5) * from) / to));
  return table;
}

/**
 * Nearest-neighbour resample of packed RGB/RGBA pixels; whole rows are copied when the width does not change.
 * Writes into `into` when given (it must hold to.width * to.height * channels bytes).
 */
export function resampleNearest(data: Buffer, from: Size, to: Size, channels: 3 | 4, into?: Buffer): Buffer {
  const rowIn = from.width * channels;
  const rowOut = to.width * channels;
  const out = into ?? Buffer.allocUnsafe(rowOut * to.height);
  if (out.length !== rowOut * to.height) throw new Error(`resample target holds ${out.length} bytes, needs ${rowOut * to.height}`);
  const rows = nearestTable(from.height, to.height);
  if (from.width === to.width) {
    for (let y = 0; y < to.height; y++) {
      const sy = rows[y] as number;
      data.copy(out, y * rowOut, sy * rowIn, sy * rowIn + rowIn);
    }
    return out;
  }
  const cols = nearestTable(from.width, to.width);
  if (channels === 4 && data.byteOffset % 4 === 0) {
    const src = new Uint32Array(data.buffer, data.byteOffset, from.width * from.height);
    const dst = new Uint32Array(out.buffer, out.byteOffset, to.width * to.height);
    for (let y = 0; y < to.height; y++) {
      const base = (rows[y] as number) * from.width;
      const o = y * to.width;
      for (let x = 0; x < to.width; x++) dst[o + x] = src[base + (cols[x] as number)] as number;
    }
    return out;
  }
  for (let y = 0; y < to.height; y++) {
    const base = (rows[y] as number) * rowIn;
    let o = y * rowOut;
    for (let x = 0; x < to.width; x++) {
      const s = base + (cols[x] as number) * channels;
      for (let c = 0; c < channels; c++) out[o++] = data[s + c] as number;
    }
  }
  return out;
}

export interface DifferenceOptions {
  /** A pixel counts as changed when a colour channel differs by more than this (0-255); default 16. */
  tolerance?: number;
  /** How many pixels to look at, spread over the frame; default 40,000. */
  samples?: number;
}

/**
 * Fraction (0..1) of sampled pixels that changed between two frames, for "wait until the screen settles".
 * Frames of different sizes count as entirely changed. Compares RGB only, whatever each frame's channel count.
 */
export function frameDifference(a: RawImage, b: RawImage, options: DifferenceOptions = {}): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  const total = a.width * a.height;
  const tolerance = options.tolerance ?? 16;
  const samples = Math.max(1, Math.min(total, options.samples ?? 40_000));
  // An odd stride over the linear index walks across columns from row to row, so thin vertical or horizontal
  // features are not all missed by a regular grid.
  const stride = Math.max(1, Math.floor(total / samples)) | 1;
  let looked = 0;
  let changed = 0;
  for (let i = stride >> 1; i < total; i += stride) {
    const pa = i * a.channels;
    const pb = i * b.channels;
    looked++;
    if (
      Math.abs((a.data[pa] as number) - (b.data[pb] as number)) > tolerance ||
      Math.abs((a.data[pa + 1] as number) - (b.data[pb + 1] as number)) > tolerance ||
      Math.abs((a.data[pa + 2] as number) - (b.data[pb + 2] as number)) > tolerance
    ) {
      changed++;
    }
  }
  return looked === 0 ? 0 : changed / looked;
}

/** An image file (PNG, JPEG, WebP, GIF, TIFF: what sharp reads) as raw RGB pixels, like a capture. */
export async function decodeImageFile(file: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data };
}
