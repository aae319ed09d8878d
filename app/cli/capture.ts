/**
 * `deskpilot capture [--profile P] [--display N] --out FILE`: capture a display and write exactly the image the
 * model would receive (smart-resized and encoded by app/screen/prepare.ts), byte for byte.
 * `deskpilot capture --list` prints the displays as JSON instead.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { getProfile, DEFAULT_PROFILE_ID, type Profile } from '../model/profiles';
import { listDisplays, pickDisplay } from '../screen/displays';
import { captureDisplay } from '../screen/capture';
import { prepareImage, type ModelImage } from '../screen/prepare';
import { UsageError } from './errors';
import { localSettingsFromFlags } from './run-options';
import { errorMessage } from '../base/errors';

interface CaptureCliOptions {
  profile?: string;
  display?: string;
  config?: string;
  out?: string;
  method: string;
  xDisplay?: string;
  list?: boolean;
  json?: boolean;
}

const EXTENSIONS: Record<ModelImage['mime'], string[]> = {
  'image/png': ['.png'],
  'image/jpeg': ['.jpg', '.jpeg'],
  'image/webp': ['.webp'],
};

function parseDisplayId(spec: string | undefined): number | undefined {
  if (spec === undefined) return undefined;
  if (!/^\d+$/.test(spec.trim())) throw new UsageError(`--display must be a display number such as 0 or 1 (got "${spec}")`);
  return Number(spec);
}

export function registerCapture(program: Command): void {
  program
    .command('capture')
    .description('capture a display and write exactly the image the model would receive')
    .option('--profile <id>', `model profile: decides the image size and format (e.g. qwen3-vl, qwen2.5-vl; env DESKPILOT_PROFILE; default ${DEFAULT_PROFILE_ID})`)
    .option('--display <n>', 'display number from --list (env DESKPILOT_DISPLAY; default: the primary display)')
    .option('--config <file>', 'settings file for the profile and display (default ~/.config/deskpilot/config.json, env DESKPILOT_CONFIG)')
    .option('--out <file>', 'where to write the image')
    .option('--method <m>', 'capture path: native (libnut) or screenshot-desktop', 'native')
    .option('--x-display <name>', 'X11 display to capture, e.g. :1 (default: $DISPLAY)')
    .option('--list', 'print the displays as JSON and exit')
    .option('--json', 'print what was written as JSON')
    .action(async (options: CaptureCliOptions) => {
      if (options.list) {
        process.stdout.write(`${JSON.stringify(await listDisplays(options.xDisplay), null, 2)}\n`);
        return;
      }
      if (!options.out) throw new UsageError('--out FILE is required (or --list to see the displays)');
      if (options.method !== 'native' && options.method !== 'screenshot-desktop') {
        throw new UsageError(`--method must be native or screenshot-desktop (got "${options.method}")`);
      }
      // The profile and monitor a run would use: flags, then the environment, then the config file.
      const settings = localSettingsFromFlags(['profile', 'display'], {
        profile: options.profile,
        display: parseDisplayId(options.display),
        config: options.config,
      });
      let profile: Profile;
      try {
        profile = getProfile(settings.profile ?? DEFAULT_PROFILE_ID);
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      const mime = `image/${profile.image.format}` as ModelImage['mime'];
      const ext = extname(options.out).toLowerCase();
      const known = Object.values(EXTENSIONS).flat();
      if (known.includes(ext) && !EXTENSIONS[mime].includes(ext)) {
        throw new UsageError(`profile ${profile.id} sends ${mime}, but --out ends in ${ext}; use ${EXTENSIONS[mime][0]}`);
      }
      const displayId = settings.display;
      const displays = await listDisplays(options.xDisplay);
      let display;
      try {
        display = pickDisplay(displays, displayId);
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      const frame = await captureDisplay(display, { method: options.method, xDisplay: options.xDisplay });
      const image = await prepareImage(frame, profile.image);
      await writeFile(options.out, image.data);
      const summary = {
        file: options.out,
        mime: image.mime,
        width: image.width,
        height: image.height,
        bytes: image.data.length,
        source: image.source,
        display,
        profile: profile.id,
        method: frame.method,
      };
      if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        const b = display.bounds;
        process.stdout.write(
          `wrote ${options.out}: ${image.width}x${image.height} ${image.mime}, ${image.data.length} bytes, from display ${display.id} ` +
            `(${display.name} ${b.width}x${b.height}+${b.x}+${b.y}, captured ${frame.width}x${frame.height} via ${frame.method})\n`,
        );
      }
    });
}
