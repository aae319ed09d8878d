/**
 * A history the server's prefix cache can keep: over a 13-step run at 1920x1080 (3-image window), what a
 * prefix-caching server must prefill per step averages at most 1.7x one screenshot, and no request carries more
 * than 6 images. Counted from the requests the real client sent to the fake vLLM server (testkit/prefill.ts); the
 * same requests with a one-image sliding window (the scheme before) are counted too, so the count is seen to tell
 * the two apart.
 */
import { describe, expect, it } from 'vitest';
import { commonPrefixTokens, measurePrefill, requestItems, summarize, textTokens } from '../../testkit/prefill';

describe('prefill per step', () => {
  it('averages at most 1.7x one screenshot over a 13-step run, with at most 6 images in any request', async () => {
    const run = await measurePrefill({ steps: 13, screen: { width: 1920, height: 1080 } });
    expect(run.steps).toBe(13);
    // 1920x1080 is sent as 1920x1088: 60 x 34 visual tokens.
    expect(run.screenshotTokens).toBe(2040);
    const now = summarize(run.current, run.screenshotTokens);
    expect(now.perScreenshot).toBeLessThanOrEqual(1.7);
    expect(now.maxImages).toBe(6);
    // Every request keeps at least the 3-image window once there are 3 screenshots.
    expect(run.current.slice(2).every((step) => step.images >= 3)).toBe(true);
    // The sliding window re-sends everything after the first turn at each step.
    expect(summarize(run.slidingWindow, run.screenshotTokens).perScreenshot).toBeGreaterThan(2.5);
  });

  it('shares a prefix up to the first difference: text character by character, images by their bytes', () => {
    const png = (w: number, h: number, tag: string) => {
      const head = Buffer.alloc(33);
      head.write('\x89PNG', 0, 'latin1');
      head.writeUInt32BE(w, 16);
      head.writeUInt32BE(h, 20);
      return `data:image/png;base64,${head.toString('base64')}${tag}`;
    };
    const body = (second: string, text: string) => ({
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: png(64, 32, 'A') } }, { type: 'image_url', image_url: { url: second } }, { type: 'text', text }] },
      ],
    });
    const a = requestItems(body(png(64, 32, 'B'), 'click'));
    const sameImage = requestItems(body(png(64, 32, 'B'), 'clock'));
    const otherImage = requestItems(body(png(64, 32, 'C'), 'click'));
    const beforeImages = textTokens('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|>');
    // Two 64x32 images are 2 tokens each; the text after them differs at its third character.
    expect(commonPrefixTokens(a, sameImage)).toBe(beforeImages + 2 + textTokens('<|vision_end|><|vision_start|>') + 2 + textTokens('<|vision_end|>cl'));
    expect(commonPrefixTokens(a, otherImage)).toBe(beforeImages + 2 + textTokens('<|vision_end|><|vision_start|>'));
  });
});
