/**
 * compare_pdf_images on PDFs the test writes (build.ts pdfWithImages): the embedded images paired in order, each
 * pair matching when imagehash's pHash differs in at most 5 bits, as chrome.py's compare_pdf_images scores them.
 */
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { OFFICE_METRICS } from '../../../app/tasks/office';
import { ScoreZero } from '../../../app/tasks/office/table';
import { tempDir } from '../helpers';
import { pdfWithImages, type PdfImage } from './build';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await tempDir('pdf-images');
});
const pdf = (...pages: PdfImage[][]) => pdfWithImages(path.join(dir, `p${n++}.pdf`), pages);

async function image(svg: string, width: number, height: number): Promise<PdfImage> {
  const rgb = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 120 160">${svg}</svg>`))
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer();
  return { width, height, rgb };
}

/** A receipt: dark lines of text-like bars on white. */
const RECEIPT = '<rect width="120" height="160" fill="#fff"/><rect x="30" y="10" width="60" height="10" fill="#222"/>' +
  [30, 45, 60, 75, 90, 105].map((y, i) => `<rect x="10" y="${y}" width="${50 + (i % 3) * 20}" height="6" fill="#444"/><rect x="95" y="${y}" width="15" height="6" fill="#444"/>`).join('') +
  '<rect x="10" y="130" width="100" height="12" fill="#000"/>';
const INVERTED = RECEIPT.replace(/#fff"/, '#000"').replace(/fill="#(222|444|000)"/g, 'fill="#fff"');
const GRADIENT = '<defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient></defs><rect width="120" height="160" fill="url(#g)"/>';

const compare = (a: unknown, b: unknown) => OFFICE_METRICS.compare_pdf_images!(a, b, {});

describe('compare_pdf_images', () => {
  it('the same picture matches whatever its pixel size in the PDF; a different one does not', async () => {
    const receipt = await image(RECEIPT, 120, 160);
    const gold = pdf([receipt]);
    expect(await compare(pdf([receipt]), gold)).toBe(1);
    // pHash keeps only the lowest frequencies of a 32x32 reduction: the receipt stored at half size hashes alike
    expect(await compare(pdf([await image(RECEIPT, 60, 80)]), gold)).toBe(1);
    // inverted, the low-frequency coefficients change sign against their median: far more than 5 bits differ
    expect(await compare(pdf([await image(INVERTED, 120, 160)]), gold)).toBe(0);
    expect(await compare(pdf([await image(GRADIENT, 120, 160)]), gold)).toBe(0);
  });

  it('pairs images in page order and scores the share that match; other counts score 0, no images 1', async () => {
    const receipt = await image(RECEIPT, 120, 160);
    const gradient = await image(GRADIENT, 120, 160);
    const gold = pdf([receipt], [gradient]);
    expect(await compare(pdf([receipt], [gradient]), gold)).toBe(1);
    expect(await compare(pdf([receipt], [receipt]), gold)).toBe(0.5);
    // both on one page: the same images in the same order
    expect(await compare(pdf([receipt, gradient]), gold)).toBe(1);
    expect(await compare(pdf([receipt]), gold)).toBe(0);
    expect(await compare(pdf([]), pdf([]))).toBe(1);
  });

  it('a missing PDF, or one that is not a PDF, scores 0 with the reason', async () => {
    const gold = pdf([await image(RECEIPT, 120, 160)]);
    await expect(compare(path.join(dir, 'receipt.pdf'), gold)).rejects.toThrow(ScoreZero);
    await expect(compare(null, gold)).rejects.toThrow(/not found/);
    await expect(compare(path.join(dir, '..'), gold)).rejects.toThrow(ScoreZero);
  });
});
