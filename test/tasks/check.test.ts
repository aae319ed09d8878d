/**
 * `tasks check`: static support and this machine's readiness told apart, over the published task files in the
 * fixtures: all 369 of the published test_all.json index.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptCommands, missingAppPackages } from '../../app/tasks/app-packages';
import { checkTask, checkTasks, installCommand, toolsOf } from '../../app/tasks/check';
import { cli, EXAMPLES, FIXTURES, loadFixture, tempDir } from './helpers';

const TEST_ALL = path.join(FIXTURES, 'test_all.json');

describe('tasks check', () => {
  it('a chrome task is supported; it is ready only where chromium and socat are, and says which packages to install', async () => {
    const task = await loadFixture('chrome', '06fe7178-4491-4589-810f-2e2bc9502122');
    expect(toolsOf(task)).toEqual(['google-chrome', 'socat']);
    const without = checkTask({ domain: 'chrome', id: task.id, task }, 'local', (b) => b !== 'socat');
    expect(without).toMatchObject({ status: 'supported', ready: false, missing: [{ name: 'socat', package: 'socat' }] });
    const everything = checkTask({ domain: 'chrome', id: task.id, task }, 'local', () => true);
    expect(everything).toMatchObject({ status: 'supported', ready: true, missing: [] });
    // On the osworld backend the guest has the programs: readiness is not this machine's.
    expect(checkTask({ domain: 'chrome', id: task.id, task }, 'osworld', () => false)).toMatchObject({ status: 'supported', ready: true });
  });

  it('a terminal-output task needs tmux locally (the package named when missing), and the guest server on osworld', async () => {
    const task = await loadFixture('os', '13584542-872b-42d8-b299-866967b5c3ef');
    const local = checkTask({ domain: 'os', id: task.id, task }, 'local', (b) => b !== 'tmux');
    expect(local).toMatchObject({ status: 'supported', ready: false, missing: [{ name: 'tmux', package: 'tmux' }] });
    expect(checkTask({ domain: 'os', id: task.id, task }, 'local', () => true)).toMatchObject({ status: 'supported', ready: true });
    expect(checkTask({ domain: 'os', id: task.id, task }, 'osworld')).toMatchObject({ status: 'supported', missing: [] });
  });

  it('drafts and unknown metrics each name their reason', async () => {
    const report = await checkTasks(path.join(FIXTURES, 'test_fixtures.json'), { examplesDir: EXAMPLES, backend: 'osworld' });
    const draft = report.tasks.find((t) => t.id.startsWith('4d2b519e'));
    expect(draft).toMatchObject({ status: 'unsupported', reason: 'draft task: evaluator.func is empty' });
    expect(report.total.tasks).toBe(43);
    expect(report.total.missingFiles).toBe(0);
  });

  it('over the published index: every task file is there, and 353 of 369 tasks are scorable locally (issues 13-14)', async () => {
    const report = await checkTasks(TEST_ALL, { examplesDir: EXAMPLES, backend: 'local', lookup: () => true });
    expect(report.total).toMatchObject({ tasks: 369, missingFiles: 0, invalid: 0, supported: 353 });
    const scorable = Object.fromEntries(report.domains.map((d) => [d.domain, d.supported]));
    expect(scorable).toEqual({
      chrome: 45, gimp: 26, libreoffice_calc: 47, libreoffice_impress: 46, libreoffice_writer: 23,
      multi_apps: 89, os: 24, thunderbird: 14, vlc: 16, vs_code: 23,
    });
    const osworld = await checkTasks(TEST_ALL, { examplesDir: EXAMPLES, backend: 'osworld' });
    // + the two wallpaper tasks and the three accessibility-tree ones (two rule checks, check_left_panel) the guest server can read
    expect(osworld.total.supported).toBe(358);
  });

  it('task files that are not there are counted apart, per domain', async () => {
    const dir = await tempDir('index');
    const index = path.join(dir, 'index.json');
    await writeFile(index, JSON.stringify({ chrome: ['2ad9387a-65d8-4e33-ad5b-7580065a27ca', 'no-such-task'], os: ['missing-too'] }));
    const report = await checkTasks(index, { examplesDir: EXAMPLES, backend: 'local', lookup: () => true });
    expect(report.domains.find((d) => d.domain === 'chrome')).toMatchObject({ tasks: 2, supported: 1, missingFiles: 1 });
    expect(report.total).toMatchObject({ tasks: 3, missingFiles: 2 });
    expect(report.tasks.filter((t) => t.status === 'missing-file').map((t) => t.id).sort()).toEqual(['missing-too', 'no-such-task']);
  });

  it('the CLI prints a line per task and the table; --json gives the same report', async () => {
    const r = await cli(['tasks', 'check', path.join(EXAMPLES, 'chrome/2ad9387a-65d8-4e33-ad5b-7580065a27ca.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^chrome\/2ad9387a-65d8-4e33-ad5b-7580065a27ca: supported/m);
    expect(r.stdout).toMatch(/^chrome\s+1\s+0\s+0\s+1\s+[01]$/m);
    const j = await cli(['tasks', 'check', path.join(FIXTURES, 'test_fixtures.json'), '--examples', EXAMPLES, '--domain', 'vs_code', '--json']);
    const report = JSON.parse(j.stdout) as { domains: Array<{ domain: string; tasks: number }>; tasks: Array<{ missing: Array<{ name: string; package: string | null }> }> };
    expect(report.domains).toEqual([expect.objectContaining({ domain: 'vs_code', tasks: 6 })]);
    // VS Code is not a Debian package: the report says so instead of naming one.
    expect(report.tasks.flatMap((t) => t.missing).find((m) => m.name === 'code')).toMatchObject({ package: null });
  });

  it('installCommand lists each missing package once', async () => {
    const report = await checkTasks(path.join(FIXTURES, 'test_fixtures.json'), { examplesDir: EXAMPLES, lookup: (b) => !['nautilus', 'gnome-terminal'].includes(b) });
    // multi_apps tasks start nautilus and gnome-terminal (twice between them); VS Code has no package to name.
    expect(installCommand(report)).toBe('sudo apt-get install -y gnome-terminal nautilus');
  });
});

describe('doctor --fix, the dry part', () => {
  it('the missing app packages become one apt-get install, through sudo when not root', () => {
    const missing = missingAppPackages((p) => !['gimp', 'vlc'].includes(p)).map((p) => p.package);
    expect(missing).toEqual(['gimp', 'vlc']);
    expect(aptCommands(missing, false)).toEqual([
      ['sudo', 'apt-get', 'update', '-qq'],
      ['sudo', 'apt-get', 'install', '-y', '--no-install-recommends', 'gimp', 'vlc'],
    ]);
    expect(aptCommands(missing, true)[1]![0]).toBe('apt-get');
    expect(aptCommands([], true)).toEqual([]);
  });
});
