/**
 * Opening the device a settings' `device` names (app/contract.ts DeviceSpecSchema): this X desktop, or a phone over
 * adb. The shells (`deskpilot run|act|capture|replay`, the engine host behind the UIs) open devices only through
 * here, so `--device android:SERIAL` means the same everywhere. Each device comes with what the risk check can ask
 * it (the focused window, or the phone's focused app and whether its field takes a password).
 */
import { parseDeviceSpec, type DeviceTarget } from '../contract';
import type { WindowProbe } from '../platform/windows';
import { createX11WindowProbe } from '../platform/x11/windows';
import type { AdbRunOptions } from './android/adb';
import { openAndroidPhone } from './android/device';
import type { Desktop, Frame } from './device';
import { createLocalDesktop } from './x11/desktop';

export interface OpenedDevice {
  desktop: Desktop;
  /** For the risk classifier. */
  windows?: WindowProbe;
  target: DeviceTarget;
}

export interface OpenDeviceOptions {
  /** The X display of `local` (default $DISPLAY). */
  xDisplay?: string;
  /** How adb is run for a phone (its environment: ADB_SERVER_SOCKET, ANDROID_ADB_SERVER_PORT, ANDROID_SERIAL). */
  adb?: AdbRunOptions;
}

export async function openDevice(spec: string, options: OpenDeviceOptions = {}): Promise<OpenedDevice> {
  const target = parseDeviceSpec(spec);
  if (target.kind === 'android') {
    const phone = await openAndroidPhone({ ...options.adb, ...(target.serial ? { serial: target.serial } : {}) });
    return { desktop: phone, windows: phone.windowProbe(), target };
  }
  const xDisplay = options.xDisplay ?? process.env.DISPLAY;
  const desktop = await createLocalDesktop(xDisplay ? { xDisplay } : {});
  return { desktop, windows: createX11WindowProbe(xDisplay), target };
}

/** Open the device, capture its first screen (a phone has one), close it. */
export async function captureDeviceScreen(spec: string, options: OpenDeviceOptions = {}): Promise<Frame> {
  const { desktop } = await openDevice(spec, options);
  try {
    const [screen] = await desktop.displays();
    if (!screen) throw new Error(`the ${desktop.kind === 'android' ? 'phone' : 'device'} reported no screen`);
    return await desktop.capture(screen);
  } finally {
    await desktop.close();
  }
}
