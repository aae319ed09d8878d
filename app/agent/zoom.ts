/**
 * Zooms while the model reasons (image_zoom_in_tool, seed 003 appendix B.9): a zoom call is answered inside the
 * step - never an action, never sent for approval - with a crop of the named image, cut from the full-resolution
 * capture and sent back as the tool response's image (the answer itself: app/model/zoom-answer.ts, shared with
 * the endpoint check). The model then zooms again or acts; its action's coordinates still refer to the step
 * screenshot's grid (the step's target is unchanged). Every zoom, answered or refused, is a `zoom` RunEvent; the
 * crop is stored in the run record next to the step's screenshot.
 */
import type { ZoomInArgs } from '../base/actions';
import type { RunEventInit } from '../contract';
import type { Frame } from '../devices/device';
import type { ParsedCall } from '../model/parse';
import type { Profile } from '../model/profiles';
import { answerZoomCall, zoomRefusal } from '../model/zoom-answer';
import type { Size } from '../screen/geometry';
import type { Region } from '../screen/zoom';
import type { ImageSource, ToolResult } from './history';
import type { Recorder } from './recorder';

export { isZoomCall, NOT_PERFORMED_BESIDE_ZOOM, zoomLimitError } from '../model/zoom-answer';

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
    result: { callId: call.id, name: call.name, text: zoomRefusal(error) },
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
  const answer = await answerZoomCall(args, profile, visible);
  const base = { type: 'zoom' as const, step, callId: call.id, bbox: args.bbox_2d, ...(args.label ? { label: args.label } : {}), imageIndex: answer.imageIndex };
  if (!answer.ok) {
    return { result: { callId: call.id, name: call.name, text: answer.text }, event: { ...base, ok: false, error: answer.error } };
  }
  const { crop, region, source } = answer;
  const file = context.recorder?.saveImage(step, crop.data, crop.mime) ?? '';
  const base64 = crop.data.toString('base64');
  return {
    result: {
      callId: call.id,
      name: call.name,
      text: answer.text,
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
