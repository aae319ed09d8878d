/**
 * The crop of a zoom shows exactly its region, also when the region's edges fall between pixels (a box on the
 * 0..1000 grid almost never lands on whole pixels): a model's point on the crop, mapped back through the box,
 * must land where the thing it pointed at is on the screen.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../app/model/profiles';
import { cropRegion, zoomedSize } from '../../app/screen/zoom';

/** A 400x300 capture, black left of x = 200 and white from it on, and likewise above and below y = 150. */
function edgeFrame() {
  const width = 400;
  const height = 300;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.fill(x >= 200 || y >= 150 ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { width, height, channels: 3 as const, data };
}

/** Where a row (or column) of the crop crosses from dark to light, interpolated to a fraction of a pixel. */
function crossing(values: number[]): number {
  for (let i = 1; i < values.length; i++) {
    if (values[i - 1]! < 128 && values[i]! >= 128) return i - 1 + (128 - values[i - 1]!) / (values[i]! - values[i - 1]!) + 0.5;
  }
  throw new Error('no edge in the crop');
}

describe('cropRegion', () => {
  const image = getProfile('qwen3-vl').image;

  for (const region of [
    { x: 187.6, y: 131.3, width: 24.96, height: 21.6 },
    { x: 190.2, y: 140.9, width: 17.28, height: 12.42 },
    { x: 160.5, y: 100.5, width: 80, height: 80 },
  ]) {
    it(`shows the region ${region.x},${region.y} ${region.width}x${region.height} to within a pixel of the crop`, async () => {
      const size = zoomedSize(region, image);
      const crop = await cropRegion(edgeFrame(), region, size, image);
      const { data, info } = await sharp(crop.data).raw().toBuffer({ resolveWithObject: true });
      expect({ width: info.width, height: info.height }).toEqual(size);
      const row = 1; // above the horizontal edge: it crosses only the vertical one
      const column = 1; // left of the vertical edge: it crosses only the horizontal one
      const across = Array.from({ length: info.width }, (_, x) => data[(row * info.width + x) * info.channels]!);
      const down = Array.from({ length: info.height }, (_, y) => data[(y * info.width + column) * info.channels]!);
      // Where the edges must be in the crop if it shows exactly the region, scaled to the crop's size.
      const wantX = ((200 - region.x) / region.width) * info.width;
      const wantY = ((150 - region.y) / region.height) * info.height;
      expect(Math.abs(crossing(across) - wantX)).toBeLessThanOrEqual(1);
      expect(Math.abs(crossing(down) - wantY)).toBeLessThanOrEqual(1);
    });
  }
});
