/**
 * compare_audios as vlc.py scores it: librosa's Slaney mel scale and filters (values worked out by hand), scipy's
 * cosine distance, fastdtw's alignment (its tie-breaking included), and the metric on audio made with ffmpeg:
 * identical audio scores 1, a re-encoding close to 1, other audio less; channels are averaged before anything else.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineDistance, fastdtw, hzToMel, loadAudio, melFilters, melToHz, SAMPLE_RATE } from '../../app/tasks/apps/audio';
import { METRICS } from '../../app/tasks/metrics';
import { tempDir } from './helpers';

describe("librosa's Slaney mel filters", () => {
  it('the scale: linear at 200/3 Hz per mel to 1 kHz (15 mel), then 27 mel per factor 6.4', () => {
    expect(hzToMel(500)).toBeCloseTo(7.5, 12);
    expect(hzToMel(1000)).toBeCloseTo(15, 12);
    expect(hzToMel(6400)).toBeCloseTo(42, 12);
    expect(melToHz(42)).toBeCloseTo(6400, 9);
    expect(melToHz(hzToMel(3333))).toBeCloseTo(3333, 9);
  });

  it('128 triangles over 1025 bins; the first peaks at a 129th of the top mel, each has unit area in Hz', () => {
    const filters = melFilters();
    expect(filters).toHaveLength(128);
    expect(filters[0]).toHaveLength(1025);
    // By hand: 11025 Hz is 15 + ln(11.025) / (ln(6.4) / 27) = 49.911 mel; the first band runs 0 .. 2 x 25.79 Hz.
    const step = (15 + Math.log(11.025) / (Math.log(6.4) / 27)) / 129;
    const peakHz = step * (200 / 3);
    expect(peakHz).toBeCloseTo(25.79, 2);
    const bin2Hz = (2 * SAMPLE_RATE) / 2048; // 21.53 Hz, on the rising edge
    expect(filters[0]![2]).toBeCloseTo((bin2Hz / peakHz) * (2 / (2 * peakHz)), 10);
    expect(filters[0]![5]).toBe(0); // 53.8 Hz: past the band
    // Slaney normalisation: height 2 / width, so a wide (high) band sums to about 1 / bin spacing.
    const area = filters[120]!.reduce((a, w) => a + w, 0) * (SAMPLE_RATE / 2048);
    expect(area).toBeGreaterThan(0.99);
    expect(area).toBeLessThan(1.01);
  });
});

describe('cosine distance and fastdtw', () => {
  const v = (...xs: number[]) => Float64Array.from(xs);
  const absDist = (a: Float64Array, b: Float64Array) => Math.abs(a[0]! - b[0]!);

  it("scipy's cosine: 0 for the same direction, 1 at right angles, 2 opposite", () => {
    expect(cosineDistance(v(1, 2), v(2, 4))).toBeCloseTo(0, 12);
    expect(cosineDistance(v(1, 0), v(0, 3))).toBe(1);
    expect(cosineDistance(v(1, 1), v(-1, -1))).toBe(2);
  });

  it('short sequences get the full DTW, ties going to (i-1, j) first: [0,0] vs [0,0] walks (0,0) (0,1) (1,1)', () => {
    const r = fastdtw([v(0), v(0)], [v(0), v(0)], absDist);
    expect(r).toEqual({ distance: 0, path: [[0, 0], [0, 1], [1, 1]] });
  });

  it('longer ones are aligned through the half-resolution path: a repeated sample costs nothing', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => v(n));
    const y = [1, 2, 3, 3, 4, 5, 6, 7, 8].map((n) => v(n));
    const r = fastdtw(x, y, absDist);
    expect(r.distance).toBe(0);
    expect(r.path[0]).toEqual([0, 0]);
    expect(r.path.at(-1)).toEqual([7, 8]);
    expect(r.path).toContainEqual([2, 2]);
    expect(r.path).toContainEqual([2, 3]);
    // A shifted copy costs the shift at each step.
    expect(fastdtw(x, x.map((a) => v(a[0]! + 10)), absDist).distance).toBeGreaterThan(0);
  });
});

describe('compare_audios on audio ffmpeg makes', { timeout: 120_000 }, () => {
  let dir: string;
  const make = (name: string, args: string[]) => {
    const file = path.join(dir, name);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args, file], { timeout: 60_000 });
    return file;
  };
  let tune: string;
  let tuneMp3: string;
  let other: string;
  let stereoSame: string;
  let stereoCancelling: string;
  let silence: string;
  beforeAll(async () => {
    dir = await tempDir('audio');
    // A rising tone, then a falling one (44.1 kHz, resampled to 22050 on loading).
    const tone = 'aevalsrc=0.5*sin(2*PI*(300+200*t)*t):s=44100:d=3';
    tune = make('tune.wav', ['-f', 'lavfi', '-i', tone]);
    tuneMp3 = make('tune.mp3', ['-i', tune, '-b:a', '192k']);
    other = make('other.wav', ['-f', 'lavfi', '-i', 'anoisesrc=d=3:c=pink:r=44100:a=0.3']);
    stereoSame = make('stereo-same.wav', ['-f', 'lavfi', '-i', `aevalsrc=0.5*sin(2*PI*(300+200*t)*t)|0.5*sin(2*PI*(300+200*t)*t):s=44100:d=3`]);
    stereoCancelling = make('stereo-cancelling.wav', ['-f', 'lavfi', '-i', `aevalsrc=0.5*sin(2*PI*440*t)|-0.5*sin(2*PI*440*t):s=44100:d=3`]);
    silence = make('silence.wav', ['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '3']);
  });

  it('loads as librosa.load does: mono, 22050 samples a second', async () => {
    const y = await loadAudio(tune);
    expect(y!.length).toBeGreaterThan(3 * 22050 - 100);
    expect(y!.length).toBeLessThan(3 * 22050 + 100);
    expect(await loadAudio(path.join(dir, 'not-there.wav'))).toBeNull();
  });

  it('the same audio scores 1; its mp3 close to 1; noise far less', async () => {
    const compare = METRICS.compare_audios!;
    expect(await compare(tune, tune, {})).toBeCloseTo(1, 9);
    const mp3 = await compare(tuneMp3, tune, {});
    expect(mp3).toBeGreaterThan(0.95);
    const noise = await compare(other, tune, {});
    expect(noise).toBeLessThan(mp3);
    expect(noise).toBeLessThan(0.9);
  });

  it('channels are averaged first: in-phase stereo is the mono tone, cancelling stereo is silence', async () => {
    const compare = METRICS.compare_audios!;
    expect(await compare(stereoSame, tune, {})).toBeCloseTo(1, 4);
    expect(await compare(stereoCancelling, silence, {})).toBeCloseTo(1, 9);
  });

  it('a missing result scores 0; of two undecodable files the reference says 1, of one 0', async () => {
    const compare = METRICS.compare_audios!;
    expect(await compare(null, tune, {})).toBe(0);
    expect(await compare(path.join(dir, 'not-there.mp3'), tune, {})).toBe(0);
    const junk = path.join(dir, 'junk.mp3');
    await writeFile(junk, 'not audio');
    expect(await compare(junk, tune, {})).toBe(0);
    expect(await compare(junk, junk, {})).toBe(1);
  });
});
