import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayPlan } from '../../app/runs/replay';
import { startFixtureDesktop, type FixtureDesktop } from '../../testkit/fixture-desktop/desktop';
import { DISPLAY, EVIL_TEXT, IMAGE, writeClickRun, writeSampleRun, writeTypeRun } from './sample-run';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'deskpilot-replay-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Run `deskpilot replay ...` with optional stdin; resolves with exit code and output. */
function replay(args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/deskpilot.js', 'replay', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('replayPlan', () => {
  it('lists the performed actions in order with what is needed to map them again; denied ones are left out', async () => {
    const dir = await writeSampleRun(scratch, 'plan');
    const plan = replayPlan(dir);
    expect(plan.map((p) => [p.step, p.proposalId, p.action.action, p.summary])).toEqual([
      [1, '1.0', 'left_click', 'Click at (640, 216)'],
      [3, '3.0', 'type', `Type “${EVIL_TEXT.slice(0, 60)}…” (65 chars)`],
    ]);
    expect(plan[0]).toMatchObject({ display: DISPLAY, space: { kind: 'grid', size: 1000 }, imageSize: IMAGE, recordedScreen: { x: 640, y: 216 } });
  });

  it('fails clearly for a folder that is not a run', () => {
    expect(() => replayPlan(scratch)).toThrow(/is not a run folder/);
  });
});

describe('deskpilot replay --dry-run', () => {
  it('prints each action with the screen point, performing nothing', async () => {
    const dir = await writeSampleRun(scratch, 'dry');
    const result = await replay([dir, '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      '[1/2] step 1: Click at (640, 216)',
      `[2/2] step 3: Type “${EVIL_TEXT.slice(0, 60)}…” (65 chars)`,
    ]);
  });

  it('applies the deny rules the recorded run applied: a blocked action is never replayed', async () => {
    // The run removed rm-home-or-root, so `rm -rf ~` was typed then; the replay applies what the run applied.
    const removed = await writeTypeRun(scratch, 'typed-removed', 'rm -rf ~');
    expect((await replay([removed, '--dry-run'])).stdout).not.toContain('not performed');
    // A command another built-in rule (still on in that run) blocks is never replayed, whatever --approve says.
    const blocked = await writeTypeRun(scratch, 'typed-mkfs', 'mkfs.ext4 /dev/sda1');
    const result = await replay([blocked, '--dry-run']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\[1\/2\] step 1: Type “mkfs\.ext4 \/dev\/sda1” \(19 chars\)\n  blocked: Blocked by a deny rule: formats a disk or partition, erasing it \(built-in rule make-filesystem\)\n  not performed: a deny rule blocks it\n/);
  });

  it('rejects bad options with exit 2', async () => {
    const result = await replay([scratch, '--dry-run', '--approve', 'risky']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--approve must be "ask" or "auto"/);
  });
});

describe('deskpilot replay on a real X display of another size', () => {
  let desktop: FixtureDesktop;
  let dir = '';
  let targets: Array<{ x: number; y: number }> = [];
  beforeAll(async () => {
    desktop = await startFixtureDesktop({ width: 800, height: 600, terminal: false });
    const rects = await desktop.rects();
    targets = [rects['btn-a'], rects['btn-b']].map((r) => ({ x: Math.round(r.x + r.width / 2), y: Math.round(r.y + r.height / 2) }));
    // Recorded on a 1280x720 display; in grid coordinates the buttons' centres are the same on any screen size.
    const grid = targets.map((t): [number, number] => [(t.x / 800) * 1000, (t.y / 600) * 1000]);
    dir = await writeClickRun(scratch, 'clicks', grid);
  }, 60_000);
  afterAll(async () => desktop?.stop());

  const clicks = async () => (await desktop.events()).filter((e) => e.type === 'click').map((e) => ({ target: e.target, x: e.x, y: e.y }));

  it('dry run on --display 0 shows where the clicks land there, next to where they were recorded', async () => {
    const result = await replay([dir, '--dry-run', '--display', '0'], { DISPLAY: desktop.display.display });
    expect(result.status).toBe(0);
    const [first] = result.stdout.split('\n');
    expect(first).toMatch(new RegExp(`^\\[1/2\\] step 1: Click at \\(${targets[0]!.x}, ${targets[0]!.y}\\) \\(recorded at \\(\\d+, \\d+\\)\\)$`));
  });

  it('--approve auto performs every click, re-mapped onto this display', async () => {
    await desktop.clear();
    const result = await replay([dir, '--approve', 'auto', '--delay', '0', '--display', '0'], { DISPLAY: desktop.display.display });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Performed 2 of 2 action\(s\)/);
    await desktop.waitForEvent((e) => e.type === 'click' && e.target === 'btn-b');
    expect(await clicks()).toEqual([
      { target: 'btn-a', ...targets[0] },
      { target: 'btn-b', ...targets[1] },
    ]);
  }, 60_000);

  it('asks before each action: n skips, y performs', async () => {
    await desktop.clear();
    const result = await replay([dir, '--delay', '0'], { DISPLAY: desktop.display.display }, 'n\ny\n');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Perform\? \[y\]es, \[n\]o \(skip\), \[q\]uit/);
    expect(result.stdout).toMatch(/Performed 1 of 2 action\(s\)/);
    await desktop.waitForEvent((e) => e.type === 'click');
    expect(await clicks()).toEqual([{ target: 'btn-b', ...targets[1] }]);
  }, 60_000);

  it('q (or the end of input) stops before anything more is done', async () => {
    await desktop.clear();
    const result = await replay([dir, '--delay', '0'], { DISPLAY: desktop.display.display }, 'q\n');
    expect(result.stdout).toMatch(/Replay stopped\.\nPerformed 0 of 2/);
    expect(await clicks()).toEqual([]);
  }, 60_000);
});

describe('deskpilot replay without a run', () => {
  it('exits 2 naming the folder', () => {
    const result = spawnSync(process.execPath, ['bin/deskpilot.js', 'replay', join(scratch, 'nope'), '--dry-run'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/nope is not a run folder/);
  });
});
