/**
 * The desktop app's settings store: implements the engine host's SettingsStore (app/host/settings-store.ts), so the
 * host validates and merges run settings exactly as in the browser UI mode, plus an Electron-only part (stop
 * shortcut, hiding windows while acting, compact view). Both live as JSON in the userData folder.
 *
 * API keys are never in that file: they are encrypted with Electron's safeStorage and kept, base64, in a file of
 * their own, each bound to the endpoint origin it was entered for (`{"version":2,"keys":{"https://host":"..."}}`
 * before encryption), so a key goes to no other server. Where no OS keychain can encrypt them, they stay in memory
 * only and `apiKeyStorage` says so. A key without an origin - written by an earlier version, or by hand in plain
 * text in the settings file - is bound to the endpoint of the stored settings (and moved out of the plain-text
 * file) at once. Deny rules that cannot be used are refused on write and reported on load. Electron and the file
 * system are injected, so test/electron checks the store without Electron.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { endpointOrigin } from '../app/contract';
import { ApiKeys, denyRuleIssues, type SettingsStore } from '../app/host/settings-store';
import { AcceleratorSchema, DEFAULT_STOP_SHORTCUT } from './shortcut';

/** The parts of Electron's safeStorage the store uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron: which secret store backs the encryption. */
  getSelectedStorageBackend?(): string;
}

/** A folder of small private files (the userData folder in the app). */
export interface SettingsFiles {
  /** The file's text, or null when it does not exist. */
  read(name: string): string | null;
  /** Replaces the file atomically, readable by its owner only. */
  write(name: string, text: string): void;
  remove(name: string): void;
}

export function directoryFiles(dir: string): SettingsFiles {
  return {
    read(name) {
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    write(name, text) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.${name}.${process.pid}.partial`);
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, join(dir, name));
    },
    remove(name) {
      rmSync(join(dir, name), { force: true });
    },
  };
}

export const SETTINGS_FILE = 'settings.json';
export const API_KEY_FILE = 'api-key.enc';

/** Settings only the desktop app has. */
export const DesktopSettingsSchema = z.object({
  /** Global shortcut that stops the run at once (an Electron accelerator). */
  stopShortcut: AcceleratorSchema.default(DEFAULT_STOP_SHORTCUT),
  /** Hide Deskpilot's windows around each screenshot and action, so the model neither sees nor clicks them. */
  hideWhileActing: z.boolean().default(true),
  /** Show the always-on-top compact view (and hide the main window) while a run is going. */
  compactView: z.boolean().default(true),
});
export type DesktopSettings = z.infer<typeof DesktopSettingsSchema>;
/** A change to the desktop settings: no defaults here, so keys left out keep their stored values. */
export const DesktopSettingsInputSchema = z
  .object({ stopShortcut: AcceleratorSchema, hideWhileActing: z.boolean(), compactView: z.boolean() })
  .partial()
  .strict();

/** The decrypted content of API_KEY_FILE. (Version 1 held one key, for no particular origin.) */
const StoredKeysSchema = z.object({ version: z.literal(2), keys: z.record(z.string(), z.string().min(1)) });

const StoredSchema = z.object({
  version: z.literal(1),
  run: z.record(z.string(), z.unknown()).default({}),
  desktop: z.record(z.string(), z.unknown()).default({}),
});

export class SettingsValidationError extends Error {
  override name = 'SettingsValidationError';
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

export interface SettingsStoreDeps {
  files: SettingsFiles;
  safeStorage: SafeStorageLike;
  platform?: NodeJS.Platform;
}

export class ElectronSettingsStore implements SettingsStore {
  private run: Record<string, unknown> = {};
  private desktopValues: Record<string, unknown> = {};
  private keys = new ApiKeys();
  /** Problems met while loading (a damaged file, a key that no longer decrypts): for the log, never values. */
  readonly problems: string[] = [];

  constructor(private readonly deps: SettingsStoreDeps) {
    this.load();
  }

  /** Null when the key can be encrypted on disk; otherwise why it cannot. */
  private whyMemoryOnly(): string | null {
    const { safeStorage } = this.deps;
    if (!safeStorage.isEncryptionAvailable()) return 'no OS keychain is available to encrypt it';
    // On Linux without a secret service Electron falls back to a fixed, built-in password: that is not encryption.
    if (this.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
      return 'this Linux session has no secret service (GNOME Keyring, KWallet) and safeStorage would fall back to a fixed password';
    }
    return null;
  }

  private get platform(): NodeJS.Platform {
    return this.deps.platform ?? process.platform;
  }

  get apiKeyStorage(): string {
    const memoryOnly = this.whyMemoryOnly();
    if (memoryOnly) return `memory only, forgotten when Deskpilot quits: ${memoryOnly}`;
    const backend = this.deps.safeStorage.getSelectedStorageBackend?.();
    const where =
      this.platform === 'darwin'
        ? 'macOS Keychain'
        : this.platform === 'win32'
          ? 'Windows DPAPI'
          : backend && backend !== 'unknown'
            ? backend
            : 'OS keychain';
    return `encrypted on disk with the OS keychain (safeStorage, ${where})`;
  }

  private load(): void {
    const { files, safeStorage } = this.deps;
    const text = files.read(SETTINGS_FILE);
    let plaintextKey: string | undefined;
    if (text !== null) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        this.problems.push(`${SETTINGS_FILE} is not valid JSON (${(error as Error).message}); starting from defaults`);
      }
      if (json !== undefined) {
        const stored = StoredSchema.safeParse(json);
        if (!stored.success) {
          this.problems.push(`${SETTINGS_FILE} is not a Deskpilot settings file (${issueLines(stored.error).join('; ')}); starting from defaults`);
        } else {
          const { apiKey, ...run } = stored.data.run;
          this.run = run;
          this.desktopValues = stored.data.desktop;
          if (typeof apiKey === 'string' && apiKey) plaintextKey = apiKey;
          const desktop = DesktopSettingsSchema.safeParse(this.desktopValues);
          if (!desktop.success) this.problems.push(`desktop settings in ${SETTINGS_FILE}: ${issueLines(desktop.error).join('; ')}; using the defaults`);
        }
      }
    }
    const denyIssues = denyRuleIssues(this.run);
    if (denyIssues.length > 0) this.problems.push(`deny rules in ${SETTINGS_FILE} cannot be used (${denyIssues.join('; ')}); fix them in Settings`);
    const encrypted = files.read(API_KEY_FILE);
    let keyWithoutOrigin: string | undefined;
    if (encrypted !== null && !this.whyMemoryOnly()) {
      let decrypted: string | undefined;
      try {
        decrypted = safeStorage.decryptString(Buffer.from(encrypted.trim(), 'base64'));
      } catch {
        this.problems.push('the stored API key could not be decrypted (did the OS keychain change?); enter it again in Settings');
      }
      if (decrypted !== undefined) {
        const stored = StoredKeysSchema.safeParse(parseJson(decrypted));
        if (stored.success) this.keys = new ApiKeys(stored.data.keys);
        else keyWithoutOrigin = decrypted; // version 1: the key itself
      }
    }
    if (plaintextKey !== undefined) keyWithoutOrigin = plaintextKey;
    if (keyWithoutOrigin !== undefined) {
      // A key from before keys were bound to origins (or written by hand): it was meant for the stored endpoint.
      const origin = typeof this.run.endpoint === 'string' ? endpointOrigin(this.run.endpoint) : null;
      if (origin) {
        this.keys.set(origin, keyWithoutOrigin);
        this.problems.push(`an API key without an endpoint was bound to ${origin}, the endpoint in the settings`);
      } else {
        this.problems.push('an API key without an endpoint was dropped: no endpoint is stored to bind it to; enter it again in Settings');
      }
      this.persistKeys();
    }
    if (plaintextKey !== undefined) {
      // Move a hand-written key out of the plain-text file.
      this.persist();
      this.problems.push(`an API key was found in plain text in ${SETTINGS_FILE}; it was removed from the file (${this.apiKeyStorage})`);
    }
  }

  // ---------------------------------------------------------------- app/host SettingsStore

  read(): Record<string, unknown> {
    return structuredClone(this.run);
  }

  write(values: Record<string, unknown>): void {
    const { apiKey: _never, ...rest } = values;
    const issues = denyRuleIssues(rest);
    if (issues.length > 0) throw new SettingsValidationError(`settings not saved: ${issues.join('; ')}`, issues);
    this.run = structuredClone(rest);
    this.persist();
  }

  apiKeyFor(origin: string): string | undefined {
    return this.keys.get(origin);
  }

  apiKeyOrigins(): string[] {
    return this.keys.origins();
  }

  setApiKey(origin: string, key: string | null): void {
    this.keys.set(origin, key);
    this.persistKeys();
  }

  /** Every key, encrypted, in API_KEY_FILE; no file when there is none or nothing to encrypt them with. */
  private persistKeys(): void {
    const { files, safeStorage } = this.deps;
    if (this.keys.origins().length === 0 || this.whyMemoryOnly()) {
      files.remove(API_KEY_FILE);
      return;
    }
    const text = JSON.stringify({ version: 2, keys: this.keys.toJSON() });
    files.write(API_KEY_FILE, `${safeStorage.encryptString(text).toString('base64')}\n`);
  }

  // ---------------------------------------------------------------- Electron-only settings

  desktop(): DesktopSettings {
    const parsed = DesktopSettingsSchema.safeParse(this.desktopValues);
    return parsed.success ? parsed.data : DesktopSettingsSchema.parse({});
  }

  /** Changes the keys given in `input` (validated); refuses the whole change when one is invalid. */
  writeDesktop(input: unknown): DesktopSettings {
    const parsed = DesktopSettingsInputSchema.safeParse(input ?? {});
    if (!parsed.success) {
      const lines = issueLines(parsed.error);
      throw new SettingsValidationError(`desktop settings not saved: ${lines.join('; ')}`, lines);
    }
    const next = { ...this.desktopValues };
    for (const [key, value] of Object.entries(parsed.data)) if (value !== undefined) next[key] = value;
    this.desktopValues = next;
    this.persist();
    return this.desktop();
  }

  private persist(): void {
    const text = `${JSON.stringify({ version: 1, run: this.run, desktop: this.desktopValues }, null, 2)}\n`;
    this.deps.files.write(SETTINGS_FILE, text);
  }
}
