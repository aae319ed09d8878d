/**
 * A real two-monitor X desktop (Xorg + dummy driver, see support/xorg-dummy.ts): both monitors are listed with
 * their origins, each is captured on its own, and a square drawn on the second monitor, found in the image the
 * model would receive, maps back through geometry.ts to its global position (origin offset included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDummyXorg, type DummyXorg } from './support/xorg-dummy';
import { listDisplays } from '../../app/screen/displays';
import { captureDisplay } from '../../app/screen/capture';
import { prepareImage } from '../../app/screen/prepare';
import { modelToGlobal, type Display } from '../../app/screen/geometry';
import { getProfile } from '../../app/model/profiles';
import { centreOf, decodeRgb, paintRoot, pixelAt, type Rgb, type Square } from './support/pattern';

const RED: Rgb = [250, 10, 20];
const GREEN: Rgb = [20, 200, 40];
const YELLOW: Rgb = [240, 220, 30];

// Left: 1280x800 at 0,0 (primary). Right: 1920x1080 at 1280,0 - taller, so the root has an uncovered strip.
// Below the left one: 1024x768 at 0,800 (stacked).
const LAYOUT = [
  { width: 1280, height: 800, x: 0, y: 0, primary: true },
  { width: 1920, height: 1080, x: 1280, y: 0 },
  { width: 1024, height: 768, x: 0, y: 800 },
];
const ROOT = { width: 3200, height: 1568 };
const SQUARES: Square[] = [
  { x: 600, y: 300, size: 64, color: RED }, // on the left monitor
  { x: 1280 + 1500, y: 900, size: 64, color: GREEN }, // on the right monitor, global coordinates
  { x: 200, y: 800 + 500, size: 48, color: YELLOW }, // on the bottom monitor
];

let xorg: DummyXorg;
let displays: Display[];

beforeAll(async () => {
  xorg = await startDummyXorg(LAYOUT);
  await paintRoot(xorg.display, ROOT.width, ROOT.height, SQUARES);
});
afterAll(async () => {
  await xorg?.stop();
});

describe('two-and-more-monitor X desktop (Xorg dummy driver)', () => {
  it('lists every monitor with its origin and size, the primary first', async () => {
    displays = await listDisplays(xorg.display);
    expect(displays.map((d) => ({ id: d.id, bounds: d.bounds, primary: d.primary, scaleFactor: d.scaleFactor }))).toEqual([
      { id: 0, bounds: { x: 0, y: 0, width: 1280, height: 800 }, primary: true, scaleFactor: 1 },
      { id: 1, bounds: { x: 1280, y: 0, width: 1920, height: 1080 }, primary: false, scaleFactor: 1 },
      { id: 2, bounds: { x: 0, y: 800, width: 1024, height: 768 }, primary: false, scaleFactor: 1 },
    ]);
    expect(displays.map((d) => d.name)).toEqual(['DUMMY0', 'DUMMY1', 'DUMMY2']);
  });

  for (const method of ['native', 'screenshot-desktop'] as const) {
    it(`captures each monitor on its own (${method}), and the model's view of a square maps back to it`, async () => {
      for (const display of displays) {
        const frame = await captureDisplay(display, { xDisplay: xorg.display, method });
        expect({ width: frame.width, height: frame.height }).toEqual({ width: display.bounds.width, height: display.bounds.height });
        const mine = SQUARES.filter(
          (s) => s.x >= display.bounds.x && s.x < display.bounds.x + display.bounds.width && s.y >= display.bounds.y && s.y < display.bounds.y + display.bounds.height,
        );
        expect(mine).toHaveLength(1);
        const square = mine[0]!;
        // The square is at its local position in this monitor's frame...
        expect(pixelAt(frame.data, frame.width, frame.channels, square.x - display.bounds.x + 1, square.y - display.bounds.y + 1)).toEqual(square.color);
        // ...and no other monitor's square is in it.
        for (const other of SQUARES.filter((s) => s !== square)) {
          expect(() => centreOf(frame.data, frame.width, frame.height, frame.channels, other.color, 0)).toThrow(/no pixel/);
        }
        const profile = getProfile('qwen3-vl');
        const image = await prepareImage(frame, profile.image);
        const decoded = await decodeRgb(image.data);
        const c = centreOf(decoded.data, decoded.width, decoded.height, 3, square.color, 0);
        const answer = { x: (c.x / image.width) * 1000, y: (c.y / image.height) * 1000 };
        const landed = modelToGlobal(answer, profile.coordinates, display);
        expect(Math.abs(landed.x - (square.x + square.size / 2))).toBeLessThanOrEqual(1);
        expect(Math.abs(landed.y - (square.y + square.size / 2))).toBeLessThanOrEqual(1);
      }
    });
  }
});
