/**
 * The Desktop interface: what the agent loop needs from a device. Implementations, one folder each: devices/x11/
 * (this machine: app/screen capture + app/input nut-js), devices/osworld/ (an OSWorld guest server over HTTP),
 * later devices/android/.
 */
import type { ComputerAction } from '../base/actions';
import type { Frame } from '../screen/capture';
import type { ActionTarget, Display, PerformResult } from '../screen/geometry';

/** One captured screen, raw pixels (defined with the capture code). */
export type { Frame } from '../screen/capture';

export interface Desktop {
  readonly kind: string;
  displays(): Promise<Display[]>;
  capture(display: Display): Promise<Frame>;
  perform(action: ComputerAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult>;
  /** Release every held key and button (stop, error). Never throws. */
  releaseAll(): Promise<void>;
  close(): Promise<void>;
}
