/**
 * Word documents as the reference reads them: python-docx (1.x) for .docx - body-level paragraphs only, their text
 * from direct runs and hyperlinks (w:t, tabs, line breaks; page breaks and simple fields print nothing), run fonts
 * from the run's own properties only (no style inheritance), paragraph alignment / line spacing / tab stops from
 * the paragraph's own properties, tables through python-docx's cell grid (merged cells repeat) - and odfpy for
 * .odt (every text:p, text taken from the paragraph's own text and its spans' direct text).
 */
import path from 'node:path';
import { attr, descendants, kid, kids, NS, OfficeFileError, Package, relKind, textOf, type XEl } from './ooxml';

const W = NS.w;
const wAttr = (el: XEl | null, name: string) => attr(el, name, W);

export interface RunInfo {
  el: XEl;
  text: string;
  fontName: string | null;
  /** Half-points as python-docx's Length in points (font.size.pt), or null. */
  sizePt: number | null;
  bold: boolean | null;
  italic: boolean | null;
  strike: boolean | null;
  subscript: boolean | null;
  /** RRGGBB, or null for no colour / "auto". */
  color: string | null;
}

export interface TabStop {
  alignment: string;
  /** EMU (python-docx Length). */
  position: number;
}

export interface ParagraphInfo {
  el: XEl;
  text: string;
  runs: RunInfo[];
  alignment: string | null;
  /** python-docx line_spacing: a multiple (float) for auto spacing, EMU for exact / at-least, null when unset. */
  lineSpacing: number | null;
  tabStops: TabStop[];
}

function onOff(el: XEl | null): boolean | null {
  if (!el) return null;
  const v = wAttr(el, 'val');
  if (v === undefined) return true;
  return !['0', 'false', 'off'].includes(v);
}

/** CT_R.text in python-docx 1.x. */
function runText(r: XEl): string {
  let s = '';
  for (const c of kids(r)) {
    if (c.ns !== W) continue;
    switch (c.name) {
      case 't':
        s += textOf(c);
        break;
      case 'tab':
      case 'ptab':
        s += '\t';
        break;
      case 'br': {
        const type = wAttr(c, 'type');
        if (type === undefined || type === 'textWrapping') s += '\n';
        break;
      }
      case 'cr':
        s += '\n';
        break;
      case 'noBreakHyphen':
        s += '-';
        break;
    }
  }
  return s;
}

export function runInfo(r: XEl): RunInfo {
  const rPr = kid(r, W, 'rPr');
  const sz = wAttr(kid(rPr, W, 'sz'), 'val');
  const vert = kid(rPr, W, 'vertAlign');
  const color = wAttr(kid(rPr, W, 'color'), 'val');
  return {
    el: r,
    text: runText(r),
    fontName: wAttr(kid(rPr, W, 'rFonts'), 'ascii') ?? null,
    sizePt: sz === undefined ? null : Number(sz) / 2,
    bold: onOff(kid(rPr, W, 'b')),
    italic: onOff(kid(rPr, W, 'i')),
    strike: onOff(kid(rPr, W, 'strike')),
    subscript: vert ? wAttr(vert, 'val') === 'subscript' : null,
    color: color === undefined || color === 'auto' ? null : color.toUpperCase(),
  };
}

const TWIPS_EMU = 635;

export function paragraphInfo(p: XEl): ParagraphInfo {
  const pPr = kid(p, W, 'pPr');
  let text = '';
  for (const c of kids(p)) {
    if (c.ns !== W) continue;
    if (c.name === 'r') text += runText(c);
    else if (c.name === 'hyperlink') for (const r of kids(c, W, 'r')) text += runText(r);
  }
  const spacing = kid(pPr, W, 'spacing');
  const line = wAttr(spacing, 'line');
  const rule = wAttr(spacing, 'lineRule');
  let lineSpacing: number | null = null;
  if (line !== undefined) lineSpacing = rule === 'exact' || rule === 'atLeast' ? Number(line) * TWIPS_EMU : Number(line) / 240;
  return {
    el: p,
    text,
    runs: kids(p, W, 'r').map(runInfo),
    alignment: wAttr(kid(pPr, W, 'jc'), 'val') ?? null,
    lineSpacing,
    tabStops: kids(kid(pPr, W, 'tabs'), W, 'tab').map((t) => ({ alignment: wAttr(t, 'val') ?? 'left', position: Number(wAttr(t, 'pos') ?? 0) * TWIPS_EMU })),
  };
}

export interface SectionInfo {
  pageWidth: number | null;
  leftMargin: number | null;
  rightMargin: number | null;
  /** Text of the footer's first paragraph ('' for none); a section without its own default footer uses the previous one. */
  footerFirstParagraph: string;
}

export interface TableInfo {
  rows: number;
  columns: number;
  /** python-docx Table.cell(r, c) grid, merged cells repeated. */
  grid: XEl[];
}

export class WordDocument {
  readonly body: XEl;
  private readonly docPart: string;

  private constructor(
    readonly file: string,
    readonly pkg: Package,
  ) {
    const main = pkg.rels('').find((r) => relKind(r.type) === 'officeDocument');
    if (!main) throw new OfficeFileError(`${path.basename(file)} is not a Word document (no main part)`);
    this.docPart = main.target;
    const doc = pkg.xml(main.target, { dropBlankText: true });
    if (!doc || doc.ns !== W || doc.name !== 'document') throw new OfficeFileError(`${path.basename(file)} is not a Word document`);
    const body = kid(doc, W, 'body');
    if (!body) throw new OfficeFileError(`${path.basename(file)} has no document body`);
    this.body = body;
  }

  static open(file: string): WordDocument {
    return new WordDocument(file, Package.open(file));
  }

  paragraphs(): ParagraphInfo[] {
    return kids(this.body, W, 'p').map(paragraphInfo);
  }

  tables(): TableInfo[] {
    return kids(this.body, W, 'tbl').map(tableInfo);
  }

  sections(): SectionInfo[] {
    const sectPrs: XEl[] = [];
    for (const c of kids(this.body)) {
      if (c.ns !== W) continue;
      if (c.name === 'p') {
        const s = kid(kid(c, W, 'pPr'), W, 'sectPr');
        if (s) sectPrs.push(s);
      } else if (c.name === 'sectPr') sectPrs.push(c);
    }
    let previousFooter = '';
    return sectPrs.map((s) => {
      const twips = (el: XEl | null, a: string) => {
        const v = wAttr(el, a);
        return v === undefined ? null : Number(v) * TWIPS_EMU;
      };
      const ref = kids(s, W, 'footerReference').find((f) => wAttr(f, 'type') === 'default');
      let footer = previousFooter;
      if (ref) {
        const rid = attr(ref, 'id', NS.rel);
        const rel = rid ? this.pkg.relTarget(this.docPart, rid) : null;
        const ftr = rel ? this.pkg.xml(rel.target, { dropBlankText: true }) : null;
        const first = kids(ftr, W, 'p')[0];
        footer = first ? paragraphInfo(first).text : '';
      }
      previousFooter = footer;
      return { pageWidth: twips(kid(s, W, 'pgSz'), 'w'), leftMargin: twips(kid(s, W, 'pgMar'), 'left'), rightMargin: twips(kid(s, W, 'pgMar'), 'right'), footerFirstParagraph: footer };
    });
  }

  /** Image parts related to the main document, in relationship order. */
  imageBlobs(): Uint8Array[] {
    return this.pkg
      .rels(this.docPart)
      .filter((r) => r.type.includes('image') && !r.external)
      .map((r) => this.pkg.bytes(r.target))
      .filter((b): b is Uint8Array => b !== null);
  }
}

function tableInfo(tbl: XEl): TableInfo {
  const columns = kids(kid(tbl, W, 'tblGrid'), W, 'gridCol').length;
  const trs = kids(tbl, W, 'tr');
  const grid: XEl[] = [];
  for (const tr of trs) {
    for (const tc of kids(tr, W, 'tc')) {
      const tcPr = kid(tc, W, 'tcPr');
      const span = Number(wAttr(kid(tcPr, W, 'gridSpan'), 'val') ?? 1);
      const vMerge = kid(tcPr, W, 'vMerge');
      const cont = vMerge !== null && (wAttr(vMerge, 'val') ?? 'continue') === 'continue';
      for (let i = 0; i < span; i++) {
        if (cont && grid.length >= columns && columns > 0) grid.push(grid[grid.length - columns]!);
        else if (i > 0) grid.push(grid[grid.length - 1]!);
        else grid.push(tc);
      }
    }
  }
  return { rows: trs.length, columns, grid };
}

export function tableCell(t: TableInfo, row: number, col: number): XEl {
  const c = t.grid[row * t.columns + col];
  if (!c) throw new OfficeFileError(`table cell (${row}, ${col}) is outside the table's cell grid`);
  return c;
}

export function cellParagraphs(tc: XEl): ParagraphInfo[] {
  return kids(tc, W, 'p').map(paragraphInfo);
}

export function cellText(tc: XEl): string {
  return cellParagraphs(tc)
    .map((p) => p.text)
    .join('\n');
}

/** python-docx _Row.cells: the row's slice of the cell grid. */
export function rowCells(t: TableInfo, row: number): XEl[] {
  return t.grid.slice(row * t.columns, (row + 1) * t.columns);
}

// ---------------------------------------------------------------- ODT (odfpy)

const TEXT_NS = 'urn:oasis:names:tc:opendocument:xmlns:text:1.0';
const STYLE_NS = 'urn:oasis:names:tc:opendocument:xmlns:style:1.0';
const OFFICE_NS = 'urn:oasis:names:tc:opendocument:xmlns:office:1.0';
const FO_NS = 'urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0';

export class OdfText {
  private constructor(
    readonly pkg: Package,
    private readonly styles: XEl | null,
    private readonly content: XEl,
  ) {}

  static open(file: string): OdfText {
    const pkg = Package.open(file);
    const content = pkg.xml('content.xml');
    if (!content) throw new OfficeFileError(`${path.basename(file)} is not an OpenDocument file (no content.xml)`);
    return new OdfText(pkg, pkg.xml('styles.xml'), content);
  }

  /** odfpy getElementsByType(P): every text:p, styles.xml's (headers, footers) before content.xml's. */
  paragraphTexts(): string[] {
    const all = [...descendants(this.styles, TEXT_NS, 'p'), ...descendants(this.content, TEXT_NS, 'p')];
    return all.map((p) => {
      let s = '';
      for (const c of p.children) {
        if (typeof c === 'string') s += c;
        else if (c.ns === TEXT_NS && c.name === 'span') for (const cc of c.children) if (typeof cc === 'string') s += cc;
      }
      return s;
    });
  }

  /** check_highlighted_words: a span whose automatic style has fo:background-color #ffff00. */
  hasYellowHighlightedSpan(): boolean {
    const autos = [kid(this.content, OFFICE_NS, 'automatic-styles'), kid(this.styles, OFFICE_NS, 'automatic-styles')].flatMap((a) => kids(a));
    for (const span of [...descendants(this.styles, TEXT_NS, 'span'), ...descendants(this.content, TEXT_NS, 'span')]) {
      const name = attr(span, 'style-name', TEXT_NS);
      if (!name) continue;
      for (const style of autos) {
        if (attr(style, 'name', STYLE_NS) !== name) continue;
        for (const prop of kids(style)) if (attr(prop, 'background-color', FO_NS) === '#ffff00') return true;
      }
    }
    return false;
  }
}
