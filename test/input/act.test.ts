// `deskpilot act` end to end: the real CLI process, on the fixture desktop, and its answers to bad input.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gridCentre, startFixtureDesktop, type FixtureDesktop } from '../../testkit/fixture-desktop/desktop';

const BIN = fileURLToPath(new URL('../../bin/deskpilot.js', import.meta.url));
const W = 1280;
const H = 800;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('deskpilot act', () => {
  let desk: FixtureDesktop;
  const act = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'act', ...args], { env: { ...process.env, DISPLAY: desk.display.display } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    desk = await startFixtureDesktop({ width: W, height: H, terminal: false });
  }, 120_000);
  afterAll(async () => {
    await desk?.stop();
  });
  beforeEach(async () => {
    await desk.clear();
  });

  it('clicks at a grid point of the primary display and reports the screen point', async () => {
    const run = await act('{"action": "left_click", "coordinate": [250, 500]}');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { screen: { x: number; y: number }; display: number };
    expect(out).toMatchObject({ display: 0, screen: { x: 320, y: 400 } });
    const events = await desk.waitForEvent((e) => e.type === 'click');
    expect(events.find((e) => e.type === 'click')).toMatchObject({ x: 320, y: 400, button: 0 });
  });

  it('uses the profile grid: 999 with qwen3-vl:grid=999, absolute pixels with qwen2.5-vl', async () => {
    let run = await act('--profile', 'qwen3-vl:grid=999', '{"action": "right_click", "coordinate": [999, 999]}');
    expect(run.code).toBe(0);
    let events = await desk.waitForEvent((e) => e.type === 'contextmenu');
    expect(events.find((e) => e.type === 'contextmenu')).toMatchObject({ x: W - 1, y: H - 1, button: 2 });

    // 1280x800 smart-resizes to 1288x812 for Qwen2.5-VL (factor 28): pixel 644,406 of that image is the centre.
    await desk.clear();
    run = await act('--profile', 'qwen2.5-vl', '{"action": "double_click", "coordinate": [644, 406]}');
    expect(run.code, run.stderr).toBe(0);
    events = await desk.waitForEvent((e) => e.type === 'dblclick');
    expect(events.find((e) => e.type === 'dblclick')).toMatchObject({ x: 640, y: 400 });
  });

  it('accepts a whole tool call and sloppy but unambiguous arguments, and types exactly', async () => {
    const rects = await desk.rects();
    const [cx, cy] = gridCentre(rects.textarea, { width: W, height: H });
    let run = await act(JSON.stringify({ name: 'computer_use', arguments: JSON.stringify({ action: 'left_click', coordinate: `[${cx}, ${cy}]` }) }));
    expect(run.code, run.stderr).toBe(0);
    run = await act('{"action": "type", "text": "héllo \\"wörld\\" ✓"}');
    expect(run.code, run.stderr).toBe(0);
    expect(await desk.waitForTextarea('héllo "wörld" ✓')).toBe('héllo "wörld" ✓');
    run = await act('{"action": "key", "keys": "ctrl+a"}');
    expect(run.code, run.stderr).toBe(0);
    run = await act('{"action": "key", "keys": ["BackSpace"]}');
    expect(await desk.waitForTextarea('')).toBe('');
  });

  it('exits 2 with a message naming the problem on bad input, touching nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['{"action": "left_click", "coordinate": [500, 500]'], /not valid JSON/],
      [['{"action": "left_click"}'], /"coordinate" is missing/],
      [['{"action": "left_click", "coordinate": [1200, 5]}'], /\[1200, 5\] is outside/],
      [['{"action": "fly"}'], /unknown action "fly"/],
      [['{"action": "key", "keys": ["ctrl", "Foo_Bar"]}'], /unknown key name "Foo_Bar"/],
      [['{"action": "scroll", "pixels": "lots"}'], /pixels "lots" is not a number/],
      [['--display', '3', '{"action": "left_click", "coordinate": [5, 5]}'], /no display 3; the displays are: 0 /],
      [['--display', 'left', '{"action": "left_click", "coordinate": [5, 5]}'], /--display must be a display number/],
      [['--profile', 'qwen9', '{"action": "wait", "time": 1}'], /unknown profile "qwen9"/],
      [['--profile', 'qwen3-vl-mobile', '{"action": "wait", "time": 1}'], /drives phones \(mobile_use\); act on a phone with --device android/],
    ];
    for (const [args, message] of cases) {
      const run = await act(...args);
      expect(run.code, `exit code for ${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout).toBe('');
    }
    const touched = (await desk.events()).filter((e) => /^(mouse|key|click|wheel|context)/.test(e.type));
    expect(touched).toEqual([]);
  }, 180_000); // ten CLI starts
});
