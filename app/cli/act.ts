/**
 * `deskpilot act '<arguments as JSON>' [--device android[:SERIAL]] [--profile P] [--display N] [--x-display :N]`:
 * perform one action now, on this desktop (computer_use) or on a phone (mobile_use; the profile then defaults to
 * qwen3-vl-mobile). Coordinates are in the profile's space (the 0..1000 grid for Qwen3-VL, 0..999 for the mobile
 * model; for absolute-pixel profiles, pixels of the screenshot the model would have been sent) and are mapped to the
 * chosen display or the phone's screen by screen/geometry.ts. The arguments are checked exactly as a model's tool
 * call would be (model/parse-args.ts). Bad input exits 2 with a message naming what is wrong; a failure while
 * performing (a phone that is not there, an app that is not installed) exits 1.
 */
import type { Command } from 'commander';
import { UsageError } from './errors';
import { checkCall, isPlainObject } from '../model/parse-args';
import { DEFAULT_PROFILE_ID, getProfile, type Profile } from '../model/profiles';
import type { ComputerAction, MobileAction } from '../base/actions';
import { defaultProfileFor, parseDeviceSpec } from '../contract';
import { performOn } from '../devices/device';
import { UnknownAndroidKeyError } from '../devices/android/keys';
import { openDevice } from '../devices/open';
import { listDisplays, pickDisplay } from '../screen/displays';
import { preparedSize } from '../screen/prepare';
import type { Display, Size } from '../screen/geometry';
import { createLocalInput } from '../input/perform';
import { UnknownKeyError } from '../input/keys';
import { DEVICE_OPTION_HELP, localSettingsFromFlags } from './run-options';
import { errorMessage } from '../base/errors';

interface ActOptions {
  profile?: string;
  device?: string;
  display?: string;
  xDisplay?: string;
  config?: string;
}

/**
 * Parse the command-line JSON: the arguments object (of `tool`, the device's: computer_use or mobile_use), or a
 * whole tool call {"name": ..., "arguments": {...}}.
 */
export function parseActArguments(json: string, tool = 'computer_use'): { name: unknown; args: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`the action is not valid JSON (${errorMessage(error)}); example: '{"action": "left_click", "coordinate": [500, 500]}'`);
  }
  if (isPlainObject(value) && 'arguments' in value && 'name' in value) {
    const args = typeof value.arguments === 'string' ? safeParse(value.arguments) : value.arguments;
    return { name: value.name, args };
  }
  return { name: tool, args: value };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('the tool call\'s "arguments" string is not valid JSON');
  }
}

function parseDisplayId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--display must be a display number (0, 1, ...), got ${JSON.stringify(value)}`);
  return Number(value);
}

function loadProfile(spec: string): Profile {
  try {
    return getProfile(spec);
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

export function registerAct(program: Command): void {
  program
    .command('act')
    .description('perform one action now on this desktop (computer_use) or a phone (mobile_use); coordinates in the profile\'s grid')
    .argument('<json>', 'the tool\'s arguments, e.g. \'{"action": "left_click", "coordinate": [500, 500]}\' (a phone: \'{"action": "click", "coordinate": [500, 500]}\')')
    .option('--device <spec>', DEVICE_OPTION_HELP)
    .option('-p, --profile <profile>', `model profile: the coordinate space (e.g. qwen3-vl, qwen3-vl:grid=999, qwen2.5-vl, qwen3-vl-mobile; env DESKPILOT_PROFILE; default ${DEFAULT_PROFILE_ID}, on a phone qwen3-vl-mobile)`)
    .option('-d, --display <n>', 'display (monitor) number, as listed by `deskpilot capture --list` (env DESKPILOT_DISPLAY; default the primary)')
    .option('--x-display <name>', 'X11 display to act on, e.g. ":1" (default $DISPLAY)')
    .option('--config <file>', 'settings file for the profile and display (default ~/.config/deskpilot/config.json, env DESKPILOT_CONFIG)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  deskpilot act \'{"action": "left_click", "coordinate": [500, 500]}\'\n' +
        '  deskpilot act \'{"action": "key", "keys": ["ctrl", "l"]}\'\n' +
        '  deskpilot act \'{"action": "type", "text": "héllo\\n"}\'\n' +
        '  deskpilot act --profile qwen3-vl:grid=999 \'{"action": "scroll", "pixels": -5, "coordinate": [500, 500]}\'\n' +
        '  deskpilot act --device android \'{"action": "click", "coordinate": [500, 300]}\'\n' +
        '  deskpilot act --device android:R58M40ABCDE \'{"action": "open", "text": "Settings"}\'',
    )
    .action(async (json: string, options: ActOptions) => {
      // The profile and monitor a run would use: flags, then the environment, then the config file.
      const settings = localSettingsFromFlags(['profile', 'display', 'device'], {
        profile: options.profile,
        display: parseDisplayId(options.display),
        device: options.device,
        config: options.config,
      });
      const device = settings.device ?? 'local';
      const profile = loadProfile(settings.profile ?? defaultProfileFor(device));
      if (parseDeviceSpec(device).kind === 'android') {
        await actOnPhone(json, device, profile);
        return;
      }
      if (profile.tool !== 'computer_use') {
        throw new UsageError(`profile "${profile.id}" drives phones (${profile.tool}); act on a phone with --device android, or choose a computer_use profile for this desktop`);
      }
      const displayId = settings.display;
      const { name, args } = parseActArguments(json);

      let displays: Display[];
      try {
        displays = await listDisplays(options.xDisplay);
      } catch (error) {
        throw new Error(`cannot list the displays of this desktop: ${errorMessage(error)}`);
      }
      let display: Display;
      try {
        display = pickDisplay(displays, displayId);
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      // Absolute-pixel profiles point into the screenshot the model would be sent: the display, smart-resized.
      const imageSize: Size | undefined =
        profile.coordinates.kind === 'absolute'
          ? preparedSize({ width: Math.round(display.bounds.width * display.scaleFactor), height: Math.round(display.bounds.height * display.scaleFactor) }, profile.image)
          : undefined;
      const checked = checkCall('the action', name, args, profile, imageSize);
      if (!checked.ok) throw new UsageError(checked.error);
      if (checked.name !== 'computer_use') throw new UsageError(`act performs computer_use actions, not ${checked.name}`);
      const action = checked.arguments as ComputerAction;

      const input = await createLocalInput(options.xDisplay ? { xDisplay: options.xDisplay } : {});
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const result = await input.perform(action, { display, space: profile.coordinates, imageSize }, controller.signal);
        process.stdout.write(`${JSON.stringify({ action, display: display.id, ...result })}\n`);
      } catch (error) {
        if (error instanceof UnknownKeyError) throw new UsageError(error.message);
        throw error;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await input.releaseAll();
      }
    });
}

/** `act --device android[:SERIAL]`: one mobile_use action on the phone, mapped onto its screen. */
async function actOnPhone(json: string, device: string, profile: Profile): Promise<void> {
  if (profile.tool !== 'mobile_use') {
    throw new UsageError(`profile "${profile.id}" speaks ${profile.tool}, but a phone takes mobile_use actions; use --profile qwen3-vl-mobile (or qwen2.5-vl-mobile)`);
  }
  const { name, args } = parseActArguments(json, 'mobile_use');
  // The arguments are checked before the phone is touched: bad input never waits for adb.
  const early = profile.coordinates.kind === 'grid' ? checkCall('the action', name, args, profile, undefined) : null;
  if (early && !early.ok) throw new UsageError(early.error);
  const { desktop } = await openDevice(device);
  try {
    const [display] = await desktop.displays();
    if (!display) throw new Error('the phone reported no screen');
    // Absolute-pixel profiles point into the screenshot the model would be sent: the screen, smart-resized.
    const imageSize: Size | undefined =
      profile.coordinates.kind === 'absolute' ? preparedSize({ width: display.bounds.width, height: display.bounds.height }, profile.image) : undefined;
    const checked = early ?? checkCall('the action', name, args, profile, imageSize);
    if (!checked.ok) throw new UsageError(checked.error);
    if (checked.name !== 'mobile_use') throw new UsageError(`a phone takes mobile_use actions, not ${checked.name}`);
    const action = checked.arguments as MobileAction;
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const result = await performOn(desktop, action, { display, space: profile.coordinates, imageSize }, controller.signal);
      process.stdout.write(`${JSON.stringify({ action, device: display.name, size: { width: display.bounds.width, height: display.bounds.height }, ...result })}\n`);
    } catch (error) {
      if (error instanceof UnknownAndroidKeyError) throw new UsageError(error.message);
      throw error;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    await desktop.close();
  }
}
