/**
 * Real capture on Xvfb at the three sizes users have (1280x800, 1920x1080, 3840x2160): known colours drawn at
 * known places come back at those places with those colours, through both capture paths; the prepared image has
 * the smart-resize size; and a square's centre in the prepared image maps back through geometry.ts to where it
 * was drawn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXvfb, type XDisplay } from '../../app/platform/x11/xvfb';
import { listDisplays } from '../../app/screen/displays';
import { captureDisplay, type Frame } from '../../app/screen/capture';
import { prepareImage } from '../../app/screen/prepare';
import { smartResize } from '../../app/screen/smart-resize';
import { modelToGlobal, type Display } from '../../app/screen/geometry';
import { getProfile } from '../../app/model/profiles';
import { BACKGROUND, centreOf, decodeRgb, paintRoot, pixelAt, type Rgb, type Square } from './support/pattern';

const RED: Rgb = [250, 10, 20];
const GREEN: Rgb = [20, 200, 40];
const BLUE: Rgb = [30, 60, 240];

// Every server of this file lives until the file ends: libnut keeps a connection to the last display it used, and
// Xlib ends the process when that server dies under it (see app/screen/native.ts).
const servers: XDisplay[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

for (const [width, height] of [
  [1280, 800],
  [1920, 1080],
  [3840, 2160],
] as const) {
  describe(`Xvfb ${width}x${height}`, () => {
    let x: XDisplay;
    let display: Display;
    let native: Frame;
    const squares: Square[] = [
      { x: Math.round(width * 0.6), y: Math.round(height * 0.7), size: 64, color: RED },
      { x: 8, y: 8, size: 32, color: GREEN },
      { x: width - 40, y: height - 40, size: 40, color: BLUE }, // the far corner: nothing is cut off
    ];

    beforeAll(async () => {
      x = await startXvfb({ width, height });
      servers.push(x);
      await paintRoot(x.display, width, height, squares);
    });

    it('lists one display covering the screen, primary, scale 1', async () => {
      const displays = await listDisplays(x.display);
      expect(displays).toHaveLength(1);
      display = displays[0]!;
      expect(display).toMatchObject({ id: 0, bounds: { x: 0, y: 0, width, height }, scaleFactor: 1, primary: true });
    });

    it('native capture returns the drawn colours at the drawn places (packed RGB)', async () => {
      native = await captureDisplay(display, { xDisplay: x.display });
      expect(native).toMatchObject({ width, height, channels: 3, method: 'native' });
      expect(native.data.length).toBe(width * height * 3);
      for (const s of squares) {
        expect(pixelAt(native.data, width, 3, s.x, s.y)).toEqual(s.color);
        expect(pixelAt(native.data, width, 3, s.x + s.size - 1, s.y + s.size - 1)).toEqual(s.color);
      }
      expect(pixelAt(native.data, width, 3, width >> 1, 2)).toEqual(BACKGROUND);
    });

    it('screenshot-desktop capture returns the same pixels', async () => {
      const sd = await captureDisplay(display, { xDisplay: x.display, method: 'screenshot-desktop' });
      expect(sd).toMatchObject({ width, height, channels: 3, method: 'screenshot-desktop' });
      expect(sd.data.equals(native.data)).toBe(true);
    });

    it('prepares the smart-resized image, and a square centre maps back to where it was drawn', async () => {
      for (const profile of [getProfile('qwen3-vl'), getProfile('qwen2.5-vl')]) {
        const image = await prepareImage(native, profile.image);
        const expected = smartResize({ width, height }, profile.image);
        expect({ width: image.width, height: image.height }).toEqual(expected);
        const decoded = await decodeRgb(image.data);
        expect({ width: decoded.width, height: decoded.height }).toEqual(expected);
        for (const s of squares) {
          const c = centreOf(decoded.data, decoded.width, decoded.height, 3, s.color, 0);
          const sent = { width: image.width, height: image.height };
          const answer =
            profile.coordinates.kind === 'grid'
              ? { x: (c.x / sent.width) * profile.coordinates.size, y: (c.y / sent.height) * profile.coordinates.size }
              : c;
          const landed = modelToGlobal(answer, profile.coordinates, display, sent);
          expect(Math.abs(landed.x - (s.x + s.size / 2)), `${profile.id} x of ${s.color.join(',')}`).toBeLessThanOrEqual(1);
          expect(Math.abs(landed.y - (s.y + s.size / 2)), `${profile.id} y of ${s.color.join(',')}`).toBeLessThanOrEqual(1);
        }
      }
    });
  });
}

describe('errors', () => {
  it('a display that cannot be opened is a clear error, not a crash', async () => {
    const ghost: Display = { id: 0, name: 'ghost', bounds: { x: 0, y: 0, width: 100, height: 100 }, scaleFactor: 1, primary: true };
    await expect(captureDisplay(ghost, { xDisplay: ':987' })).rejects.toThrow(/cannot open X display :987/);
    await expect(listDisplays(':987')).rejects.toThrow(/xrandr --listmonitors failed on X display :987/);
  });

  it('a display that is not (or no longer) on the screen is a clear error', async () => {
    const x = servers[0]!;
    const gone: Display = { id: 1, name: 'HDMI-2', bounds: { x: x.width - 10, y: 0, width: 1024, height: 768 }, scaleFactor: 1, primary: false };
    await expect(captureDisplay(gone, { xDisplay: x.display })).rejects.toThrow(
      /capture of display 1 \(HDMI-2 1024x768\+\d+\+0\) failed: Given width exceeds display dimensions; list the displays again/,
    );
  });
});
