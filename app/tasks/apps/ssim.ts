/**
 * Structural similarity exactly as scikit-image's structural_similarity computes it with its defaults, which the
 * OSWorld image metrics rely on: a 7x7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance (N / (N - 1)),
 * data range 255 for 8-bit images, and the mean of the SSIM map with the 3-pixel border (where the window would leave
 * the image) cropped away; for several channels, the mean over channels.
 * Written here because the npm SSIM packages compute other variants (Gaussian 11x11 windows, luminance only,
 * down-sampling), which do not reproduce the reference's scores.
 */

export interface Plane {
  width: number;
  height: number;
  /** Row-major values, one per pixel. */
  data: ArrayLike<number>;
}

/** Summed-area table with a zero first row and column: sum over [x0, x1) x [y0, y1) in four lookups. */
function integral(width: number, height: number, value: (i: number) => number): Float64Array {
  const w = width + 1;
  const table = new Float64Array(w * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += value(y * width + x);
      table[(y + 1) * w + x + 1] = table[y * w + x + 1]! + row;
    }
  }
  return table;
}

/** SSIM of two planes of the same size; throws, as scikit-image does, when the window does not fit. */
export function ssimPlane(a: Plane, b: Plane, options: { winSize?: number; dataRange?: number } = {}): number {
  const win = options.winSize ?? 7;
  const range = options.dataRange ?? 255;
  const { width, height } = a;
  if (b.width !== width || b.height !== height) throw new Error(`ssim: planes differ in size (${width}x${height} vs ${b.width}x${b.height})`);
  if (win > width || win > height) throw new Error(`ssim: win_size exceeds image extent (${width}x${height} < ${win})`);
  const x = a.data;
  const y = b.data;
  const sx = integral(width, height, (i) => x[i]!);
  const sy = integral(width, height, (i) => y[i]!);
  const sxx = integral(width, height, (i) => x[i]! * x[i]!);
  const syy = integral(width, height, (i) => y[i]! * y[i]!);
  const sxy = integral(width, height, (i) => x[i]! * y[i]!);
  const n = win * win;
  const covNorm = n / (n - 1);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  const pad = (win - 1) >> 1;
  const w = width + 1;
  let total = 0;
  let count = 0;
  for (let cy = pad; cy < height - pad; cy++) {
    for (let cx = pad; cx < width - pad; cx++) {
      const x0 = cx - pad;
      const y0 = cy - pad;
      const x1 = x0 + win;
      const y1 = y0 + win;
      const box = (t: Float64Array) => (t[y1 * w + x1]! - t[y0 * w + x1]! - t[y1 * w + x0]! + t[y0 * w + x0]!) / n;
      const ux = box(sx);
      const uy = box(sy);
      const vx = covNorm * (box(sxx) - ux * ux);
      const vy = covNorm * (box(syy) - uy * uy);
      const vxy = covNorm * (box(sxy) - ux * uy);
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      count++;
    }
  }
  return total / count;
}

/** SSIM of two interleaved images with the same channels: the mean of the per-channel SSIMs. */
export function ssimInterleaved(
  a: { width: number; height: number; channels: number; data: Uint8Array },
  b: { width: number; height: number; channels: number; data: Uint8Array },
  options: { winSize?: number; dataRange?: number } = {},
): number {
  if (a.channels !== b.channels) throw new Error(`ssim: ${a.channels} vs ${b.channels} channels`);
  let sum = 0;
  for (let c = 0; c < a.channels; c++) {
    const plane = (img: typeof a): Plane => {
      const data = new Uint8Array(img.width * img.height);
      for (let i = 0; i < data.length; i++) data[i] = img.data[i * img.channels + c]!;
      return { width: img.width, height: img.height, data };
    };
    sum += ssimPlane(plane(a), plane(b), options);
  }
  return sum / a.channels;
}
