/**
 * Zooms while the model reasons (image_zoom_in_tool, seed 003 appendix B.9): a zoom call is answered inside the
 * step - never an action, never sent for approval - with a crop of the named image, cut from the full-resolution
 * capture (app/screen/zoom.ts) and sent back as the tool response's image. The model then zooms again or acts; its
 * action's coordinates still refer to the step screenshot's grid (the step's target is unchanged).
 *
 * `img_idx` counts the images of the request the model answered (0 = the first it was sent, screenshots and crops
 * alike; the latest screenshot when omitted). A box on a crop is on that crop's grid: its region is composed with
 * the crop's own region, so a zoom into a zoom cuts from the capture again. Every zoom, answered or refused, is a
 * `zoom` RunEvent; the crop is stored in the run record next to the step's screenshot.
 */
import type { ZoomInArgs } from '../base/actions';
import { errorMessage } from '../base/errors';
import type { RunEventInit } from '../contract';
import type { Frame } from '../devices/device';
import type { ParsedCall } from '../model/parse';
import type { Profile } from '../model/profiles';
import type { Size } from '../screen/geometry';
import { boxRegion, cropRegion, zoomedSize, ZoomError, type Region } from '../screen/zoom';
import type { ImageSource, ToolResult } from './history';
import type { Recorder } from './recorder';

export const ZOOM_TOOL = 'image_zoom_in_tool';

export function isZoomCall(call: Pick<ParsedCall, 'name'>): boolean {
  return call.name === ZOOM_TOOL;
}

/** The source of a step screenshot: the whole capture, as the step's image shows it. */
export function screenshotSource(step: number, frame: Frame, imageSize: Size): ImageSource {
  return { step, frame, region: { x: 0, y: 0, width: frame.width, height: frame.height }, crop: false, imageSize };
}

export type ZoomEvent = Extract<RunEventInit, { type: 'zoom' }>;

export interface ZoomContext {
  step: number;
  profile: Profile;
  /** The images of the request the model answered, in order (null: an image whose capture is no longer kept). */
  visible: ReadonlyArray<ImageSource | null>;
  recorder: Recorder | undefined;
}

/** A zoom refused before it was tried (the per-step limit): its result and event. */
export function refusedZoom(call: ParsedCall, step: number, error: string): { result: ToolResult; event: ZoomEvent } {
  const args = call.arguments as ZoomInArgs;
  return {
    result: { callId: call.id, name: call.name, text: `Zoom not done: ${error}` },
    event: { type: 'zoom', step, callId: call.id, bbox: args.bbox_2d, ...(args.label ? { label: args.label } : {}), imageIndex: args.img_idx ?? -1, ok: false, error },
  };
}

/**
 * Answer one zoom call: the tool result for the model (with the crop, or the error as text) and its run event. The
 * event's `crop.index` is filled in by the caller once the crop has its place in the history.
 */
export async function answerZoom(call: ParsedCall, context: ZoomContext): Promise<{ result: ToolResult; event: ZoomEvent }> {
  const args = call.arguments as ZoomInArgs;
  const { step, profile, visible } = context;
  const imageIndex = args.img_idx ?? latestScreenshot(visible);
  const bbox = args.bbox_2d;
  const base = { type: 'zoom' as const, step, callId: call.id, bbox, ...(args.label ? { label: args.label } : {}), imageIndex };
  const refuse = (error: string) => ({
    result: { callId: call.id, name: call.name, text: `Zoom not done: ${error}` },
    event: { ...base, ok: false, error },
  });
  if (!Number.isInteger(imageIndex) || imageIndex < 0 || imageIndex >= visible.length) {
    return refuse(`img_idx ${imageIndex} names no image; you have been sent ${visible.length} image(s), img_idx 0..${visible.length - 1}`);
  }
  const source = visible[imageIndex];
  if (!source) return refuse(`image ${imageIndex} can no longer be zoomed into; zoom into the latest screenshot (img_idx ${latestScreenshot(visible)})`);
  const grid = profile.coordinates.kind === 'grid' ? profile.coordinates.size : 1000;
  try {
    const region = boxRegion(bbox, grid, source.region);
    const size = zoomedSize(region, profile.image);
    const crop = await cropRegion(source.frame, region, size, profile.image);
    const file = context.recorder?.saveImage(step, crop.data, crop.mime) ?? '';
    const base64 = crop.data.toString('base64');
    const label = args.label ? ` (${args.label})` : '';
    return {
      result: {
        callId: call.id,
        name: call.name,
        // No image numbers in the text: they shift when old images are dropped from the history.
        text: `The zoomed-in region [${bbox.join(', ')}]${label}, ${crop.width}x${crop.height} pixels:`,
        image: { mime: crop.mime, base64, source: { ...source, region, crop: true } },
      },
      event: {
        ...base,
        on: { step: source.step, box: onImage(region, source) },
        screen: onScreen(region, source.frame),
        crop: { mime: crop.mime, width: crop.width, height: crop.height, file, base64, index: -1 },
        ok: true,
      },
    };
  } catch (error) {
    if (error instanceof ZoomError) return refuse(error.message);
    return refuse(`the crop could not be made: ${errorMessage(error)}`);
  }
}

/** The latest screenshot among the images (a zoom without img_idx looks at it). */
function latestScreenshot(visible: ReadonlyArray<ImageSource | null>): number {
  for (let i = visible.length - 1; i >= 0; i--) if (visible[i] && !visible[i]!.crop) return i;
  return visible.length - 1;
}

/** The region in the pixels of the step screenshot it is on (to draw the box there). */
function onImage(region: Region, source: ImageSource): Region {
  const sx = source.imageSize.width / source.frame.width;
  const sy = source.imageSize.height / source.frame.height;
  return { x: region.x * sx, y: region.y * sy, width: region.width * sx, height: region.height * sy };
}

/** The region in global screen coordinates (a frame is in physical pixels of its display's bounds). */
function onScreen(region: Region, frame: Frame): Region {
  const { bounds } = frame.display;
  const sx = bounds.width / frame.width;
  const sy = bounds.height / frame.height;
  return { x: bounds.x + region.x * sx, y: bounds.y + region.y * sy, width: region.width * sx, height: region.height * sy };
}
