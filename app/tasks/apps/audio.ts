/**
 * compare_audios as OSWorld scores it (desktop_env/evaluators/metrics/vlc.py): each file loaded as librosa.load
 * loads it (mono, resampled to 22050 Hz), 20 MFCCs per frame as librosa.feature.mfcc computes them (power STFT:
 * 2048-sample periodic Hann frames every 512 samples, zero-padded at both ends; 128 Slaney mel bands up to
 * 11025 Hz; dB, ref 1, amin 1e-10, 80 dB floor; orthonormal DCT-II), each coefficient scaled by its largest
 * magnitude over time (librosa.util.normalize, axis 1), aligned with fastdtw (radius 1) under the cosine distance;
 * the score is exp(-DTW distance / path length). Both files empty or undecodable score 1, one of them 0; a missing
 * result scores 0.
 *
 * No library here does MFCCs or fastdtw, so they are written out below from what librosa, scipy and fastdtw compute.
 * Decoding and resampling are ffmpeg's (channels averaged, then libsoxr at 20-bit precision, the "HQ" quality
 * librosa's default resampler soxr_hq uses). Known difference: the decoder (ffmpeg's, where librosa reads mp3 with
 * libsndfile/mpg123) and the resampler's pass-band edge can differ in the last bits of samples, so a fractional
 * score can differ from the reference's in its last decimals (so can librosa's float32 arithmetic, done here in
 * float64); identical audio scores 1 in both.
 */
import { spawn } from 'node:child_process';
import type { Metric } from '../evaluator-types';
import { isFile } from './util';

export const SAMPLE_RATE = 22050;
const N_FFT = 2048;
const HOP = 512;
const N_MELS = 128;
const N_MFCC = 20;

function run(program: string, args: string[]): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 300_000 });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.once('error', (e) => reject(new Error(`compare_audios needs ${program} to decode the audio (sudo apt-get install -y ffmpeg): ${e.message}`)));
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(chunks) }));
  });
}

/** librosa.load(file): mono (the channels' mean), 22050 Hz, float samples; null where it cannot be read. */
export async function loadAudio(file: string): Promise<Float32Array | null> {
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=channels', '-of', 'csv=p=0', file]);
  const channels = Number.parseInt(probe.stdout.toString().trim(), 10);
  if (probe.code !== 0 || !(channels > 0)) return null;
  const filters: string[] = [];
  if (channels > 1) filters.push(`pan=mono|c0=${Array.from({ length: channels }, (_, c) => `${1 / channels}*c${c}`).join('+')}`);
  filters.push(`aresample=${SAMPLE_RATE}:resampler=soxr:precision=20`);
  const r = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-map', '0:a:0', '-af', filters.join(','), '-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1']);
  if (r.code !== 0) return null;
  const copy = Buffer.from(r.stdout); // aligned for the Float32Array view
  return new Float32Array(copy.buffer, copy.byteOffset, Math.floor(copy.length / 4));
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** librosa's Slaney mel scale (linear below 1 kHz, logarithmic above). */
export function hzToMel(hz: number): number {
  const fSp = 200 / 3;
  if (hz < 1000) return hz / fSp;
  return 1000 / fSp + Math.log(hz / 1000) / (Math.log(6.4) / 27);
}

export function melToHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogMel = 1000 / fSp;
  if (mel < minLogMel) return mel * fSp;
  return 1000 * Math.exp((Math.log(6.4) / 27) * (mel - minLogMel));
}

/** librosa.filters.mel(sr, n_fft, n_mels=128, fmin=0, fmax=sr/2, htk=False, norm="slaney"): [band][bin]. */
export function melFilters(sr = SAMPLE_RATE, nFft = N_FFT, nMels = N_MELS): Float64Array[] {
  const bins = 1 + nFft / 2;
  const fftFreqs = Array.from({ length: bins }, (_, k) => (k * sr) / 2 / (bins - 1));
  const maxMel = hzToMel(sr / 2);
  const melF = Array.from({ length: nMels + 2 }, (_, i) => melToHz((maxMel * i) / (nMels + 1)));
  const out: Float64Array[] = [];
  for (let m = 0; m < nMels; m++) {
    const w = new Float64Array(bins);
    const enorm = 2 / (melF[m + 2]! - melF[m]!);
    for (let k = 0; k < bins; k++) {
      const lower = (fftFreqs[k]! - melF[m]!) / (melF[m + 1]! - melF[m]!);
      const upper = (melF[m + 2]! - fftFreqs[k]!) / (melF[m + 2]! - melF[m + 1]!);
      w[k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
    out.push(w);
  }
  return out;
}

/** librosa.feature.mfcc(y=y, sr=22050) then librosa.util.normalize(axis=1): frames as rows of 20 coefficients. */
export function normalizedMfcc(y: Float32Array): Float64Array[] {
  const pad = N_FFT / 2;
  const padded = new Float64Array(y.length + 2 * pad);
  padded.set(y, pad);
  const frames = 1 + Math.floor((padded.length - N_FFT) / HOP);
  const window = Array.from({ length: N_FFT }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));
  const mel = melFilters();
  const bins = 1 + N_FFT / 2;
  const db: Float64Array[] = [];
  let maxDb = -Infinity;
  const re = new Float64Array(N_FFT);
  const im = new Float64Array(N_FFT);
  const power = new Float64Array(bins);
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < N_FFT; n++) {
      re[n] = padded[t * HOP + n]! * window[n]!;
      im[n] = 0;
    }
    fft(re, im);
    for (let k = 0; k < bins; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    const row = new Float64Array(N_MELS);
    for (let m = 0; m < N_MELS; m++) {
      let s = 0;
      const w = mel[m]!;
      for (let k = 0; k < bins; k++) s += w[k]! * power[k]!;
      row[m] = 10 * Math.log10(Math.max(1e-10, s));
      if (row[m]! > maxDb) maxDb = row[m]!;
    }
    db.push(row);
  }
  const floor = maxDb - 80;
  const mfcc: Float64Array[] = db.map((row) => {
    const out = new Float64Array(N_MFCC);
    for (let k = 0; k < N_MFCC; k++) {
      let s = 0;
      for (let n = 0; n < N_MELS; n++) s += Math.max(row[n]!, floor) * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * N_MELS));
      out[k] = s * Math.sqrt((k === 0 ? 1 : 2) / N_MELS);
    }
    return out;
  });
  // normalize(norm=inf, axis=1): each coefficient over time by its largest magnitude (left as is below float32's tiny).
  for (let k = 0; k < N_MFCC; k++) {
    let max = 0;
    for (const f of mfcc) max = Math.max(max, Math.abs(f[k]!));
    const scale = max < 1.1754943508222875e-38 ? 1 : max;
    for (const f of mfcc) f[k] = f[k]! / scale;
  }
  return mfcc;
}

/** scipy.spatial.distance.cosine: 1 - u.v / (|u| |v|), clipped to [0, 2]. */
export function cosineDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let uv = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < u.length; i++) {
    uv += u[i]! * v[i]!;
    uu += u[i]! * u[i]!;
    vv += v[i]! * v[i]!;
  }
  return Math.min(2, Math.max(0, 1 - uv / Math.sqrt(uu * vv)));
}

type Dist = (a: Float64Array, b: Float64Array) => number;
type Path = Array<[number, number]>;

/** fastdtw's __dtw over a window of (i, j) cells in row order (all cells when none): its ties go to (i-1, j), then (i, j-1). */
function dtwInWindow(x: Float64Array[], y: Float64Array[], window: Path | null, dist: Dist): { distance: number; path: Path } {
  const cols = y.length + 1;
  const cost = new Map<number, { d: number; from: number }>();
  const at = (i: number, j: number) => (i === 0 && j === 0 ? 0 : (cost.get(i * cols + j)?.d ?? Infinity));
  const cells = window ?? x.flatMap((_, i) => y.map((__, j) => [i, j] as [number, number]));
  for (const [i0, j0] of cells) {
    const i = i0 + 1;
    const j = j0 + 1;
    const dt = dist(x[i - 1]!, y[j - 1]!);
    let best = { d: at(i - 1, j) + dt, from: (i - 1) * cols + j };
    if (at(i, j - 1) + dt < best.d) best = { d: at(i, j - 1) + dt, from: i * cols + j - 1 };
    if (at(i - 1, j - 1) + dt < best.d) best = { d: at(i - 1, j - 1) + dt, from: (i - 1) * cols + j - 1 };
    cost.set(i * cols + j, best);
  }
  const path: Path = [];
  let i = x.length;
  let j = y.length;
  while (!(i === 0 && j === 0)) {
    path.push([i - 1, j - 1]);
    const from = cost.get(i * cols + j);
    if (!from) throw new Error('fastdtw: the window does not reach the end of both sequences');
    [i, j] = [Math.floor(from.from / cols), from.from % cols];
  }
  path.reverse();
  return { distance: at(x.length, y.length), path };
}

function halve(x: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i + 1 < x.length; i += 2) out.push(x[i]!.map((v, k) => (v + x[i + 1]![k]!) / 2));
  return out;
}

/** fastdtw's __expand_window: the low-resolution path widened by `radius`, doubled, as row-ordered runs. */
function expandWindow(path: Path, lenX: number, lenY: number, radius: number): Path {
  const key = (i: number, j: number) => `${i},${j}`;
  const around = new Map<string, [number, number]>();
  for (const [i, j] of path) for (let a = -radius; a <= radius; a++) for (let b = -radius; b <= radius; b++) around.set(key(i + a, j + b), [i + a, j + b]);
  const cells = new Set<string>();
  for (const [i, j] of around.values()) for (const [a, b] of [[i * 2, j * 2], [i * 2, j * 2 + 1], [i * 2 + 1, j * 2], [i * 2 + 1, j * 2 + 1]] as const) cells.add(key(a, b));
  const window: Path = [];
  let startJ = 0;
  for (let i = 0; i < lenX; i++) {
    let newStart: number | null = null;
    for (let j = startJ; j < lenY; j++) {
      if (cells.has(key(i, j))) {
        window.push([i, j]);
        if (newStart === null) newStart = j;
      } else if (newStart !== null) break;
    }
    if (newStart === null) throw new Error(`fastdtw: row ${i} of the expanded window is empty`);
    startJ = newStart;
  }
  return window;
}

/** fastdtw.fastdtw(x, y, radius, dist): the approximate DTW distance and its path. */
export function fastdtw(x: Float64Array[], y: Float64Array[], dist: Dist, radius = 1): { distance: number; path: Path } {
  if (x.length < radius + 2 || y.length < radius + 2) return dtwInWindow(x, y, null, dist);
  const low = fastdtw(halve(x), halve(y), dist, radius);
  return dtwInWindow(x, y, expandWindow(low.path, x.length, y.length, radius), dist);
}

/** The reference's similarity of two decoded signals (null: could not be read). */
export function audioSimilarity(y1: Float32Array | null, y2: Float32Array | null): number {
  const bad1 = !y1 || y1.length === 0;
  const bad2 = !y2 || y2.length === 0;
  if (bad1 && bad2) return 1;
  if (bad1 || bad2) return 0;
  const { distance, path } = fastdtw(normalizedMfcc(y1), normalizedMfcc(y2), cosineDistance);
  return Math.exp(-(path.length ? distance / path.length : Infinity));
}

export const AUDIO_METRICS: Record<string, Metric> = {
  compare_audios: async (actual, expected) => {
    if (!isFile(actual) || !isFile(expected)) return 0;
    return audioSimilarity(await loadAudio(actual), await loadAudio(expected));
  },
};
