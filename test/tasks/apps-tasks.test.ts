/**
 * Published vs_code and multi_apps task files through the CLI on a throwaway Xvfb desktop (see os-tasks.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, downloadUrls, loadFixture, seededCache, tempDir } from './helpers';
import { openTaskDesktop, type TaskDesktop } from './task-desktop';

let d: TaskDesktop;
beforeAll(async () => {
  d = await openTaskDesktop();
});
afterAll(async () => {
  await d?.close();
});

describe('published vs_code and multi_apps tasks', { timeout: 180_000 }, () => {
  it('276cc624: check_json_settings on a vm_file; a missing program to launch does not stop the setup', async () => {
    const out = await d.setup('vs_code', '276cc624-87ea-4f08-ab93-f770e3790175');
    expect(out).toMatch(/launch \["code"\] FAILED/);
    const before = await d.evaluate('vs_code', '276cc624-87ea-4f08-ab93-f770e3790175');
    expect(before.score).toBe(0);
    expect(before.getters[0]).toMatchObject({ type: 'vm_file', value: null });
    d.sh('mkdir -p ~/.config/Code/User && printf \'{"editor.wordWrapColumn": 50, "workbench.colorTheme": "Default Dark+"}\' > ~/.config/Code/User/settings.json');
    expect((await d.evaluate('vs_code', '276cc624-87ea-4f08-ab93-f770e3790175')).score).toBe(1);
  });

  it('0ed39f63: compare_text_file against a cloud_file from the cache, postconfig Ctrl+S through pyautogui', async () => {
    const task = await loadFixture('vs_code', '0ed39f63-6049-43d4-ba4d-5fa2fe04a951');
    const gold = (task.evaluator.expected as { path: string }).path;
    await seededCache(d.cacheDir, [
      [downloadUrls(task)[0]!, 'This is a text.\nMore text here.\n'],
      [gold, 'This is a test.\nMore test here.\n'],
    ]);
    await d.setup('vs_code', '0ed39f63-6049-43d4-ba4d-5fa2fe04a951');
    expect((await d.evaluate('vs_code', '0ed39f63-6049-43d4-ba4d-5fa2fe04a951')).score).toBe(0);
    d.sh("sed -i 's/text/test/g' ~/Desktop/vscode_replace_text.txt");
    expect((await d.evaluate('vs_code', '0ed39f63-6049-43d4-ba4d-5fa2fe04a951')).score).toBe(1);
  });

  it('a download missing from the cache is a clear error naming the URL and where to put the file', async () => {
    const task = await loadFixture('multi_apps', '2c9fc0de-3ee7-45e1-a5df-c86206ad78b5');
    const url = downloadUrls(task)[0]!;
    const r = await cli(d.args('setup', 'multi_apps', '2c9fc0de-3ee7-45e1-a5df-c86206ad78b5'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`download not in the offline cache: ${url}`);
    expect(r.stderr).toContain(path.join(d.cacheDir, 'drive.usercontent.google.com', 'download', '1aANBCEHT6K8GmHDMEYtL1LQXdApqVoGv'));
  });

  it('2c9fc0de: unzip a downloaded repository, git push solves it (list metric on command output)', async () => {
    const task = await loadFixture('multi_apps', '2c9fc0de-3ee7-45e1-a5df-c86206ad78b5');
    const work = await tempDir('zip');
    execFileSync('/bin/sh', ['-c', 'mkdir -p binder && echo hello > binder/README.md && zip -qr binder.zip binder'], { cwd: work });
    await seededCache(d.cacheDir, [[downloadUrls(task)[0]!, await readFile(path.join(work, 'binder.zip'))]]);
    await d.setup('multi_apps', '2c9fc0de-3ee7-45e1-a5df-c86206ad78b5');
    expect(existsSync(path.join(d.home, 'projects/binder/.git'))).toBe(true);
    expect((await d.evaluate('multi_apps', '2c9fc0de-3ee7-45e1-a5df-c86206ad78b5')).score).toBe(0);
    d.sh('cd ~/projects/binder && git add -A && git commit -qm "daily update" && git push -q origin main');
    expect((await d.evaluate('multi_apps', '2c9fc0de-3ee7-45e1-a5df-c86206ad78b5')).score).toBe(1);
  });
});

describe('unsupported tasks are reported, never scored', { timeout: 180_000 }, () => {
  it('evaluate says unsupported and why, with exit code 3', async () => {
    const r = await cli(d.args('evaluate', 'os', '0b35aee5-6f2a-4c71-b2da-aed0105fdbde', ['--json']));
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ score: null, unsupported: 'getter calc_insensitive_md5' });
  });
});

