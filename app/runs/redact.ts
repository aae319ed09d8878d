/**
 * Redaction of exported training data (`deskpilot export --redact ...`): screenshots may show mail, names and
 * documents, and the text the model saw may quote them.
 *
 * - boxes the person gives (`--redact-box x,y,w,h`, in the pixels of the screenshots as the model saw them) are
 *   blurred on every image;
 * - patterns (`--redact-text`, and with `--redact` the run's own `text` deny rules, the built-in ones included):
 *   each image is read by OCR (app/screen/ocr.ts) and every line of text a pattern matches is blurred; in the text
 *   of the messages each match becomes REDACTED. The `<image>` placeholders are never touched, so the count of
 *   images still matches.
 *
 * Patterns are RE2 (app/patterns.ts): matching is linear in the text whatever the pattern.
 */
import sharp from 'sharp';
import type { DenyRule } from '../contract';
import { compilePattern, patternProblem, type Pattern } from '../patterns';
import type { ScreenReader, TextBox } from '../screen/ocr';

export const REDACTED = '[redacted]';
/** Blur strength: text under it cannot be read back (tried on 12-40 px text). */
const BLUR_SIGMA = 14;
/** Around each OCR line box, so the edges of the glyphs are covered too. */
const LINE_PADDING = 4;

export interface Redaction {
  boxes: TextBox[];
  patterns: Pattern[];
}

/** `x,y,w,h` in image pixels, e.g. "0,0,400,60". */
export function parseRedactBox(text: string): TextBox | string {
  const match = /^\s*(\d{1,5})\s*,\s*(\d{1,5})\s*,\s*(\d{1,5})\s*,\s*(\d{1,5})\s*$/.exec(text);
  if (!match) return `"${text}" is not a box: write x,y,width,height in the screenshot's pixels, e.g. 0,0,400,60`;
  const [x, y, width, height] = match.slice(1).map(Number) as [number, number, number, number];
  if (width === 0 || height === 0) return `"${text}" is an empty box`;
  return { x, y, width, height };
}

/** Compile redaction patterns; a pattern RE2 cannot take is named with why. */
export function compileRedactPatterns(sources: readonly string[]): Pattern[] | string {
  const out: Pattern[] = [];
  for (const source of sources) {
    const problem = patternProblem(source);
    if (problem) return `the redaction pattern ${JSON.stringify(source)} cannot be used: ${problem}`;
    out.push(compilePattern(source));
  }
  return out;
}

/** The patterns of a run's `text` deny rules. */
export function denyRulePatterns(rules: readonly DenyRule[]): string[] {
  return rules.filter((rule) => rule.match === 'text').map((rule) => rule.pattern);
}

/** `text` with every match of `patterns` replaced by REDACTED; the `<image>` placeholders stay as they are. */
export function redactText(text: string, patterns: readonly Pattern[], placeholder: string): string {
  if (patterns.length === 0) return text;
  return text
    .split(placeholder)
    .map((piece) => patterns.reduce((out, pattern) => pattern.matcher(out).replaceAll(REDACTED), piece))
    .join(placeholder);
}

function clip(box: TextBox, width: number, height: number): TextBox | null {
  const x = Math.max(0, Math.floor(box.x));
  const y = Math.max(0, Math.floor(box.y));
  const right = Math.min(width, Math.ceil(box.x + box.width));
  const bottom = Math.min(height, Math.ceil(box.y + box.height));
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

/**
 * The image with the redaction's boxes and every OCR line a pattern matches blurred, in its own format; `regions`
 * says how many were blurred (0: the bytes are returned unchanged).
 */
export async function redactImage(data: Buffer, redaction: Redaction, reader: ScreenReader | null): Promise<{ data: Buffer; regions: number }> {
  const image = sharp(data);
  const meta = await image.metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const boxes = [...redaction.boxes];
  if (reader && redaction.patterns.length > 0) {
    const raw = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const page = await reader.readPage({
      display: { id: 0, name: 'export', bounds: { x: 0, y: 0, width: raw.info.width, height: raw.info.height }, scaleFactor: 1, primary: true },
      width: raw.info.width,
      height: raw.info.height,
      channels: 3,
      data: raw.data,
      capturedAt: 0,
      method: 'export',
    });
    for (const line of page.lines) {
      if (!redaction.patterns.some((pattern) => pattern.matcher(line.text).find())) continue;
      const { x, y, width: w, height: h } = line.box;
      boxes.push({ x: x - LINE_PADDING, y: y - LINE_PADDING, width: w + 2 * LINE_PADDING, height: h + 2 * LINE_PADDING });
    }
  }
  const regions = boxes.map((box) => clip(box, width, height)).filter((box): box is TextBox => box !== null);
  if (regions.length === 0) return { data, regions: 0 };
  const overlays = await Promise.all(
    regions.map(async (box) => ({
      input: await sharp(data).extract({ left: box.x, top: box.y, width: box.width, height: box.height }).blur(BLUR_SIGMA).toBuffer(),
      left: box.x,
      top: box.y,
    })),
  );
  const format = meta.format === 'jpeg' || meta.format === 'webp' ? meta.format : 'png';
  return { data: await sharp(data).composite(overlays).toFormat(format).toBuffer(), regions: regions.length };
}
