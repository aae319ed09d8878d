/**
 * The osworld backend against a fake guest server that speaks the OSWorld VM's HTTP API: setup steps, getters,
 * screenshots and actions (as pyautogui commands) all go through it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComputerAction } from '../../app/base/actions';
import { DownloadCache } from '../../app/tasks/cache';
import { GuestDesktop } from '../../app/devices/osworld/desktop';
import { runTasks, type TaskAgent } from '../../app/tasks/runner';
import { loadTasks } from '../../app/tasks/schema';
import { startFakeGuest, type FakeGuest } from '../../testkit/fake-guest/server';
import { cli, downloadUrls, loadFixture, seededCache, taskPath, tempDir } from './helpers';

let guest: FakeGuest;
let cacheDir: string;

beforeAll(async () => {
  guest = await startFakeGuest({ home: await tempDir('guest-home') });
  cacheDir = await tempDir('guest-cache');
});
afterAll(async () => {
  await guest?.close();
});

const GRID = { kind: 'grid', size: 1000 } as const;

describe('the OSWorld guest backend', { timeout: 120_000 }, () => {
  it('performs computer_use actions as pyautogui commands, mapped to the guest screen', async () => {
    const desktop = new GuestDesktop({ server: guest.url });
    const [display] = await desktop.displays();
    expect(display!.bounds).toEqual({ x: 0, y: 0, width: 1920, height: 1080 });
    const frame = await desktop.capture(display!);
    expect([frame.width, frame.height, frame.channels]).toEqual([1920, 1080, 3]);
    const target = { display: display!, space: GRID };
    const actions: ComputerAction[] = [
      { action: 'left_click', coordinate: [500, 500] },
      { action: 'double_click', coordinate: [1000, 0] },
      { action: 'type', text: 'say "hi"\n\'; import os' },
      { action: 'key', keys: ['ctrl', 'Return'] },
      { action: 'key', keys: ['ctrl+s'] },
      { action: 'scroll', pixels: -5, coordinate: [250, 250] },
      { action: 'left_click_drag', coordinate: [100, 900] },
    ];
    const before = guest.pyautogui.length;
    for (const a of actions) await desktop.perform(a, target);
    const sent = guest.pyautogui.slice(before).map((c) => c.replace('import pyautogui; import time; pyautogui.FAILSAFE = False; ', ''));
    expect(sent).toEqual([
      'pyautogui.click(960, 540)',
      'pyautogui.doubleClick(1919, 0)',
      'pyautogui.write("say \\"hi\\"\\n\'; import os", interval=0.01)',
      'pyautogui.hotkey("ctrl", "enter")',
      'pyautogui.hotkey("ctrl", "s")',
      'pyautogui.scroll(-5, x=480, y=270)',
      "pyautogui.dragTo(192, 972, duration=0.5, button='left')",
    ]);
    // terminate / wait are not sent to the guest
    await desktop.perform({ action: 'terminate', status: 'failure' }, target);
    await desktop.perform({ action: 'wait', time: 0 }, target);
    expect(guest.pyautogui.length).toBe(before + actions.length);
  });

  it('runs setup and evaluation of a published task through the guest endpoints (upload, execute, list_directory)', async () => {
    const id = '23393935-50c7-4a86-aeea-2b78fd089c5c';
    const task = await loadFixture('os', id);
    await seededCache(cacheDir, downloadUrls(task).map((u, i) => [u, `img ${i}`]));
    const env = ['--backend', 'osworld', '--server', guest.url, '--cache', cacheDir];
    const setup = await cli(['tasks', 'setup', taskPath('os', id), ...env]);
    expect(setup.code, setup.stderr).toBe(0);
    const photos = path.join(guest.home, 'Desktop/photos');
    expect(await readFile(path.join(photos, 'events/emnlp2023.jpg'), 'utf8')).toBe('img 4');
    expect(guest.requests).toContain('POST /setup/upload');
    expect(guest.pyautogui.some((c) => c.includes('pyautogui.click(960, 540)'))).toBe(true);

    const before = await cli(['tasks', 'evaluate', taskPath('os', id), '--json', ...env]);
    expect(JSON.parse(before.stdout)).toMatchObject({ score: 0 });
    await mkdir(path.join(guest.home, 'Desktop/cpjpg'), { recursive: true });
    for (const rel of ['vacation/thailand', 'vacation/hk', 'events']) {
      for (const f of await readdir(path.join(photos, rel))) if (f.endsWith('.jpg')) await copyFile(path.join(photos, rel, f), path.join(guest.home, 'Desktop/cpjpg', f));
    }
    const after = await cli(['tasks', 'evaluate', taskPath('os', id), '--json', ...env]);
    expect(JSON.parse(after.stdout)).toMatchObject({ score: 1 });
    expect(guest.requests).toContain('POST /list_directory');
  });

  it('vm_file through POST /file, and activate_window / launch through /setup', async () => {
    const id = '276cc624-87ea-4f08-ab93-f770e3790175';
    const env = ['--backend', 'osworld', '--server', guest.url, '--cache', cacheDir];
    expect((await cli(['tasks', 'setup', taskPath('vs_code', id), ...env])).code).toBe(0);
    expect(guest.launched).toContainEqual(['code']);
    expect(guest.activated).toContain('Visual Studio Code');
    expect(JSON.parse((await cli(['tasks', 'evaluate', taskPath('vs_code', id), '--json', ...env])).stdout)).toMatchObject({ score: 0 });
    const settings = path.join(guest.home, '.config/Code/User');
    await mkdir(settings, { recursive: true });
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(settings, 'settings.json'), '{"editor.wordWrapColumn": 50}'));
    expect(JSON.parse((await cli(['tasks', 'evaluate', taskPath('vs_code', id), '--json', ...env])).stdout)).toMatchObject({ score: 1 });
  });

  it('tasks run on the guest: an infeasible task given up scores 1, with screenshots from the guest', async () => {
    const out = await tempDir('guest-results');
    const { tasks } = await loadTasks(taskPath('os', 'c288e301-e626-4b98-a1ab-159dcb162af5'));
    const agent: TaskAgent = {
      async run(input) {
        const [display] = await input.desktop.displays();
        const click: ComputerAction = { action: 'left_click', coordinate: [100, 100] };
        await input.desktop.perform(click, { display: display!, space: GRID });
        const frame = await input.desktop.capture(display!);
        const sharp = (await import('sharp')).default;
        const png = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } }).png().toBuffer();
        await input.onStep({ stepNum: 1, action: click, response: 'click', screenshotPng: png, timestamp: new Date() });
        return { status: 'failed', lastAction: { action: 'terminate', status: 'failure' } };
      },
    };
    const summary = await runTasks({ tasks, backend: { kind: 'osworld', server: guest.url }, createAgent: () => agent, layout: { out, model: 'm' }, cache: new DownloadCache(cacheDir), space: GRID });
    expect(summary.outcomes).toMatchObject([{ status: 'scored', score: 1 }]);
    const dir = path.join(out, 'pyautogui/screenshot/m/os/c288e301-e626-4b98-a1ab-159dcb162af5');
    expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('1\n');
    const traj = JSON.parse((await readFile(path.join(dir, 'traj.jsonl'), 'utf8')).trim()) as { action: string; screenshot_file: string };
    expect(traj.action).toBe('pyautogui.click(192, 108)');
    expect(existsSync(path.join(dir, traj.screenshot_file))).toBe(true);
  });

  it('a guest that is not there is a clear error', async () => {
    const r = await cli(['tasks', 'evaluate', taskPath('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82'), '--backend', 'osworld', '--server', 'http://127.0.0.1:9']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('guest server http://127.0.0.1:9');
  });
});
