/**
 * What the risk check may learn about windows, whatever the OS: the focused window (where typed text and keys go)
 * and the window under a point (where a click lands). Types only; the X11 probe is platform/x11/windows.ts.
 */
import type { Point } from '../base/shapes';

export interface WindowInfo {
  title?: string;
  className?: string;
  /** The focused text field takes a password (phones can tell: devices/android), when known. */
  passwordField?: boolean;
}

/** Anything unknown is `undefined`: the classifier then has less to go on, and a run never stops for it. */
export interface WindowProbe {
  focused(): Promise<WindowInfo | undefined>;
  atPoint(point: Point): Promise<WindowInfo | undefined>;
}
