/**
 * Zooming into a region of a capture for the model (image_zoom_in_tool, seed 003 appendix B.9): which pixels a box
 * on the model's grid covers, the size the crop is sent at, and the crop itself - cut from the FULL-RESOLUTION
 * capture, not from the resized screenshot the model saw, so a small icon on a 4K screen keeps every pixel.
 *
 * The crop's size: never fewer pixels than the region has on the screen (a big box is sent 1:1), enlarged to at
 * least `zoomMinPixels` when the region is small (a 60x40 button becomes about 620x420), at most the screenshot's
 * own pixel budget (`maxPixels`). Both sides are multiples of the model's factor, as smart resize makes them, so
 * the server does not resize again; of such sizes the first one whose aspect ratio is within 1% of the region's is
 * taken, so the model's points on the crop map back onto the screen without distortion. (qwen-vl-utils' smart
 * resize rounds each side on its own, which for a small, thin region can change the aspect ratio by 10%.)
 */
import sharp from 'sharp';
import type { Size } from './geometry';
import type { ImageSpec } from './smart-resize';
import type { ModelImage, RawImage } from './prepare';

/** A rectangle in pixels of a capture (fractional: a box on a 1000 grid rarely falls on whole pixels). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How far the crop's aspect ratio may be from the region's. */
const ASPECT_TOLERANCE = 0.01;
/** A region thinner than this cannot be sent (the same bound as smart resize). */
const MAX_ASPECT_RATIO = 200;

/** Thrown for a box that cannot be zoomed into; the message is for the model. */
export class ZoomError extends Error {
  override name = 'ZoomError';
}

/**
 * The region of the capture that a box on an image's grid covers. `within` is the region that image shows (the
 * whole capture for a screenshot, the crop's region for a crop): boxes into crops compose.
 */
export function boxRegion(bbox: readonly [number, number, number, number], grid: number, within: Region): Region {
  const [x1, y1, x2, y2] = bbox;
  if (!(x1 >= 0 && y1 >= 0 && x2 <= grid && y2 <= grid)) {
    throw new ZoomError(`bbox_2d [${x1}, ${y1}, ${x2}, ${y2}] is outside the image: each value must be within 0..${grid}`);
  }
  if (!(x2 > x1 && y2 > y1)) {
    throw new ZoomError(`bbox_2d [${x1}, ${y1}, ${x2}, ${y2}] is empty or inverted: x2 must exceed x1 and y2 exceed y1`);
  }
  const sx = within.width / grid;
  const sy = within.height / grid;
  return { x: within.x + x1 * sx, y: within.y + y1 * sy, width: (x2 - x1) * sx, height: (y2 - y1) * sy };
}

/** The size a crop of `region` is sent at (see the file header). */
export function zoomedSize(region: Size, spec: Pick<ImageSpec, 'factor' | 'maxPixels'> & { zoomMinPixels: number }): Size {
  const { width, height } = region;
  const { factor, maxPixels } = spec;
  if (!(width > 0 && height > 0)) throw new ZoomError(`the region is ${width}x${height} pixels: it must have an area`);
  const ratio = width / height;
  if (Math.max(ratio, 1 / ratio) > MAX_ASPECT_RATIO) {
    throw new ZoomError(`the region is ${Math.round(width)}x${Math.round(height)} pixels, thinner than 1:${MAX_ASPECT_RATIO}; zoom into a less elongated box`);
  }
  const area = width * height;
  // Never below the region's own pixels; enlarged to the minimum; never above the budget.
  let scale = Math.max(1, Math.sqrt(spec.zoomMinPixels / area));
  if (area * scale * scale > maxPixels) scale = Math.sqrt(maxPixels / area);
  const up = (n: number) => Math.max(factor, Math.ceil(n / factor) * factor);
  const minW = up(width * scale);
  const minH = up(height * scale);
  const error = (w: number, h: number) => Math.abs(w / h - ratio) / ratio;
  let best: Size = { width: minW, height: minH };
  // Grow the shorter side a factor step at a time, the other side following the ratio, until the ratio fits.
  for (let k = 0; k < 512; k++) {
    const candidate =
      ratio >= 1
        ? { height: minH + k * factor, width: Math.max(minW, Math.round(((minH + k * factor) * ratio) / factor) * factor) }
        : { width: minW + k * factor, height: Math.max(minH, Math.round((minW + k * factor) / ratio / factor) * factor) };
    if (candidate.width * candidate.height > maxPixels && k > 0) break;
    if (error(candidate.width, candidate.height) < error(best.width, best.height)) best = candidate;
    if (error(candidate.width, candidate.height) <= ASPECT_TOLERANCE) return candidate;
  }
  return best;
}

/**
 * Cut `region` out of the capture and scale it to `size`, encoded as the spec says. The region rarely falls on
 * whole pixels, and sharp extracts whole pixels only: the whole pixels around it are scaled first, then the crop is
 * taken from the scaled image at the region's own (fractional) offset, so the crop shows the region to within half
 * a pixel of the crop - not to within a pixel of the screen on each side, which shifted a model's point on a small
 * crop by up to a grid unit (test/agent/zoom-e2e.test.ts).
 */
export async function cropRegion(frame: RawImage, region: Region, size: Size, spec: Pick<ImageSpec, 'format' | 'quality'>): Promise<ModelImage> {
  const x0 = Math.max(0, Math.min(frame.width - 1, region.x));
  const y0 = Math.max(0, Math.min(frame.height - 1, region.y));
  const x1 = Math.min(frame.width, Math.max(x0 + 1e-6, region.x + region.width));
  const y1 = Math.min(frame.height, Math.max(y0 + 1e-6, region.y + region.height));
  const left = Math.floor(x0);
  const top = Math.floor(y0);
  const right = Math.max(left + 1, Math.ceil(x1));
  const bottom = Math.max(top + 1, Math.ceil(y1));
  // The scale the region is sent at, applied to the whole pixels around it.
  const sx = size.width / (x1 - x0);
  const sy = size.height / (y1 - y0);
  const scaledWidth = Math.max(size.width, Math.round((right - left) * sx));
  const scaledHeight = Math.max(size.height, Math.round((bottom - top) * sy));
  const offsetX = Math.max(0, Math.min(scaledWidth - size.width, Math.round((x0 - left) * sx)));
  const offsetY = Math.max(0, Math.min(scaledHeight - size.height, Math.round((y0 - top) * sy)));
  let pipeline = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } })
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize(scaledWidth, scaledHeight, { fit: 'fill', kernel: 'lanczos3' })
    .extract({ left: offsetX, top: offsetY, width: size.width, height: size.height });
  if (frame.channels === 4) pipeline = pipeline.removeAlpha();
  const encoded =
    spec.format === 'png'
      ? pipeline.png({ compressionLevel: 1, adaptiveFiltering: false, palette: false })
      : spec.format === 'jpeg'
        ? pipeline.jpeg({ quality: spec.quality, chromaSubsampling: '4:4:4' })
        : pipeline.webp({ quality: spec.quality });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  const mime = spec.format === 'png' ? 'image/png' : spec.format === 'jpeg' ? 'image/jpeg' : 'image/webp';
  return { data, mime, width: info.width, height: info.height, source: { width: right - left, height: bottom - top } };
}
