/**
 * Where run settings come from, in order of precedence: command-line flags, environment variables, a config file,
 * then the defaults in contract.ts. Validated once with RunSettingsSchema; a bad value is reported with where it
 * came from ("DESKPILOT_MAX_STEPS=abc: ...").
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { RunSettingsSchema, defaultProfileFor, type RunSettings } from './contract';

/** Environment variables and the setting each one fills. */
export const ENV_SETTINGS = {
  DESKPILOT_ENDPOINT: 'endpoint',
  DESKPILOT_MODEL: 'model',
  DESKPILOT_API_KEY: 'apiKey',
  DESKPILOT_PROFILE: 'profile',
  DESKPILOT_AGENT: 'agent',
  DESKPILOT_APPROVE: 'approve',
  DESKPILOT_MAX_STEPS: 'maxSteps',
  DESKPILOT_DISPLAY: 'display',
  DESKPILOT_DEVICE: 'device',
} as const;

const NUMERIC = new Set(['maxSteps', 'display']);

export function configDir(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'deskpilot');
}

export function dataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'deskpilot');
}

/** Deskpilot's cache folder (what can be thrown away: downloads for tasks, what servers were found to do). */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'deskpilot');
}

/** The default folder for run records. */
export function defaultRunsRoot(): string {
  return process.env.DESKPILOT_RUNS_DIR || join(dataDir(), 'runs');
}

/** Where History's "Export for training" writes (one new folder per export). */
export function defaultExportsRoot(): string {
  return process.env.DESKPILOT_EXPORTS_DIR || join(dataDir(), 'training-data');
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export type Source = { name: string; values: Record<string, unknown> };

/** The config file (`path`, else DESKPILOT_CONFIG, else the default one) as raw values, or null when absent. */
export function readConfigFile(path: string | undefined): Source | null {
  const explicit = path ?? process.env.DESKPILOT_CONFIG;
  const file = explicit ?? join(configDir(), 'config.json');
  if (!existsSync(file)) {
    if (explicit) throw new SettingsError(`config file ${file} does not exist`);
    return null;
  }
  let values: unknown;
  try {
    // An editor's UTF-8 byte order mark is not part of the JSON.
    values = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SettingsError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new SettingsError(`config file ${file} must hold a JSON object of settings`);
  }
  return { name: `config file ${file}`, values: values as Record<string, unknown> };
}

/** The DESKPILOT_* settings of `env` as raw values. */
export function readEnv(env: NodeJS.ProcessEnv): Source {
  const values: Record<string, unknown> = {};
  for (const [variable, key] of Object.entries(ENV_SETTINGS)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    values[key] = NUMERIC.has(key) && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  }
  return { name: 'environment', values };
}

/** Which source gave each key, for error messages. */
function originOf(key: string, sources: Source[]): string {
  for (let i = sources.length - 1; i >= 0; i--) {
    const source = sources[i]!;
    if (key in source.values) {
      if (source.name === 'environment') {
        const variable = Object.entries(ENV_SETTINGS).find(([, k]) => k === key)?.[0];
        return variable ? `${variable}` : 'environment';
      }
      return source.name;
    }
  }
  return 'default';
}

export interface ResolveOptions {
  /** Values from command-line flags (undefined = not given). */
  flags: Partial<Record<keyof RunSettings, unknown>>;
  /** The command's own defaults, below the config file (e.g. `tasks run` defaults to approve=auto). */
  defaults?: Partial<Record<keyof RunSettings, unknown>>;
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

export function resolveSettings(options: ResolveOptions): RunSettings {
  const file = readConfigFile(options.configFile);
  const env = readEnv(options.env ?? process.env);
  const flags: Source = {
    name: 'command line',
    values: Object.fromEntries(Object.entries(options.flags).filter(([, v]) => v !== undefined)),
  };
  const defaults: Source = {
    name: 'default',
    values: Object.fromEntries(Object.entries(options.defaults ?? {}).filter(([, v]) => v !== undefined)),
  };
  const sources = [defaults, file, env, flags].filter((s): s is Source => s !== null);
  const merged = Object.assign({}, ...sources.map((s) => s.values)) as Record<string, unknown>;
  // No profile from any source: the one for the device (a phone's mobile_use model).
  if (merged.profile === undefined) merged.profile = defaultProfileFor(merged.device);
  // An agent preset is its own profile (app/model/profiles.ts): recorded so, whatever profile a source gave.
  if (typeof merged.agent === 'string') merged.profile = merged.agent;
  const result = RunSettingsSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const where = originOf(key, sources);
      const flag = key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : '';
      if (issue.code === 'invalid_type' && merged[key] === undefined) {
        return `${key} is not set: give ${flag}, set ${envName(key) ?? 'it in the config file'}, or put it in the config file`;
      }
      return `${pathText(issue.path)} (from ${where}): ${issue.message}`;
    });
    throw new SettingsError(`invalid settings:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

/** ["denyRules", 1, "pattern"] -> "denyRules[1].pattern" (which rule of a list, counted from 0 as in the file). */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('');
}

function envName(key: string): string | undefined {
  return Object.entries(ENV_SETTINGS).find(([, k]) => k === key)?.[0];
}

/** Parse a positive integer flag, naming the flag on error. */
export function intFlag(name: string) {
  return (value: string): number => {
    const parsed = z.coerce.number().int().safeParse(value);
    if (!parsed.success || !/^-?\d+$/.test(value.trim())) {
      throw new SettingsError(`${name} must be a whole number, got "${value}"`);
    }
    return parsed.data;
  };
}
