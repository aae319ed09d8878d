/**
 * The answer to one image_zoom_in_tool call (seed 003 appendix B.9), in one place for both callers: the agent loop
 * (app/agent/zoom.ts adds the run record and the events) and the endpoint check's grounding probe (grounding.ts).
 * It resolves which image `img_idx` names, cuts the box's region from that image's full-resolution capture
 * (app/screen/zoom.ts) and words the tool response the model reads, or the error it reads instead.
 *
 * `img_idx` counts the images of the request the model answered (0 = the first it was sent, screenshots and crops
 * alike; the latest screenshot when omitted). A box on a crop is on that crop's grid: its region is composed with
 * the crop's own region, so a zoom into a zoom cuts from the capture again.
 */
import type { ZoomInArgs } from '../base/actions';
import { errorMessage } from '../base/errors';
import type { ModelImage, RawImage } from '../screen/prepare';
import { boxRegion, cropRegion, zoomedSize, ZoomError, type Region } from '../screen/zoom';
import type { Profile } from './profiles';

export const ZOOM_TOOL = 'image_zoom_in_tool';

/** The tool response to a call that came in the same reply as a zoom (it was chosen before the crop was seen). */
export const NOT_PERFORMED_BESIDE_ZOOM =
  'Not performed: this reply also zoomed in, so it was chosen before you saw the crop; look at the crop, then call again.';

export function isZoomCall(call: { name: string }): boolean {
  return call.name === ZOOM_TOOL;
}

/** An image the model was sent, as far as zooming into it goes. */
export interface ZoomableImage {
  /** The full-resolution capture it shows (or shows part of). */
  frame: RawImage;
  /** The region of `frame` it shows: the whole frame for a screenshot, the zoomed region for a crop. */
  region: Region;
  crop: boolean;
}

export type ZoomAnswer<T extends ZoomableImage> =
  | { ok: true; imageIndex: number; text: string; source: T; region: Region; crop: ModelImage }
  | { ok: false; imageIndex: number; text: string; error: string };

/** Why a zoom past the per-step limit is refused. */
export function zoomLimitError(limit: number): string {
  return `at most ${limit} zooms per step; act on what you have seen`;
}

/** The tool response to a zoom that was not done. */
export function zoomRefusal(error: string): string {
  return `Zoom not done: ${error}`;
}

/** Answer one zoom: the crop and the tool response text, or the error (worded for the model). */
export async function answerZoomCall<T extends ZoomableImage>(
  args: ZoomInArgs,
  profile: Profile,
  visible: ReadonlyArray<T | null>,
): Promise<ZoomAnswer<T>> {
  const imageIndex = args.img_idx ?? latestScreenshot(visible);
  const refuse = (error: string): ZoomAnswer<T> => ({ ok: false, imageIndex, text: zoomRefusal(error), error });
  if (!Number.isInteger(imageIndex) || imageIndex < 0 || imageIndex >= visible.length) {
    return refuse(`img_idx ${imageIndex} names no image; you have been sent ${visible.length} image(s), img_idx 0..${visible.length - 1}`);
  }
  const source = visible[imageIndex];
  if (!source) return refuse(`image ${imageIndex} can no longer be zoomed into; zoom into the latest screenshot (img_idx ${latestScreenshot(visible)})`);
  const grid = profile.coordinates.kind === 'grid' ? profile.coordinates.size : 1000;
  const bbox = args.bbox_2d;
  try {
    const region = boxRegion(bbox, grid, source.region);
    const size = zoomedSize(region, profile.image);
    const crop = await cropRegion(source.frame, region, size, profile.image);
    const label = args.label ? ` (${args.label})` : '';
    // No image numbers in the text: they shift when old images are dropped from the history.
    const text = `The zoomed-in region [${bbox.join(', ')}]${label}, ${crop.width}x${crop.height} pixels:`;
    return { ok: true, imageIndex, text, source, region, crop };
  } catch (error) {
    if (error instanceof ZoomError) return refuse(error.message);
    return refuse(`the crop could not be made: ${errorMessage(error)}`);
  }
}

/** The latest screenshot among the images (a zoom without img_idx looks at it). */
export function latestScreenshot(visible: ReadonlyArray<ZoomableImage | null>): number {
  for (let i = visible.length - 1; i >= 0; i--) if (visible[i] && !visible[i]!.crop) return i;
  return visible.length - 1;
}
