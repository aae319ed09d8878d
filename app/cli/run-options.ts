/**
 * The run options the commands share, and their translation into settings, always in the README's order: flags,
 * then the environment, then the config file, then the command's own defaults (app/settings.ts). A command-line
 * option that is also a setting therefore never has a commander default: a default there would look like a flag
 * and hide the environment and the file (`tasks run` once ignored `maxSteps` from the config file that way).
 *
 * The API key can come from `--api-key-file FILE` or DESKPILOT_API_KEY; `--api-key KEY` still works but says on
 * stderr that other users of the machine can read it (ps, /proc/<pid>/cmdline) for as long as the command runs.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AGENT_PRESETS, APPROVAL_MODES, RunSettingsSchema, toolOfDevice, type RunSettings } from '../contract';
import { getProfile } from '../model/profiles';
import { UsageError } from './errors';
import { ENV_SETTINGS, intFlag, readConfigFile, readEnv, resolveSettings, SettingsError } from '../settings';

export interface ModelFlags {
  endpoint?: string;
  model?: string;
  apiKey?: string;
  apiKeyFile?: string;
  profile?: string;
  /** `--zoom` (true) or `--zoom N` (zooms per step). */
  zoom?: boolean | number;
  /** `--agent NAME`: a published agent reproduced as it is (AGENT_PRESETS). */
  agent?: string;
  config?: string;
}

export interface RunFlags extends ModelFlags {
  device?: string;
  approve?: string;
  maxSteps?: number;
  display?: number;
  settle?: boolean;
}

export const API_KEY_WARNING =
  'deskpilot: warning: --api-key is visible to other users of this machine (ps, /proc) for as long as this command ' +
  'runs; put the key in a file and pass --api-key-file FILE, or set DESKPILOT_API_KEY\n';

/** The model options every command that talks to a model takes (`run`, `ui`, `tasks run`, `check`). */
export function addModelOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env DESKPILOT_ENDPOINT)')
    .option('--model <name>', 'served model name (env DESKPILOT_MODEL; default: the only model the server serves)')
    .option('--api-key-file <file>', 'read the API key from this file (or set DESKPILOT_API_KEY; never recorded)')
    .option('--api-key <key>', 'API key on the command line: visible to other users in ps; prefer --api-key-file')
    .option('--profile <id>', 'model profile: qwen3-vl, qwen3-vl-thinking, qwen3-vl-interleaved, qwen2.5-vl, qwen3-vl-mobile, ... (env DESKPILOT_PROFILE; default qwen3-vl, on a phone qwen3-vl-mobile)')
    .option('--zoom [n]', 'offer image_zoom_in_tool: the model may zoom into the screen before it acts, at most n times per step (default 3)', intFlag('--zoom'))
    .addOption(
      new Option('--agent <name>', "a published agent reproduced as it is, for scores comparable with published ones: osworld-qwen3vl (OSWorld's Qwen3-VL agent; env DESKPILOT_AGENT)").choices([...AGENT_PRESETS]),
    )
    .option('--config <file>', 'settings file (JSON; default ~/.config/deskpilot/config.json, env DESKPILOT_CONFIG)');
}

/** The device option of `run`, `ui`, `act` and `capture`. */
export const DEVICE_OPTION_HELP =
  'what to drive: local (this desktop, the default) or android[:SERIAL] (a phone over adb; `deskpilot devices` lists them; env DESKPILOT_DEVICE)';

/** The model options plus what a run takes: approval mode, step budget, monitor, settle (`run` adds --device). */
export function addRunOptions(command: Command): Command {
  return addModelOptions(command)
    .addOption(new Option('--approve <mode>', 'approval mode (env DESKPILOT_APPROVE; default ask)').choices([...APPROVAL_MODES]))
    .option('--max-steps <n>', 'step budget (env DESKPILOT_MAX_STEPS; default 30)', intFlag('--max-steps'))
    .option('--display <n>', 'which monitor, 0 = primary (env DESKPILOT_DISPLAY)', intFlag('--display'))
    .option('--no-settle', 'after an action, do not wait for the screen to settle');
}

/**
 * The API key the command line gives: `--api-key-file` read (one line, surrounding whitespace dropped), or
 * `--api-key` with a warning on stderr; undefined when neither is given (the environment or the file may have one).
 */
export function apiKeyFromFlags(flags: Pick<ModelFlags, 'apiKey' | 'apiKeyFile'>): string | undefined {
  if (flags.apiKey !== undefined && flags.apiKeyFile !== undefined) {
    throw new SettingsError('give the API key once: --api-key-file FILE or --api-key KEY, not both');
  }
  if (flags.apiKey !== undefined) {
    process.stderr.write(API_KEY_WARNING);
    return flags.apiKey;
  }
  if (flags.apiKeyFile === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(flags.apiKeyFile, 'utf8');
  } catch (error) {
    throw new SettingsError(`--api-key-file ${flags.apiKeyFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const key = text.replace(/^\uFEFF/, '').trim();
  if (key === '') throw new SettingsError(`--api-key-file ${flags.apiKeyFile} is empty; put the API key in it`);
  if (/\s/.test(key)) throw new SettingsError(`--api-key-file ${flags.apiKeyFile} must hold only the API key, on one line`);
  return key;
}

/**
 * Settings from flags, env and config, over the command's own defaults. `model` may be MODEL_FROM_SERVER until
 * resolveModelName() asks the server.
 */
export function settingsFromFlags(
  flags: RunFlags,
  defaults: { approve?: string; maxSteps?: number; model?: string } = {},
): RunSettings {
  return resolveSettings({
    configFile: flags.config,
    defaults,
    flags: {
      endpoint: flags.endpoint,
      model: flags.model,
      apiKey: apiKeyFromFlags(flags),
      profile: flags.profile,
      device: flags.device,
      zoom: flags.zoom,
      agent: flags.agent,
      approve: flags.approve,
      maxSteps: flags.maxSteps,
      display: flags.display,
      ...(flags.settle === false ? { settle: { enabled: false, quietMs: 0, maxMs: 0 } } : {}),
    },
  });
}

type LocalKey = 'profile' | 'display' | 'device';

/**
 * The few settings a command that talks to no model uses (`act`, `capture`, `parse`: the profile, the monitor), in
 * the same order as a run's; only these are checked, so a run setting these commands do not use cannot stop them.
 * A key nothing gives is left out: the command applies its own default.
 */
export function localSettingsFromFlags<K extends LocalKey>(
  keys: readonly K[],
  flags: Partial<Record<K, unknown>> & { config?: string },
): Partial<Pick<RunSettings, K>> {
  const file = readConfigFile(flags.config);
  const env = readEnv(process.env);
  const out: Partial<Pick<RunSettings, K>> = {};
  for (const key of keys) {
    const variable = Object.entries(ENV_SETTINGS).find(([, k]) => k === key)?.[0];
    const [value, origin] =
      flags[key] !== undefined
        ? [flags[key], `--${key}`]
        : key in env.values
          ? [env.values[key], variable]
          : file && key in file.values
            ? [file.values[key], file.name]
            : [undefined, ''];
    if (value === undefined) continue;
    const parsed = RunSettingsSchema.shape[key].safeParse(value);
    if (!parsed.success) throw new SettingsError(`invalid settings:\n  ${key} (from ${origin}): ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    out[key] = parsed.data as RunSettings[K];
  }
  return out;
}

/**
 * A profile speaks one tool, a device takes one: a phone mobile_use, this desktop computer_use. A mismatch (say
 * DESKPILOT_PROFILE=qwen3-vl with --device android) is a usage error before anything is opened, naming the fix.
 */
export function checkProfileFitsDevice(profileId: string, device: string): void {
  let tool: string;
  try {
    tool = getProfile(profileId).tool;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const phone = toolOfDevice(device) === 'mobile_use';
  if (phone && tool !== 'mobile_use') {
    throw new UsageError(
      `profile "${profileId}" speaks ${tool}, but a phone (--device ${device}) takes mobile_use actions; use --profile qwen3-vl-mobile (or qwen2.5-vl-mobile), or leave the profile unset`,
    );
  }
  if (!phone && tool !== 'computer_use') {
    throw new UsageError(
      `profile "${profileId}" speaks ${tool} and drives phones; for a phone give --device android[:SERIAL], for this desktop a computer_use profile such as qwen3-vl`,
    );
  }
}
