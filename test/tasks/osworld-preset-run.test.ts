/**
 * `deskpilot tasks run --agent osworld-qwen3vl` against a fake OSWorld guest: the results folder records the preset
 * and every setting it ran with (deskpilot-settings.json, each task's record, the run record), points are mapped
 * as the reference agent maps them (x * width / 999, truncated), and a terminate ends the task as the reference's
 * DONE whatever its status - so a published infeasible task scores 0 with this agent, as it does in OSWorld.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGuest } from '../../testkit/fake-guest/server';
import { startFakeVllm, type FakeVllm } from '../../testkit/fake-vllm/server';
import { cli, taskPath, tempDir } from './helpers';

const CLICK = 'Action: Open the settings.\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [700, 700]}}\n</tool_call>';
const GIVE_UP = 'Action: This cannot be done here.\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate", "status": "failure"}}\n</tool_call>';

let vllm: FakeVllm;
beforeAll(async () => {
  vllm = await startFakeVllm({
    servedModel: 'Qwen/Qwen3-VL-8B-Instruct',
    maxModelLen: 131072,
    script: (request: { messages: Array<{ role: string }> }) => ({ content: request.messages.some((m) => m.role === 'assistant') ? GIVE_UP : CLICK }),
  });
});
afterAll(async () => {
  await vllm?.close();
});

describe('tasks run --agent osworld-qwen3vl', { timeout: 120_000 }, () => {
  it('records the preset and its settings in the results folder, maps /999 and ends on DONE', async () => {
    const guest = await startFakeGuest({ home: await tempDir('preset-guest-home'), screen: { width: 1280, height: 720 } });
    try {
      const out = await tempDir('preset-run');
      const id = 'c288e301-e626-4b98-a1ab-159dcb162af5';
      const r = await cli(['tasks', 'run', taskPath('os', id), '--backend', 'osworld', '--server', guest.url, '--endpoint', `${vllm.url}/v1`, '--out', out, '--agent', 'osworld-qwen3vl'], { DESKPILOT_API_KEY: 'sk-secret' });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const modelDir = path.join(out, 'pyautogui/screenshot/Qwen_Qwen3-VL-8B-Instruct');
      const dir = path.join(modelDir, 'os', id);

      // int(700 * 1280 / 999) = 896, int(700 * 720 / 999) = 504 (rounding would give 505).
      expect(guest.pyautogui.some((c) => c.endsWith('pyautogui.click(896, 504)'))).toBe(true);
      const traj = (await readFile(path.join(dir, 'traj.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string });
      expect(traj.map((t) => t.action)).toEqual(['pyautogui.click(896, 504)', 'DONE']);
      // The infeasible task wants a final FAIL; the reference agent never sends one.
      expect(await readFile(path.join(dir, 'result.txt'), 'utf8')).toBe('0\n');

      const described = JSON.parse(await readFile(path.join(modelDir, 'deskpilot-settings.json'), 'utf8'));
      expect(described.agent).toBe('osworld-qwen3vl');
      expect(described.profile).toMatchObject({
        id: 'osworld-qwen3vl',
        coordinates: { kind: 'grid', size: 1000, divisor: 999, rounding: 'down' },
        image: { factor: 32, minPixels: 3136, maxPixels: 13107200, format: 'png', rounding: 'half-even', maxLongSide: 8192 },
        history: { strategy: 'previous-actions', images: 4 },
        layout: 'osworld-qwen3vl',
        terminate: 'always-done',
        sampling: { temperature: 0, topP: 0.9, maxTokens: 32768 },
      });
      expect(described.profile.systemPrompt).toContain('# Response format');
      expect(described.settings).toMatchObject({ agent: 'osworld-qwen3vl', profile: 'osworld-qwen3vl', model: 'Qwen/Qwen3-VL-8B-Instruct', apiKey: '(set)' });
      expect(JSON.stringify(described)).not.toContain('sk-secret');

      const record = JSON.parse(await readFile(path.join(dir, 'deskpilot-task.json'), 'utf8'));
      expect(record.ranWith).toEqual({ agent: 'osworld-qwen3vl', profile: 'osworld-qwen3vl' });
      const started = JSON.parse((await readFile(path.join(dir, 'deskpilot-run', 'events.jsonl'), 'utf8')).split('\n')[0]!);
      expect(started).toMatchObject({ type: 'run-started', settings: { agent: 'osworld-qwen3vl' }, profile: { id: 'osworld-qwen3vl', history: { strategy: 'previous-actions' } } });
    } finally {
      await guest.close();
    }
  });

  it('refuses --zoom with a preset, saying why', async () => {
    const r = await cli(['tasks', 'run', taskPath('os', 'c288e301-e626-4b98-a1ab-159dcb162af5'), '--backend', 'osworld', '--server', 'http://127.0.0.1:9', '--endpoint', `${vllm.url}/v1`, '--out', await tempDir('preset-zoom'), '--agent', 'osworld-qwen3vl', '--zoom']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot zoom');
  });
});
