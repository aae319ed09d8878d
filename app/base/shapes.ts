/**
 * The plain shapes every layer shares: points, sizes, the model's coordinate space, a display. Types only. The
 * mapping between the spaces is screen/geometry.ts (which re-exports these, so most code imports them from there).
 */

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** How the model expresses points. */
export type CoordinateSpace =
  | {
      kind: 'grid';
      /** x in 0..size, y in 0..size, relative to the image: the grid the model is told and replies are checked against. */
      size: number;
      /**
       * What a point is divided by to map it to the screen (default `size`). OSWorld's Qwen3-VL agent states a
       * 1000x1000 screen but divides by 999, so its 999 is the last pixel.
       */
      divisor?: number;
      /** How a mapped point becomes a whole pixel: to the nearest (default) or down (Python's int(), as OSWorld's agent). */
      rounding?: 'nearest' | 'down';
    }
  | { kind: 'absolute' }; // pixels of the image the model was sent (needs that image's size)

/** One monitor. `bounds` are in global logical units; `scaleFactor` is physical pixels per logical unit. */
export interface Display {
  id: number;
  name: string;
  bounds: { x: number; y: number; width: number; height: number };
  scaleFactor: number;
  primary: boolean;
}
