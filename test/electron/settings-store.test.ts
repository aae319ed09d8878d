import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineHost } from '../../app/host/engine-host';
import { DEFAULT_STOP_SHORTCUT } from '../../main/shortcut';
import {
  API_KEY_FILE,
  directoryFiles,
  ElectronSettingsStore,
  SETTINGS_FILE,
  type SafeStorageLike,
} from '../../main/settings-store';

/** Stands in for Electron's safeStorage: a reversible transformation that leaves no plain text behind. */
function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}): SafeStorageLike & { calls: number } {
  const flip = (b: Buffer) => Buffer.from(b.map((byte) => byte ^ 0x5a));
  const storage = {
    calls: 0,
    isEncryptionAvailable: () => options.available ?? true,
    encryptString(plain: string) {
      storage.calls++;
      return Buffer.concat([Buffer.from('v10'), flip(Buffer.from(plain, 'utf8'))]);
    },
    decryptString(encrypted: Buffer) {
      if (encrypted.subarray(0, 3).toString() !== 'v10') throw new Error('not ours');
      return flip(encrypted.subarray(3)).toString('utf8');
    },
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
  };
  return storage;
}

const KEY = 'sk-live-0123456789abcdef';
const GPU = 'http://gpu-box:8000';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'deskpilot-userdata-'));
}

/** Every file the store wrote, as one string. */
function everything(dir: string): string {
  return [SETTINGS_FILE, API_KEY_FILE]
    .filter((name) => existsSync(join(dir, name)))
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('\n');
}

describe('Electron settings store', () => {
  it('encrypts the API key, bound to its endpoint origin, with safeStorage into its own file; never plain text; survives a restart', () => {
    const dir = folder();
    const safeStorage = fakeSafeStorage();
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' });
    store.write({ endpoint: 'http://gpu-box:8000/v1', model: 'Qwen/Qwen3-VL-8B-Instruct', apiKey: KEY });
    store.setApiKey(GPU, KEY);
    expect(safeStorage.calls).toBe(1);
    expect(everything(dir)).not.toContain(KEY);
    const settings = JSON.parse(readFileSync(join(dir, SETTINGS_FILE), 'utf8'));
    expect(settings.run).toEqual({ endpoint: 'http://gpu-box:8000/v1', model: 'Qwen/Qwen3-VL-8B-Instruct' });
    const encrypted = readFileSync(join(dir, API_KEY_FILE), 'utf8').trim();
    expect(JSON.parse(safeStorage.decryptString(Buffer.from(encrypted, 'base64')))).toEqual({ version: 2, keys: { [GPU]: KEY } });
    expect(store.apiKeyStorage).toMatch(/encrypted on disk .*safeStorage, gnome_libsecret/);
    if (process.platform !== 'win32') {
      expect(statSync(join(dir, SETTINGS_FILE)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, API_KEY_FILE)).mode & 0o777).toBe(0o600);
    }

    const reopened = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' });
    expect(reopened.apiKeyFor(GPU)).toBe(KEY);
    expect(reopened.apiKeyOrigins()).toEqual([GPU]);
    expect(reopened.read()).toEqual({ endpoint: 'http://gpu-box:8000/v1', model: 'Qwen/Qwen3-VL-8B-Instruct' });
    expect(reopened.problems).toEqual([]);
  });

  it('forgetting the key removes its file', () => {
    const dir = folder();
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'darwin' });
    store.setApiKey(GPU, KEY);
    expect(store.apiKeyStorage).toMatch(/macOS Keychain/);
    store.setApiKey(GPU, null);
    expect(existsSync(join(dir, API_KEY_FILE))).toBe(false);
    expect(store.apiKeyFor(GPU)).toBeUndefined();
  });

  it('without an OS keychain the key stays in memory only, and the store says so', () => {
    for (const [safeStorage, why] of [
      [fakeSafeStorage({ available: false }), /no OS keychain/],
      // Linux without a secret service: Electron would "encrypt" with a fixed password.
      [fakeSafeStorage({ backend: 'basic_text' }), /no secret service/],
    ] as const) {
      const dir = folder();
      const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' });
      store.write({ endpoint: 'http://gpu-box:8000/v1' });
      store.setApiKey(GPU, KEY);
      expect(store.apiKeyFor(GPU)).toBe(KEY);
      expect(store.apiKeyStorage).toMatch(/^memory only/);
      expect(store.apiKeyStorage).toMatch(why);
      expect(existsSync(join(dir, API_KEY_FILE))).toBe(false);
      expect(everything(dir)).not.toContain(KEY);
      expect(new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' }).apiKeyOrigins()).toEqual([]);
    }
  });

  it('moves a key written by hand into the settings file out of it', () => {
    const dir = folder();
    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ version: 1, run: { endpoint: 'http://x:8000/v1', apiKey: KEY } }));
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    expect(store.apiKeyFor('http://x:8000')).toBe(KEY);
    expect(store.apiKeyOrigins()).toEqual(['http://x:8000']);
    expect(store.read()).toEqual({ endpoint: 'http://x:8000/v1' });
    expect(everything(dir)).not.toContain(KEY);
    expect(store.problems.join('\n')).toMatch(/plain text .* removed/);
  });

  it('a damaged settings file or an undecryptable key is reported and the store starts clean', () => {
    const dir = folder();
    writeFileSync(join(dir, SETTINGS_FILE), '{ "version": 1, "run": ');
    writeFileSync(join(dir, API_KEY_FILE), Buffer.from('garbage').toString('base64'));
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    expect(store.read()).toEqual({});
    expect(store.apiKeyOrigins()).toEqual([]);
    expect(store.problems).toHaveLength(2);
    expect(store.problems[0]).toMatch(/settings.json is not valid JSON/);
    expect(store.problems[1]).toMatch(/could not be decrypted/);

    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ version: 7, run: [] }));
    const other = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    expect(other.problems[0]).toMatch(/not a Deskpilot settings file \(version/);
  });

  it('desktop settings: defaults, partial changes keep the rest, invalid shortcuts refused', () => {
    const dir = folder();
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    expect(store.desktop()).toEqual({ stopShortcut: DEFAULT_STOP_SHORTCUT, hideWhileActing: true, compactView: true });
    store.writeDesktop({ compactView: false });
    expect(store.writeDesktop({ stopShortcut: 'Ctrl+Alt+F12' })).toEqual({
      stopShortcut: 'Ctrl+Alt+F12',
      hideWhileActing: true,
      compactView: false,
    });
    expect(() => store.writeDesktop({ stopShortcut: 'Escape', compactView: true })).toThrow(/stopShortcut: "Escape" needs at least one modifier/);
    expect(() => store.writeDesktop({ hideWhileActing: 'yes' })).toThrow(/hideWhileActing/);
    expect(() => store.writeDesktop({ runAsRoot: true })).toThrow(/runAsRoot/);
    expect(store.desktop().compactView).toBe(false);
    const reopened = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    expect(reopened.desktop()).toEqual({ stopShortcut: 'Ctrl+Alt+F12', hideWhileActing: true, compactView: false });
    // Run settings and desktop settings do not overwrite each other.
    reopened.write({ endpoint: 'http://x:8000/v1' });
    expect(reopened.desktop().stopShortcut).toBe('Ctrl+Alt+F12');
  });

  it('behind the real engine host: settings.save keeps the key out of the file and the answers', async () => {
    const dir = folder();
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    const host = new EngineHost({
      store,
      runsRoot: folder(),
      createDesktop: async () => {
        throw new Error('no desktop in this test');
      },
    });
    const saved = await host.handle('settings.save', {
      endpoint: 'http://gpu-box:8000/v1',
      model: 'Qwen/Qwen3-VL-8B-Instruct',
      approve: 'risky',
      apiKey: KEY,
    });
    expect(saved.ok).toBe(true);
    const view = saved.ok ? (saved.value as { apiKeySet: boolean; apiKeyStorage: string }) : null;
    expect(view?.apiKeySet).toBe(true);
    expect(view?.apiKeyStorage).toMatch(/encrypted on disk/);
    expect(JSON.stringify(saved)).not.toContain(KEY);
    expect(everything(dir)).not.toContain(KEY);
    // An empty key keeps the stored one.
    await host.handle('settings.save', { endpoint: 'http://gpu-box:8000/v1', model: 'Qwen/Qwen3-VL-8B-Instruct', approve: 'risky', apiKey: '' });
    expect(store.apiKeyFor(GPU)).toBe(KEY);
    const restarted = new EngineHost({
      store: new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' }),
      runsRoot: folder(),
      createDesktop: async () => {
        throw new Error('no desktop in this test');
      },
    });
    const got = await restarted.handle('settings.get', {});
    expect(got.ok && got.value).toMatchObject({ apiKeySet: true, settings: { approve: 'risky', endpoint: 'http://gpu-box:8000/v1' } });
    await host.close();
    await restarted.close();
  });
  it('keys are per origin: another endpoint gets none, and each survives a restart', () => {
    const dir = folder();
    const safeStorage = fakeSafeStorage();
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' });
    store.setApiKey(GPU, KEY);
    store.setApiKey('https://dashscope-intl.aliyuncs.com', 'sk-cloud');
    const reopened = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' });
    expect(reopened.apiKeyFor(GPU)).toBe(KEY);
    expect(reopened.apiKeyFor('https://dashscope-intl.aliyuncs.com')).toBe('sk-cloud');
    expect(reopened.apiKeyFor('https://openrouter.ai')).toBeUndefined();
    expect(reopened.apiKeyFor('http://gpu-box:8001')).toBeUndefined();
    reopened.setApiKey(GPU, null);
    expect(new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' }).apiKeyOrigins()).toEqual([
      'https://dashscope-intl.aliyuncs.com',
    ]);
  });

  it('a key stored by an earlier version (no origin) is bound to the stored endpoint, or dropped without one', () => {
    const safeStorage = fakeSafeStorage();
    const legacy = (dir: string) => writeFileSync(join(dir, API_KEY_FILE), `${safeStorage.encryptString(KEY).toString('base64')}\n`);

    const dir = folder();
    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ version: 1, run: { endpoint: 'http://gpu-box:8000/v1' } }));
    legacy(dir);
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage, platform: 'linux' });
    expect(store.apiKeyOrigins()).toEqual([GPU]);
    expect(store.problems.join('\n')).toMatch(/bound to http:\/\/gpu-box:8000/);
    const encrypted = readFileSync(join(dir, API_KEY_FILE), 'utf8').trim();
    expect(JSON.parse(safeStorage.decryptString(Buffer.from(encrypted, 'base64')))).toEqual({ version: 2, keys: { [GPU]: KEY } });

    const bare = folder();
    legacy(bare);
    const unbound = new ElectronSettingsStore({ files: directoryFiles(bare), safeStorage, platform: 'linux' });
    expect(unbound.apiKeyOrigins()).toEqual([]);
    expect(unbound.problems.join('\n')).toMatch(/dropped: no endpoint is stored/);
    expect(existsSync(join(bare, API_KEY_FILE))).toBe(false);
  });

  it('refuses to save a deny rule RE2 cannot take, and reports one found in the file', () => {
    const dir = folder();
    const store = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    store.write({ endpoint: 'http://x:8000/v1', denyRules: [{ match: 'text', pattern: '^(a+)+$', reason: 'fine: RE2 matches it in linear time' }] });
    expect(() => store.write({ endpoint: 'http://x:8000/v1', denyRules: [{ match: 'text', pattern: '(', reason: 'broken' }] })).toThrow(
      /denyRules\.0\.pattern: the pattern "\(" cannot be used: not a valid regular expression: missing closing \)/,
    );
    expect(() => store.write({ denyRules: [{ match: 'text', pattern: '(?=x)', reason: 'lookahead' }] })).toThrow(/lookahead .* not supported/);
    expect(store.read().denyRules).toEqual([{ match: 'text', pattern: '^(a+)+$', reason: 'fine: RE2 matches it in linear time' }]);

    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ version: 1, run: { denyRules: [{ match: 'text', pattern: '(a)\\1', reason: 'r' }] } }));
    const reopened = new ElectronSettingsStore({ files: directoryFiles(dir), safeStorage: fakeSafeStorage(), platform: 'linux' });
    expect(reopened.problems.join('\n')).toMatch(/deny rules in settings.json cannot be used .*denyRules\.0\.pattern.*backreferences/);
  });
});
