/**
 * The Desktop interface: what the agent loop drives - any device with a screen, whatever tool the model speaks to
 * it. A device says which tool it speaks (`computer_use`: mouse and keyboard; `mobile_use`: a touchscreen) and takes
 * that tool's validated actions (app/base/actions.ts); the loop checks that the profile's tool is the device's.
 * Implementations, one folder each: devices/x11/ (this machine: app/screen capture + app/input nut-js),
 * devices/osworld/ (an OSWorld guest server over HTTP), later devices/android/.
 */
import type { AnyAction, ComputerAction, MobileAction } from '../base/actions';
import type { Frame } from '../screen/capture';
import type { ActionTarget, Display, PerformResult } from '../screen/geometry';

/** One captured screen, raw pixels (defined with the capture code). */
export type { Frame } from '../screen/capture';

export type DeviceTool = 'computer_use' | 'mobile_use';

interface DeviceBase {
  /** What it is, for messages and records ("local", "osworld", ...). */
  readonly kind: string;
  displays(): Promise<Display[]>;
  capture(display: Display): Promise<Frame>;
  /** Release every held key, button and touch (stop, error). Never throws. */
  releaseAll(): Promise<void>;
  close(): Promise<void>;
}

/** A computer driven with mouse and keyboard (`computer_use`). */
export interface ComputerUseDesktop extends DeviceBase {
  readonly tool: 'computer_use';
  perform(action: ComputerAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult>;
}

/** A touchscreen device (`mobile_use`): a phone or tablet. */
export interface MobileUseDesktop extends DeviceBase {
  readonly tool: 'mobile_use';
  perform(action: MobileAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult>;
}

export type Desktop = ComputerUseDesktop | MobileUseDesktop;

/**
 * Perform an action of the device's tool. The loop validated `action` against the schema of the profile's tool,
 * and refuses a profile whose tool is not the device's, so the action is one of the device's.
 */
export function performOn(device: Desktop, action: AnyAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult> {
  return device.tool === 'computer_use'
    ? device.perform(action as ComputerAction, target, signal)
    : device.perform(action as MobileAction, target, signal);
}
