/**
 * `deskpilot ask "<question>" [--image FILE | --display N | --device android[:SERIAL]] [--profile P] [--json]`: send one
 * screenshot (of this desktop or a phone; or an image file) and a question to the model and print its answer (app/agent/ask.ts): the answer alone on stdout, a note on
 * stderr when the reply was not in the profile's answer form (no \boxed{} for `capcurriculum`); `--json` prints
 * {"answer", "reasoning", "raw"} (and "note"). Exit codes: 0 answered, 2 bad input (flags, image file), 1 the model
 * or the screen failed.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { askAboutImage } from '../agent/ask';
import { parseDeviceSpec } from '../contract';
import { captureDeviceScreen } from '../devices/open';
import { errorMessage } from '../base/errors';
import { ModelClient } from '../model/client';
import { getProfile, type Profile } from '../model/profiles';
import { captureDisplay } from '../screen/capture';
import { listDisplays, pickDisplay } from '../screen/displays';
import { decodeImageFile, type RawImage } from '../screen/prepare';
import { UsageError } from './errors';
import { MODEL_FROM_SERVER, resolveModelName } from './model-name';
import { addModelOptions, DEVICE_OPTION_HELP, settingsFromFlags, type ModelFlags } from './run-options';
import { intFlag } from '../settings';

interface AskFlags extends ModelFlags {
  image?: string;
  device?: string;
  display?: number;
  xDisplay?: string;
  json?: boolean;
}

async function imageFrom(flags: AskFlags, display: number): Promise<RawImage> {
  if (flags.image !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(flags.image);
    } catch (error) {
      throw new UsageError(`--image ${flags.image}: cannot read it (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
    }
    try {
      return await decodeImageFile(bytes);
    } catch (error) {
      throw new UsageError(`--image ${flags.image}: not an image this can read (PNG, JPEG, WebP, GIF, TIFF): ${errorMessage(error)}`);
    }
  }
  if (flags.device !== undefined && parseDeviceSpec(flags.device).kind === 'android') {
    return captureDeviceScreen(flags.device);
  }
  const displays = await listDisplays(flags.xDisplay);
  let chosen;
  try {
    chosen = pickDisplay(displays, display);
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  return captureDisplay(chosen, { method: 'native', ...(flags.xDisplay ? { xDisplay: flags.xDisplay } : {}) });
}

export function registerAsk(program: Command): void {
  addModelOptions(
    program
      .command('ask')
      .description('ask the model a question about the screen (or an image file) and print its answer')
      .argument('<question>', 'what you want to know about the screen')
      .option('--image <file>', 'ask about this image file instead of the screen')
      .option('--display <n>', 'which monitor to capture, 0 = primary (env DESKPILOT_DISPLAY)', intFlag('--display'))
      .option('--x-display <name>', 'X11 display to capture, e.g. :1 (default: $DISPLAY)')
      .option('--device <spec>', DEVICE_OPTION_HELP)
      .option('--json', 'print {"answer", "reasoning", "raw"} as JSON'),
  ).action(async (question: string, flags: AskFlags) => {
    if (question.trim() === '') throw new UsageError('the question is empty; write what you want to know, e.g. deskpilot ask "Which app is open?"');
    const sources = [flags.image !== undefined && '--image', flags.display !== undefined && '--display', flags.device !== undefined && '--device'].filter(Boolean);
    if (sources.length > 1) throw new UsageError(`give one of --image FILE, --display N and --device D, not ${sources.join(' and ')}`);
    const partial = settingsFromFlags({ ...flags, display: flags.display }, { model: MODEL_FROM_SERVER });
    let profile: Profile;
    try {
      profile = getProfile(partial.profile); // on a phone the mobile profile, unless one was chosen (app/settings.ts)
    } catch (error) {
      throw new UsageError(`--profile: ${errorMessage(error)}`);
    }
    const image = await imageFrom({ ...flags, device: partial.device }, partial.display);
    const model = await resolveModelName(partial.endpoint, partial.model, partial.apiKey);
    const client = new ModelClient({ endpoint: partial.endpoint, model, ...(partial.apiKey ? { apiKey: partial.apiKey } : {}) });
    const result = await askAboutImage(client, {
      profile,
      image,
      question,
      ...(partial.systemPrompt ? { systemPrompt: partial.systemPrompt } : {}),
    });
    if (flags.json) {
      const out = { answer: result.answer, reasoning: result.reasoning, raw: result.raw, ...(result.note ? { note: result.note } : {}) };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    if (result.note) process.stderr.write(`deskpilot: note: ${result.note}\n`);
    process.stdout.write(`${result.answer}\n`);
  });
}
