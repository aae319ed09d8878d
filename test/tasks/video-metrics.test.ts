/**
 * compare_videos as vlc.py scores it: imagehash's phash (checked on an image whose low DCT coefficients are known by
 * construction), the reference's frame loop (more than 5 frames more than 5 bits apart; a video that ends first),
 * and the metric on real videos made with ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { frameHashes, hashDistance, phash, videosMatch } from '../../app/tasks/apps/video';
import { METRICS } from '../../app/tasks/metrics';
import { tempDir } from './helpers';

describe('phash as imagehash computes it', () => {
  it('a 32x32 image made of DCT basis patterns: the bits are the signs the patterns were given, row frequency first', async () => {
    // Coefficient (k, l) - k down the rows (numpy axis 0), l along a row - gets +1.5 or -1.5 grey levels: + where
    // l is odd (31 of them, leaving out (7, 7)). With the large DC term, 32 values lie above the median and 32
    // below: the hash is the sign pattern. Transposing the axes would give another pattern (+ where k is odd).
    const s = (k: number, l: number) => (k === 0 && l === 0 ? 1 : l % 2 === 1 && !(k === 7 && l === 7) ? 1 : -1);
    const data = new Uint8Array(32 * 32);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        let v = 128;
        for (let k = 0; k < 8; k++) for (let l = 0; l < 8; l++) if (k || l) v += 1.5 * s(k, l) * Math.cos((Math.PI * k * (2 * y + 1)) / 64) * Math.cos((Math.PI * l * (2 * x + 1)) / 64);
        data[y * 32 + x] = Math.round(v);
      }
    }
    const expected = Array.from({ length: 64 }, (_, i) => s(Math.floor(i / 8), i % 8) > 0);
    expect(expected.filter(Boolean)).toHaveLength(32);
    expect(expected).not.toEqual(Array.from({ length: 64 }, (_, i) => s(i % 8, Math.floor(i / 8)) > 0));
    expect(await phash({ width: 32, height: 32, channels: 1, data, palette: false })).toEqual(expected);
  });

  it('hashDistance counts differing bits (imagehash\'s `hash1 - hash2`)', () => {
    expect(hashDistance([true, false, true], [true, true, false])).toBe(2);
  });
});

describe("compare_videos' frame loop", () => {
  const h = (bits: number) => Array.from({ length: 64 }, (_, i) => i < bits);
  const frames = (n: number, differing: number[] = [], bits = 6) => Array.from({ length: n }, (_, i) => (differing.includes(i) ? h(bits) : h(0)));

  it('up to 5 frames more than 5 bits apart still match; a sixth does not; exactly 5 bits apart is no mismatch', () => {
    expect(videosMatch(frames(100), frames(100, [1, 2, 3, 4, 5]))).toBe(true);
    expect(videosMatch(frames(100), frames(100, [1, 2, 3, 4, 5, 90]))).toBe(false);
    expect(videosMatch(frames(100), frames(100, [...Array(50).keys()], 5))).toBe(true);
  });

  it('a video that ends first (within the frames checked) does not match; both ending together does', () => {
    expect(videosMatch(frames(40), frames(60))).toBe(false);
    expect(videosMatch(frames(40), frames(40))).toBe(true);
    expect(videosMatch(frames(0), frames(0))).toBe(true); // the reference's two empty videos
    // Only the first 100 frames are read: longer videos of different lengths match.
    expect(videosMatch(frames(100), frames(100))).toBe(true);
    // Mismatches before the end are counted first.
    expect(videosMatch(frames(30, [0, 1, 2, 3, 4, 5]), frames(30))).toBe(false);
  });
});

describe('compare_videos on videos ffmpeg makes', { timeout: 120_000 }, () => {
  let dir: string;
  const make = (name: string, args: string[]) => {
    const file = path.join(dir, name);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args, file], { timeout: 60_000 });
    return file;
  };
  let original: string;
  let reencoded: string;
  let upsideDown: string;
  let shorter: string;
  beforeAll(async () => {
    dir = await tempDir('videos');
    original = make('original.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-frames:v', '60', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    reencoded = make('reencoded.mp4', ['-i', original, '-c:v', 'libx264', '-crf', '30', '-pix_fmt', 'yuv420p']);
    upsideDown = make('upside-down.mp4', ['-i', original, '-vf', 'vflip,hflip', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    shorter = make('shorter.mp4', ['-i', original, '-frames:v', '40', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
  });

  it('every frame is read, in order, as its own frame', async () => {
    expect(await frameHashes(original)).toHaveLength(60);
    expect(await frameHashes(original, 10)).toHaveLength(10);
  });

  it('the same video re-encoded matches; turned upside down, or cut short, it does not', async () => {
    const compare = METRICS.compare_videos!;
    expect(await compare(reencoded, original, {})).toBe(1);
    expect(await compare(upsideDown, original, {})).toBe(0);
    expect(await compare(shorter, original, {})).toBe(0);
    // The reference's own options: checking only the first 40 frames, the cut one matches.
    expect(await compare(shorter, original, { max_frames_to_check: 40 })).toBe(1);
  });

  it('a missing result scores 0; a file that is no video counts as one without frames', async () => {
    const compare = METRICS.compare_videos!;
    expect(await compare(null, original, {})).toBe(0);
    expect(await compare(path.join(dir, 'not-there.mp4'), original, {})).toBe(0);
    const text = path.join(dir, 'notes.mp4');
    await writeFile(text, 'not a video');
    expect(await frameHashes(text)).toEqual([]);
    expect(await compare(text, original, {})).toBe(0);
  });
});
