/**
 * The commands' wiring, end to end: each command is spawned as a person runs it, with a config file, environment
 * variables and flags, and the setting it really used is observed - the steps a task run took, the approval it
 * asked for, the run record's settings.json, the request the fake vLLM received, what the UI server holds, the
 * profile an image was prepared for. The README's order must hold everywhere: flags, then the environment, then
 * the config file, then the command's own defaults. And the API key can come from a file, never needing `ps`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { API_KEY_WARNING } from '../../app/cli/run-options';
import { getProfile } from '../../app/model/profiles';
import { modelToGlobal } from '../../app/screen/geometry';
import { preparedSize } from '../../app/screen/prepare';
import { startFakeGuest, type FakeGuest } from '../../testkit/fake-guest/server';
import { startFakeVllm, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { startXvfb, type XDisplay } from '../../app/platform/x11/xvfb';
import { startUi } from '../ui/support';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TASK = join(ROOT, 'test/fixtures/osworld/examples/os/c288e301-e626-4b98-a1ab-159dcb162af5.json');
const MODEL = 'model-from-config';
const scratch = mkdtempSync(join(tmpdir(), 'deskpilot-wiring-'));
let counter = 0;
const fresh = (name: string) => mkdtempSync(join(scratch, `${name}-${++counter}-`));

/** A model that clicks somewhere new every turn (so loop detection never steps in) and never finishes. */
const clicker = (_request: unknown, ctx: { index: number }): Reply => ({
  content: 'Clicking on.',
  toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [100 + ((ctx.index * 37) % 800), 300] } }],
});

let vllm: FakeVllm;
let keyed: FakeVllm;
let x: XDisplay;

beforeAll(async () => {
  vllm = await startFakeVllm({ servedModel: MODEL, toolParser: true, script: clicker });
  keyed = await startFakeVllm({ servedModel: MODEL, toolParser: true, apiKey: 'sk-from-file' });
  x = await startXvfb({ width: 1280, height: 800 });
}, 60_000);

afterAll(async () => {
  await vllm?.close();
  await keyed?.close();
  await x?.stop();
});

function configFile(values: Record<string, unknown>, bom = false): string {
  const file = join(fresh('config'), 'config.json');
  writeFileSync(file, `${bom ? '\uFEFF' : ''}${JSON.stringify(values)}`);
  return file;
}

/** The environment of a person with no Deskpilot settings at all, plus `extra`. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('DESKPILOT_')) env[key] = value;
  return { ...env, XDG_CONFIG_HOME: fresh('xdg'), DESKPILOT_RUNS_DIR: fresh('runs'), ...extra };
}

/** Run `deskpilot ...` with stdin at its end (no person answers), as a script or CI job does. */
function deskpilot(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/deskpilot.js'), ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('deskpilot tasks run takes approve and maxSteps from the environment and the config file', { timeout: 180_000 }, () => {
  let guest: FakeGuest;
  beforeAll(async () => {
    guest = await startFakeGuest({ home: fresh('guest-home'), screen: { width: 1280, height: 720 } });
  });
  afterAll(async () => {
    await guest?.close();
  });

  /** One task on the fake OSWorld guest; the steps it took (traj.jsonl) and the clicks the guest performed. */
  async function tasksRun(env: NodeJS.ProcessEnv, flags: string[] = []) {
    const out = fresh('results');
    const clicks = () => guest.pyautogui.filter((code) => code.includes('.click(')).length;
    const clicksBefore = clicks();
    const r = await deskpilot(['tasks', 'run', TASK, '--backend', 'osworld', '--server', guest.url, '--out', out, ...flags], env);
    let steps = 0;
    try {
      const traj = readFileSync(join(out, 'pyautogui/screenshot', MODEL, 'os/c288e301-e626-4b98-a1ab-159dcb162af5/traj.jsonl'), 'utf8');
      steps = traj.trim().split('\n').filter(Boolean).length;
    } catch {
      /* no step was recorded */
    }
    return { ...r, steps, clicks: clicks() - clicksBefore };
  }

  it('maxSteps from the config file, then DESKPILOT_MAX_STEPS over it, then --max-steps over both', async () => {
    const config = configFile({ endpoint: `${vllm.url}/v1`, model: MODEL, maxSteps: 2 });
    const fromFile = await tasksRun(cleanEnv({ DESKPILOT_CONFIG: config }));
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.steps).toBe(2); // not the command's default of 15
    expect(fromFile.clicks).toBe(2);

    const fromEnv = await tasksRun(cleanEnv({ DESKPILOT_CONFIG: config, DESKPILOT_MAX_STEPS: '3' }));
    expect(fromEnv.steps).toBe(3);
    const fromFlag = await tasksRun(cleanEnv({ DESKPILOT_CONFIG: config, DESKPILOT_MAX_STEPS: '3' }), ['--max-steps', '1']);
    expect(fromFlag.steps).toBe(1);
  });

  it('approve from the config file (ask: nobody answers, nothing is performed), the environment and the flag over it', async () => {
    const config = configFile({ endpoint: `${vllm.url}/v1`, model: MODEL, maxSteps: 2, approve: 'ask' });
    const asked = await tasksRun(cleanEnv({ DESKPILOT_CONFIG: config }));
    expect(asked.stdout).toContain('Approve? [y]es');
    expect(asked.stdout).toContain('(no more input: stopping)');
    expect(asked.clicks).toBe(0);

    const fromEnv = await tasksRun(cleanEnv({ DESKPILOT_CONFIG: config, DESKPILOT_APPROVE: 'auto' }));
    expect(fromEnv.stdout).not.toContain('Approve?');
    expect(fromEnv.clicks).toBe(2);

    const fromFlag = await tasksRun(cleanEnv({ DESKPILOT_CONFIG: config, DESKPILOT_APPROVE: 'ask' }), ['--approve', 'auto', '--config', config]);
    expect(fromFlag.stdout).not.toContain('Approve?');
    expect(fromFlag.clicks).toBe(2);
  });

  it('the command\'s own defaults (approve auto, 15 steps) apply only when nothing else gives a value', async () => {
    const r = await tasksRun(cleanEnv(), ['--endpoint', `${vllm.url}/v1`]);
    expect(r.stdout).not.toContain('Approve?');
    expect(r.steps).toBe(15);
    expect(r.clicks).toBe(15);
  });
});

describe('deskpilot run', { timeout: 120_000 }, () => {
  it('uses the config file under the environment under the flags, and reads the key from --api-key-file', async () => {
    const server = await startFakeVllm({ servedModel: MODEL, toolParser: true, apiKey: 'sk-run-file', script: clicker });
    try {
      const keyFile = join(fresh('key'), 'key');
      writeFileSync(keyFile, 'sk-run-file\n');
      const config = configFile({ endpoint: `${server.url}/v1`, model: MODEL, approve: 'ask', maxSteps: 9, profile: 'qwen2.5-vl' });
      const out = join(fresh('run'), 'record');
      const env = cleanEnv({ DISPLAY: x.display, DESKPILOT_APPROVE: 'auto', DESKPILOT_MAX_STEPS: '3' });
      const r = await deskpilot(['run', 'click around', '--config', config, '--max-steps', '2', '--api-key-file', keyFile, '--no-settle', '--out', out], env);
      expect(r.stderr).toBe('');
      expect(r.code, r.stdout).toBe(4); // the step budget was used up
      const settings = JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8'));
      expect(settings).toMatchObject({ endpoint: `${server.url}/v1`, model: MODEL, profile: 'qwen2.5-vl', approve: 'auto', maxSteps: 2, apiKey: '(set)' });
      const chats = server.chatRequests();
      expect(chats).toHaveLength(2);
      expect(chats.map((c) => [c.body.model, c.headers.authorization])).toEqual([
        [MODEL, 'Bearer sk-run-file'],
        [MODEL, 'Bearer sk-run-file'],
      ]);
      expect(JSON.stringify(settings)).not.toContain('sk-run-file');
    } finally {
      await server.close();
    }
  });
});

describe('deskpilot check', { timeout: 60_000 }, () => {
  it('checks the server a run would use: endpoint and model from the config file, profile from the environment, key from a file', async () => {
    const keyFile = join(fresh('key'), 'key');
    writeFileSync(keyFile, '  sk-from-file  \n');
    const config = configFile({ endpoint: `${keyed.url}/v1`, model: MODEL }, true);
    const before = keyed.requests.length;
    const r = await deskpilot(['check', '--json', '--api-key-file', keyFile], cleanEnv({ DESKPILOT_CONFIG: config, DESKPILOT_PROFILE: 'qwen2.5-vl' }));
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ reachable: true, model: { requested: MODEL, served: true }, grounding: { profile: 'qwen2.5-vl' } });
    const sent = keyed.requests.slice(before).filter((q) => q.path.startsWith('/v1'));
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((q) => q.headers.authorization))).toEqual(new Set(['Bearer sk-from-file']));
  });

  it('--api-key still works, with a warning that it is visible to other users; a bad key file is bad usage', async () => {
    const config = configFile({ endpoint: `${keyed.url}/v1`, model: MODEL });
    const visible = await deskpilot(['check', '--json', '--api-key', 'sk-from-file'], cleanEnv({ DESKPILOT_CONFIG: config }));
    expect(visible.stderr).toBe(API_KEY_WARNING);
    expect(visible.stderr).toContain('visible to other users of this machine');
    expect(JSON.parse(visible.stdout).problems).toEqual(expect.not.arrayContaining([expect.objectContaining({ problem: expect.stringMatching(/key/i) })]));

    const missing = join(scratch, 'no-such-key');
    const noFile = await deskpilot(['check', '--api-key-file', missing], cleanEnv({ DESKPILOT_CONFIG: config }));
    expect(noFile).toMatchObject({ code: 2, stderr: `deskpilot: --api-key-file ${missing}: cannot read it (ENOENT)\n` });
    const both = await deskpilot(['check', '--api-key-file', missing, '--api-key', 'k'], cleanEnv({ DESKPILOT_CONFIG: config }));
    expect(both).toMatchObject({ code: 2, stderr: 'deskpilot: give the API key once: --api-key-file FILE or --api-key KEY, not both\n' });
    const fromEnv = await deskpilot(['check', '--json'], cleanEnv({ DESKPILOT_CONFIG: config, DESKPILOT_API_KEY: 'sk-from-file' }));
    expect(fromEnv.stderr).toBe('');
    expect(JSON.parse(fromEnv.stdout).model).toMatchObject({ served: true });
  });
});

describe('deskpilot ui', { timeout: 180_000 }, () => {
  it('holds the config file under the environment under the flags, and the key from --api-key-file', async () => {
    const keyFile = join(fresh('key'), 'key');
    writeFileSync(keyFile, 'sk-ui-file\n');
    const config = configFile({ endpoint: 'http://from-file:8000/v1', model: 'from-file', approve: 'risky', maxSteps: 9, loopThreshold: 4 });
    const ui = await startUi(['--config', config, '--model', 'from-flag', '--api-key-file', keyFile], { DESKPILOT_MAX_STEPS: '7', DESKPILOT_APPROVE: '' });
    try {
      expect(ui.stderr()).toBe('');
      const ws = new WebSocket(`ws://${new URL(ui.origin).host}/bridge?token=${ui.token}`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const view = await new Promise<any>((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.send(JSON.stringify({ id: 1, name: 'settings.get', input: {} }));
      });
      ws.close();
      expect(view.response.ok).toBe(true);
      expect(view.response.value.apiKeySet).toBe(true);
      expect(view.response.value.draft).toMatchObject({ endpoint: 'http://from-file:8000/v1', model: 'from-flag', approve: 'risky', maxSteps: 7, loopThreshold: 4 });
      expect(JSON.stringify(view)).not.toContain('sk-ui-file');
    } finally {
      await ui.stop();
    }
  });
});

describe('deskpilot capture, act and parse take the profile and monitor like a run', { timeout: 60_000 }, () => {
  it('capture: profile from the config file, the environment over it, the flag over both; the display setting too', async () => {
    const config = configFile({ endpoint: 'http://unused:8000/v1', profile: 'qwen2.5-vl' });
    const capture = async (env: NodeJS.ProcessEnv, flags: string[] = []) => {
      const r = await deskpilot(['capture', '--json', '--out', join(fresh('shot'), 'shot.png'), ...flags], cleanEnv({ DISPLAY: x.display, DESKPILOT_CONFIG: config, ...env }));
      return r.code === 0 ? (JSON.parse(r.stdout).profile as string) : r.stderr;
    };
    expect(await capture({})).toBe('qwen2.5-vl');
    expect(await capture({ DESKPILOT_PROFILE: 'qwen3-vl:grid=999' })).toBe('qwen3-vl:grid=999');
    expect(await capture({ DESKPILOT_PROFILE: 'qwen3-vl:grid=999' }, ['--profile', 'qwen3-vl'])).toBe('qwen3-vl');
    // This desktop has one monitor: a display setting of 1 from the environment is used (and refused), a flag wins.
    expect(await capture({ DESKPILOT_DISPLAY: '1' })).toContain('no display 1; the displays are: 0');
    expect(await capture({ DESKPILOT_DISPLAY: '1' }, ['--display', '0'])).toBe('qwen2.5-vl');
    // A run setting capture does not use cannot stop it.
    const loose = configFile({ profile: 'qwen2.5-vl', maxSteps: 'lots' });
    expect(await capture({ DESKPILOT_CONFIG: loose })).toBe('qwen2.5-vl');
    const bad = configFile({ profile: '' });
    expect(await capture({ DESKPILOT_CONFIG: bad })).toMatch(/profile \(from config file .*config\.json\)/);
  });

  it('act: the configured profile decides how coordinates map', async () => {
    const config = configFile({ profile: 'qwen2.5-vl' });
    const r = await deskpilot(['act', '{"action": "mouse_move", "coordinate": [500, 400]}'], cleanEnv({ DISPLAY: x.display, DESKPILOT_CONFIG: config }));
    expect(r.code, r.stderr).toBe(0);
    const profile = getProfile('qwen2.5-vl');
    const display = { id: 0, name: 'screen', bounds: { x: 0, y: 0, width: 1280, height: 800 }, scaleFactor: 1, primary: true };
    const expected = modelToGlobal({ x: 500, y: 400 }, profile.coordinates, display, preparedSize({ width: 1280, height: 800 }, profile.image));
    expect(JSON.parse(r.stdout).screen).toEqual({ x: Math.round(expected.x), y: Math.round(expected.y) });
  });

  it('parse: the profile from the environment', async () => {
    const reply = '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [500, 500]}}\n</tool_call>';
    const landing = async (env: NodeJS.ProcessEnv, flags: string[] = []) => {
      const r = await deskpilot(['parse', ...flags], cleanEnv(env), reply);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).actions[0].screen as { x: number; y: number };
    };
    const pixels = await landing({}, ['--profile', 'qwen2.5-vl']);
    expect(pixels).not.toEqual(await landing({}, ['--profile', 'qwen3-vl']));
    expect(await landing({ DESKPILOT_PROFILE: 'qwen2.5-vl' })).toEqual(pixels);
  });
});
