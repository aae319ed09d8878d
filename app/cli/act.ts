/**
 * `deskpilot act '<computer_use arguments as JSON>' [--profile P] [--display N] [--x-display :N]`: perform one action
 * now on this desktop. Coordinates are in the profile's space (the 0..1000 grid for Qwen3-VL; for absolute-pixel
 * profiles, pixels of the screenshot the model would have been sent) and are mapped to the chosen display by
 * screen/geometry.ts. The arguments are checked exactly as a model's tool call would be (model/parse-args.ts).
 * Bad input exits 2 with a message naming what is wrong; a failure while performing exits 1.
 */
import type { Command } from 'commander';
import { UsageError } from './errors';
import { checkCall, isPlainObject } from '../model/parse-args';
import { DEFAULT_PROFILE_ID, getProfile, type Profile } from '../model/profiles';
import type { ComputerAction } from '../base/actions';
import { listDisplays, pickDisplay } from '../screen/displays';
import { preparedSize } from '../screen/prepare';
import type { Display, Size } from '../screen/geometry';
import { createLocalInput } from '../input/perform';
import { UnknownKeyError } from '../input/keys';
import { localSettingsFromFlags } from './run-options';
import { errorMessage } from '../base/errors';

interface ActOptions {
  profile?: string;
  display?: string;
  xDisplay?: string;
  config?: string;
}

/** Parse the command-line JSON: the arguments object, or a whole tool call {"name": ..., "arguments": {...}}. */
export function parseActArguments(json: string): { name: unknown; args: unknown } {
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
  return { name: 'computer_use', args: value };
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
    .description('perform one computer_use action now on this desktop (coordinates in the profile\'s grid)')
    .argument('<json>', 'computer_use arguments, e.g. \'{"action": "left_click", "coordinate": [500, 500]}\'')
    .option('-p, --profile <profile>', `model profile: the coordinate space (e.g. qwen3-vl, qwen3-vl:grid=999, qwen2.5-vl; env DESKPILOT_PROFILE; default ${DEFAULT_PROFILE_ID})`)
    .option('-d, --display <n>', 'display (monitor) number, as listed by `deskpilot capture --list` (env DESKPILOT_DISPLAY; default the primary)')
    .option('--x-display <name>', 'X11 display to act on, e.g. ":1" (default $DISPLAY)')
    .option('--config <file>', 'settings file for the profile and display (default ~/.config/deskpilot/config.json, env DESKPILOT_CONFIG)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  deskpilot act \'{"action": "left_click", "coordinate": [500, 500]}\'\n' +
        '  deskpilot act \'{"action": "key", "keys": ["ctrl", "l"]}\'\n' +
        '  deskpilot act \'{"action": "type", "text": "héllo\\n"}\'\n' +
        '  deskpilot act --profile qwen3-vl:grid=999 \'{"action": "scroll", "pixels": -5, "coordinate": [500, 500]}\'',
    )
    .action(async (json: string, options: ActOptions) => {
      // The profile and monitor a run would use: flags, then the environment, then the config file.
      const settings = localSettingsFromFlags(['profile', 'display'], {
        profile: options.profile,
        display: parseDisplayId(options.display),
        config: options.config,
      });
      const profile = loadProfile(settings.profile ?? DEFAULT_PROFILE_ID);
      if (profile.tool !== 'computer_use') {
        throw new UsageError(`profile "${profile.id}" drives phones (${profile.tool}); act performs computer_use actions on this desktop`);
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
