/**
 * `deskpilot tasks run` end to end, as a user runs it: a published infeasible task, a fresh Xvfb desktop for the
 * task, the app's agent loop talking to a fake vLLM whose model gives up. result.txt = 1 and a traj.jsonl in
 * OSWorld's layout.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGuest } from '../../testkit/fake-guest/server';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';
import { cli, EXAMPLES, taskPath, tempDir } from './helpers';

let vllm: FakeVllm;

beforeAll(async () => {
  vllm = await startFakeVllm({
    servedModel: 'Qwen/Qwen3-VL-8B-Instruct',
    // First turn of a task: a click; once the model has acted: give up.
    script: (request: { messages: Array<{ role: string }> }) =>
      request.messages.some((m) => m.role === 'assistant')
        ? { content: 'There is no battery on this machine; this cannot be done.', toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'failure' } }] }
        : { content: 'I will look at the screen first.', toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [500, 500] } }] },
  });
});
afterAll(async () => {
  await vllm?.close();
});

describe('deskpilot tasks run', { timeout: 240_000 }, () => {
  it('an infeasible published task with a model that gives up: result.txt = 1, traj.jsonl, screenshots', async () => {
    const out = await tempDir('cli-run');
    const home = await tempDir('cli-home');
    const id = 'fe41f596-a71b-4c2f-9b2f-9dcd40b568c3';
    const r = await cli(['tasks', 'run', taskPath('os', id), '--endpoint', `${vllm.url}/v1`, '--out', out, '--home', home, '--screen', '1024x768', '--approve', 'auto']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('100.00% success on 1 scored');
    const dir = path.join(out, 'pyautogui', 'screenshot', 'Qwen_Qwen3-VL-8B-Instruct', 'os', id);
    expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('1\n');
    const traj = (await readFile(path.join(dir, 'traj.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(traj.map((t) => t.action)).toEqual(['pyautogui.click(512, 384)', 'FAIL']);
    expect(traj[0]!.response).toContain('I will look at the screen first.');
    const files = await readdir(dir);
    for (const t of traj) expect(files).toContain(t.screenshot_file);

    // Deskpilot's own run record of the agent sits beside OSWorld's files, and makes a report.
    const events = (await readFile(path.join(dir, 'deskpilot-run', 'events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; outcome?: string });
    expect(events[0]!.type).toBe('run-started');
    expect(events.filter((e) => e.type === 'action')).toHaveLength(1);
    expect(events.find((e) => e.type === 'run-finished')).toMatchObject({ outcome: 'failure' });
    const html = await cli(['report', path.join(dir, 'deskpilot-run')]);
    expect(html.code, html.stderr).toBe(0);

    const report = await cli(['tasks', 'report', out, '--json']);
    expect(JSON.parse(report.stdout).groups[0].overall).toMatchObject({ run: 1, successRate: 100 });
  });

  it('an index with --parallel 2: each task in its own process on its own display, resumed when run again', async () => {
    const out = await tempDir('cli-par');
    const dir = await tempDir('cli-index');
    const ids = ['fe41f596-a71b-4c2f-9b2f-9dcd40b568c3', 'c288e301-e626-4b98-a1ab-159dcb162af5'];
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ os: ids }));
    const args = ['tasks', 'run', path.join(dir, 'index.json'), '--examples', EXAMPLES, '--parallel', '2', '--endpoint', `${vllm.url}/v1`, '--out', out, '--home', await tempDir('cli-home'), '--screen', '800x600'];
    const r = await cli(args);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('ran 2 task(s), skipped 0 already done: 100.00% success on 2 scored');
    for (const id of ids) expect(await readFile(path.join(out, 'pyautogui/screenshot/Qwen_Qwen3-VL-8B-Instruct/os', id, 'result.txt'), 'utf8')).toBe('1\n');
    const again = await cli(args);
    expect(again.stdout).toContain('ran 0 task(s), skipped 2 already done');
  });

  it('--backend osworld: the agent loop sees the guest screen and acts through the guest server', async () => {
    const guest = await startFakeGuest({ home: await tempDir('cli-guest-home'), screen: { width: 1280, height: 720 } });
    try {
      const out = await tempDir('cli-guest');
      const id = 'c288e301-e626-4b98-a1ab-159dcb162af5';
      const r = await cli(['tasks', 'run', taskPath('os', id), '--backend', 'osworld', '--server', guest.url, '--endpoint', `${vllm.url}/v1`, '--out', out]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(await readFile(path.join(out, 'pyautogui/screenshot/Qwen_Qwen3-VL-8B-Instruct/os', id, 'result.txt'), 'utf8')).toBe('1\n');
      expect(guest.pyautogui.some((c) => c.endsWith('pyautogui.click(640, 360)'))).toBe(true);
      expect(guest.requests.filter((q) => q === 'GET /screenshot').length).toBeGreaterThan(0);
    } finally {
      await guest.close();
    }
  });
});
