/**
 * compare_image_text (docs.py): read the text in an image and score 1 when the rule's text occurs in it.
 *
 * The reference reads with easyocr (CRAFT text detection and a CRNN recogniser, English) and joins the texts of
 * the boxes it finds with single spaces; here the project's OCR reads the page (tesseract.js, app/screen/ocr.ts:
 * English LSTM data, automatic page layout, words under confidence 30 left out) and its lines are joined with
 * single spaces. On clear text the two read the same words; they differ where text is small, low-contrast or
 * ambiguous (`l`/`I`, letter case, punctuation, how words group into boxes), so a target that leans on one
 * engine's reading can score differently - the published 02ce9a50 looks for " Ls", easyocr's reading of a
 * terminal's `ls`.
 *
 * The reference also converts X11 screen dumps (xwd) before reading; an image sharp cannot decode scores 0 here
 * with the reason.
 */
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { ScreenReader } from '../../screen/ocr';
import { ScoreZero } from './table';

export async function compareImageText(imagePath: unknown, rule: unknown): Promise<number> {
  if (typeof imagePath !== 'string' || imagePath === '') throw new ScoreZero('the image was not found (None)');
  if (!existsSync(imagePath)) throw new ScoreZero(`image file not found: ${imagePath}`);
  const { type, text } = (rule ?? {}) as { type?: unknown; text?: unknown };
  // the reference raises ValueError inside its OCR block for any other rule type and scores that 0
  if (type !== 'text') throw new ScoreZero(`rule type ${JSON.stringify(type)}: compare_image_text only checks "text" rules (the reference scores others 0)`);
  if (typeof text !== 'string') throw new Error('the rule\'s "text" must be a string');
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(imagePath).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ScoreZero(`cannot decode the image ${imagePath} (${(error as Error).message}); X11 screen dumps (xwd), which the reference converts, are not read here`);
  }
  const reader = await ScreenReader.open();
  try {
    const { width, height } = raw.info;
    const page = await reader.readPage({
      display: { id: 0, name: 'image', bounds: { x: 0, y: 0, width, height }, scaleFactor: 1, primary: true },
      width,
      height,
      channels: 3,
      data: raw.data,
      capturedAt: 0,
      method: 'file',
    });
    const extracted = page.lines.map((line) => line.text).join(' ');
    return extracted.includes(text) ? 1 : 0;
  } finally {
    await reader.close();
  }
}
