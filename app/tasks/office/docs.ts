/**
 * OSWorld's document metrics (desktop_env/evaluators/metrics/docs.py), on the python-docx / odfpy reading in
 * wordml.ts. A document that cannot be opened scores 0 with the reason recorded (ScoreZero), as the reference
 * returns 0 there; a step where the reference itself raises (no paragraphs, a run without a colour) throws too.
 */
import path from 'node:path';
import sharp from 'sharp';
import { UnsupportedError } from '../errors';
import { attr, descendants, kids, NS, parseXml, textOf } from './ooxml';
import { collapsePyWhitespace, fuzzRatio100, isPySpace, pyIsDigit, pyIsUpper, pySplitWhitespace, pyStrip } from './pystr';
import { ScoreZero } from './table';
import { cellParagraphs, OdfText, rowCells, tableCell, WordDocument, type ParagraphInfo } from './wordml';
import { readFileSync } from 'node:fs';

type Options = Record<string, unknown>;

function missing(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

function openDocx(file: unknown, role = 'result'): WordDocument {
  if (typeof file !== 'string') throw new ScoreZero(`the ${role} document is not a file path: ${JSON.stringify(file)}`);
  try {
    return WordDocument.open(file);
  } catch (error) {
    throw new ScoreZero(`cannot open the ${role} document ${path.basename(file)}: ${(error as Error).message}`);
  }
}

function knownOptions(metric: string, options: Options, known: string[]): void {
  const extra = Object.keys(options).filter((k) => !known.includes(k));
  if (extra.length) throw new UnsupportedError(`${metric} option ${extra.join(', ')}`);
}

const ws = (s: string) => pyStrip(collapsePyWhitespace(s));

/** compare_docx_files: paragraph texts (.docx via python-docx, .odt via odfpy), with its options. */
export function compareDocxFiles(file1: unknown, file2: unknown, options: Options = {}): number {
  knownOptions('compare_docx_files', options, ['ignore_blanks', 'ignore_case', 'ignore_order', 'content_only', 'fuzzy_match', 'fuzzy_match_threshold', 'delete_empty_lines']);
  const ignoreBlanks = options.ignore_blanks === undefined ? true : Boolean(options.ignore_blanks);
  const ignoreCase = Boolean(options.ignore_case);
  const ignoreOrder = Boolean(options.ignore_order);
  const contentOnly = Boolean(options.content_only);
  const fuzzy = Boolean(options.fuzzy_match);
  const threshold = options.fuzzy_match_threshold as number | undefined | null;
  const deleteEmpty = Boolean(options.delete_empty_lines);
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document to compare was not found (None)');
  const f1 = String(file1);
  const f2 = String(file2);
  let p1: string[];
  let p2: string[];
  if (f1.endsWith('.docx') && f2.endsWith('.docx')) {
    p1 = openDocx(f1).paragraphs().map((p) => p.text);
    p2 = openDocx(f2, 'expected').paragraphs().map((p) => p.text);
  } else if (f1.endsWith('.odt') && f2.endsWith('.odt')) {
    try {
      p1 = OdfText.open(f1).paragraphTexts();
      p2 = OdfText.open(f2).paragraphTexts();
    } catch (error) {
      throw new ScoreZero(`cannot open an .odt document: ${(error as Error).message}`);
    }
  } else throw new ScoreZero(`the documents are not both .docx or both .odt (${path.basename(f1)}, ${path.basename(f2)})`);
  if (ignoreOrder) {
    p1 = [...p1].sort(pySortKey);
    p2 = [...p2].sort(pySortKey);
  }
  if (deleteEmpty) {
    p1 = p1.filter((p) => pyStrip(p) !== '');
    p2 = p2.filter((p) => pyStrip(p) !== '');
  }
  if (contentOnly) {
    let t1 = ws(p1.join('\n'));
    let t2 = ws(p2.join('\n'));
    if (ignoreCase) [t1, t2] = [t1.toLowerCase(), t2.toLowerCase()];
    return fuzzRatio100(t1, t2) / 100;
  }
  if (ignoreBlanks) {
    let t1 = ws(p1.join('\n'));
    let t2 = ws(p2.join('\n'));
    if (ignoreCase) [t1, t2] = [t1.toLowerCase(), t2.toLowerCase()];
    if (fuzzy) {
      const similarity = fuzzRatio100(t1, t2) / 100;
      if (threshold !== undefined && threshold !== null) return similarity >= threshold ? 1 : 0;
      return similarity;
    }
    return t1 === t2 ? 1 : 0;
  }
  if (p1.length !== p2.length) return 0;
  if (fuzzy) {
    if (!p1.length) return 1;
    let total = 0;
    for (let i = 0; i < p1.length; i++) {
      let a = p1[i]!;
      let b = p2[i]!;
      if (ignoreCase) [a, b] = [a.toLowerCase(), b.toLowerCase()];
      let s = fuzzRatio100(a, b) / 100;
      if (threshold !== undefined && threshold !== null) s = s >= threshold ? 1 : 0;
      total += s;
    }
    return total / p1.length;
  }
  for (let i = 0; i < p1.length; i++) {
    let a = p1[i]!;
    let b = p2[i]!;
    if (ignoreCase) [a, b] = [a.toLowerCase(), b.toLowerCase()];
    if (a !== b) return 0;
  }
  return 1;
}

/** Python's default string order (by code point). */
function pySortKey(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

function zip<A, B>(a: A[], b: B[]): Array<[A, B]> {
  return a.slice(0, Math.min(a.length, b.length)).map((x, i) => [x, b[i]!]);
}

/** `if not compare_docx_files(f1, f2): return 0` (an unreadable document scores 0 with its reason). */
function docsEqual(f1: unknown, f2: unknown): boolean {
  return compareDocxFiles(f1, f2) !== 0;
}

export function compareInitLines(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const a = openDocx(file1).paragraphs();
  const b = openDocx(file2, 'expected').paragraphs();
  return zip(a, b).every(([x, y]) => x.text === y.text) ? 1 : 0;
}

export function compareDocxTables(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const t1 = openDocx(file1).tables();
  const t2 = openDocx(file2, 'expected').tables();
  if (t1.length !== t2.length) return 0;
  for (const [a, b] of zip(t1, t2)) {
    if (a.rows !== b.rows || a.columns !== b.columns) return 0;
    for (let r = 0; r < a.rows; r++) {
      for (let c = 0; c < a.columns; c++) {
        const text = (t: typeof a) => pyStrip(cellParagraphs(tableCell(t, r, c)).map((p) => p.text).join('\n'));
        if (text(a) !== text(b)) return 0;
      }
    }
  }
  return 1;
}

export async function compareDocxImages(file1: unknown, file2: unknown): Promise<number> {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const i1 = openDocx(file1).imageBlobs();
  const i2 = openDocx(file2, 'expected').imageBlobs();
  if (i1.length !== i2.length) return 0;
  for (const [a, b] of zip(i1, i2)) {
    const [x, y] = await Promise.all([sharp(a).raw().toBuffer({ resolveWithObject: true }), sharp(b).raw().toBuffer({ resolveWithObject: true })]);
    if (x.info.width !== y.info.width || x.info.height !== y.info.height || !x.data.equals(y.data)) return 0;
  }
  return 1;
}

export function compareLineSpacing(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  if (!docsEqual(file1, file2)) return 0;
  const a = openDocx(file1).paragraphs();
  const b = openDocx(file2, 'expected').paragraphs();
  if (a.length !== b.length) return 0;
  return zip(a, b).every(([x, y]) => x.lineSpacing === y.lineSpacing) ? 1 : 0;
}

export function compareInsertEquation(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  if (!docsEqual(file1, file2)) return 0;
  const a = openDocx(file1).paragraphs();
  const b = openDocx(file2, 'expected').paragraphs();
  const hasObject = (r: XElLike) => descendants(r, NS.w, 'object').length > 0;
  for (const [p, q] of zip(a, b)) for (const [r, s] of zip(p.runs, q.runs)) if (hasObject(r.el) && hasObject(s.el)) return 1;
  return 0;
}

type XElLike = Parameters<typeof descendants>[0];

export function compareFontNames(file: unknown, rules: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  const doc = openDocx(file);
  const expected = (rules as { font_name?: unknown } | null)?.font_name;
  for (const p of doc.paragraphs()) for (const r of p.runs) if (r.fontName !== expected) return 0;
  return 1;
}

export function compareSubscriptContains(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const a = openDocx(file1).paragraphs();
  const b = openDocx(file2, 'expected').paragraphs();
  for (const [p, q] of zip(a, b)) for (const [r, s] of zip(p.runs, q.runs)) if (r.subscript && s.subscript) return 1;
  return 0;
}

export function hasPageNumbersInFooters(file: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  for (const s of openDocx(file).sections()) if (!Array.from(s.footerFirstParagraph).some(pyIsDigit)) return 0;
  return 1;
}

export function isFirstLineCentered(file: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  const first = openDocx(file).paragraphs()[0];
  if (!first) throw new Error('the document has no paragraphs (the reference raises IndexError)');
  return first.alignment === 'center' ? 1 : 0;
}

export function checkTabstops(file1: unknown, file2: unknown, options: Options = {}): number {
  knownOptions('check_tabstops', options, ['word_number_split_by_tabstop', 'index']);
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const d1 = openDocx(file1);
  const d2 = openDocx(file2, 'expected');
  const para1 = d1.paragraphs().filter((p) => pyStrip(p.text) !== '');
  const para2 = d2.paragraphs().filter((p) => pyStrip(p.text) !== '');
  if (para1.length !== para2.length) return 0;
  if (options.word_number_split_by_tabstop !== undefined && options.word_number_split_by_tabstop !== null) {
    const number = Number(options.word_number_split_by_tabstop);
    const index = Number(options.index ?? 0);
    for (const p of para1) {
      const splits = p.text.split('\t');
      const part = splits[index < 0 ? splits.length + index : index];
      if (part === undefined) throw new Error(`tab-separated part ${index} does not exist (the reference raises IndexError)`);
      const words = Array.from(part)
        .map((ch) => (isPySpace(ch) ? '\u0000' : ch))
        .join('')
        .split('\u0000')
        .filter((w) => pyStrip(w) !== '');
      if (words.length !== number) return 0;
    }
  }
  const section = d2.sections()[0];
  if (!section || section.pageWidth === null || section.leftMargin === null || section.rightMargin === null) {
    throw new Error('the expected document has no page size or margins (the reference raises here)');
  }
  const width = section.pageWidth - section.leftMargin - section.rightMargin;
  const ignore = (t: { alignment: string; position: number }) => t.alignment === 'clear' || (t.alignment === 'left' && t.position === 0);
  let minus = 0;
  for (const [p1, p2] of zip(para1, para2)) {
    const t1 = p1.tabStops.filter((t) => !ignore(t));
    const t2 = p2.tabStops.filter((t) => !ignore(t));
    if (t1.length !== t2.length) return 0;
    let diff = 0;
    for (const [a, b] of zip(t1, t2)) {
      if (a.alignment !== b.alignment) return 0;
      diff += Math.abs(a.position - b.position);
    }
    minus += diff / width;
  }
  if (!para1.length) throw new Error('no non-empty paragraphs (the reference divides by zero)');
  return 1 - minus / para1.length;
}

/** 'graphicData' in the run's XML. */
function mentionsGraphicData(r: XElLike): boolean {
  return descendants(r, NS.a, 'graphicData').length > 0;
}

export function compareContainsImage(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const a = openDocx(file1).paragraphs();
  const b = openDocx(file2, 'expected').paragraphs();
  for (const [p, q] of zip(a, b)) for (const [r, s] of zip(p.runs, q.runs)) if (mentionsGraphicData(r.el) !== mentionsGraphicData(s.el)) return 0;
  return 1;
}

// CIE Lab and CIEDE2000 as scikit-image computes them (sRGB, D65, 2 degrees).
function rgb2lab([r, g, b]: [number, number, number]): [number, number, number] {
  const lin = (c: number) => (c > 0.04045 ? ((c + 0.055) / 1.055) ** 2.4 : c / 12.92);
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.412453 * R + 0.35758 * G + 0.180423 * B) / 0.95047;
  const y = 0.212671 * R + 0.71516 * G + 0.072169 * B;
  const z = (0.019334 * R + 0.119193 * G + 0.950227 * B) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const L = y > 0.008856 ? 116 * Math.cbrt(y) - 16 : 903.3 * y;
  return [L, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function deltaE2000(lab1: [number, number, number], lab2: [number, number, number]): number {
  const [L1, a1, b1] = lab1;
  const [L2, a2, b2] = lab2;
  const C1 = Math.hypot(a1, b1);
  const C2 = Math.hypot(a2, b2);
  const Cbar = (C1 + C2) / 2;
  const c7 = Cbar ** 7;
  const G = 0.5 * (1 - Math.sqrt(c7 / (c7 + 25 ** 7)));
  const a1p = a1 * (1 + G);
  const a2p = a2 * (1 + G);
  const C1p = Math.hypot(a1p, b1);
  const C2p = Math.hypot(a2p, b2);
  const h = (b: number, a: number) => {
    const v = Math.atan2(b, a);
    return v < 0 ? v + 2 * Math.PI : v;
  };
  const h1p = h(b1, a1p);
  const h2p = h(b2, a2p);
  const dL = L2 - L1;
  const dC = C2p - C1p;
  let dh = h2p - h1p;
  if (C1p * C2p === 0) dh = 0;
  else if (dh > Math.PI) dh -= 2 * Math.PI;
  else if (dh < -Math.PI) dh += 2 * Math.PI;
  const dH = 2 * Math.sqrt(C1p * C2p) * Math.sin(dh / 2);
  const Lbar = (L1 + L2) / 2;
  const Cbarp = (C1p + C2p) / 2;
  let hbar = h1p + h2p;
  if (C1p * C2p !== 0) {
    if (Math.abs(h1p - h2p) > Math.PI) hbar += h1p + h2p < 2 * Math.PI ? 2 * Math.PI : -2 * Math.PI;
    hbar /= 2;
  }
  const T = 1 - 0.17 * Math.cos(hbar - Math.PI / 6) + 0.24 * Math.cos(2 * hbar) + 0.32 * Math.cos(3 * hbar + Math.PI / 30) - 0.2 * Math.cos(4 * hbar - (63 * Math.PI) / 180);
  const dTheta = ((30 * Math.PI) / 180) * Math.exp(-((((hbar * 180) / Math.PI - 275) / 25) ** 2));
  const c7p = Cbarp ** 7;
  const Rc = 2 * Math.sqrt(c7p / (c7p + 25 ** 7));
  const Sl = 1 + (0.015 * (Lbar - 50) ** 2) / Math.sqrt(20 + (Lbar - 50) ** 2);
  const Sc = 1 + 0.045 * Cbarp;
  const Sh = 1 + 0.015 * Cbarp * T;
  const Rt = -Math.sin(2 * dTheta) * Rc;
  return Math.sqrt((dL / Sl) ** 2 + (dC / Sc) ** 2 + (dH / Sh) ** 2 + Rt * (dC / Sc) * (dH / Sh));
}

export function colorDifference(hex: string, target: [number, number, number]): number {
  const rgb: [number, number, number] = [parseInt(hex.slice(0, 2), 16) / 255, parseInt(hex.slice(2, 4), 16) / 255, parseInt(hex.slice(4, 6), 16) / 255];
  return deltaE2000(rgb2lab(rgb), rgb2lab([target[0] / 255, target[1] / 255, target[2] / 255]));
}

export function evaluateColoredWordsInTables(file1: unknown, file2: unknown, options: Options = {}): number {
  knownOptions('evaluate_colored_words_in_tables', options, ['threshold']);
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  if (!docsEqual(file1, file2)) return 0;
  const threshold = Number(options.threshold ?? 3.5);
  for (const t of openDocx(file1).tables()) {
    for (let r = 0; r < t.rows; r++) {
      for (const cell of rowCells(t, r)) {
        for (const p of cellParagraphs(cell)) {
          for (const run of p.runs) {
            if (!run.text) continue;
            if (!run.color) throw new Error(`the run "${run.text}" has no colour (the reference raises here)`);
            const vowel = 'aeiou'.includes(run.text[0]!.toLowerCase());
            if (colorDifference(run.color, vowel ? [255, 0, 0] : [0, 0, 255]) > threshold) return 0;
          }
        }
      }
    }
  }
  return 1;
}

export function checkHighlightedWords(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  if (!docsEqual(file1, file2)) return 0;
  return OdfText.open(String(file1)).hasYellowHighlightedSpan() ? 0 : 1;
}

export function evaluateStrikeThroughLastParagraph(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  if (!docsEqual(file1, file2)) return 0;
  const last = openDocx(file1).paragraphs().at(-1);
  if (!last) throw new Error('the document has no paragraphs (the reference raises IndexError)');
  return last.runs.every((r) => r.strike) ? 1 : 0;
}

export function evaluateConversion(file: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  const doc = openDocx(file);
  for (const t of doc.tables()) for (let r = 0; r < t.rows; r++) for (const c of rowCells(t, r)) for (const p of cellParagraphs(c)) for (const run of p.runs) if (pyIsUpper(run.text)) return 0;
  for (const p of doc.paragraphs()) for (const run of p.runs) if (pyIsUpper(run.text)) return 0;
  return 1;
}

export function evaluateSpacing(file: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  const p = openDocx(file).paragraphs();
  if (p.length < 3) throw new Error('fewer than three paragraphs (the reference raises IndexError)');
  return p[0]!.lineSpacing === 1 && p[1]!.lineSpacing === 2 && p[2]!.lineSpacing === 1.5 ? 1 : 0;
}

export function checkItalicFontSize14(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  if (!docsEqual(file1, file2)) return 0;
  for (const p of openDocx(file1).paragraphs()) for (const r of p.runs) if (r.italic && (r.sizePt === null || r.sizePt !== 14)) return 0;
  return 1;
}

export function evaluateAlignment(file: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  for (const p of openDocx(file).paragraphs()) {
    for (const sentence of p.text.split('.')) {
      const words = pySplitWhitespace(pyStrip(sentence));
      if (words.length < 3) continue;
      const first = words.slice(0, 3).join(' ');
      const second = words.slice(3).join(' ');
      if (!(sentence.includes(first) && sentence.includes(second) && sentence.indexOf(first) < sentence.indexOf(second))) return 0;
    }
  }
  return 1;
}

function trainIds(paragraphs: ParagraphInfo[]): { ids: Set<string>; lines: number } {
  const ids = new Set<string>();
  let lines = 0;
  for (const p of paragraphs) {
    const parts = p.text.split(',');
    if (parts.length === 4) {
      const id = pyStrip(parts[1]!);
      if (!ids.has(id)) {
        ids.add(id);
        lines++;
      }
    }
  }
  return { ids, lines };
}

export function checkNoDuplicates(initial: unknown, processed: unknown): number {
  if (missing(initial) || missing(processed)) throw new ScoreZero('a document was not found (None)');
  let ini: { ids: Set<string>; lines: number };
  try {
    ini = trainIds(WordDocument.open(String(initial)).paragraphs());
  } catch {
    ini = { ids: new Set(), lines: 0 };
  }
  const doc = openDocx(processed);
  const seen = new Set<string>();
  let lines = 0;
  for (const p of doc.paragraphs()) {
    const parts = p.text.split(',');
    if (parts.length !== 4) continue;
    const id = pyStrip(parts[1]!);
    if (seen.has(id)) return 0;
    seen.add(id);
    lines++;
  }
  const same = seen.size === ini.ids.size && [...seen].every((x) => ini.ids.has(x));
  return same && lines === ini.lines ? 1 : 0;
}

/**
 * fuzzy_place_math (general.py in the reference, on python-docx): the body paragraphs' text split on whitespace
 * into words; each word scores its best fuzz.ratio / 100 against the list of accepted answers; exactly three words
 * must be found, and the score is their mean (0 for any other number of words).
 */
export function fuzzyPlaceMath(file: unknown, rules: unknown): number {
  if (file === null || file === undefined) throw new ScoreZero('the result document was not found (None)');
  const answers = (rules as { expected?: unknown } | null)?.expected;
  if (!Array.isArray(answers) || !answers.every((a): a is string => typeof a === 'string')) {
    throw new Error('rules.expected must be a list of accepted answers (strings)');
  }
  const words = openDocx(file).paragraphs().flatMap((p) => pySplitWhitespace(p.text));
  const best = words.map((word) => answers.reduce((max, answer) => Math.max(max, fuzzRatio100(word, answer) / 100), 0));
  if (best.length !== 3) return 0;
  return best.reduce((sum, s) => sum + s, 0) / 3;
}

export function compareDocxLines(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const set = (f: unknown, role: string) => new Set(openDocx(f, role).paragraphs().map((p) => pyStrip(p.text)).filter((t) => t !== ''));
  const a = set(file1, 'result');
  const b = set(file2, 'expected');
  return a.size === b.size && [...a].every((x) => b.has(x)) ? 1 : 0;
}

export function compareDocxFilesAndIgnoreNewLines(file1: unknown, file2: unknown, options: Options = {}): number {
  knownOptions('compare_docx_files_and_ignore_new_lines', options, ['ignore_blanks']);
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const f1 = String(file1);
  const f2 = String(file2);
  if (!(f1.endsWith('.docx') && f2.endsWith('.docx'))) throw new ScoreZero('the documents are not both .docx');
  const p1 = openDocx(f1).paragraphs().map((p) => p.text).filter((t) => t !== '');
  const p2 = openDocx(f2, 'expected').paragraphs().map((p) => p.text).filter((t) => t !== '');
  if (options.ignore_blanks === undefined || options.ignore_blanks) return ws(p1.join('\n')) === ws(p2.join('\n')) ? 1 : 0;
  if (p1.length !== p2.length) return 0;
  return p1.every((t, i) => t === p2[i]) ? 1 : 0;
}

/** compare_highlighted_text: the raw document.xml, every w:r with a w:highlight other than "none". */
export function compareHighlightedText(file1: unknown, file2: unknown): number {
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const texts = (f: unknown) => {
    const doc = openDocx(f);
    const root = doc.pkg.xml('word/document.xml');
    if (!root) throw new Error('word/document.xml is missing (the reference raises KeyError)');
    const out = new Set<string | null>();
    for (const r of descendants(root, NS.w, 'r')) {
      const hl = descendants(r, NS.w, 'highlight')[0];
      if (hl && attr(hl, 'val', NS.w) !== 'none') {
        const t = descendants(r, NS.w, 't')[0];
        if (t) out.add(t.children.length ? textOf(t) : null);
      }
    }
    return out;
  };
  const a = texts(file1);
  const b = texts(file2);
  return a.size === b.size && [...a].every((x) => b.has(x)) ? 1 : 0;
}

export function compareReferences(file1: unknown, file2: unknown, options: Options = {}): number {
  knownOptions('compare_references', options, ['reference_indicator', 'reference_base_result']);
  if (missing(file1) || missing(file2)) throw new ScoreZero('a document was not found (None)');
  const indicator = String(options.reference_indicator ?? 'References');
  const base = Number(options.reference_base_result ?? 0.5);
  const f1 = String(file1);
  const f2 = String(file2);
  if (!(f1.endsWith('.docx') && f2.endsWith('.docx'))) throw new ScoreZero('the documents are not both .docx');
  const p1 = openDocx(f1).paragraphs().map((p) => p.text);
  const p2 = openDocx(f2, 'expected').paragraphs().map((p) => p.text);
  const i1 = p1.indexOf(indicator);
  const i2 = p2.indexOf(indicator);
  if (i1 === -1 && i2 === -1) return 1;
  if (i1 === -1 || i2 === -1) return 0;
  const r1 = p1.slice(i1 + 1).filter((p) => pyStrip(p) !== '');
  const r2 = p2.slice(i2 + 1).filter((p) => pyStrip(p) !== '');
  if (r1.length !== r2.length) return 0;
  if (!r1.length) throw new Error('no references after the indicator (the reference divides by zero)');
  const result = zip(r1, r2).reduce((s, [a, b]) => s + fuzzRatio100(a, b) / 100, 0) / r1.length;
  return result >= base + 0.01 ? (result - base) / (1 - base) : 0;
}

export function compareUniqueTrainRecords(processed: unknown, expectedFiles: unknown): number {
  if (missing(processed) || !Array.isArray(expectedFiles) || expectedFiles.length < 2) throw new ScoreZero('a processed file and a list of [gold, initial] files are needed');
  const [gold, initial] = expectedFiles as unknown[];
  if (missing(gold) || missing(initial)) throw new ScoreZero('the gold or the initial file is missing');
  const read = (f: unknown): { lines: string[]; ids: string[] } | null => {
    try {
      const lines = WordDocument.open(String(f)).paragraphs().map((p) => pyStrip(p.text)).filter((t) => t !== '');
      return { lines, ids: lines.filter((l) => l.split(',').length === 4).map((l) => pyStrip(l.split(',')[1]!)) };
    } catch {
      return null;
    }
  };
  const p = read(processed);
  const g = read(gold);
  const i = read(initial);
  if (!p || !g || !i) throw new ScoreZero('a document could not be opened');
  const initialSet = new Set(i.lines);
  if (!p.lines.every((l) => initialSet.has(l))) return 0;
  if (p.ids.length !== new Set(p.ids).size) return 0;
  const ps = new Set(p.ids);
  const gs = new Set(g.ids);
  if (ps.size !== gs.size || ![...ps].every((x) => gs.has(x))) return 0;
  return p.lines.length === g.lines.length ? 1 : 0;
}

export function containsPageBreak(file: unknown, rules: unknown): number {
  if (missing(file)) throw new ScoreZero('the document was not found (None)');
  const doc = openDocx(file);
  const expected = (rules as { page_break_count?: unknown } | null)?.page_break_count;
  let count = 0;
  for (const p of doc.paragraphs()) for (const r of p.runs) for (const br of descendants(r.el, NS.w, 'br')) if (attr(br, 'type', NS.w) === 'page') count++;
  if (expected !== undefined && expected !== null && count !== expected) return 0;
  return count > 0 ? 1 : 0;
}

/** find_default_font: the last <value> of prop "Standard" under item /org.openoffice.Office.Writer/DefaultFont of an .xcu file. */
export function findDefaultFont(configFile: unknown, rules: unknown): number {
  if (missing(configFile)) return 0;
  const expected = (rules as { font_name?: unknown } | null)?.font_name;
  let font: string | null = null;
  try {
    const root = parseXml(readFileSync(String(configFile), 'utf8'));
    for (const item of descendants(root, '', 'item')) {
      if (attr(item, 'path', NS.oor) !== '/org.openoffice.Office.Writer/DefaultFont') continue;
      for (const prop of descendants(item, '', 'prop')) {
        if (attr(prop, 'name', NS.oor) !== 'Standard') continue;
        for (const v of kids(prop, '', 'value')) font = v.children.length ? textOf(v) : null;
      }
    }
  } catch {
    /* the reference logs the error and compares what it found */
  }
  return font === expected ? 1 : 0;
}

