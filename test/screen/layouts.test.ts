/**
 * The coordinate mapper (app/screen/geometry.ts) on synthetic multi-monitor layouts: side by side, stacked,
 * negative origins, mixed scale factors. What a user cares about: a point the model gives on the screenshot of one
 * monitor lands on that monitor, at the same place, and the marker drawn on the screenshot sits where the click
 * will land - whatever the layout and the scale.
 */
import { describe, expect, it } from 'vitest';
import { globalToImage, modelToGlobal, modelToImage, type CoordinateSpace, type Display } from '../../app/screen/geometry';
import { parseListMonitors } from '../../app/platform/x11/x11';
import { smartResize } from '../../app/screen/smart-resize';
import { getProfile } from '../../app/model/profiles';

const grid1000: CoordinateSpace = { kind: 'grid', size: 1000 };

function display(id: number, x: number, y: number, width: number, height: number, scaleFactor = 1, primary = false): Display {
  return { id, name: `D${id}`, bounds: { x, y, width, height }, scaleFactor, primary };
}

function contains(d: Display, p: { x: number; y: number }): boolean {
  return p.x >= d.bounds.x && p.y >= d.bounds.y && p.x < d.bounds.x + d.bounds.width && p.y < d.bounds.y + d.bounds.height;
}

const layouts: Record<string, Display[]> = {
  'side by side': [display(0, 0, 0, 1920, 1080, 1, true), display(1, 1920, 0, 2560, 1440)],
  stacked: [display(0, 0, 0, 1920, 1080, 1, true), display(1, 0, 1080, 1280, 1024)],
  'negative origins (monitor left of and above the primary)': [
    display(0, 0, 0, 1920, 1080, 1, true),
    display(1, -2560, -360, 2560, 1440),
    display(2, 320, -1200, 1600, 1200),
  ],
  // macOS: a Retina laptop (bounds in points, pixels twice as many) next to a 1x external monitor.
  'mixed scale factors': [display(0, 0, 0, 1512, 982, 2, true), display(1, 1512, -200, 2560, 1440, 1), display(2, -1280, 0, 1280, 800, 1.5)],
};

describe('model point -> global point, on every monitor of synthetic layouts', () => {
  for (const [name, displays] of Object.entries(layouts)) {
    it(name, () => {
      for (const d of displays) {
        const b = d.bounds;
        // Corners and centre of the model's grid land on that monitor's corners and centre, never on a neighbour.
        expect(modelToGlobal({ x: 0, y: 0 }, grid1000, d)).toEqual({ x: b.x, y: b.y });
        expect(modelToGlobal({ x: 1000, y: 1000 }, grid1000, d)).toEqual({ x: b.x + b.width - 1, y: b.y + b.height - 1 });
        expect(modelToGlobal({ x: 500, y: 500 }, grid1000, d)).toEqual({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
        for (const p of [{ x: 0, y: 0 }, { x: 1000, y: 0 }, { x: 0, y: 1000 }, { x: 1000, y: 1000 }, { x: 137, y: 862 }]) {
          const g = modelToGlobal(p, grid1000, d);
          expect(contains(d, g)).toBe(true);
          for (const other of displays) if (other !== d) expect(contains(other, g)).toBe(false);
        }
      }
    });
  }
});

describe('HiDPI: the screenshot is in physical pixels, input in logical units', () => {
  it('a point the model sees on a 2x screenshot clicks the same spot in points', () => {
    const retina = layouts['mixed scale factors']![0]!;
    // The frame of a 1512x982-point display at 2x is 3024x1964 pixels; the model receives the smart-resized image.
    const frame = { width: retina.bounds.width * retina.scaleFactor, height: retina.bounds.height * retina.scaleFactor };
    const sent = smartResize(frame, getProfile('qwen3-vl').image);
    // A button drawn at pixel (2000, 1000) of the frame = point (1000, 500); the model sees it at the same relative
    // place in the sent image, and answers in its grid.
    const buttonPixel = { x: 2000, y: 1000 };
    const answer = { x: (buttonPixel.x / frame.width) * 1000, y: (buttonPixel.y / frame.height) * 1000 };
    expect(modelToGlobal(answer, grid1000, retina)).toEqual({ x: 1000, y: 500 });
    // The marker for that click, drawn on the sent image, is where the button is in that image.
    const marker = globalToImage({ x: 1000, y: 500 }, retina, sent);
    expect(marker.x).toBeCloseTo((buttonPixel.x / frame.width) * sent.width, 6);
    expect(marker.y).toBeCloseTo((buttonPixel.y / frame.height) * sent.height, 6);
    expect(modelToImage(answer, grid1000, sent).x).toBeCloseTo(marker.x, 6);
  });

  it('absolute-pixel models (Qwen2.5-VL) on a 1.5x monitor with a negative origin', () => {
    const d = layouts['mixed scale factors']![2]!; // -1280,0 1280x800 points at 1.5x
    const frame = { width: 1920, height: 1200 };
    const profile = getProfile('qwen2.5-vl');
    const sent = smartResize(frame, profile.image);
    // The model points at the sent image's pixel that shows frame pixel (960, 600), the monitor's centre.
    const answer = { x: (960 / frame.width) * sent.width, y: (600 / frame.height) * sent.height };
    expect(modelToGlobal(answer, profile.coordinates, d, sent)).toEqual({ x: -1280 + 640, y: 400 });
    const back = globalToImage({ x: -640, y: 400 }, d, sent);
    expect(back.x).toBeCloseTo(answer.x, 6);
    expect(back.y).toBeCloseTo(answer.y, 6);
  });
});

describe('round trip: global point -> image -> model grid -> global point', () => {
  it('lands within one logical unit on every monitor of every layout, for several profiles', () => {
    for (const profileId of ['qwen3-vl', 'qwen3-vl:grid=999', 'qwen2.5-vl']) {
      const profile = getProfile(profileId);
      for (const displays of Object.values(layouts)) {
        for (const d of displays) {
          const frame = { width: Math.round(d.bounds.width * d.scaleFactor), height: Math.round(d.bounds.height * d.scaleFactor) };
          const sent = smartResize(frame, profile.image);
          for (const fx of [0.01, 0.25, 0.5, 0.77, 0.99]) {
            const target = { x: Math.round(d.bounds.x + fx * d.bounds.width), y: Math.round(d.bounds.y + (1 - fx) * d.bounds.height) };
            const onImage = globalToImage(target, d, sent);
            const answer =
              profile.coordinates.kind === 'grid'
                ? { x: (onImage.x / sent.width) * profile.coordinates.size, y: (onImage.y / sent.height) * profile.coordinates.size }
                : onImage;
            const landed = modelToGlobal(answer, profile.coordinates, d, sent);
            expect(Math.abs(landed.x - target.x)).toBeLessThanOrEqual(1);
            expect(Math.abs(landed.y - target.y)).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });
});

describe('xrandr --listmonitors parsing', () => {
  it('reads origins, sizes and the primary flag; the primary comes first', () => {
    const out = [
      'Monitors: 3',
      ' 0: +DP-1 2560/597x1440/336+0+0  DP-1',
      ' 1: +*eDP-1 1920/344x1080/193+2560+360  eDP-1',
      ' 2: VIRT 1280/339x1024/271+0+1440',
    ].join('\n');
    expect(parseListMonitors(out)).toEqual([
      { id: 0, name: 'eDP-1', bounds: { x: 2560, y: 360, width: 1920, height: 1080 }, scaleFactor: 1, primary: true },
      { id: 1, name: 'DP-1', bounds: { x: 0, y: 0, width: 2560, height: 1440 }, scaleFactor: 1, primary: false },
      { id: 2, name: 'VIRT', bounds: { x: 0, y: 1440, width: 1280, height: 1024 }, scaleFactor: 1, primary: false },
    ]);
  });

  it('flags the first monitor primary when X has none (Xvfb)', () => {
    const displays = parseListMonitors('Monitors: 1\n 0: +screen 1280/339x800/212+0+0  screen\n');
    expect(displays).toEqual([{ id: 0, name: 'screen', bounds: { x: 0, y: 0, width: 1280, height: 800 }, scaleFactor: 1, primary: true }]);
  });

  it('skips monitors without a mode and lines that are not monitors', () => {
    expect(parseListMonitors('Monitors: 2\n 0: +*HDMI-1 0/0x0/0+0+0  HDMI-1\n garbage\n 1: +DP-2 800/1x600/1+0+0  DP-2')).toEqual([
      { id: 0, name: 'DP-2', bounds: { x: 0, y: 0, width: 800, height: 600 }, scaleFactor: 1, primary: true },
    ]);
  });
});
