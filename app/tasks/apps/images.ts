/**
 * GIMP's and the other image metrics (desktop_env/evaluators/metrics/gimp.py, compare_images of vlc.py) and the
 * gimp_config_file getter. Pixels are decoded with sharp and converted the way Pillow converts them (RGBA -> RGB
 * drops alpha, RGB -> L is Pillow's integer luma, RGB -> HSV Pillow's byte HSV), so thresholds mean what they mean
 * in the reference. Structural similarity is scikit-image's (./ssim.ts). Resampling (LANCZOS, BICUBIC) is sharp's,
 * which differs from Pillow's in the last bits of some pixels only.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Getter } from '../evaluator-types';
import type { Metric } from '../evaluator-types';
import { ssimInterleaved } from './ssim';
import { copyOut, destPath, dict, isFile, str } from './util';

/** A decoded image: interleaved 8-bit channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface Img {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
  /** The file stores palette indices (Pillow's mode "P"). */
  palette: boolean;
}

export async function loadImage(file: string): Promise<Img> {
  const image = sharp(file, { failOn: 'none' });
  const meta = await image.metadata();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length), palette: meta.isPalette === true };
}

function make(width: number, height: number, channels: number, palette = false): Img {
  return { width, height, channels, data: new Uint8Array(width * height * channels), palette };
}

/** Pillow's convert("RGB"): gray is repeated, alpha dropped (not composited). */
export function toRGB(img: Img): Img {
  if (img.channels === 3) return img;
  const out = make(img.width, img.height, 3);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) out.data[i * 3 + c] = img.data[i * img.channels + (img.channels >= 3 ? c : 0)]!;
  }
  return out;
}

/** Pillow's convert("L"): L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16. */
export function toL(img: Img): Img {
  if (img.channels <= 2) {
    const out = make(img.width, img.height, 1);
    for (let i = 0; i < img.width * img.height; i++) out.data[i] = img.data[i * img.channels]!;
    return out;
  }
  const out = make(img.width, img.height, 1);
  for (let i = 0; i < img.width * img.height; i++) {
    const p = i * img.channels;
    out.data[i] = (img.data[p]! * 19595 + img.data[p + 1]! * 38470 + img.data[p + 2]! * 7471 + 0x8000) >> 16;
  }
  return out;
}

/** Pillow's convert("HSV") (its rgb2hsv): each of H, S, V as a byte. */
export function toHSV(img: Img): Img {
  const rgb = toRGB(img);
  const out = make(img.width, img.height, 3);
  for (let i = 0; i < img.width * img.height; i++) {
    const r = rgb.data[i * 3]!;
    const g = rgb.data[i * 3 + 1]!;
    const b = rgb.data[i * 3 + 2]!;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    let h = 0;
    let s = 0;
    if (max !== min) {
      const cr = max - min;
      s = cr / max;
      const rc = (max - r) / cr;
      const gc = (max - g) / cr;
      const bc = (max - b) / cr;
      let hh = r === max ? bc - gc : g === max ? 2 + rc - bc : 4 + gc - rc;
      hh = (((hh / 6 + 1) % 1) + 1) % 1;
      h = Math.min(255, Math.max(0, Math.trunc(hh * 255)));
      s = Math.min(255, Math.max(0, Math.trunc(s * 255)));
    }
    out.data[i * 3] = h;
    out.data[i * 3 + 1] = s;
    out.data[i * 3 + 2] = max;
  }
  return out;
}

function band(img: Img, c: number): Img {
  const out = make(img.width, img.height, 1);
  for (let i = 0; i < img.width * img.height; i++) out.data[i] = img.data[i * img.channels + c]!;
  return out;
}

export async function resize(img: Img, width: number, height: number, kernel: 'lanczos3' | 'cubic' = 'lanczos3'): Promise<Img> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length), palette: false };
}

function mean(values: Uint8Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** structure_check_by_ssim: both as RGB, same size, at least 7x7, SSIM >= threshold. */
export function structureBySsim(a: Img, b: Img, threshold = 0.9): boolean {
  if (a.width < 7 || a.height < 7 || b.width < 7 || b.height < 7) return false;
  if (a.width !== b.width || a.height !== b.height) return false;
  return ssimInterleaved(toRGB(a), toRGB(b)) >= threshold;
}

/** structure_check_by_mse: the first resized to the second, both RGB, mean squared error of [0, 1] values < threshold. */
async function structureByMse(a: Img, b: Img, threshold = 0.03): Promise<boolean> {
  const x = toRGB(await resize(a, b.width, b.height));
  const y = toRGB(b);
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) sum += ((x.data[i]! - y.data[i]!) / 255) ** 2;
  return sum / x.data.length < threshold;
}

/** normalize_brightness: every band scaled by target / mean luma, truncated and clipped, as Image.point does. */
function normalizeBrightness(img: Img, target: number): Img {
  const factor = target / mean(toL(img).data);
  const out = make(img.width, img.height, img.channels);
  for (let i = 0; i < img.data.length; i++) out.data[i] = Math.min(255, Math.max(0, Math.trunc(img.data[i]! * factor)));
  return out;
}

function std(values: Uint8Array): number {
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return Math.sqrt(sum / values.length);
}

/** The bounding box of pixels whose alpha is not 0 (Pillow's getbbox on the alpha band), or null. */
function alphaBox(img: Img): { left: number; top: number; right: number; bottom: number } | null {
  if (img.channels !== 2 && img.channels !== 4) return { left: 0, top: 0, right: img.width, bottom: img.height };
  let left = img.width;
  let top = img.height;
  let right = 0;
  let bottom = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[(y * img.width + x) * img.channels + img.channels - 1]! !== 0) {
        left = Math.min(left, x);
        top = Math.min(top, y);
        right = Math.max(right, x + 1);
        bottom = Math.max(bottom, y + 1);
      }
    }
  }
  return right === 0 ? null : { left, top, right, bottom };
}

function crop(img: Img, box: { left: number; top: number; right: number; bottom: number }): Img {
  const w = box.right - box.left;
  const h = box.bottom - box.top;
  const out = make(w, h, img.channels);
  for (let y = 0; y < h; y++) {
    const from = ((box.top + y) * img.width + box.left) * img.channels;
    out.data.set(img.data.subarray(from, from + w * img.channels), y * w * img.channels);
  }
  return out;
}

function hasAlpha(img: Img): boolean {
  return img.channels === 2 || img.channels === 4;
}

/** Variance of the 4-neighbour Laplacian of the grayscale image (OpenCV's ksize 1, borders reflected). */
function laplacianVariance(img: Img): number {
  const g = toL(img);
  const { width: w, height: h } = g;
  const at = (x: number, y: number) => {
    const rx = x < 0 ? -x : x >= w ? 2 * w - x - 2 : x;
    const ry = y < 0 ? -y : y >= h ? 2 * h - y - 2 : y;
    return g.data[Math.max(0, Math.min(h - 1, ry)) * w + Math.max(0, Math.min(w - 1, rx))]!;
  };
  const values = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) values[y * w + x] = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4 * at(x, y);
  let m = 0;
  for (const v of values) m += v;
  m /= values.length;
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return s / values.length;
}

type ImageMetric = Metric;

/** A metric of two image files; a missing file scores 0, as in the reference. */
function both(fn: (a: Img, b: Img, options: Record<string, unknown>) => number | Promise<number>): ImageMetric {
  return async (a, b, options) => {
    if (a === null || a === undefined || b === null || b === undefined) return 0;
    if (!isFile(a) || !isFile(b)) return 0;
    return fn(await loadImage(a), await loadImage(b), options);
  };
}

export const IMAGE_METRICS: Record<string, Metric> = {
  compare_images: async (a, b, options) => {
    if (!a || !b || !isFile(a) || !isFile(b) || statSync(a).size === 0 || statSync(b).size === 0) return 0;
    let x: Img;
    let y: Img;
    try {
      x = toL(await loadImage(a));
      y = toL(await loadImage(b));
    } catch {
      return 0;
    }
    // Python's min() of (width, height) tuples: the smaller width, ties broken by height.
    const [w, h] = x.width < y.width || (x.width === y.width && x.height <= y.height) ? [x.width, x.height] : [y.width, y.height];
    const similarity = ssimInterleaved(await resize(x, w, h), await resize(y, w, h));
    const base = options.reference_base_result;
    if (base === undefined || base === null) return similarity;
    const b0 = Number(base);
    return similarity >= b0 + 0.01 ? (similarity - b0) / (1 - b0) : 0;
  },
  compare_image_list: async (preds, golds) => {
    const p = Array.isArray(preds) ? preds : [preds];
    const g = Array.isArray(preds) ? (Array.isArray(golds) ? golds : [golds]) : [golds];
    for (let i = 0; i < Math.min(p.length, g.length); i++) {
      if (!p[i] || !g[i] || !isFile(p[i]) || !isFile(g[i])) return 0;
      const gold = await loadImage(g[i] as string);
      let pred = await loadImage(p[i] as string);
      if (pred.width !== gold.width || pred.height !== gold.height) pred = await resize(pred, gold.width, gold.height);
      if (pred.channels !== gold.channels) pred = gold.channels === 1 ? toL(pred) : gold.channels === 3 ? toRGB(pred) : pred;
      if (pred.channels !== gold.channels || pred.data.some((v, j) => v !== gold.data[j])) return 0;
    }
    return 1;
  },
  check_structure_sim: both((a, b) => (a.width === b.width && a.height === b.height && structureBySsim(a, b) ? 1 : 0)),
  check_structure_sim_resized: both(async (src, tgt) => {
    let s = src;
    if (hasAlpha(src)) {
      const box = alphaBox(src);
      if (!box) return 0;
      s = toRGB(crop(src, box));
    }
    return structureBySsim(await resize(s, tgt.width, tgt.height, 'cubic'), toRGB(tgt)) ? 1 : 0;
  }),
  check_brightness_decrease_and_structure_sim: both(async (src, tgt, options) => {
    const reduced = mean(toL(tgt).data) > mean(toL(src).data);
    const same = await structureByMse(normalizeBrightness(src, 128), normalizeBrightness(tgt, 128), Number(options.threshold ?? 0.03));
    return reduced && same ? 1 : 0;
  }),
  check_saturation_increase_and_structure_sim: both((src, tgt) => {
    const hs = toHSV(src);
    const ht = toHSV(tgt);
    const increased = mean(band(ht, 1).data) < mean(band(hs, 1).data);
    const same = structureBySsim(band(hs, 0), band(ht, 0)) && structureBySsim(band(hs, 2), band(ht, 2));
    return increased && same ? 1 : 0;
  }),
  check_contrast_increase_and_structure_sim: both((src, tgt) => (std(tgt.data) < std(src.data) && structureBySsim(src, tgt, 0.65) ? 1 : 0)),
  check_file_exists_and_structure_sim: both((src, tgt) => (structureBySsim(src, tgt) ? 1 : 0)),
  check_palette_and_structure_sim: both((src, tgt) => (src.palette && structureBySsim(toRGB(src), tgt) ? 1 : 0)),
  check_image_mirror: both((src, tgt) => {
    const flipped = make(src.width, src.height, src.channels);
    for (let y = 0; y < src.height; y++) {
      for (let x = 0; x < src.width; x++) {
        const from = (y * src.width + (src.width - 1 - x)) * src.channels;
        flipped.data.set(src.data.subarray(from, from + src.channels), (y * src.width + x) * src.channels);
      }
    }
    return structureBySsim(flipped, tgt, 0.99) ? 1 : 0;
  }),
  check_green_background: both((src, tgt) => {
    // The reference indexes pixels as [x, y] of a [row, column] array: it reads row x, column y (and fails on a
    // wide image, where x runs past the last row).
    for (let x = 0; x < tgt.width; x++) {
      for (let y = 0; y < tgt.height; y++) {
        if (x >= tgt.height || y >= tgt.width || x >= src.height || y >= src.width) throw new RangeError(`index ${x} is out of bounds for axis 0 with size ${tgt.height}`);
        const t = (x * tgt.width + y) * tgt.channels;
        const tc = tgt.channels >= 3 ? [tgt.data[t]!, tgt.data[t + 1]!, tgt.data[t + 2]!] : [tgt.data[t]!, tgt.data[t]!, tgt.data[t]!];
        if (tc[0] === 0 && tc[1] === 0 && tc[2] === 0) continue;
        const p = (x * src.width + y) * src.channels;
        const [r, g, b] = src.channels >= 3 ? [src.data[p]!, src.data[p + 1]!, src.data[p + 2]!] : [src.data[p]!, src.data[p]!, src.data[p]!];
        if (!(g > r && g > b)) return 0;
      }
    }
    return 1;
  }),
  check_sharper: both((src, tgt) => (laplacianVariance(src) > laplacianVariance(tgt) ? 1 : 0)),
  increase_saturation: both((a, b) => (mean(band(toHSV(a), 1).data) < mean(band(toHSV(b), 1).data) ? 1 : 0)),
  decrease_brightness: both((a, b) => (mean(toL(a).data) > mean(toL(b).data) ? 1 : 0)),
  check_triangle_position: async (file) => {
    if (!isFile(file)) return 0;
    const img = await loadImage(file);
    if (img.channels < 3) throw new TypeError('check_triangle_position needs a colour image');
    const counts = new Map<string, number>();
    const key = (i: number) => Array.from(img.data.subarray(i * img.channels, (i + 1) * img.channels)).join(',');
    for (let i = 0; i < img.width * img.height; i++) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
    // numpy.unique sorts the colours; argsort of the counts (ascending, stable) then orders them by frequency, and
    // the reference takes the second entry of that order as the triangle's colour.
    const colours = [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).sort((a, b) => a[1] - b[1]);
    const triangle = colours[1]?.[0];
    if (triangle === undefined) throw new RangeError('index 1 is out of bounds: the image has one colour');
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      if (key(i) !== triangle) continue;
      sx += i % img.width;
      sy += Math.floor(i / img.width);
      n++;
    }
    const cy = sy / n;
    const cx = sx / n;
    return Math.abs(cy - img.height / 2) < 0.05 * img.height && Math.abs(cx - img.width / 2) < 0.05 * img.width ? 1 : 0;
  },
  check_textbox_on_leftside: async (file) => {
    if (!isFile(file)) return 0;
    const g = toL(await loadImage(file));
    let left = g.width;
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        if (g.data[y * g.width + x]! < 128) {
          left = Math.min(left, x);
          break;
        }
      }
    }
    return left < g.width * 0.05 ? 1 : 0;
  },
  check_image_size: async (file, rule) => {
    if (!isFile(file)) return 0;
    const r = dict(rule, 'rule');
    const img = await loadImage(file);
    let [w, h] = [img.width, img.height];
    if ((r.ignore_transparent && hasAlpha(img)) || (img.palette && hasAlpha(img))) {
      const box = alphaBox(img);
      [w, h] = box ? [box.right - box.left, box.bottom - box.top] : [0, 0];
    }
    const okH = r.height === undefined || r.height === null || h === Number(r.height);
    const okW = r.width === undefined || r.width === null || w === Number(r.width);
    return okH && okW ? 1 : 0;
  },
  check_image_file_size: async (file, rule) => {
    if (!isFile(file)) return 0;
    return statSync(file).size < Number(dict(rule, 'rule').max_size) ? 1 : 0;
  },
  check_config_status: async (file, rule) => {
    if (!isFile(file)) return 0;
    const r = dict(rule, 'rule');
    for (const line of (await readFile(file, 'utf8')).split(/(?<=\n)/)) {
      if (line.startsWith('#') || line === '\n') continue;
      const items = line.trim().replace(/^\(+/, '').replace(/[)\n]+$/, '').split(/\s+/);
      if (typeof r.key === 'string' && items[0] === r.key && items.at(-1) === r.value) return 1;
      if (Array.isArray(r.key) && r.key.length === 2 && items[0] === r.key[0] && items[1] === r.key[1] && items.at(-1) === r.value) return 1;
    }
    return 0;
  },
  check_file_exists: async (directory, filename) => (typeof directory === 'string' && typeof filename === 'string' && isFile(path.join(directory, filename)) ? 1 : 0),
};

export const IMAGE_GETTERS: Record<string, Getter> = {
  gimp_config_file: async (ctx, config) => {
    const name = str(config.file_name, 'gimp_config_file: file_name');
    if (name.includes('/') || name === '..') throw new Error(`gimp_config_file: file_name must be a file of ~/.config/GIMP/2.10, got ${JSON.stringify(name)}`);
    const local = await copyOut(ctx, `/home/user/.config/GIMP/2.10/${name}`, destPath(ctx, config.dest, name));
    if (local === null) return null;
    return (await readFile(local)).length ? local : null;
  },
};
