/**
 * Where the engine host keeps the settings a person edits in the UI.
 *
 * The host only needs this small interface, so each shell chooses its own storage: the browser UI mode uses
 * JsonSettingsStore (a JSON file in the config dir, API keys in memory only); Electron keeps the keys in the OS
 * keychain through safeStorage with its own implementation. Every API key is bound to the endpoint origin it was
 * entered for (app/contract.ts endpointOrigin): a store hands out a key only for that origin.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunSettingsSchema } from '../contract';
import { configDir } from '../settings';

export interface SettingsStore {
  /** Shown as "API key storage: <this>.", e.g. "memory only: ..." or "OS keychain (safeStorage)". */
  readonly apiKeyStorage: string;
  /** The stored values (never the API key); {} when nothing is stored yet. */
  read(): Record<string, unknown>;
  /** Replace the stored values (the API key is never among them). */
  write(values: Record<string, unknown>): void;
  /** The key entered for endpoints of this origin (app/contract.ts endpointOrigin), if any. No other key is given. */
  apiKeyFor(origin: string): string | undefined;
  /** The origins that have a key, sorted. */
  apiKeyOrigins(): string[];
  /** Keep `key` for endpoints of `origin` only; null forgets that origin's key. */
  setApiKey(origin: string, key: string | null): void;
}

/** The default file of the browser UI mode: `<config dir>/ui-settings.json`. */
export function defaultUiSettingsFile(): string {
  return join(configDir(), 'ui-settings.json');
}

const DenyRulesPart = RunSettingsSchema.pick({ denyRules: true, removedDefaultDenyRules: true });

/**
 * What is wrong with the deny rules among stored run values, one `path: message` line each (empty when nothing is).
 * Every store refuses to write rules that cannot be used (a pattern RE2 cannot take), whoever calls it.
 */
export function denyRuleIssues(values: Record<string, unknown>): string[] {
  const result = DenyRulesPart.safeParse(values);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
}

/** API keys by endpoint origin, in memory (what both stores below keep). */
export class ApiKeys {
  private readonly keys = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [origin, key] of Object.entries(initial)) this.set(origin, key);
  }

  get(origin: string): string | undefined {
    return this.keys.get(origin);
  }

  origins(): string[] {
    return [...this.keys.keys()].sort();
  }

  set(origin: string, key: string | null): void {
    if (key) this.keys.set(origin, key);
    else this.keys.delete(origin);
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.keys);
  }
}

/** Settings in a JSON file; API keys live in this process only and are gone when it exits. */
export class JsonSettingsStore implements SettingsStore {
  readonly apiKeyStorage = 'memory only, kept while `deskpilot ui` runs and never written to disk';
  private readonly keys: ApiKeys;

  constructor(
    readonly file: string = defaultUiSettingsFile(),
    /** Keys by endpoint origin. */
    initialKeys: Record<string, string> = {},
  ) {
    this.keys = new ApiKeys(initialKeys);
  }

  read(): Record<string, unknown> {
    if (!existsSync(this.file)) return {};
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new Error(`UI settings file ${this.file} is not valid JSON (${(error as Error).message}); fix or delete it`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`UI settings file ${this.file} must hold a JSON object; fix or delete it`);
    }
    const { apiKey: _dropped, ...rest } = value as Record<string, unknown>;
    return rest;
  }

  write(values: Record<string, unknown>): void {
    const { apiKey: _never, ...rest } = values;
    const issues = denyRuleIssues(rest);
    if (issues.length > 0) throw new Error(`settings not saved: ${issues.join('; ')}`);
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.partial`;
    writeFileSync(temp, `${JSON.stringify(rest, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }

  apiKeyFor(origin: string): string | undefined {
    return this.keys.get(origin);
  }

  apiKeyOrigins(): string[] {
    return this.keys.origins();
  }

  setApiKey(origin: string, key: string | null): void {
    this.keys.set(origin, key);
  }
}

/** Settings held in memory only (tests, throwaway hosts). */
export class MemorySettingsStore implements SettingsStore {
  readonly apiKeyStorage = 'memory only';
  private readonly keys: ApiKeys;
  constructor(
    private values: Record<string, unknown> = {},
    initialKeys: Record<string, string> = {},
  ) {
    this.keys = new ApiKeys(initialKeys);
  }
  read(): Record<string, unknown> {
    return { ...this.values };
  }
  write(values: Record<string, unknown>): void {
    const { apiKey: _never, ...rest } = values;
    this.values = { ...rest };
  }
  apiKeyFor(origin: string): string | undefined {
    return this.keys.get(origin);
  }
  apiKeyOrigins(): string[] {
    return this.keys.origins();
  }
  setApiKey(origin: string, key: string | null): void {
    this.keys.set(origin, key);
  }
}
