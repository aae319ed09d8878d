/**
 * Published os-domain task files, unchanged, through the CLI on a throwaway Xvfb desktop: `tasks setup` creates
 * what the task expects (downloads from an offline cache this test seeds), `tasks evaluate` scores 0, the test
 * solves the task by hand, and `tasks evaluate` scores 1. /home/user is remapped to a temporary home (--home).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadUrls, loadFixture, seededCache } from './helpers';
import { killAll, openTaskDesktop, type TaskDesktop } from './task-desktop';

let d: TaskDesktop;
beforeAll(async () => {
  d = await openTaskDesktop();
});
afterAll(async () => {
  await d?.close();
});

describe('published os tasks, set up and evaluated through the CLI', { timeout: 180_000 }, () => {
  it('23393935: downloads come from the offline cache; check_moved_jpgs over list_directory', async () => {
    const task = await loadFixture('os', '23393935-50c7-4a86-aeea-2b78fd089c5c');
    const urls = downloadUrls(task);
    expect(urls).toHaveLength(5);
    await seededCache(d.cacheDir, urls.map((u, i) => [u, `image ${i}`]));
    const out = await d.setup('os', '23393935-50c7-4a86-aeea-2b78fd089c5c');
    expect(out).toContain('setup done');
    const photos = path.join(d.home, 'Desktop/photos');
    expect(await readFile(path.join(photos, 'vacation/hk/hong-kong-china.jpg'), 'utf8')).toBe('image 1');
    expect(existsSync(path.join(photos, 'family/us_3.png'))).toBe(true);
    expect(readdirSync(path.join(d.home, 'Desktop/cpjpg'))).toEqual([]);

    const before = await d.evaluate('os', '23393935-50c7-4a86-aeea-2b78fd089c5c');
    expect(before.score).toBe(0);
    expect(before.getters[0]).toMatchObject({ type: 'list_directory', value: { type: 'directory', name: 'cpjpg', children: [] } });

    d.sh(`find ~/Desktop/photos -name '*.jpg' -exec cp {} ~/Desktop/cpjpg/ \\;`);
    expect((await d.evaluate('os', '23393935-50c7-4a86-aeea-2b78fd089c5c')).score).toBe(1);
  });

  it('7688b85f: `echo password | sudo -S ...` setup, exact_match on vm_command_line', async () => {
    await d.setup('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82');
    expect(existsSync(path.join(d.home, 'Desktop/todo.txt'))).toBe(true);
    expect(existsSync(path.join(d.home, 'Desktop/done'))).toBe(true);
    const before = await d.evaluate('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82');
    expect(before).toMatchObject({ score: 0, getters: [{ type: 'vm_command_line', value: 'File does not exist.\n' }, { type: 'rule' }] });
    d.sh('mv ~/Desktop/todo.txt ~/Desktop/done/');
    expect((await d.evaluate('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82')).score).toBe(1);
  });

  it('5c1075ca: downloaded setup.sh and eval.sh, Ctrl+Alt+T through pyautogui opens the Terminal it activates', async () => {
    const task = await loadFixture('os', '5c1075ca-bb34-46a3-a7a0-029bd7463e79');
    const [setupUrl, evalUrl] = downloadUrls(task);
    // The published scripts live on Google Drive; these stand-ins do what the task describes.
    await seededCache(d.cacheDir, [
      [setupUrl!, '#!/bin/bash\nmkdir -p test_environment/a/b test_environment/c\ntouch test_environment/a/b/x_failed.ipynb test_environment/c/y_failed.ipynb test_environment/c/ok.ipynb\n'],
      [evalUrl!, '#!/bin/bash\ncd test_environment\nif [ -f fails/a/b/x_failed.ipynb ] && [ -f fails/c/y_failed.ipynb ] && [ ! -e fails/c/ok.ipynb ]; then echo "Evaluation successful."; else echo "Evaluation failed."; fi\n'],
    ]);
    await d.setup('os', '5c1075ca-bb34-46a3-a7a0-029bd7463e79');
    expect(existsSync(path.join(d.home, 'test_environment/c/y_failed.ipynb'))).toBe(true);
    const windows = execFileSync('wmctrl', ['-l'], { env: { ...process.env, DISPLAY: d.session.display }, encoding: 'utf8' });
    expect(windows).toContain('Terminal');

    expect((await d.evaluate('os', '5c1075ca-bb34-46a3-a7a0-029bd7463e79')).score).toBe(0);
    d.sh(`cd test_environment && mkdir -p fails && find . -path ./fails -prune -o -name '*failed.ipynb' -exec cp --parents {} fails/ \\;`);
    expect((await d.evaluate('os', '5c1075ca-bb34-46a3-a7a0-029bd7463e79')).score).toBe(1);
  });

  it('cc9d4f34: a background process started by /bin/sh, postconfig sleep, check_include_exclude', async () => {
    await d.setup('os', 'cc9d4f34-1ca0-4a1b-8ff2-09302696acb9');
    // Only the task's processes: the desktop's own (openbox, an earlier test's terminal) may run in the home too.
    const running = d.processesInHome(/my_process/);
    expect(running.length).toBeGreaterThan(0);
    const before = await d.evaluate('os', 'cc9d4f34-1ca0-4a1b-8ff2-09302696acb9');
    expect(before.score).toBe(0);
    expect(String(before.getters[0]!.value)).toContain('/bin/sh ./my_process.sh');
    killAll(running);
    expect((await d.evaluate('os', 'cc9d4f34-1ca0-4a1b-8ff2-09302696acb9')).score).toBe(1);
  });

  it('4127319a: vm_terminal_output reads the text of the Terminal Ctrl+Alt+T opened (tmux under xterm)', async () => {
    const id = '4127319a-8b79-4410-b58a-7a151e15f3d7';
    const [setupUrl] = downloadUrls(await loadFixture('os', id));
    // The published setup.sh lives on Google Drive; this stand-in makes PHP files of 20 + 34 lines.
    await seededCache(d.cacheDir, [
      [setupUrl!, "#!/bin/bash\nmkdir -p project/src/lib\nseq 20 > project/index.php\nseq 34 > project/src/lib/util.php\nseq 7 > project/notes.txt\n"],
    ]);
    await d.setup('os', id);
    expect(existsSync(path.join(d.home, 'project/src/lib/util.php'))).toBe(true);
    const before = await d.evaluate('os', id);
    expect(before.score).toBe(0);
    // An earlier test's Terminal may be open: its text is read, and holds no answer.
    expect(before.getters[0]!.type).toBe('vm_terminal_output');
    expect(String(before.getters[0]!.value)).not.toContain('54\n');

    // (execFileSync blocks the test's timer: every call has its own timeout.)
    const x = (...args: string[]): string => {
      try {
        return execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: d.session.display }, encoding: 'utf8', timeout: 10_000 });
      } catch {
        return ''; // search finds nothing: exit 1
      }
    };
    const terminals = () => x('search', '--name', '^Terminal$').split('\n').filter(Boolean);
    const before_ = new Set(terminals()); // an earlier test's Terminal may still be there
    x('key', 'ctrl+alt+t');
    let opened: string | undefined;
    await expect.poll(() => (opened = terminals().find((w) => !before_.has(w))), { timeout: 15_000 }).toBeDefined();
    x('windowactivate', opened!);
    await expect.poll(() => x('getactivewindow').trim(), { timeout: 10_000 }).toBe(opened);
    // Typed as a person would, into the terminal's shell (inside tmux, which the person cannot see).
    x('type', '--delay', '20', "cd ~/project && find . -name '*.php' -print0 | xargs -0 cat | wc -l");
    x('key', 'Return');
    await expect.poll(async () => (await d.evaluate('os', id)).score, { timeout: 20_000, interval: 500 }).toBe(1);
    const after = await d.evaluate('os', id);
    expect(String(after.getters[0]!.value)).toMatch(/wc -l\n54\n\S+[$#]$/); // the command, its output, the next prompt
    x('type', 'exit');
    x('key', 'Return');
  });
});

