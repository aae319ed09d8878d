/**
 * Setup steps on the local environment without a display: placeholders, `until`, shlex splitting, the home
 * remapping that lets published /home/user paths run in a throwaway directory, and unsupported steps.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadCache } from '../../app/tasks/cache';
import { shlexSplit } from '../../app/tasks/environment';
import { UnsupportedError } from '../../app/tasks/errors';
import { LocalEnvironment, remapHome } from '../../app/tasks/local-env';
import { runSetup, substitutePlaceholders } from '../../app/tasks/setup';
import { tempDir } from './helpers';

async function env(): Promise<LocalEnvironment> {
  const e = new LocalEnvironment({ display: ':0', home: await tempDir('setup-home') });
  await e.prepareHome();
  return e;
}

const screen = { width: 1920, height: 1080 };

describe('setup steps', () => {
  it('substitutes the screen and password placeholders', () => {
    expect(substitutePlaceholders('{SCREEN_WIDTH}x{SCREEN_HEIGHT} {SCREEN_WIDTH_HALF},{SCREEN_HEIGHT_HALF} {CLIENT_PASSWORD}', { screen, password: 'pw' })).toBe('1920x1080 960,540 pw');
  });

  it('splits string commands like shlex.split when shell is false', () => {
    expect(shlexSplit(`ls -l "/home/user/My Files" 'it''s' a\\ b`)).toEqual(['ls', '-l', '/home/user/My Files', 'its', 'a b']);
    expect(() => shlexSplit('echo "open')).toThrow(/unbalanced/);
  });

  it('remaps /home/user and ~ to the stand-in home, in commands and paths', async () => {
    const e = await env();
    expect(remapHome('cp /home/user/a /home/username/b /home/user', e.home)).toBe(`cp ${e.home}/a /home/username/b ${e.home}`);
    expect(e.resolvePath('~/Desktop/x')).toBe(path.join(e.home, 'Desktop/x'));
    expect(e.resolvePath('setup.sh')).toBe(path.join(e.home, 'setup.sh'));
    const r = await e.execute(['sh', '-c', 'echo $HOME; pwd', 'ignored']);
    expect(r.output).toBe(`${e.home}\n${e.home}\n`);
  });

  it('keeps download and open paths inside a stand-in home: normalised first, then refused when outside', async () => {
    const e = await env();
    expect(e.resolvePath('/home/user/Desktop/../Documents/./a.txt')).toBe(path.join(e.home, 'Documents/a.txt'));
    expect(e.resolvePath('$HOME/Downloads/b')).toBe(path.join(e.home, 'Downloads/b'));
    expect(e.resolvePath('~')).toBe(e.home);
    // The report's path, checked without writing anything (this suite may run as root).
    expect(() => e.resolvePath('/home/user/../../../etc/shadow')).toThrow('is /etc/shadow, outside /home/user');
    // Where the unnormalised path would land: <home>/../../../<target>, i.e. <target> (".." stops at /).
    const target = path.join(await tempDir('setup-outside'), 'escaped.txt');
    const escape = `/home/user/../../..${target}`;
    const cache = await tempDir('setup-cache');
    const url = 'https://example.com/payload.txt';
    await new DownloadCache(cache).put(url, 'payload');
    const ctx = { env: e, cache: new DownloadCache(cache), screen };
    const message = `the task's path ${JSON.stringify(escape)} is ${target}, outside /home/user; with /home/user standing in at ${e.home}, task files may only name paths inside the home`;
    await expect(runSetup([{ type: 'download', parameters: { files: [{ url, path: escape }] } }], ctx)).rejects.toThrow(`config[0] download to ${escape}: ${message}`);
    await expect(runSetup([{ type: 'open', parameters: { path: escape } }], ctx)).rejects.toThrow(`config[0] open ${escape}: ${message}`);
    await expect(runSetup([{ type: 'download', parameters: { files: [{ url, path: '../escaped.txt' }] } }], ctx)).rejects.toThrow('is /home/escaped.txt, outside /home/user');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(path.join(path.dirname(e.home), 'escaped.txt'))).toBe(false);
    expect(await e.readFile(escape)).toBeNull();
    // Inside the home, the same download works.
    await runSetup([{ type: 'download', parameters: { files: [{ url, path: '/home/user/Downloads/../Desktop/in.txt' }] } }], ctx);
    expect(await readFile(path.join(e.home, 'Desktop/in.txt'), 'utf8')).toBe('payload');
  });

  it('runs execute steps with placeholders, repeating until the condition is met', async () => {
    const e = await env();
    const log: string[] = [];
    await runSetup(
      [
        { type: 'execute', parameters: { command: 'echo {SCREEN_WIDTH_HALF} > half.txt', shell: true } },
        // succeeds on the third try
        { type: 'execute', parameters: { command: 'n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; [ $n -ge 3 ] && echo ready', shell: true, until: { stdout: 'ready' } } },
        { type: 'command', parameters: { command: ['touch', '/home/user/Desktop/argv.txt'] } },
        { type: 'execute', parameters: { command: 'no-such-program-here --flag' } },
      ],
      { env: e, cache: new DownloadCache(await tempDir('c')), screen, log: (l) => log.push(l) },
    );
    expect(await readFile(path.join(e.home, 'half.txt'), 'utf8')).toBe('960\n');
    expect(await readFile(path.join(e.home, 'n'), 'utf8')).toBe('3\n');
    expect(existsSync(path.join(e.home, 'Desktop/argv.txt'))).toBe(true);
    // a command that cannot run is logged, as OSWorld does, and the setup goes on
    expect(log.at(-1)).toMatch(/no-such-program-here.*could not run/);
  });

  it('a command that leaves a background process holding its output returns when the command itself is done', async () => {
    const e = await env();
    const r = await e.execute('echo started; sleep 30 &', { shell: true });
    expect(r).toMatchObject({ status: 'success', output: 'started\n', returncode: 0 });
    await e.close(); // ends the background sleep with the task
  });

  it('python -c "import pyautogui" works without pyautogui installed (the stand-in is importable)', async () => {
    const e = await env();
    const r = await e.execute(['python', '-c', 'import pyautogui; print(pyautogui.__file__); print(pyautogui.KEYBOARD_KEYS[:3])']);
    expect(r.returncode).toBe(0);
    expect(r.output).toMatch(/resources\/pyautogui\/pyautogui\.py|site-packages/);
  });

  it('upload_file copies a local file in (relative to the local root); a missing one stops the setup', async () => {
    const e = await env();
    const local = await tempDir('upload');
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(local, 'data.csv'), 'a,b\n'));
    const ctx = { env: e, cache: new DownloadCache(e.home), screen, localRoot: local };
    await runSetup([{ type: 'upload_file', parameters: { files: [{ local_path: 'data.csv', path: '/home/user/Documents/data.csv' }] } }], ctx);
    expect(await readFile(path.join(e.home, 'Documents/data.csv'), 'utf8')).toBe('a,b\n');
    await expect(runSetup([{ type: 'upload_file', parameters: { files: [{ local_path: 'nope.csv', path: 'x' }] } }], ctx)).rejects.toThrow(
      `upload_file: local file not found: ${path.join(local, 'nope.csv')}`,
    );
  });

  it('a Drive or login step makes the task unsupported, not failed; a Chrome step without a browser is a setup error', async () => {
    const e = await env();
    const drive = runSetup([{ type: 'googledrive', parameters: { operation: ['delete'], args: [{}] } }], { env: e, cache: new DownloadCache(e.home), screen });
    await expect(drive).rejects.toThrow(UnsupportedError);
    await expect(drive).rejects.toThrow('unsupported: googledrive step (needs a Google Drive account)');
    // No browser answers on this port: the step fails loudly instead of leaving the task half set up.
    process.env.DESKPILOT_CHROME_PORT = '9';
    try {
      const tabs = runSetup([{ type: 'chrome_close_tabs', parameters: { urls_to_close: ['https://example.com'] } }], { env: e, cache: new DownloadCache(e.home), screen });
      await expect(tabs).rejects.toThrow(/chrome_close_tabs: no browser answers at http:\/\/127.0.0.1:9/);
    } finally {
      delete process.env.DESKPILOT_CHROME_PORT;
    }
  }, 90_000);
});
