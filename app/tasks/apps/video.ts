/**
 * compare_videos as OSWorld scores it (desktop_env/evaluators/metrics/vlc.py): the first 100 frames of the two
 * videos, side by side, each reduced to imagehash's perceptual hash; more than 5 frames whose hashes differ in more
 * than 5 of their 64 bits score 0, and so does a video that ends (within the 100 frames) before the other. Frames
 * are decoded by ffmpeg (the reference's OpenCV decodes through FFmpeg's libraries too) as RGB and converted,
 * resized and hashed as imagehash's phash does with Pillow: L = Pillow's luma, a 32x32 LANCZOS resize (sharp's,
 * see images.ts), a 2-D DCT-II, the top-left 8x8 coefficients against their median.
 *
 * Where the reference reads no frame at all of either video (OpenCV opens a missing or broken file as an empty
 * video) it scores 1, the two "ending" together; here a missing file scores 0, as a missing result does everywhere
 * else, and a file ffmpeg cannot decode counts as a video without frames, as in the reference.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Metric } from '../evaluator-types';
import { resize, toL, type Img } from './images';
import { isFile } from './util';

/** The reference's defaults (compare_videos(max_frames_to_check=100, threshold=5)). */
export const MAX_FRAMES = 100;
export const HASH_THRESHOLD = 5;

const HASH_SIZE = 8;
const HASH_IMAGE = HASH_SIZE * 4; // imagehash's highfreq_factor 4

/** The 64-bit perceptual hash of an image, as imagehash.phash computes it (bit i*8+j: DCT[i][j] > median). */
export async function phash(img: Img): Promise<boolean[]> {
  const small = await resize(toL(img), HASH_IMAGE, HASH_IMAGE);
  const n = HASH_IMAGE;
  // scipy.fftpack.dct, type II without normalisation, along the rows' axis then the columns'; only the 8 lowest
  // frequencies of each are needed. Its factor 2 multiplies every coefficient alike, so it cannot move the median.
  const cos = (k: number, i: number) => Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
  const byColumn: number[][] = []; // [k][x]: DCT over y of column x
  for (let k = 0; k < HASH_SIZE; k++) {
    byColumn.push([]);
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += small.data[y * n + x]! * cos(k, y);
      byColumn[k]!.push(2 * s);
    }
  }
  const low: number[] = [];
  for (let k = 0; k < HASH_SIZE; k++) {
    for (let l = 0; l < HASH_SIZE; l++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += byColumn[k]![x]! * cos(l, x);
      low.push(2 * s);
    }
  }
  const sorted = [...low].sort((a, b) => a - b);
  const median = (sorted[low.length / 2 - 1]! + sorted[low.length / 2]!) / 2;
  return low.map((v) => v > median);
}

export function hashDistance(a: boolean[], b: boolean[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

/** Run ffmpeg without blocking; resolves whatever its exit (a file it cannot read gives no frames). */
function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
    child.once('error', (e) => reject(new Error(`compare_videos needs ffmpeg to decode the videos (sudo apt-get install -y ffmpeg): ${e.message}`)));
    child.once('close', () => resolve());
  });
}

/** The hashes of a video's first `max` frames, in order, decoded as the file's own frames (no rate conversion). */
export async function frameHashes(file: string, max = MAX_FRAMES): Promise<boolean[][]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-frames-'));
  try {
    // PNG is lossless: the frames' RGB as decoded, a file at a time (100 full-HD frames do not fit in memory raw).
    await ffmpeg(['-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-frames:v', String(max), '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', path.join(dir, '%05d.png')]);
    const frames = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
    const hashes: boolean[][] = [];
    for (const f of frames) {
      const { data, info } = await sharp(path.join(dir, f)).raw().toBuffer({ resolveWithObject: true });
      hashes.push(await phash({ width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length), palette: false }));
    }
    return hashes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The reference's loop over the two hash sequences. */
export function videosMatch(a: boolean[][], b: boolean[][], max = MAX_FRAMES, threshold = HASH_THRESHOLD): boolean {
  let mismatches = 0;
  for (let i = 0; i < max; i++) {
    if (i >= a.length || i >= b.length) return i >= a.length && i >= b.length;
    if (hashDistance(a[i]!, b[i]!) > threshold && ++mismatches > threshold) return false;
  }
  return true;
}

export const VIDEO_METRICS: Record<string, Metric> = {
  compare_videos: async (actual, expected, options) => {
    if (!isFile(actual) || !isFile(expected)) return 0;
    const max = typeof options.max_frames_to_check === 'number' ? options.max_frames_to_check : MAX_FRAMES;
    const threshold = typeof options.threshold === 'number' ? options.threshold : HASH_THRESHOLD;
    return videosMatch(await frameHashes(actual, max), await frameHashes(expected, max), max, threshold) ? 1 : 0;
  },
};
