/**
 * `tasks run` machinery with a scripted agent: results in OSWorld's layout, the infeasible rule (FAIL scores 1,
 * success scores 0), resume, unsupported tasks counted apart, the report, and parallel runs on separate displays.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComputerUseDesktop, Frame } from '../../app/devices/device';
import { createLocalDesktop } from '../../app/devices/x11/desktop';
import type { ComputerAction } from '../../app/base/actions';
import { DownloadCache } from '../../app/tasks/cache';
import { buildReport } from '../../app/tasks/results';
import { runTasks, type BackendOptions, type TaskAgent } from '../../app/tasks/runner';
import { loadTasks } from '../../app/tasks/schema';
import { openLocalSession, type LocalSession } from '../../app/tasks/session';
import { cli, taskPath, tempDir } from './helpers';

const GRID = { kind: 'grid', size: 1000 } as const;

async function png(desktop: ComputerUseDesktop): Promise<Buffer> {
  const [display] = await desktop.displays();
  const f = await desktop.capture(display!);
  return sharp(f.data, { raw: { width: f.width, height: f.height, channels: f.channels } }).png().toBuffer();
}

/** A model that clicks once and then terminates with the given status. */
function scriptedAgent(status: 'success' | 'failure', calls: string[] = []): TaskAgent {
  return {
    async run(input) {
      calls.push(input.instruction);
      const [display] = await input.desktop.displays();
      const click: ComputerAction = { action: 'left_click', coordinate: [500, 500] };
      await input.desktop.perform(click, { display: display!, space: GRID });
      await input.onStep({ stepNum: 1, action: click, response: 'I click the middle.', screenshotPng: await png(input.desktop), timestamp: new Date() });
      const end: ComputerAction = { action: 'terminate', status };
      await input.onStep({ stepNum: 2, action: status === 'success' ? 'DONE' : 'FAIL', response: `terminate ${status}`, screenshotPng: await png(input.desktop), timestamp: new Date() });
      return { status: status === 'success' ? 'done' : 'failed', lastAction: end };
    },
  };
}

let session: LocalSession;
let home: string;
const INFEASIBLE = '4783cc41-c03c-4e1b-89b4-50658f642bd5';

beforeAll(async () => {
  home = await tempDir('run-home');
  session = await openLocalSession({ home, width: 1280, height: 800 });
});
afterAll(async () => {
  await session?.close();
});

function localBackend(): BackendOptions {
  return { kind: 'local', display: session.display, home, createDesktop: (x) => createLocalDesktop({ xDisplay: x }) };
}

describe('tasks run with a scripted agent', { timeout: 180_000 }, () => {
  it('an infeasible task: giving up (FAIL) writes result.txt = 1 and traj.jsonl in OSWorld\'s layout', async () => {
    const out = await tempDir('results');
    const { tasks } = await loadTasks(taskPath('os', INFEASIBLE));
    const summary = await runTasks({ tasks, backend: localBackend(), createAgent: () => scriptedAgent('failure'), layout: { out, model: 'qwen3-vl-8b' }, cache: new DownloadCache(out), space: GRID });
    expect(summary.outcomes).toMatchObject([{ status: 'scored', score: 1 }]);

    const dir = path.join(out, 'pyautogui', 'screenshot', 'qwen3-vl-8b', 'os', INFEASIBLE);
    expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('1\n');
    const traj = (await readFile(path.join(dir, 'traj.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(traj).toHaveLength(2);
    expect(Object.keys(traj[0]!).sort()).toEqual(['action', 'action_timestamp', 'done', 'info', 'response', 'reward', 'screenshot_file', 'step_num'].sort());
    expect(traj[0]).toMatchObject({ step_num: 1, action: 'pyautogui.click(640, 400)', response: 'I click the middle.', done: false });
    expect(traj[1]).toMatchObject({ step_num: 2, action: 'FAIL', done: true });
    expect(traj[0]!.action_timestamp).toMatch(/^\d{8}@\d{6}$/);
    for (const t of traj) {
      expect(t.screenshot_file).toBe(`step_${t.step_num}_${t.action_timestamp}.png`);
      const meta = await sharp(path.join(dir, String(t.screenshot_file))).metadata();
      expect([meta.width, meta.height]).toEqual([1280, 800]);
    }
    // setup really ran: the directories and the terminal it opened
    expect(existsSync(path.join(home, 'Desktop/dir1/dir2'))).toBe(true);
    const record = JSON.parse(await readFile(path.join(dir, 'deskpilot-task.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ status: 'scored', score: 1, lastAction: 'FAIL', agentStatus: 'failed' });
    expect(await readFile(path.join(dir, 'runtime.log'), 'utf8')).toContain('activate_window "Terminal"');

    // resume: a task directory with result.txt is skipped
    const calls: string[] = [];
    const again = await runTasks({ tasks, backend: localBackend(), createAgent: () => scriptedAgent('failure', calls), layout: { out, model: 'qwen3-vl-8b' }, cache: new DownloadCache(out), space: GRID });
    expect(again).toEqual({ outcomes: [], skipped: 1 });
    expect(calls).toEqual([]);
  });

  it('an infeasible task: claiming success scores 0; unsupported tasks are counted apart in the report', async () => {
    const out = await tempDir('results');
    const infeasible = (await loadTasks(taskPath('os', INFEASIBLE))).tasks;
    const unsupported = (await loadTasks(taskPath('os', '0b35aee5-6f2a-4c71-b2da-aed0105fdbde'))).tasks;
    const calls: string[] = [];
    const summary = await runTasks({
      tasks: [...infeasible, ...unsupported],
      backend: localBackend(),
      createAgent: () => scriptedAgent('success', calls),
      layout: { out, model: 'm' },
      cache: new DownloadCache(out),
      space: GRID,
    });
    expect(summary.outcomes.map((o) => [o.status, o.score])).toEqual([
      ['scored', 0],
      ['unsupported', null],
    ]);
    expect(calls).toHaveLength(1); // the unsupported task never reached the agent
    const dir = path.join(out, 'pyautogui', 'screenshot', 'm', 'os');
    expect(await readFile(path.join(dir, INFEASIBLE, 'result.txt'), 'utf8')).toBe('0\n');
    expect(existsSync(path.join(dir, '0b35aee5-6f2a-4c71-b2da-aed0105fdbde', 'result.txt'))).toBe(false);

    const report = await buildReport(out);
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]!.overall).toMatchObject({ run: 1, successRate: 0, unsupported: 1, errors: 0 });
    const r = await cli(['tasks', 'report', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/os\s+1\s+0\.00%\s+1\s+0/);
    expect(r.stdout).toContain('getter calc_insensitive_md5');
  });

  it('--parallel runs tasks at once, each on its own fresh display', async () => {
    const out = await tempDir('results');
    const { tasks } = await loadTasks(path.join(path.dirname(path.dirname(taskPath('os', 'x'))), '..', 'test_fixtures.json'), { domains: ['os'] });
    const picked = tasks.filter((t) => ['c288e301-e626-4b98-a1ab-159dcb162af5', 'fe41f596-a71b-4c2f-9b2f-9dcd40b568c3'].includes(t.id));
    const displays: string[] = [];
    // A capture-only desktop (ImageMagick `import`): nut-js drives one display per process.
    const importDesktop = async (xDisplay: string): Promise<ComputerUseDesktop> => {
      displays.push(xDisplay);
      const display = { id: 0, name: xDisplay, bounds: { x: 0, y: 0, width: 800, height: 600 }, scaleFactor: 1, primary: true };
      return {
        kind: 'test-import',
        tool: 'computer_use',
        displays: async () => [display],
        capture: async (d): Promise<Frame> => {
          const shot = execFileSync('import', ['-display', xDisplay, '-window', 'root', 'png:-']);
          const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
          return { display: d, width: info.width, height: info.height, channels: 3, data, capturedAt: Date.now(), method: 'import' };
        },
        perform: async () => ({}),
        releaseAll: async () => undefined,
        close: async () => undefined,
      };
    };
    const summary = await runTasks({
      tasks: picked,
      backend: { kind: 'local', screen: { width: 800, height: 600 }, home: await tempDir('par-home'), createDesktop: importDesktop },
      createAgent: () => scriptedAgent('failure'),
      layout: { out, model: 'm' },
      cache: new DownloadCache(out),
      space: GRID,
      parallel: 2,
    });
    expect(summary.outcomes.map((o) => o.score)).toEqual([1, 1]);
    expect(new Set(displays).size).toBe(2);
    expect(displays).not.toContain(session.display);
    for (const t of picked) expect(readdirSync(path.join(out, 'pyautogui/screenshot/m/os', t.id))).toContain('result.txt');
  });
});
