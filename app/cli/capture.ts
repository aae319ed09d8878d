/**
 * `deskpilot capture [--device android[:SERIAL]] [--profile P] [--display N] --out FILE`: capture a display (or the
 * phone's screen) and write exactly the image the model would receive (smart-resized and encoded by
 * app/screen/prepare.ts), byte for byte. `deskpilot capture --list` prints the displays as JSON instead.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { getProfile, type Profile } from '../model/profiles';
import { defaultProfileFor, parseDeviceSpec } from '../contract';
import { captureDeviceScreen, openDevice } from '../devices/open';
import type { Display } from '../screen/geometry';
import type { Frame } from '../screen/capture';
import { listDisplays, pickDisplay } from '../screen/displays';
import { captureDisplay } from '../screen/capture';
import { prepareImage, type ModelImage } from '../screen/prepare';
import { UsageError } from './errors';
import { DEVICE_OPTION_HELP, localSettingsFromFlags } from './run-options';
import { errorMessage } from '../base/errors';

interface CaptureCliOptions {
  profile?: string;
  device?: string;
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
    .option('--device <spec>', DEVICE_OPTION_HELP)
    .option('--profile <id>', 'model profile: decides the image size and format (e.g. qwen3-vl, qwen2.5-vl; env DESKPILOT_PROFILE; default qwen3-vl, on a phone qwen3-vl-mobile)')
    .option('--display <n>', 'display number from --list (env DESKPILOT_DISPLAY; default: the primary display)')
    .option('--config <file>', 'settings file for the profile and display (default ~/.config/deskpilot/config.json, env DESKPILOT_CONFIG)')
    .option('--out <file>', 'where to write the image')
    .option('--method <m>', 'capture path: native (libnut) or screenshot-desktop', 'native')
    .option('--x-display <name>', 'X11 display to capture, e.g. :1 (default: $DISPLAY)')
    .option('--list', 'print the displays as JSON and exit')
    .option('--json', 'print what was written as JSON')
    .action(async (options: CaptureCliOptions) => {
      // The profile, monitor and device a run would use: flags, then the environment, then the config file.
      const settings = localSettingsFromFlags(['profile', 'display', 'device'], {
        profile: options.profile,
        display: parseDisplayId(options.display),
        device: options.device,
        config: options.config,
      });
      const device = settings.device ?? 'local';
      const phone = parseDeviceSpec(device).kind === 'android';
      if (options.list) {
        const listed = phone ? await withDevice(device, (d) => d.displays()) : await listDisplays(options.xDisplay);
        process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
        return;
      }
      if (!options.out) throw new UsageError('--out FILE is required (or --list to see the displays)');
      if (options.method !== 'native' && options.method !== 'screenshot-desktop') {
        throw new UsageError(`--method must be native or screenshot-desktop (got "${options.method}")`);
      }
      let profile: Profile;
      try {
        profile = getProfile(settings.profile ?? defaultProfileFor(device));
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      const mime = `image/${profile.image.format}` as ModelImage['mime'];
      const ext = extname(options.out).toLowerCase();
      const known = Object.values(EXTENSIONS).flat();
      if (known.includes(ext) && !EXTENSIONS[mime].includes(ext)) {
        throw new UsageError(`profile ${profile.id} sends ${mime}, but --out ends in ${ext}; use ${EXTENSIONS[mime][0]}`);
      }
      let display: Display;
      let frame: Frame;
      if (phone) {
        frame = await captureDeviceScreen(device);
        display = frame.display;
      } else {
        const displays = await listDisplays(options.xDisplay);
        try {
          display = pickDisplay(displays, settings.display);
        } catch (error) {
          throw new UsageError(errorMessage(error));
        }
        frame = await captureDisplay(display, { method: options.method, xDisplay: options.xDisplay });
      }
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

/** Open the device, use it, close it. */
async function withDevice<T>(spec: string, use: (device: Awaited<ReturnType<typeof openDevice>>['desktop']) => Promise<T>): Promise<T> {
  const { desktop } = await openDevice(spec);
  try {
    return await use(desktop);
  } finally {
    await desktop.close();
  }
}
