/**
 * Coordinates: the ONE place where a point the model gave is turned into a point on a real screen, and back.
 * Clicking, drawing markers in the UI, replay and the task runner all go through these functions.
 *
 * Three spaces are involved:
 * - the model's space: a grid (0..1000 for Qwen3-VL, 0..999 for the mobile cookbook) or the absolute pixels of the
 *   resized image the model was sent (Qwen2.5-VL);
 * - a display's local space, in the units the input layer uses (logical points; on X11 these are pixels);
 * - the global desktop space, where every display sits at its origin (origins may be negative).
 *
 * Validation (is the point inside the grid, is it a number) happens in the parser; these functions only map, and
 * clamp the result inside the display so that rounding at the far edge (1000/1000 * width) stays on screen.
 */

import type { CoordinateSpace, Display, Point, Size } from '../base/shapes';

// The shapes themselves live in base (the platform adapters below this layer produce Displays and Points too).
export type { CoordinateSpace, Display, Point, Size };

/**
 * Where an action's model coordinates point: the display, the model's space, and the size of the image the model
 * saw (needed for absolute coordinates only). Every performer (the local input, the OSWorld guest, a phone) takes
 * this and maps with the functions below.
 */
export interface ActionTarget {
  display: Display;
  space: CoordinateSpace;
  imageSize?: Size;
}

/** What performing an action hit, in global screen points (the mapped coordinates). */
export interface PerformResult {
  /** The point the action acted on. */
  screen?: Point;
  /** The second point (drag start, swipe end) when there is one. */
  screen2?: Point;
  /** How it was done, in words (shown to the person: "12 wheel steps down", "all 30 characters pasted"). */
  note?: string;
  /** Something the model should know: it did not go quite as asked (e.g. text typed by keystrokes after a paste failed). */
  warning?: string;
}

/** The extent of the model's space along each axis: the grid size, or the sent image's pixel size. */
export function spaceExtent(space: CoordinateSpace, imageSize: Size | undefined): Size {
  if (space.kind === 'grid') return { width: space.size, height: space.size };
  if (!imageSize) throw new Error('absolute coordinates need the size of the image the model was sent');
  return imageSize;
}

/** Is a model point inside the model's space (inclusive: 1000 is a valid coordinate on the 0..1000 grid)? */
export function isInsideSpace(point: Point, space: CoordinateSpace, imageSize: Size | undefined): boolean {
  const extent = spaceExtent(space, imageSize);
  return point.x >= 0 && point.y >= 0 && point.x <= extent.width && point.y <= extent.height;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Model point -> point on a screen of the given size (local to that screen, integer pixels, inside the screen).
 * `imageSize` is the size of the image the model was sent; it is needed only for absolute coordinates.
 */
export function modelToScreen(point: Point, space: CoordinateSpace, screen: Size, imageSize?: Size): Point {
  const extent = mappingExtent(space, imageSize);
  // OSWorld's agent writes int(x * width / 999): the product first, then down (the same float as Python's).
  const whole = space.kind === 'grid' && space.rounding === 'down' ? Math.trunc : Math.round;
  const scale = (value: number, from: number, to: number) =>
    space.kind === 'grid' && space.rounding === 'down' ? value * (to / from) : (value / from) * to;
  return {
    x: clamp(whole(scale(point.x, extent.width, screen.width)), 0, screen.width - 1),
    y: clamp(whole(scale(point.y, extent.height, screen.height)), 0, screen.height - 1),
  };
}

/** What a model point is divided by along each axis: the grid's divisor (its size unless set), or the image's pixels. */
function mappingExtent(space: CoordinateSpace, imageSize: Size | undefined): Size {
  if (space.kind === 'grid' && space.divisor !== undefined) return { width: space.divisor, height: space.divisor };
  return spaceExtent(space, imageSize);
}

/** Model point -> global desktop point on a display (adds the display origin). */
export function modelToGlobal(point: Point, space: CoordinateSpace, display: Display, imageSize?: Size): Point {
  const local = modelToScreen(point, space, { width: display.bounds.width, height: display.bounds.height }, imageSize);
  return { x: display.bounds.x + local.x, y: display.bounds.y + local.y };
}

/**
 * Inverse, for drawing: a global desktop point -> the pixel of an image of `imageSize` that shows `display`
 * (the screenshot the model saw, or a thumbnail of it). Fractional; the caller draws at it.
 */
export function globalToImage(point: Point, display: Display, imageSize: Size): Point {
  return {
    x: ((point.x - display.bounds.x) / display.bounds.width) * imageSize.width,
    y: ((point.y - display.bounds.y) / display.bounds.height) * imageSize.height,
  };
}

/** Model point -> pixel of an image of `imageSize` (for marking the proposed point on the screenshot). */
export function modelToImage(point: Point, space: CoordinateSpace, imageSize: Size, sentImageSize?: Size): Point {
  const extent = mappingExtent(space, sentImageSize);
  return { x: (point.x / extent.width) * imageSize.width, y: (point.y / extent.height) * imageSize.height };
}

/**
 * Inverse of modelToImage, for editing: a pixel of an image of `imageSize` that shows what the model saw -> the
 * model point (whole numbers, inside the model's space). Used when a person picks a new point on the screenshot.
 */
export function imageToModel(point: Point, space: CoordinateSpace, imageSize: Size, sentImageSize?: Size): Point {
  const extent = mappingExtent(space, sentImageSize);
  const bound = spaceExtent(space, sentImageSize);
  return {
    x: clamp(Math.round((point.x / imageSize.width) * extent.width), 0, bound.width),
    y: clamp(Math.round((point.y / imageSize.height) * extent.height), 0, bound.height),
  };
}
