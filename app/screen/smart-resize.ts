/**
 * Qwen-VL "smart resize": the image size the model's processor would produce - each side a multiple of `factor`
 * (32 for Qwen3-VL, 28 for Qwen2.5-VL), the aspect ratio kept, the pixel count inside [minPixels, maxPixels].
 * Sending an image already at this size saves bandwidth and server time, and for absolute-coordinate models
 * (Qwen2.5-VL) it is the space the model's points are in.
 */
import type { Size } from './geometry';

export interface ResizeRule {
  factor: number;
  minPixels: number;
  maxPixels: number;
  /**
   * How a side is rounded to the factor: half up (default) or half to even, as Python's round() in OSWorld's
   * smart_resize (720 / 32 = 22.5 gives 704 there, 736 half up).
   */
  rounding?: 'half-up' | 'half-even';
  /** A longer side is first scaled down to this, sides truncated to whole pixels (OSWorld's smart_resize: 8192). */
  maxLongSide?: number;
}

/** How a screenshot is made into the model's image: the resize rule, then the encoding (a profile's `image`). */
export interface ImageSpec extends ResizeRule {
  format: 'png' | 'jpeg' | 'webp';
  /** 1-100, for jpeg and webp. */
  quality: number;
}

const MAX_ASPECT_RATIO = 200;

/** Python's round(): to the nearest whole number, halves to the even one. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

export function smartResize(size: Size, rule: ResizeRule): Size {
  let { width, height } = size;
  const { factor, minPixels, maxPixels } = rule;
  if (width <= 0 || height <= 0) throw new Error(`cannot resize an image of ${width}x${height}`);
  if (Math.max(width, height) / Math.min(width, height) > MAX_ASPECT_RATIO) {
    throw new Error(`aspect ratio of ${width}x${height} is above ${MAX_ASPECT_RATIO}; the model cannot take it`);
  }
  if (rule.maxLongSide !== undefined && Math.max(width, height) > rule.maxLongSide) {
    const beta = Math.max(width, height) / rule.maxLongSide;
    width = Math.trunc(width / beta);
    height = Math.trunc(height / beta);
  }
  const round = rule.rounding === 'half-even' ? roundHalfEven : Math.round;
  let h = Math.max(factor, round(height / factor) * factor);
  let w = Math.max(factor, round(width / factor) * factor);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { width: w, height: h };
}
