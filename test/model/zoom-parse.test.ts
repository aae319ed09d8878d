/** Zoom calls in replies and the size a crop is sent at (image_zoom_in_tool, issue 12). */
import { describe, expect, it } from 'vitest';
import { parseReply } from '../../app/model/parse';
import { getProfile, profileForSettings } from '../../app/model/profiles';
import { toolsForProfile } from '../../app/model/prompt';
import { boxRegion, zoomedSize, ZoomError } from '../../app/screen/zoom';

const zoomReply = (args: Record<string, unknown>) => ({
  role: 'assistant',
  content: `<tool_call>\n${JSON.stringify({ name: 'image_zoom_in_tool', arguments: args })}\n</tool_call>`,
});

describe('zoom calls', () => {
  it('are read with a :zoom profile, on its grid, and refused with the fix otherwise', () => {
    const ok = parseReply(zoomReply({ bbox_2d: [10, 20, 990, 999], label: 'icon' }), getProfile('qwen3-vl:grid=999:zoom'));
    expect(ok.errors).toEqual([]);
    expect(ok.calls[0]).toMatchObject({ name: 'image_zoom_in_tool', arguments: { bbox_2d: [10, 20, 990, 999], label: 'icon' } });
    const outside = parseReply(zoomReply({ bbox_2d: [10, 20, 1000, 999] }), getProfile('qwen3-vl:grid=999:zoom'));
    expect(outside.errors[0]).toContain('outside the 0..999 grid');
    const off = parseReply(zoomReply({ bbox_2d: [10, 20, 30, 40] }), getProfile('qwen3-vl'));
    expect(off.errors[0]).toContain('turn zooming on with --zoom or the profile qwen3-vl:zoom');
  });

  it('the zoom option: :zoom=N, the zoom setting, and no zoom for pixel-coordinate profiles', () => {
    expect(getProfile('qwen3-vl-thinking:zoom=2')).toMatchObject({ extraTools: ['image_zoom_in_tool'], limits: { zoomsPerStep: 2 } });
    expect(profileForSettings({ profile: 'qwen3-vl', zoom: 5 })).toMatchObject({ id: 'qwen3-vl:zoom=5', limits: { zoomsPerStep: 5 } });
    expect(profileForSettings({ profile: 'qwen3-vl', zoom: false }).extraTools).toEqual([]);
    expect(() => getProfile('qwen2.5-vl:zoom')).toThrow(/points in pixels/);
    expect(() => getProfile('qwen3-vl:zoom=0')).toThrow(/1 to 20/);
    const tools = toolsForProfile(getProfile('qwen3-vl:zoom'), { width: 1920, height: 1088 });
    expect(tools.map((t) => t.function.name)).toEqual(['computer_use', 'image_zoom_in_tool']);
  });
});

describe('the crop size', () => {
  const spec = { factor: 32, maxPixels: 16384 * 32 * 32, zoomMinPixels: 256 * 32 * 32 };

  it('enlarges a small region, keeps its aspect ratio, and sends a big region at its own pixels or more', () => {
    for (const region of [{ width: 60, height: 40 }, { width: 153.6, height: 75.6 }, { width: 13, height: 300 }, { width: 1900, height: 1000 }]) {
      const size = zoomedSize(region, spec);
      expect(size.width % 32).toBe(0);
      expect(size.height % 32).toBe(0);
      expect(Math.abs(size.width / size.height / (region.width / region.height) - 1)).toBeLessThan(0.05);
      expect(size.width).toBeGreaterThanOrEqual(region.width);
      expect(size.height).toBeGreaterThanOrEqual(region.height);
      expect(size.width * size.height).toBeGreaterThanOrEqual(Math.min(spec.zoomMinPixels, spec.maxPixels));
    }
  });

  it('boxes outside the image or inverted are errors for the model; boxes on a crop compose', () => {
    const screen = { x: 0, y: 0, width: 1920, height: 1080 };
    expect(() => boxRegion([0, 0, 1001, 10], 1000, screen)).toThrow(ZoomError);
    expect(() => boxRegion([500, 0, 400, 10], 1000, screen)).toThrow(/empty or inverted/);
    const crop = boxRegion([500, 500, 750, 1000], 1000, screen);
    expect(crop).toEqual({ x: 960, y: 540, width: 480, height: 540 });
    expect(boxRegion([0, 0, 500, 500], 1000, crop)).toEqual({ x: 960, y: 540, width: 240, height: 270 });
  });
});
