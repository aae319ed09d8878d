/**
 * Everything a run could drive, for `deskpilot devices` and the UI's target choice: this desktop's monitors (X11)
 * and the phones adb sees, each ready phone with its model and screen size, each other one with the fix for its
 * state. Nothing here throws: what cannot be listed says why.
 */
import { errorMessage } from '../base/errors';
import type { DeviceList, PhoneInfo } from '../contract';
import { listDisplays } from '../screen/displays';
import type { AdbRunOptions } from './android/adb';
import { parseWmSize } from './android/device';
import { listPhones, PhoneShell, type PhoneListing } from './android/phones';

export interface ListDevicesOptions {
  /** The X display of this desktop (default $DISPLAY). */
  xDisplay?: string;
  adb?: AdbRunOptions;
}

/** A ready phone's model name and screen size, in one device command (null parts when it does not answer). */
async function phoneDetails(listing: PhoneListing, adb: AdbRunOptions): Promise<PhoneInfo> {
  const info: PhoneInfo = { spec: `android:${listing.serial}`, serial: listing.serial, state: listing.state };
  if (listing.model) info.model = listing.model.replace(/_/g, ' ');
  if (listing.fix) info.fix = listing.fix;
  if (listing.state !== 'device') return info;
  try {
    const out = await new PhoneShell(listing.serial, { ...adb, timeoutMs: adb.timeoutMs ?? 10_000 }).shell('getprop ro.product.model; wm size');
    const model = out.stdout.split('\n')[0]?.trim();
    if (model) info.model = model;
    const sizes = parseWmSize(out.stdout);
    const size = sizes?.override ?? sizes?.physical;
    if (size) info.size = size;
  } catch (error) {
    info.fix = `it did not answer: ${errorMessage(error)}`;
  }
  return info;
}

/** The phones adb sees, each ready one with its model and screen size; why not, when adb cannot list them. */
export async function listPhoneInfo(adb: AdbRunOptions = {}): Promise<Pick<DeviceList, 'phones' | 'phonesError'>> {
  try {
    const listed = await listPhones(adb);
    return { phones: await Promise.all(listed.map((p) => phoneDetails(p, adb))) };
  } catch (error) {
    return { phones: [], phonesError: errorMessage(error) };
  }
}

export async function listDevices(options: ListDevicesOptions = {}): Promise<DeviceList> {
  const adb = options.adb ?? {};
  const xDisplay = options.xDisplay ?? process.env.DISPLAY;
  const desktop = (async (): Promise<DeviceList['desktop']> => {
    if (process.platform === 'linux' && !xDisplay) {
      return { spec: 'local', displays: [], error: 'no X display: $DISPLAY is not set (log in to an X11 session, or run under Xvfb)' };
    }
    try {
      const displays = await listDisplays(xDisplay);
      return {
        spec: 'local',
        displays: displays.map((d) => ({ id: d.id, name: d.name, width: d.bounds.width, height: d.bounds.height, primary: d.primary })),
      };
    } catch (error) {
      return { spec: 'local', displays: [], error: errorMessage(error) };
    }
  })();
  const [d, p] = await Promise.all([desktop, listPhoneInfo(adb)]);
  return { desktop: d, ...p };
}
