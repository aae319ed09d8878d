/**
 * compare_pdf_images (chrome.py, the perceptual-hash version): the images embedded in each PDF, page by page, are
 * paired in order; a pair matches when imagehash's pHash of the two differs in at most 5 of its 64 bits; the score
 * is the share of matching pairs (0 when the counts differ, 1 when neither PDF has an image).
 *
 * The reference lists each page's image XObjects with PyMuPDF (page.get_images: once per image per page; inline
 * images are not XObjects and are not listed) and opens the extracted image with PIL. Here pdfjs-dist decodes the
 * images the page draws, taken once per page in the order first drawn - the same list for PDFs whose images are
 * each drawn once (what converters and "print to PDF" write). pHash is imagehash's: greyscale as PIL converts
 * ("L"), a 32x32 Lanczos resize, a 2-D DCT-II, the 8x8 lowest frequencies against their median. The resize is
 * sharp's lanczos3, not PIL's own Lanczos, so pixel values can differ slightly; the hash compares coefficients with
 * their median, so only a pair whose distance is right at the threshold could score differently.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ScoreZero } from './table';

/** One embedded image in greyscale, as PIL's convert("L") gives it. */
interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

interface DecodedImage {
  width: number;
  height: number;
  kind?: number;
  data?: Uint8Array | Uint8ClampedArray;
}

/** PIL's ITU-R 601-2 luma with its fixed-point rounding (L = R*299/1000 + G*587/1000 + B*114/1000). */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

function toGrey(img: DecodedImage, kinds: { GRAYSCALE_1BPP: number; RGB_24BPP: number; RGBA_32BPP: number }): GreyImage {
  const { width, height, data } = img;
  if (!data) throw new Error('an image pdfjs-dist gave no pixels for');
  const out = new Uint8Array(width * height);
  if (img.kind === kinds.RGB_24BPP || img.kind === kinds.RGBA_32BPP) {
    const step = img.kind === kinds.RGB_24BPP ? 3 : 4;
    for (let i = 0; i < out.length; i++) out[i] = luma(data[i * step]!, data[i * step + 1]!, data[i * step + 2]!);
  } else if (img.kind === kinds.GRAYSCALE_1BPP) {
    // one bit a pixel, rows padded to whole bytes, a set bit white
    const rowBytes = (width + 7) >> 3;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[y * width + x] = (data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
    }
  } else throw new Error(`an image of a kind pdfjs-dist does not name (${String(img.kind)})`);
  return { width, height, data: out };
}

/** The image XObjects each page draws, once per page, in the order first drawn. */
async function embeddedImages(file: string): Promise<GreyImage[]> {
  const { getDocument, OPS, ImageKind } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const data = new Uint8Array(await readFile(file));
  const doc = await getDocument({ data, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0, isOffscreenCanvasSupported: false, isImageDecoderSupported: false }).promise;
  try {
    const images: GreyImage[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const ops = await page.getOperatorList();
      const seen = new Set<string>();
      for (let i = 0; i < ops.fnArray.length; i++) {
        const fn = ops.fnArray[i];
        if (fn !== OPS.paintImageXObject && fn !== OPS.paintImageXObjectRepeat) continue;
        const id = String((ops.argsArray[i] as unknown[])[0]);
        if (seen.has(id)) continue;
        seen.add(id);
        const store = id.startsWith('g_') ? page.commonObjs : page.objs;
        const img = await new Promise<DecodedImage>((resolve) => store.get(id, resolve as (v: unknown) => void));
        images.push(toGrey(img, ImageKind));
      }
    }
    return images;
  } finally {
    await doc.destroy();
  }
}

/** imagehash.phash(image): 64 bits, row-major over the 8x8 lowest DCT frequencies. */
export async function perceptualHash(img: GreyImage): Promise<boolean[]> {
  const N = 32;
  const px = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 1 } })
    .resize(N, N, { fit: 'fill', kernel: 'lanczos3' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const basis = (k: number, n: number) => Math.cos((Math.PI * k * (2 * n + 1)) / (2 * N));
  // scipy.fftpack.dct (type II, unnormalised) along the rows' axis, then the columns': only k, l < 8 are kept
  const byColumn: number[][] = Array.from({ length: 8 }, (_, k) =>
    Array.from({ length: N }, (_, m) => {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += px[n * N + m]! * basis(k, n);
      return 2 * sum;
    }),
  );
  const low: number[] = [];
  for (let k = 0; k < 8; k++) {
    for (let l = 0; l < 8; l++) {
      let sum = 0;
      for (let m = 0; m < N; m++) sum += byColumn[k]![m]! * basis(l, m);
      low.push(2 * sum);
    }
  }
  const sorted = [...low].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  return low.map((v) => v > median);
}

const HASH_THRESHOLD = 5;

export async function comparePdfImages(pdf1: unknown, pdf2: unknown): Promise<number> {
  if (typeof pdf1 !== 'string' || pdf1 === '' || typeof pdf2 !== 'string' || pdf2 === '') throw new ScoreZero('a PDF to compare was not found (None)');
  for (const f of [pdf1, pdf2]) if (!existsSync(f)) throw new ScoreZero(`PDF file not found: ${f}`);
  let images1: GreyImage[];
  let images2: GreyImage[];
  try {
    images1 = await embeddedImages(pdf1);
    images2 = await embeddedImages(pdf2);
  } catch (error) {
    throw new ScoreZero(`cannot extract the images of ${path.basename(pdf1)} / ${path.basename(pdf2)}: ${(error as Error).message}`);
  }
  if (images1.length !== images2.length) return 0;
  if (!images1.length) return 1;
  let matching = 0;
  for (let i = 0; i < images1.length; i++) {
    const [h1, h2] = await Promise.all([perceptualHash(images1[i]!), perceptualHash(images2[i]!)]);
    const distance = h1.filter((bit, j) => bit !== h2[j]).length;
    if (distance <= HASH_THRESHOLD) matching++;
  }
  return matching / images1.length;
}
