/**
 * prepareImage on synthetic frames: the image the model receives has the smart-resize size, the profile's format,
 * exact colours where no real rescale happens, and the same content whether the frame came as RGB or RGBA.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { frameDifference, prepareImage, resampleNearest, type RawImage } from '../../app/screen/prepare';
import { smartResize } from '../../app/screen/smart-resize';
import { getProfile, ProfileSchema, type Profile } from '../../app/model/profiles';
import { modelToGlobal, type Display } from '../../app/screen/geometry';
import { centreOf, decodeRgb, patternPixels, pixelAt, type Square } from './support/pattern';

function rgbFrame(width: number, height: number, squares: Square[]): RawImage {
  return { width, height, channels: 3, data: patternPixels(width, height, squares) };
}

function toRgba(frame: RawImage): RawImage {
  const n = frame.width * frame.height;
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    data[i * 4] = frame.data[i * 3] as number;
    data[i * 4 + 1] = frame.data[i * 3 + 1] as number;
    data[i * 4 + 2] = frame.data[i * 3 + 2] as number;
    data[i * 4 + 3] = 255;
  }
  return { ...frame, channels: 4, data };
}

function withFormat(format: 'png' | 'jpeg' | 'webp'): Profile {
  const base = getProfile('qwen3-vl');
  return ProfileSchema.parse({ ...base, id: `qwen3-vl-${format}`, image: { ...base.image, format } });
}

const RED: Square['color'] = [250, 10, 20];
const GREEN: Square['color'] = [20, 200, 40];

describe('prepareImage', () => {
  it('sizes the image by smart resize, for near-identity stretches, budget downscales and tiny upscales', async () => {
    const profile = getProfile('qwen3-vl');
    for (const [w, h] of [
      [1280, 800],
      [1920, 1080],
      [1366, 768],
      [1000, 700],
      [7680, 4320], // above the pixel budget: a real downscale
      [60, 40], // below the minimum: a real upscale
    ] as const) {
      const image = await prepareImage(rgbFrame(w, h, []), profile.image);
      const expected = smartResize({ width: w, height: h }, profile.image);
      expect({ width: image.width, height: image.height }).toEqual(expected);
      const meta = await sharp(image.data).metadata();
      expect({ width: meta.width, height: meta.height, format: meta.format }).toEqual({ ...expected, format: 'png' });
      expect(image.source).toEqual({ width: w, height: h });
    }
  });

  it('keeps colours exact and a square where it was (PNG, 1920x1080 -> 1920x1088, and Qwen2.5-VL 1932x1092)', async () => {
    const square: Square = { x: 1500, y: 900, size: 64, color: RED };
    const frame = rgbFrame(1920, 1080, [square, { x: 10, y: 10, size: 20, color: GREEN }]);
    const display: Display = { id: 0, name: 'synthetic', bounds: { x: 0, y: 0, width: 1920, height: 1080 }, scaleFactor: 1, primary: true };
    for (const profile of [getProfile('qwen3-vl'), getProfile('qwen2.5-vl')]) {
      const image = await prepareImage(frame, profile.image);
      const decoded = await decodeRgb(image.data);
      const c = centreOf(decoded.data, decoded.width, decoded.height, 3, RED, 0);
      expect(pixelAt(decoded.data, decoded.width, 3, Math.floor(c.x), Math.floor(c.y))).toEqual(RED);
      expect(pixelAt(decoded.data, decoded.width, 3, 0, 0)).toEqual([16, 32, 48]);
      const sent = { width: image.width, height: image.height };
      const answer =
        profile.coordinates.kind === 'grid'
          ? { x: (c.x / sent.width) * profile.coordinates.size, y: (c.y / sent.height) * profile.coordinates.size }
          : c;
      const landed = modelToGlobal(answer, profile.coordinates, display, sent);
      expect(Math.abs(landed.x - (square.x + square.size / 2))).toBeLessThanOrEqual(1);
      expect(Math.abs(landed.y - (square.y + square.size / 2))).toBeLessThanOrEqual(1);
    }
  });

  it('gives the same bytes for an RGB frame and the RGBA frame of the same picture', async () => {
    const frame = rgbFrame(1920, 1080, [{ x: 100, y: 200, size: 50, color: RED }]);
    for (const profile of [getProfile('qwen3-vl'), getProfile('qwen2.5-vl'), withFormat('jpeg')]) {
      const a = await prepareImage(frame, profile.image);
      const b = await prepareImage(toRgba(frame), profile.image);
      expect(b.data.equals(a.data)).toBe(true);
    }
  });

  it('encodes in the profile format with the right MIME type', async () => {
    const frame = rgbFrame(800, 600, [{ x: 100, y: 100, size: 100, color: RED }]);
    const magic = { 'image/png': '89504e47', 'image/jpeg': 'ffd8ff', 'image/webp': '52494646' } as const;
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const image = await prepareImage(frame, withFormat(format).image);
      expect(image.mime).toBe(`image/${format}`);
      expect(image.data.subarray(0, 4).toString('hex').startsWith(magic[image.mime])).toBe(true);
      const decoded = await decodeRgb(image.data);
      // Lossy formats stay close to the colour in the middle of a flat square.
      const [r, g, b] = pixelAt(decoded.data, decoded.width, 3, 150, 150);
      expect(Math.abs(r - RED[0]) + Math.abs(g - RED[1]) + Math.abs(b - RED[2])).toBeLessThan(30);
    }
  });

  it('never mixes up consecutive or concurrent frames (the stretch buffer is reused)', async () => {
    const profile = getProfile('qwen3-vl');
    const frames = [RED, GREEN, RED, GREEN].map((color, i) => rgbFrame(1920, 1080, [{ x: 100 + i * 300, y: 500, size: 80, color }]));
    const one = async (frame: RawImage, i: number) => {
      const decoded = await decodeRgb((await prepareImage(frame, profile.image)).data);
      const color = i % 2 === 0 ? RED : GREEN;
      const c = centreOf(decoded.data, decoded.width, decoded.height, 3, color, 0);
      expect(Math.round(c.x)).toBe(100 + i * 300 + 40);
      expect(() => centreOf(decoded.data, decoded.width, decoded.height, 3, i % 2 === 0 ? GREEN : RED, 0)).toThrow(/no pixel/);
    };
    for (const [i, frame] of frames.entries()) await one(frame, i);
    await Promise.all(frames.map((frame, i) => one(frame, i)));
  });

  it('rejects a frame whose data does not match its size, saying so', async () => {
    await expect(prepareImage({ width: 10, height: 10, channels: 4, data: Buffer.alloc(300) }, getProfile('qwen3-vl').image)).rejects.toThrow(
      /frame data is 300 bytes; 10x10x4 needs 400/,
    );
  });
});

describe('resampleNearest', () => {
  it('stretches rows by repeating whole rows, evenly spread, for RGB and RGBA', () => {
    for (const channels of [3, 4] as const) {
      const from = { width: 2, height: 4 };
      const data = Buffer.alloc(2 * 4 * channels);
      for (let y = 0; y < 4; y++) for (let x = 0; x < 2; x++) data[(y * 2 + x) * channels] = y * 10 + x;
      const out = resampleNearest(data, from, { width: 2, height: 6 }, channels);
      const firstColumn = [0, 1, 2, 3, 4, 5].map((y) => out[y * 2 * channels]);
      expect(firstColumn).toEqual([0, 10, 10, 20, 30, 30]); // each output row takes the source row under its centre
      const wide = resampleNearest(data, from, { width: 3, height: 4 }, channels);
      expect([0, 1, 2].map((x) => wide[x * channels])).toEqual([0, 1, 1]);
    }
  });
});

describe('frameDifference', () => {
  const base = rgbFrame(640, 480, []);
  it('is 0 for identical frames, also across RGB and RGBA', () => {
    expect(frameDifference(base, rgbFrame(640, 480, []))).toBe(0);
    expect(frameDifference(base, toRgba(base))).toBe(0);
  });
  it('is about the changed share of the screen', () => {
    const quarter = rgbFrame(640, 480, [{ x: 0, y: 0, size: 320, color: RED }]); // 320x320 of 640x480 = 1/3
    expect(frameDifference(base, quarter)).toBeGreaterThan(0.28);
    expect(frameDifference(base, quarter)).toBeLessThan(0.39);
  });
  it('ignores changes below the tolerance and counts a size change as total', () => {
    const faint = rgbFrame(640, 480, [{ x: 0, y: 0, size: 480, color: [20, 36, 52] }]);
    expect(frameDifference(base, faint)).toBe(0);
    expect(frameDifference(base, faint, { tolerance: 2 })).toBeGreaterThan(0.5);
    expect(frameDifference(base, rgbFrame(640, 400, []))).toBe(1);
  });
  it('sees a small change such as a caret-sized region when asked to sample every pixel', () => {
    const caret = rgbFrame(640, 480, [{ x: 300, y: 200, size: 4, color: RED }]);
    expect(frameDifference(base, caret, { samples: 640 * 480 })).toBeGreaterThan(0);
  });
});
