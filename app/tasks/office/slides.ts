/**
 * OSWorld's presentation metrics (desktop_env/evaluators/metrics/slides.py at xlang-ai/OSWorld 87df18ff), on the
 * python-pptx reading in presentation.ts. compare_pptx_files follows the reference step by step, including what it
 * always checks whatever the options say (shape and paragraph counts, table run bold/italic/underline) and the
 * steps where it raises (a theme-coloured solid background, a notes slide without a body).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UnsupportedError } from '../errors';
import { attr, descendants, kid, kids, NS, OfficeFileError, Package, parseXml, textOf, type XEl } from './ooxml';
import { Presentation, SHAPE_TYPE, solidRgb, type Paragraph, type Run, type Shape, type SlidePart } from './presentation';
import { pyStrip } from './pystr';
import { ScoreZero } from './table';

type Options = Record<string, unknown>;

function openPptx(file: unknown, role: string): Presentation {
  if (typeof file !== 'string' || file === '') throw new ScoreZero(`the ${role} presentation was not found (None)`);
  try {
    return Presentation.open(file);
  } catch (error) {
    throw new ScoreZero(`cannot open the ${role} presentation ${path.basename(file)}: ${(error as Error).message}`);
  }
}

const EXAMINE_DEFAULTS: Record<string, boolean> = {
  examine_number_of_slides: true, examine_shape: true, examine_text: true, examine_indent: true, examine_font_name: true,
  examine_font_size: true, examine_font_bold: true, examine_font_italic: true, examine_color_rgb: true, examine_font_underline: true,
  examine_strike_through: true, examine_alignment: true, examine_title_bottom_position: false, examine_table_bottom_position: false,
  examine_run_count: true, examine_right_position: false, examine_top_position: false, examine_shape_for_shift_size: false,
  examine_image_size: false, examine_modify_height: false, examine_bullets: true, examine_background_color: true, examine_note: true,
};
/** Options published tasks pass that the reference's compare_pptx_files does not read (so they change nothing there either). */
export const PPTX_OPTIONS_NOT_READ = ['examine_shape_lenient_height'];

function approxEqual(a: number | null, b: number | null, tolerance: number): boolean {
  if (a === b) return true;
  if (a === 0 || b === 0) return false;
  if (a === null || b === null) throw new TypeError("unsupported operand type(s) for -: 'NoneType' and 'int' (a shape without a position or size)");
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)) <= tolerance;
}

function slideBackground(deck: Presentation, slide: SlidePart): string | null {
  const own = slide.backgroundFill();
  if (own.type === 1) return solidRgb(own.fill);
  if (own.type === 5) {
    const master = deck.masterOf(slide);
    if (!master) return null;
    const m = master.backgroundFill();
    return m.type === 1 ? solidRgb(m.fill) : null;
  }
  return null;
}

function nonEmptyRuns(p: Paragraph): Run[] {
  return p.runs.filter((r) => pyStrip(r.text) !== '');
}

function runsForCompare(p1: Paragraph, p2: Paragraph): [Run[], Run[]] {
  if (pyStrip(p1.text) === '' && pyStrip(p2.text) === '') return [nonEmptyRuns(p1), nonEmptyRuns(p2)];
  return [p1.runs, p2.runs];
}

const falsy = (v: boolean | null) => v === null || v === false;

function underlineDiffers(a: Run, b: Run): boolean {
  if (a.underline === b.underline) return false;
  if (a.underline !== null && b.underline !== null) return true;
  return (a.underline === null && b.underline === true) || (a.underline === true && b.underline === null);
}

/** _extract_bullets: every paragraph of the slide with visible text: (lvl, bullet char, text, colour). Null where the reference's extraction fails. */
function extractBullets(slide: SlidePart): Array<[string | null, string, string, string]> | null {
  const out: Array<[string | null, string, string, string]> = [];
  for (const p of descendants(slide.root, NS.a, 'p')) {
    const pPr = kid(p, NS.a, 'pPr');
    let lvl: string | null;
    let char: string;
    let color: string;
    if (pPr) {
      lvl = attr(pPr, 'lvl') ?? null;
      const bu = kid(pPr, NS.a, 'buChar');
      char = bu ? (attr(bu, 'char') ?? 'None') : 'No Bullet';
      const clr = kid(kid(pPr, NS.a, 'buClr'), NS.a, 'srgbClr');
      color = clr ? (attr(clr, 'val') ?? 'None') : 'No Color';
    } else {
      lvl = 'No Level';
      char = 'No Bullet';
      color = 'No Color';
    }
    const ts = descendants(p, NS.a, 't');
    // ElementTree gives None for an empty <a:t/>, and "".join fails on it: the reference then skips the bullet check
    if (ts.some((t) => t.children.length === 0)) return null;
    const text = ts.map((t) => textOf(t)).join('');
    if (pyStrip(text) !== '') out.push([lvl, char, text, color]);
  }
  return out;
}

function bulletsMatch(a: Array<[string | null, string, string, string]>, b: Array<[string | null, string, string, string]>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [l1, c1, t1] = a[i]!;
    const [l2, c2, t2] = b[i]!;
    if (t1 !== t2 || c1 !== c2) return false;
    if (c1 !== 'No Bullet' || c2 !== 'No Bullet') {
      if ((l1 ?? '0') !== (l2 ?? '0')) return false;
    }
  }
  return true;
}

function textShapes(shapes: Shape[]): Shape[] {
  const out: Shape[] = [];
  for (const s of shapes) {
    if (s.hasText) out.push(s);
    if (s.shapes) out.push(...textShapes(s.shapes));
  }
  return out;
}

const align = (a: string | null) => a ?? 'l';

export function comparePptxFiles(file1: unknown, file2: unknown, options: Options = {}): number {
  const known = new Set([...Object.keys(EXAMINE_DEFAULTS), 'enable_debug', 'approximately_tolerance', ...PPTX_OPTIONS_NOT_READ]);
  const extra = Object.keys(options).filter((k) => !known.has(k));
  if (extra.length) throw new UnsupportedError(`compare_pptx_files option ${extra.join(', ')}`);
  const opt = (k: string) => (options[k] === undefined ? EXAMINE_DEFAULTS[k]! : Boolean(options[k]));
  const tol = Number(options.approximately_tolerance ?? 0.005);
  const eq = (a: number | null, b: number | null) => approxEqual(a, b, tol);
  const sameBox = (s1: Shape, s2: Shape) => eq(s1.left, s2.left) && eq(s1.top, s2.top) && eq(s1.width, s2.width) && eq(s1.height, s2.height);
  const deck1 = openPptx(file1, 'result');
  const deck2 = openPptx(file2, 'expected');

  if (deck1.slides.length !== deck2.slides.length && opt('examine_number_of_slides')) return 0;
  for (let i = 0; i < Math.min(deck1.slides.length, deck2.slides.length); i++) {
    const slide1 = deck1.slides[i]!;
    const slide2 = deck2.slides[i]!;
    const slideIdx = i + 1;
    if (slideBackground(deck1, slide1) !== slideBackground(deck2, slide2) && opt('examine_background_color')) return 0;
    const n1 = deck1.notesText(slide1);
    const n2 = deck2.notesText(slide2);
    if (n1 === null || n2 === null) throw new OfficeFileError('a notes slide without a body placeholder (the reference raises here)');
    if (pyStrip(n1) !== pyStrip(n2) && opt('examine_note')) return 0;
    const shapes1 = slide1.shapes();
    const shapes2 = slide2.shapes();
    const text1 = textShapes(shapes1);
    const text2 = textShapes(shapes2);
    if (shapes1.length !== shapes2.length) return 0;
    for (let j = 0; j < shapes1.length; j++) {
      const s1 = shapes1[j]!;
      const s2 = shapes2[j]!;
      // the reference logs each shape's type, which python-pptx cannot tell for some shapes
      if (s1.shapeType === -1 || s2.shapeType === -1) throw new OfficeFileError('Shape instance of unrecognized shape type (python-pptx raises NotImplementedError)');
      if (opt('examine_title_bottom_position')) {
        if (s1.hasText && s2.hasText && s1.text === s2.text) {
          if (s1.text === 'Product Comparison' && ((s1.top ?? 0) <= (s2.top ?? 0) || (s1.top ?? 0) < 3600000)) return 0;
        } else if (!sameBox(s1, s2)) return 0;
      }
      if (opt('examine_table_bottom_position')) {
        if (slideIdx === 3 && s1.shapeType === SHAPE_TYPE.TABLE && s2.shapeType === SHAPE_TYPE.TABLE) {
          if ((s1.top ?? 0) <= (s2.top ?? 0) || (s1.top ?? 0) < 3600000) return 0;
        } else if (!sameBox(s1, s2)) return 0;
      }
      if (opt('examine_right_position')) {
        if (slideIdx === 2 && !s1.hasText && !s2.hasText) {
          if ((s1.left ?? 0) <= (s2.left ?? 0) || (s1.left ?? 0) < 4320000) return 0;
        }
      }
      if (opt('examine_top_position')) {
        if (slideIdx === 2 && s1.shapeType === SHAPE_TYPE.PICTURE && s2.shapeType === SHAPE_TYPE.PICTURE) {
          if ((s1.top ?? 0) >= (s2.top ?? 0) || (s1.top ?? 0) > 1980000) return 0;
        }
      }
      if (opt('examine_shape_for_shift_size')) {
        if (!sameBox(s1, s2) && !(s1.hasText && s2.hasText && s1.text === s2.text && s1.text === 'Elaborate on what you want to discuss.')) return 0;
      }
      const bothEmpty = (!s1.hasText || pyStrip(s1.text) === '') && (!s2.hasText || pyStrip(s2.text) === '');
      if (opt('examine_shape') && !bothEmpty && !sameBox(s1, s2)) return 0;
      if (opt('examine_image_size')) {
        if (s1.shapeType === SHAPE_TYPE.PICTURE && s2.shapeType === SHAPE_TYPE.PICTURE) {
          if (!eq(s1.width, s2.width) || !eq(s1.height, s2.height)) return 0;
        } else if (!sameBox(s1, s2)) return 0;
      }
      if (opt('examine_modify_height')) {
        if ((!s1.hasText && !s2.hasText) || (s1.shapeType === SHAPE_TYPE.FREEFORM && s2.shapeType === SHAPE_TYPE.FREEFORM)) {
          if (!eq(s1.height, s2.height)) return 0;
        } else if (!sameBox(s1, s2)) return 0;
      }
      if (s1.shapeType === SHAPE_TYPE.TABLE) {
        const t1 = s1.table!;
        const t2 = s2.table;
        if (!t2) throw new OfficeFileError("the expected shape is not a table ('...' object has no attribute 'table')");
        if (t1.rows.length !== t2.rows.length || t1.columns !== t2.columns) return 0;
        for (let r = 0; r < t1.rows.length; r++) {
          for (let c = 0; c < t1.columns; c++) {
            const c1 = t1.rows[r]![c];
            const c2 = t2.rows[r]![c];
            if (!c1 || !c2) throw new OfficeFileError('a table row with fewer cells than columns (the reference raises IndexError)');
            if (c1.length !== c2.length) return 0;
            for (let k = 0; k < c1.length; k++) {
              const [r1, r2] = runsForCompare(c1[k]!, c2[k]!);
              if (r1.length !== r2.length && opt('examine_run_count')) return 0;
              for (let m = 0; m < Math.min(r1.length, r2.length); m++) {
                const a = r1[m]!;
                const b = r2[m]!;
                if (a.rgb !== null && b.rgb !== null && a.rgb !== b.rgb && opt('examine_color_rgb')) return 0;
                if (a.bold !== b.bold && !(falsy(a.bold) && falsy(b.bold))) return 0;
                if (a.italic !== b.italic && !(falsy(a.italic) && falsy(b.italic))) return 0;
                if (underlineDiffers(a, b)) return 0;
              }
            }
          }
        }
      }
      if (s1.hasText && s2.hasText) {
        if (pyStrip(s1.text) !== pyStrip(s2.text) && opt('examine_text')) return 0;
        if (s1.paragraphs.length !== s2.paragraphs.length) return 0;
        for (let k = 0; k < s1.paragraphs.length; k++) {
          const p1 = s1.paragraphs[k]!;
          const p2 = s2.paragraphs[k]!;
          if (opt('examine_alignment') && align(p1.alignment) !== align(p2.alignment)) return 0;
          if (p1.text !== p2.text && opt('examine_text')) return 0;
          if (p1.level !== p2.level && opt('examine_indent')) {
            if (!([0, 1].includes(p1.level) && [0, 1].includes(p2.level))) return 0;
          }
          const [r1, r2] = runsForCompare(p1, p2);
          if (r1.length !== r2.length && opt('examine_run_count')) return 0;
          for (let m = 0; m < Math.min(r1.length, r2.length); m++) {
            const a = r1[m]!;
            const b = r2[m]!;
            if (a.name !== b.name && opt('examine_font_name')) return 0;
            if (a.size !== b.size && opt('examine_font_size')) return 0;
            if (a.bold !== b.bold && opt('examine_font_bold') && !(falsy(a.bold) && falsy(b.bold))) return 0;
            if (a.italic !== b.italic && opt('examine_font_italic') && !(falsy(a.italic) && falsy(b.italic))) return 0;
            if (a.rgb !== null && b.rgb !== null && a.rgb !== b.rgb && opt('examine_color_rgb')) return 0;
            if (opt('examine_font_underline') && underlineDiffers(a, b)) return 0;
            if (a.strike !== b.strike && opt('examine_strike_through')) return 0;
            if (opt('examine_bullets')) {
              const b1 = extractBullets(slide1);
              const b2 = extractBullets(slide2);
              if (b1 && b2 && !bulletsMatch(b1, b2)) return 0;
            }
          }
        }
      }
    }
    if (opt('examine_alignment') && text1.length === text2.length) {
      for (let k = 0; k < text1.length; k++) {
        const t1 = text1[k]!;
        const t2 = text2[k]!;
        if (pyStrip(t1.text) !== pyStrip(t2.text) && opt('examine_text')) return 0;
        if (t1.paragraphs.length !== t2.paragraphs.length) return 0;
        for (let m = 0; m < t1.paragraphs.length; m++) if (align(t1.paragraphs[m]!.alignment) !== align(t2.paragraphs[m]!.alignment)) return 0;
      }
    } else if (text1.length !== text2.length) return 0;
  }
  return 1;
}

// ---------------------------------------------------------------- registry-file checks (LibreOffice's registrymodifications.xcu)

function readXcu(file: unknown): XEl {
  if (typeof file !== 'string') throw new ScoreZero('the configuration file was not found (None)');
  try {
    return parseXml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ScoreZero(`cannot read ${path.basename(file)}: ${(error as Error).message}`);
  }
}

function xcuProps(root: XEl, itemPath: string, propName: string): XEl[] {
  return descendants(root, '', 'item')
    .filter((i) => attr(i, 'path', NS.oor) === itemPath)
    .flatMap((i) => kids(i, '', 'prop').filter((p) => attr(p, 'name', NS.oor) === propName));
}

export function checkPresenterConsoleDisable(file: unknown): number {
  let root: XEl;
  try {
    root = readXcu(file);
  } catch {
    return 0; // the reference logs the error and returns 0
  }
  const prop = xcuProps(root, '/org.openoffice.Office.Impress/Misc/Start', 'EnablePresenterScreen')[0];
  if (!prop) return 0;
  const value = kid(prop, '', 'value');
  if (!value) return 0;
  return textOf(value).toLowerCase() === 'false' ? 1 : 0;
}

export function checkAutoSavingTime(file: unknown, rules: unknown): number {
  const minutes = (rules as { minutes?: unknown } | null)?.minutes;
  let root: XEl;
  try {
    root = readXcu(file);
  } catch {
    return 0;
  }
  let value: string | null = null;
  for (const item of descendants(root, '', 'item')) {
    if (attr(item, 'path', NS.oor) !== '/org.openoffice.Office.Common/Save/Document') continue;
    const prop = descendants(item, '', 'prop').find((p) => attr(p, 'name', NS.oor) === 'AutoSaveTimeIntervall');
    if (prop) {
      value = textOf(descendants(prop, '', 'value')[0]);
      break;
    }
  }
  if (value === null) return 0;
  return Number.parseInt(value.trim(), 10) === minutes ? 1 : 0;
}

// ---------------------------------------------------------------- other slide checks

const INCH = 914400;

export function checkImageStretchAndCenter(modified: unknown, original: unknown): number {
  const orig = openPptx(original, 'original');
  const mod = openPptx(modified, 'result');
  const s0 = orig.slides[0];
  const s1 = mod.slides[0];
  if (!s0 || !s1) throw new OfficeFileError('a presentation without slides (the reference raises IndexError)');
  const pics = (deck: Presentation, s: SlidePart) =>
    s.shapes().filter((sh) => sh.shapeType === SHAPE_TYPE.PICTURE).map((sh) => ({ sh, blob: sh.imageRid ? deck.pkg.bytes(deck.pkg.relTarget(s.part, sh.imageRid)?.target ?? '') : null }));
  const origPics = pics(orig, s0);
  if (!origPics.length) return 0;
  const the = origPics[0]!;
  let found: Shape | null = null;
  for (const p of pics(mod, s1)) if (the.blob && p.blob && Buffer.from(the.blob).equals(Buffer.from(p.blob))) found = p.sh;
  if (!found) return 0;
  const W = orig.slideWidth ?? 0;
  const H = orig.slideHeight ?? 0;
  const w = found.width ?? 0;
  const h = found.height ?? 0;
  if (Math.abs(w - W) > INCH / 2 || Math.abs(h - H) > INCH / 2 || Math.abs((found.left ?? 0) - (W - w) / 2) > INCH / 2 || Math.abs((found.top ?? 0) - (H - h) / 2) > INCH / 2) return 0;
  return 1;
}

export function checkSlideNumbersColor(file: unknown): number {
  const deck = openPptx(file, 'result');
  for (const slide of deck.slides) {
    for (const shape of slide.shapes()) {
      if (!shape.hasText || !/^\p{Nd}+$/u.test(shape.text)) continue;
      // get_master_placeholder_color: the first master placeholder whose text is "<number>", its first paragraph's default run colour
      for (const master of deck.masters()) {
        for (const ph of master.shapes()) {
          if (ph.shapeType !== SHAPE_TYPE.PLACEHOLDER || !ph.hasText || ph.text !== '<number>') continue;
          const p = ph.paragraphs[0];
          if (!p) return 0;
          const def = kid(kid(p.el, NS.a, 'pPr'), NS.a, 'defRPr');
          const srgb = kid(kid(def, NS.a, 'solidFill'), NS.a, 'srgbClr');
          if (!srgb) throw new OfficeFileError('the slide number placeholder colour is not an sRGB colour (python-pptx has no .rgb)');
          return (attr(srgb, 'val') ?? '').toUpperCase() === 'FF0000' ? 1 : 0;
        }
      }
      return 0;
    }
  }
  return 0;
}

export function checkStrikethrough(file: unknown, rules: unknown): number {
  const deck = openPptx(file, 'result');
  const r = (rules ?? {}) as { slide_index_s?: number[]; shape_index_s?: number[]; paragraph_index_s?: number[] };
  try {
    for (const si of r.slide_index_s ?? []) {
      const slide = deck.slides.at(si);
      if (!slide) return 0;
      const shapes = slide.shapes();
      for (const shi of r.shape_index_s ?? []) {
        const shape = shapes.at(shi);
        if (!shape || !shape.hasText) return 0;
        for (const pi of r.paragraph_index_s ?? []) {
          const run = shape.paragraphs.at(pi)?.runs[0];
          if (!run || !('strike' in run.rPrAttrs)) return 0;
        }
      }
    }
  } catch {
    return 0;
  }
  return 1;
}

export function checkSlideOrientationPortrait(file: unknown): number {
  const deck = openPptx(file, 'result');
  if (deck.slideWidth === null || deck.slideHeight === null) throw new OfficeFileError('the presentation has no slide size');
  return deck.slideWidth < deck.slideHeight ? 1 : 0;
}

export function evaluatePresentationFillToRgbDistance(file: unknown, rules: unknown): number {
  const r = rules as { rgb?: number[]; original_rgb?: number[] } | null;
  const rgb = r?.rgb;
  if (!Array.isArray(rgb) || rgb.length !== 3) throw new Error('rules.rgb must be [r, g, b]');
  const original = r?.original_rgb;
  const deck = openPptx(file, 'result');
  const distance = (slide: SlidePart): number => {
    const own = slide.backgroundFill();
    let fill: XEl | null;
    if (own.type === 1) fill = own.fill;
    else if (own.type === 5) {
      const m = deck.masterOf(slide)?.backgroundFill();
      if (!m || m.type !== 1) return 1;
      fill = m.fill;
    } else return 1;
    const srgb = kid(fill, NS.a, 'srgbClr');
    if (!srgb) return 1;
    const hex = attr(srgb, 'val') ?? '000000';
    const c = [0, 2, 4].map((k) => parseInt(hex.slice(k, k + 2), 16));
    if (original && c.every((v, k) => v === original[k])) return 1;
    return Math.hypot(c[0]! - rgb[0]!, c[1]! - rgb[1]!, c[2]! - rgb[2]!) / Math.hypot(255, 255, 255);
  };
  if (!deck.slides.length) throw new Error('a presentation without slides (the reference divides by zero)');
  return 1 - deck.slides.reduce((s, sl) => s + distance(sl), 0) / deck.slides.length;
}

/** check_transition: "ppt/slides/slide{idx+1}.xml" (by file name, as the reference opens it), a p:transition with the wanted child. */
export function checkTransition(file: unknown, rules: unknown): number {
  const r = rules as { slide_idx?: number; transition_type?: string } | null;
  if (typeof file !== 'string') throw new ScoreZero('the presentation was not found (None)');
  let pkg: Package;
  try {
    pkg = Package.open(file);
  } catch (error) {
    throw new ScoreZero(`cannot open ${path.basename(file)}: ${(error as Error).message}`);
  }
  const root = pkg.xml(`ppt/slides/slide${Number(r?.slide_idx) + 1}.xml`);
  if (!root) return 0;
  const transition = descendants(root, NS.p, 'transition')[0];
  if (!transition) return 0;
  return descendants(transition, NS.p, String(r?.transition_type)).length ? 1 : 0;
}

/** check_page_number_colors: the second-to-last sRGB colour under a solid fill in slideMaster1.xml, read from its second character on (as the reference slices it). */
export function checkPageNumberColors(file: unknown, rules: unknown): number {
  const color = (rules as { color?: string } | null)?.color;
  if (typeof file !== 'string') throw new ScoreZero('the presentation was not found (None)');
  const pkg = Package.open(file);
  const master = pkg.xml('ppt/slideMasters/slideMaster1.xml');
  if (!master) throw new OfficeFileError('ppt/slideMasters/slideMaster1.xml is missing (the reference raises KeyError)');
  const vals = descendants(master, NS.a, 'solidFill').flatMap((f) => descendants(f, NS.a, 'srgbClr')).map((c) => attr(c, 'val'));
  if (vals.length < 2) throw new OfficeFileError('fewer than two solid sRGB colours in the master (the reference raises IndexError)');
  const v = vals[vals.length - 2];
  if (v === undefined) return 0;
  const hex = (s: string) => {
    const n = Number.parseInt(s, 16);
    if (Number.isNaN(n)) throw new Error(`invalid literal for int() with base 16: '${s}'`);
    return n;
  };
  const [R, G, B] = [hex(v.slice(1, 3)), hex(v.slice(3, 5)), hex(v.slice(5, 7))];
  const t = 50;
  if (color === 'red' && !(R > G + t && R > B + t)) return 0;
  if (color === 'blue' && !(B > G + t && B > R + t)) return 0;
  if (color === 'green' && !(G > R + t && G > B + t)) return 0;
  if (color === 'black' && !(R < t && G < t && B < t)) return 0;
  return 1;
}
