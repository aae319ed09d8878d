/**
 * `deskpilot capture --out FILE` writes exactly what prepareImage returns for that display and profile, byte for
 * byte. The child gets its X display from DISPLAY set before it starts (the way users run it), or --x-display.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXvfb, type XDisplay } from '../../app/platform/x11/xvfb';
import { listDisplays } from '../../app/screen/displays';
import { captureDisplay } from '../../app/screen/capture';
import { prepareImage } from '../../app/screen/prepare';
import { getProfile } from '../../app/model/profiles';
import { paintRoot } from './support/pattern';

const root = fileURLToPath(new URL('../..', import.meta.url));

function deskpilot(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/deskpilot.js'), ...args], { cwd: root, env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let x: XDisplay;
let dir: string;
const envWithout = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.DISPLAY;
  return env;
};

beforeAll(async () => {
  x = await startXvfb({ width: 1920, height: 1080 });
  await paintRoot(x.display, 1920, 1080, [
    { x: 700, y: 400, size: 90, color: [250, 10, 20] },
    { x: 1800, y: 1000, size: 60, color: [30, 60, 240] },
  ]);
  dir = await mkdtemp(join(tmpdir(), 'deskpilot-capture-cli-'));
});
afterAll(async () => {
  await x?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deskpilot capture', () => {
  for (const profileId of ['qwen3-vl', 'qwen2.5-vl']) {
    it(`--out writes exactly prepareImage's bytes (${profileId}, DISPLAY from the environment)`, async () => {
      const out = join(dir, `${profileId}.png`);
      const run = await deskpilot(['capture', '--profile', profileId, '--out', out], { ...envWithout(), DISPLAY: x.display });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const written = await readFile(out);
      const display = (await listDisplays(x.display))[0]!;
      const expected = await prepareImage(await captureDisplay(display, { xDisplay: x.display }), getProfile(profileId).image);
      expect(written.equals(expected.data)).toBe(true);
      expect(run.stdout).toContain(`${expected.width}x${expected.height} image/png`);
    });
  }

  it('--x-display, --display and --json', async () => {
    const out = join(dir, 'json.png');
    const run = await deskpilot(['capture', '--x-display', x.display, '--display', '0', '--out', out, '--json'], envWithout());
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ mime: 'image/png', width: 1920, height: 1088, source: { width: 1920, height: 1080 }, method: 'native' });
    expect((await readFile(out)).length).toBe(summary.bytes);
  });

  it('--list prints the displays as JSON', async () => {
    const run = await deskpilot(['capture', '--list'], { ...process.env, DISPLAY: x.display });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { id: 0, name: 'screen', bounds: { x: 0, y: 0, width: 1920, height: 1080 }, scaleFactor: 1, primary: true },
    ]);
  });

  it('says what is wrong: unknown display, wrong file type, no --out, no X display', { timeout: 60_000 }, async () => {
    const env = { ...process.env, DISPLAY: x.display };
    // Started together: each run pays tsx's start-up, which is most of its time.
    const [noDisplay, wrongType, noOut, noX] = await Promise.all([
      deskpilot(['capture', '--display', '3', '--out', join(dir, 'a.png')], env),
      deskpilot(['capture', '--out', join(dir, 'a.jpg')], env),
      deskpilot(['capture'], env),
      deskpilot(['capture', '--out', join(dir, 'b.png')], { ...envWithout(), WAYLAND_DISPLAY: '' }),
    ]);
    expect(noDisplay.code).toBe(2);
    expect(noDisplay.stderr).toMatch(/no display 3; the displays are: 0 \(screen 1920x1080\+0\+0\)/);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/sends image\/png, but --out ends in \.jpg; use \.png/);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out FILE is required/);
    expect(noX.code).toBe(1);
    expect(noX.stderr).toMatch(/no X display: DISPLAY is not set/);
  });
});
