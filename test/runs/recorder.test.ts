import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { RunSettingsSchema, type RunEvent } from '../../app/contract';
import { createRunRecorder, readRun } from '../../app/runs/recorder';
import { SECRET, writeSampleRun } from './sample-run';

const scratch = mkdtempSync(join(tmpdir(), 'deskpilot-runs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const settings = RunSettingsSchema.parse({ endpoint: 'http://localhost:8000/v1', model: 'm', apiKey: SECRET });
const ev = (e: Record<string, unknown>) => ({ runId: 'r', at: 1, ...e }) as RunEvent;

const STEP_EVENTS = ['observation', 'model-request', 'model-reply', 'timings'];

/** Start the recording child, kill it with SIGKILL `delayMs` after it reports step 3; the last step it reported. */
async function recordAndKill(dir: string, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./record-child.ts', import.meta.url)), dir], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise((resolve) => child.once('close', resolve));
  let stderr = '';
  let out = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const reported = () => Math.max(0, ...[...out.matchAll(/step (\d+)\n/g)].map((m) => Number(m[1])));
  await new Promise<void>((resolve, reject) => {
    let armed = false;
    child.stdout.on('data', () => {
      if (armed || reported() < 3) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited early (${code}): ${stderr}`))));
  });
  await closed;
  return reported();
}

describe('a run killed with SIGKILL', () => {
  // Kill at different moments: right after a step, and somewhere inside the following ones.
  it.each([0, 7, 31])('leaves a readable record (killed %i ms after step 3)', async (delayMs) => {
    const dir = join(scratch, `killed-${delayMs}`);
    const lastReported = await recordAndKill(dir, delayMs);

    const record = readRun(dir);
    // Only a torn last line may be wrong; everything else reads.
    expect(record.problems.filter((p) => !/last line is incomplete/.test(p))).toEqual([]);
    expect(record.summary).toBeNull(); // run.json is written at close, which never came
    expect(record.settings?.apiKey).toBe('(set)');
    expect(record.events[0]?.type).toBe('run-started');

    // Every step reported before the kill is complete; the step being written is a clean prefix of its events.
    const lastStep = Math.max(...record.events.map((e) => ('step' in e ? e.step : 0)));
    expect(lastStep).toBeGreaterThanOrEqual(lastReported);
    for (let step = 1; step <= lastStep; step++) {
      const types = record.events.filter((e) => 'step' in e && e.step === step).map((e) => e.type);
      if (step <= lastReported || step < lastStep) expect(types).toEqual(STEP_EVENTS);
      else expect(types).toEqual(STEP_EVENTS.slice(0, types.length));
    }
    // Every recorded image is a whole PNG of the recorded size (images are renamed into place when complete).
    const observations = record.events.filter((e): e is Extract<RunEvent, { type: 'observation' }> => e.type === 'observation');
    for (const obs of observations) {
      const meta = await sharp(join(dir, obs.image.file)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 352]);
      await sharp(join(dir, obs.image.file)).raw().toBuffer(); // decodes to the end
    }
    // Images are files, not base64 inside events; the key never reaches the disk.
    const text = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    expect(text).not.toMatch(/"base64"/);
    expect(text + readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('sk-child-secret');
  });
});

describe('reading a record', () => {
  it('ignores a torn last line and says so', async () => {
    const dir = await writeSampleRun(scratch, 'torn');
    const before = readRun(dir).events.length;
    appendFileSync(join(dir, 'events.jsonl'), '{"type":"state","runId":"sample-run","at":17600000');
    const record = readRun(dir);
    expect(record.truncated).toBe(true);
    expect(record.events).toHaveLength(before);
    expect(record.problems).toEqual([expect.stringMatching(/last line is incomplete/)]);
  });

  it('skips a damaged or unknown line in the middle, names its line number, and keeps the rest', async () => {
    const dir = await writeSampleRun(scratch, 'damaged');
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n');
    lines.splice(2, 0, '{"type":"teleport","runId":"x","at":1}', 'garbage{');
    writeFileSync(join(dir, 'events.jsonl'), lines.join('\n'));
    const record = readRun(dir);
    expect(record.truncated).toBe(false);
    expect(record.problems).toEqual([
      expect.stringMatching(/^events\.jsonl line 3 \("teleport"\) is not a valid event/),
      'events.jsonl line 4 is not valid JSON; it was skipped',
    ]);
    expect(record.events.at(-1)?.type).toBe('run-finished');
  });

  it('reports a missing image and a missing settings file', async () => {
    const dir = await writeSampleRun(scratch, 'missing');
    rmSync(join(dir, 'step-0002.png'));
    rmSync(join(dir, 'settings.json'));
    const record = readRun(dir);
    expect(record.problems).toEqual(['settings.json is missing', 'step 2: image step-0002.png is missing']);
    expect(record.settings).toBeNull();
  });

  it('refuses a folder that is not a run', () => {
    expect(() => readRun(scratch)).toThrow(/is not a run folder/);
  });

  it('reads no file that links out of the run folder, and says which', async () => {
    const dir = await writeSampleRun(scratch, 'links');
    const outside = join(scratch, 'outside.json');
    writeFileSync(outside, JSON.stringify({ endpoint: 'http://read-from-outside.example/v1', secret: 'outside-secret' }));
    rmSync(join(dir, 'settings.json'));
    symlinkSync(outside, join(dir, 'settings.json'));
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    writeFileSync(join(scratch, 'outside-events.jsonl'), events);
    rmSync(join(dir, 'events.jsonl'));
    symlinkSync(join(scratch, 'outside-events.jsonl'), join(dir, 'events.jsonl'));
    const record = readRun(dir);
    expect(record.settings).toBeNull();
    expect(record.events).toEqual([]);
    expect(record.problems).toEqual([
      `settings.json links to ${outside}, outside the run folder; it was not read`,
      `events.jsonl links to ${join(scratch, 'outside-events.jsonl')}, outside the run folder; it was not read`,
    ]);
  });

  it('follows a link that stays inside the run folder, and reads a run folder given through a link', async () => {
    const dir = await writeSampleRun(scratch, 'inner-links');
    rmSync(join(dir, 'step-0002.png'));
    symlinkSync('step-0001.png', join(dir, 'step-0002.png'));
    symlinkSync(dir, join(scratch, 'latest'));
    const record = readRun(join(scratch, 'latest'));
    expect(record.problems).toEqual([]);
    expect(record.events.length).toBeGreaterThan(10);
  });

  it('names an image path that is not a plain file name in the folder', async () => {
    const dir = await writeSampleRun(scratch, 'image-path');
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"file":"step-0001.png"', '"file":"../../../../etc/passwd"'));
    expect(readRun(dir).problems).toEqual([
      'step 1: "../../../../etc/passwd" is not a file name of a run record (a plain name such as step-0001.png); the image is not shown',
    ]);
  });
});

describe('the recorder', () => {
  it('writes settings without the API key, one line per event, and run.json at close', async () => {
    const dir = await writeSampleRun(scratch, 'complete');
    expect(readdirSync(dir).sort()).toEqual(['events.jsonl', 'run.json', 'settings.json', 'step-0001.png', 'step-0002.png', 'step-0003.png']);
    const all = readdirSync(dir).filter((f) => !f.endsWith('.png')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(all).not.toContain(SECRET); // not even from the run-started event, which carried it unredacted
    const record = readRun(dir);
    expect(record.problems).toEqual([]);
    expect(record.summary).toMatchObject({ runId: 'complete', outcome: 'success', steps: 3, instruction: expect.any(String) });
    const obs = record.events.find((e) => e.type === 'observation');
    expect(obs && 'image' in obs ? obs.image : null).toEqual({ mime: 'image/png', width: 1280, height: 736, file: 'step-0001.png' });
  });

  it('coalesces streamed deltas into one line per stretch, keeping the full text', async () => {
    const recorder = createRunRecorder({ root: scratch, runId: 'deltas', settings, fsync: false });
    const words = Array.from({ length: 300 }, (_, i) => `w${i} `);
    for (const delta of words) recorder.record(ev({ type: 'reasoning-delta', step: 1, delta }));
    recorder.record(ev({ type: 'content-delta', step: 1, delta: 'Action: ' }));
    recorder.record(ev({ type: 'content-delta', step: 1, delta: 'click' }));
    recorder.record(ev({ type: 'model-request', step: 2, attempt: 1 }));
    await recorder.close();
    const events = readRun(recorder.dir).events;
    expect(events.map((e) => e.type)).toEqual(['reasoning-delta', 'content-delta', 'model-request']);
    expect(events[0]).toMatchObject({ delta: words.join('') });
    expect(events[1]).toMatchObject({ delta: 'Action: click' });
  });

  it('numbers several images of one step, and refuses unknown image types', () => {
    const recorder = createRunRecorder({ root: scratch, runId: 'images', settings });
    expect(recorder.saveImage(3, Buffer.from('a'), 'image/png')).toBe('step-0003.png');
    expect(recorder.saveImage(3, Buffer.from('b'), 'image/png')).toBe('step-0003-2.png');
    expect(recorder.saveImage(3, Buffer.from('c'), 'image/jpeg')).toBe('step-0003.jpg');
    expect(() => recorder.saveImage(4, Buffer.from('d'), 'image/gif')).toThrow(/cannot store an image of type "image\/gif"/);
  });

  it('refuses to write into an existing run, or after close; close twice is fine', async () => {
    const recorder = createRunRecorder({ root: scratch, runId: 'closing', settings });
    await recorder.close();
    await recorder.close();
    expect(() => recorder.record(ev({ type: 'state', state: 'done' }))).toThrow(/is closed; "state" event not written/);
    expect(() => createRunRecorder({ root: scratch, runId: 'closing', settings })).toThrow(/already holds a run record/);
    expect(() => createRunRecorder({ root: scratch, runId: '../escape', settings })).toThrow(/names a folder/);
    expect(existsSync(join(scratch, 'closing', 'run.json'))).toBe(true);
  });
});
