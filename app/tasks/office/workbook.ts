/**
 * An xlsx workbook read the way openpyxl reads it (the reference's compare_table loads every workbook twice with
 * openpyxl, once with formulas and once, through pandas, with the cached values): sheet order and names, cell
 * values and types (cached formula results, dates by number format, shared and inline strings), styles with
 * openpyxl's defaults and quirks, merged cells, sheet views, row/column dimensions, validations, filters,
 * conditional formats, charts, pivot tables; plus the reference's own raw-XML cell reader (read_cell_value) and its
 * sparkline reader, both of which find a sheet's part as "sheet{sheetId}.xml".
 */
import path from 'node:path';
import { attr, descendants, kid, kids, NS, OfficeFileError, ownText, Package, relKind, textOf, type XEl } from './ooxml';

// ---------------------------------------------------------------- coordinates

export function columnLetter(col: number): string {
  let s = '';
  let n = col;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

export function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** "B3" -> [row 3, col 2] (openpyxl's coordinate_to_tuple); throws on anything else. */
export function parseCoordinate(coord: string): [number, number] {
  const m = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(coord.trim());
  if (!m) throw new OfficeFileError(`not a cell coordinate: ${JSON.stringify(coord)}`);
  return [Number(m[2]), columnIndex(m[1]!)];
}

export interface CellRange {
  minRow: number;
  minCol: number;
  maxRow: number;
  maxCol: number;
}

/** openpyxl's CellRange("A1:B6") (a single cell is a range of one). */
export function parseRange(text: string): CellRange {
  const [a, b] = text.trim().split(':');
  if (!a || text.split(':').length > 2) throw new OfficeFileError(`not a cell range: ${JSON.stringify(text)}`);
  const [r1, c1] = parseCoordinate(a);
  const [r2, c2] = b === undefined ? [r1, c1] : parseCoordinate(b);
  return { minRow: Math.min(r1, r2), minCol: Math.min(c1, c2), maxRow: Math.max(r1, r2), maxCol: Math.max(c1, c2) };
}

/** MultiCellRange from "A1:B2 C3" or ["A1:B2", "C3"]. */
export function parseMultiRange(spec: unknown): CellRange[] {
  const parts = Array.isArray(spec) ? spec.map(String) : String(spec ?? '').split(/\s+/);
  return parts.filter((p) => p.trim() !== '').map(parseRange);
}

export function rangeContains(outer: CellRange, inner: CellRange): boolean {
  return inner.minRow >= outer.minRow && inner.maxRow <= outer.maxRow && inner.minCol >= outer.minCol && inner.maxCol <= outer.maxCol;
}

/** Cells of a range in openpyxl's order: row by row. */
export function* rangeCells(r: CellRange): Generator<[number, number]> {
  for (let row = r.minRow; row <= r.maxRow; row++) for (let col = r.minCol; col <= r.maxCol; col++) yield [row, col];
}

export function coordinate(row: number, col: number): string {
  return `${columnLetter(col)}${row}`;
}

// ---------------------------------------------------------------- values

/** Excel dates and times as openpyxl returns them (naive datetime / time / timedelta), in milliseconds. */
export type TemporalKind = 'datetime' | 'time' | 'timedelta';
export interface Temporal {
  kind: TemporalKind;
  ms: number;
}
export interface CellError {
  kind: 'error';
  code: string;
}
export type CellValue = null | number | string | boolean | Temporal | CellError;

export function isTemporal(v: unknown): v is Temporal {
  return typeof v === 'object' && v !== null && ['datetime', 'time', 'timedelta'].includes((v as Temporal).kind);
}

const DAY_MS = 86_400_000;
const WINDOWS_EPOCH = Date.UTC(1899, 11, 30);
const MAC_EPOCH = Date.UTC(1904, 0, 1);

/** openpyxl's from_excel. */
function fromExcel(value: number, date1904: boolean, timedelta: boolean): Temporal {
  if (timedelta) return { kind: 'timedelta', ms: Math.round(value * DAY_MS) };
  let day = Math.floor(value);
  const fraction = value - day;
  const diffMs = Math.round(fraction * DAY_MS);
  if (value >= 0 && value < 1 && diffMs < DAY_MS) return { kind: 'time', ms: diffMs };
  if (!date1904 && value > 0 && value < 60) day += 1;
  return { kind: 'datetime', ms: (date1904 ? MAC_EPOCH : WINDOWS_EPOCH) + day * DAY_MS + diffMs };
}

/** Python int()/float() of a <v> text the way openpyxl's _cast_number chooses between them. */
function castNumber(text: string): number {
  const n = Number(text.trim());
  if (Number.isNaN(n) && !/nan/i.test(text)) throw new OfficeFileError(`not a number in a numeric cell: ${JSON.stringify(text)}`);
  return n;
}

// ---------------------------------------------------------------- number formats (openpyxl.styles.numbers)

const BUILTIN_FORMATS: Record<number, string> = {
  0: 'General', 1: '0', 2: '0.00', 3: '#,##0', 4: '#,##0.00', 5: '"$"#,##0_);("$"#,##0)', 6: '"$"#,##0_);[Red]("$"#,##0)',
  7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)', 9: '0%', 10: '0.00%', 11: '0.00E+00', 12: '# ?/?',
  13: '# ??/??', 14: 'mm-dd-yy', 15: 'd-mmm-yy', 16: 'd-mmm', 17: 'mmm-yy', 18: 'h:mm AM/PM', 19: 'h:mm:ss AM/PM', 20: 'h:mm',
  21: 'h:mm:ss', 22: 'm/d/yy h:mm', 37: '#,##0_);(#,##0)', 38: '#,##0_);[Red](#,##0)', 39: '#,##0.00_);(#,##0.00)',
  40: '#,##0.00_);[Red](#,##0.00)', 41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)', 42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
  43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)', 44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
  45: 'mm:ss', 46: '[h]:mm:ss', 47: 'mmss.0', 48: '##0.0E+0', 49: '@',
};

export function isDateFormat(fmt: string | null): boolean {
  if (!fmt) return false;
  const first = fmt.split(';')[0]!;
  const stripped = first.replace(/".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]/g, '');
  return /(?<![_\\])[dmhysDMHYS]/.test(stripped);
}

export function isTimedeltaFormat(fmt: string | null): boolean {
  if (!fmt) return false;
  return /\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?/i.test(fmt.split(';')[0]!);
}

// ---------------------------------------------------------------- styles

/** openpyxl returns its RGB descriptor object (printed "Values must be of type <class 'str'>") for theme/indexed colours. */
export const NON_RGB = Object.freeze({ openpyxl: "Values must be of type <class 'str'>" });
export type ColorRgb = string | typeof NON_RGB;

export interface Font {
  name: string | null;
  family: number | null;
  size: number | null;
  bold: boolean | null;
  italic: boolean | null;
  underline: string | null;
  strike: boolean | null;
  /** null when the font has no <color>: reading .rgb then raises in openpyxl. */
  color: ColorRgb | null;
}

export interface Fill {
  tag: 'patternFill' | 'gradientFill';
  patternType: string | null;
  fgColor: ColorRgb | null;
  bgColor: ColorRgb | null;
}

export interface DiffStyle {
  font: Font | null;
  fill: Fill | null;
  numFmt: string | null;
}

function colorOf(el: XEl | null): ColorRgb | null {
  if (!el) return null;
  if (attr(el, 'indexed') !== undefined || attr(el, 'theme') !== undefined || attr(el, 'auto') !== undefined) return NON_RGB;
  const rgb = attr(el, 'rgb') ?? '00000000';
  return rgb.length === 6 ? `00${rgb}` : rgb;
}

function nestedBool(el: XEl | null): boolean | null {
  if (!el) return null;
  const v = attr(el, 'val');
  if (v === undefined) return true;
  return !['0', 'false', 'False'].includes(v);
}

function nestedFloat(el: XEl | null): number | null {
  const v = attr(el, 'val');
  return v === undefined ? null : Number(v);
}

function parseFont(el: XEl | null): Font | null {
  if (!el) return null;
  const u = kid(el, NS.sml, 'u');
  return {
    name: attr(kid(el, NS.sml, 'name'), 'val') ?? null,
    family: nestedFloat(kid(el, NS.sml, 'family')),
    size: nestedFloat(kid(el, NS.sml, 'sz')),
    // openpyxl's b and i do not allow None: absent is False
    bold: nestedBool(kid(el, NS.sml, 'b')) ?? false,
    italic: nestedBool(kid(el, NS.sml, 'i')) ?? false,
    // openpyxl's Font.from_tree: a bare <u/> is single underline
    underline: u ? (attr(u, 'val') ?? 'single') : null,
    strike: nestedBool(kid(el, NS.sml, 'strike')),
    color: colorOf(kid(el, NS.sml, 'color')),
  };
}

function parseFill(el: XEl | null): Fill | null {
  if (!el) return null;
  const pattern = kid(el, NS.sml, 'patternFill');
  if (pattern) {
    const fg = kid(pattern, NS.sml, 'fgColor');
    const bg = kid(pattern, NS.sml, 'bgColor');
    return { tag: 'patternFill', patternType: attr(pattern, 'patternType') ?? null, fgColor: fg ? colorOf(fg) : '00000000', bgColor: bg ? colorOf(bg) : '00000000' };
  }
  if (kid(el, NS.sml, 'gradientFill')) return { tag: 'gradientFill', patternType: null, fgColor: null, bgColor: null };
  return null;
}

const DEFAULT_FONT: Font = { name: 'Calibri', family: 2, size: 11, bold: false, italic: false, underline: null, strike: null, color: NON_RGB };
const DEFAULT_FILL: Fill = { tag: 'patternFill', patternType: null, fgColor: '00000000', bgColor: '00000000' };

export interface CellStyle {
  numberFormat: string;
  font: Font;
  fill: Fill;
  isDate: boolean;
  isTimedelta: boolean;
}

class Styles {
  readonly xfs: CellStyle[] = [];
  readonly dxfs: DiffStyle[] = [];
  readonly zero: CellStyle;

  constructor(root: XEl | null) {
    const numFmts = new Map<number, string>();
    for (const nf of kids(kid(root, NS.sml, 'numFmts'), NS.sml, 'numFmt')) numFmts.set(Number(attr(nf, 'numFmtId')), attr(nf, 'formatCode') ?? '');
    const fonts = kids(kid(root, NS.sml, 'fonts'), NS.sml, 'font').map((f) => parseFont(f)!);
    const fills = kids(kid(root, NS.sml, 'fills'), NS.sml, 'fill').map((f) => parseFill(f) ?? DEFAULT_FILL);
    const formatOf = (id: number) => numFmts.get(id) ?? BUILTIN_FORMATS[id] ?? 'General';
    const make = (numFmtId: number, fontId: number, fillId: number): CellStyle => {
      const numberFormat = formatOf(numFmtId);
      return {
        numberFormat,
        font: fonts[fontId] ?? DEFAULT_FONT,
        fill: fills[fillId] ?? DEFAULT_FILL,
        isDate: isDateFormat(numberFormat),
        isTimedelta: isTimedeltaFormat(numberFormat),
      };
    };
    this.zero = make(0, 0, 0);
    for (const xf of kids(kid(root, NS.sml, 'cellXfs'), NS.sml, 'xf')) {
      this.xfs.push(make(Number(attr(xf, 'numFmtId') ?? 0), Number(attr(xf, 'fontId') ?? 0), Number(attr(xf, 'fillId') ?? 0)));
    }
    for (const dxf of kids(kid(root, NS.sml, 'dxfs'), NS.sml, 'dxf')) {
      const nf = kid(dxf, NS.sml, 'numFmt');
      this.dxfs.push({ font: parseFont(kid(dxf, NS.sml, 'font')), fill: parseFill(kid(dxf, NS.sml, 'fill')), numFmt: nf ? (attr(nf, 'formatCode') ?? null) : null });
    }
  }

  get(index: number): CellStyle {
    return index ? (this.xfs[index] ?? this.zero) : this.zero;
  }
}

// ---------------------------------------------------------------- cells and sheets

export interface RawCell {
  row: number;
  col: number;
  /** The `t` attribute, "n" when absent. */
  t: string;
  /** <v> text ('' when empty). */
  v: string | null;
  formula: XEl | null;
  /** Text of an inlineStr's <is>. */
  inline: string | null;
  style: number;
  merged?: boolean;
}

export interface OpenpyxlCell {
  value: CellValue;
  /** openpyxl's data_type: n, s, b, d, e, f. */
  dataType: string;
  style: CellStyle;
  merged: boolean;
  hyperlink: Record<string, string> | null;
}

export interface Pane {
  xSplit: number | null;
  ySplit: number | null;
  topLeftCell: string | null;
  state: string | null;
}

export interface DataValidation {
  ranges: CellRange[];
  [attribute: string]: unknown;
}

export interface ConditionalRule {
  type: string | null;
  operator: string | null;
  formula: string[];
  dxf: DiffStyle | null;
}

export interface ConditionalFormat {
  cells: CellRange[];
  rules: ConditionalRule[];
}

export interface ChartInfo {
  series: string;
  tagname: string;
  title: string | null;
  legend: string | null;
  anchor: Array<string | number | null>;
  barDir: string | undefined;
  xtitle: string | null;
  ytitle: string | null;
  ztitle: string | null;
}

export interface PivotInfo {
  name: string | null;
  visualTotals: boolean;
  showEmptyRow: boolean;
  showEmptyCol: boolean;
  showHeaders: boolean;
  location: Record<string, string> | null;
  /** Per pivot field: its items' (h, x) pairs where x is set. */
  fieldItems: Array<Array<[boolean | null, number]>>;
  cacheType: string | null;
  cacheRef: string | null;
  cacheSheet: string | null;
  pageFields: number[];
  colFields: number[];
  rowFields: number[];
  dataFields: Array<{ fld: number; name: string | null; subtotal: string; showDataAs: string }>;
}

function xmlBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return v === '1' || v === 'true';
}

function xmlBoolOrNull(v: string | undefined): boolean | null {
  return v === undefined ? null : v === '1' || v === 'true';
}

export class Worksheet {
  readonly cells = new Map<number, RawCell>();
  maxRow = 1;
  maxCol = 1;
  readonly merged: CellRange[] = [];
  readonly rowDims = new Map<number, Record<string, string>>();
  readonly colDims = new Map<string, Record<string, string>>();
  readonly rowOrder: number[] = [];
  pane: Pane | null = null;
  zoomScale: number | null = null;
  readonly hyperlinks = new Map<string, Record<string, string>>();
  private readonly root: XEl;

  constructor(
    readonly book: Workbook,
    readonly name: string,
    readonly part: string,
  ) {
    const root = book.pkg.xml(part);
    if (!root) throw new OfficeFileError(`${path.basename(book.file)}: sheet part ${part} is missing`);
    this.root = root;
    const data = kid(root, NS.sml, 'sheetData');
    let rowCounter = 0;
    let any = false;
    for (const row of kids(data, NS.sml, 'row')) {
      const r = attr(row, 'r');
      rowCounter = r !== undefined ? Number(r) : rowCounter + 1;
      const relevant = Object.keys(row.attrs).filter((k) => !k.startsWith('{') && k !== 'r' && k !== 'spans');
      if (relevant.length) this.rowDims.set(rowCounter, row.attrs);
      this.rowOrder.push(rowCounter);
      let colCounter = 0;
      for (const c of kids(row, NS.sml, 'c')) {
        const ref = attr(c, 'r');
        let rowNo = rowCounter;
        if (ref !== undefined) {
          const [rr, cc] = parseCoordinate(ref);
          rowNo = rr;
          colCounter = cc;
        } else colCounter += 1;
        const isEl = kid(c, NS.sml, 'is');
        const cell: RawCell = {
          row: rowNo,
          col: colCounter,
          t: attr(c, 't') ?? 'n',
          v: ownText(kid(c, NS.sml, 'v')) ?? (kid(c, NS.sml, 'v') ? '' : null),
          formula: kid(c, NS.sml, 'f'),
          inline: isEl ? richText(isEl) : null,
          style: Number(attr(c, 's') ?? 0),
        };
        this.cells.set(key(rowNo, colCounter), cell);
        this.maxRow = any ? Math.max(this.maxRow, rowNo) : rowNo;
        this.maxCol = any ? Math.max(this.maxCol, colCounter) : colCounter;
        any = true;
      }
    }
    for (const mc of kids(kid(root, NS.sml, 'mergeCells'), NS.sml, 'mergeCell')) {
      const ref = attr(mc, 'ref');
      if (!ref) continue;
      const range = parseRange(ref);
      this.merged.push(range);
      for (const [r, c] of rangeCells(range)) {
        if (r === range.minRow && c === range.minCol) continue;
        this.cells.set(key(r, c), { row: r, col: c, t: 'n', v: null, formula: null, inline: null, style: 0, merged: true });
        this.maxRow = any ? Math.max(this.maxRow, r) : r;
        this.maxCol = any ? Math.max(this.maxCol, c) : c;
        any = true;
      }
    }
    for (const col of kids(kid(root, NS.sml, 'cols'), NS.sml, 'col')) {
      const min = Number(attr(col, 'min') ?? 0);
      this.colDims.set(columnLetter(min), col.attrs);
    }
    const view = kid(kid(root, NS.sml, 'sheetViews'), NS.sml, 'sheetView');
    if (view) {
      const z = attr(view, 'zoomScale');
      this.zoomScale = z === undefined ? null : Number(z);
      const pane = kid(view, NS.sml, 'pane');
      if (pane) {
        const num = (v: string | undefined) => (v === undefined ? null : Number(v));
        this.pane = { xSplit: num(attr(pane, 'xSplit')), ySplit: num(attr(pane, 'ySplit')), topLeftCell: attr(pane, 'topLeftCell') ?? null, state: attr(pane, 'state') ?? null };
      }
    }
    for (const h of kids(kid(root, NS.sml, 'hyperlinks'), NS.sml, 'hyperlink')) {
      const ref = attr(h, 'ref');
      if (!ref) continue;
      const info: Record<string, string> = {};
      for (const [k, v] of Object.entries(h.attrs)) info[k.replace(/^\{.*\}/, '')] = v;
      const rid = attr(h, 'id', NS.rel);
      if (rid) {
        const rel = book.pkg.relTarget(part, rid);
        if (rel) info.target = rel.target;
      }
      for (const [r, c] of rangeCells(parseRange(ref))) this.hyperlinks.set(coordinate(r, c), info);
    }
  }

  raw(row: number, col: number): RawCell | null {
    return this.cells.get(key(row, col)) ?? null;
  }

  /** A cell as openpyxl's Worksheet gives it (load_workbook without data_only, or with it). */
  cell(row: number, col: number, dataOnly = false): OpenpyxlCell {
    const raw = this.raw(row, col);
    const coord = coordinate(row, col);
    if (!raw) return { value: null, dataType: 'n', style: this.book.styles.zero, merged: false, hyperlink: this.hyperlinks.get(coord) ?? null };
    const style = this.book.styles.get(raw.style);
    if (raw.merged) return { value: null, dataType: 'n', style: this.book.styles.zero, merged: true, hyperlink: null };
    const [value, dataType] = this.book.cellValue(raw, dataOnly);
    return { value, dataType, style, merged: false, hyperlink: this.hyperlinks.get(coord) ?? null };
  }

  /** Rows as pandas' openpyxl reader gets them (read_only, data_only, dimensions reset): from column A to each row's last cell. */
  pandasRows(): CellValue[][] {
    const byRow = new Map<number, RawCell[]>();
    for (const c of this.cells.values()) {
      if (c.merged) continue;
      const list = byRow.get(c.row);
      if (list) list.push(c);
      else byRow.set(c.row, [c]);
    }
    const rowNumbers = [...byRow.keys()];
    const last = rowNumbers.length ? Math.max(...rowNumbers) : 0;
    const rows: CellValue[][] = [];
    for (let r = 1; r <= last; r++) {
      const cells = (byRow.get(r) ?? []).sort((a, b) => a.col - b.col);
      if (!cells.length) {
        rows.push([]);
        continue;
      }
      const width = cells[cells.length - 1]!.col;
      const row: CellValue[] = new Array<CellValue>(width).fill(null);
      for (const c of cells) row[c.col - 1] = this.book.cellValue(c, true)[0];
      rows.push(row);
    }
    return rows;
  }

  dataValidations(): DataValidation[] {
    return kids(kid(this.root, NS.sml, 'dataValidations'), NS.sml, 'dataValidation').map((dv) => ({
      ranges: parseMultiRange(attr(dv, 'sqref') ?? ''),
      type: attr(dv, 'type') ?? null,
      operator: attr(dv, 'operator') ?? null,
      formula1: ownText(kid(dv, NS.sml, 'formula1')) ?? null,
      formula2: ownText(kid(dv, NS.sml, 'formula2')) ?? null,
      allowBlank: xmlBool(attr(dv, 'allowBlank'), false),
      showDropDown: xmlBool(attr(dv, 'showDropDown'), false),
      showInputMessage: xmlBool(attr(dv, 'showInputMessage'), false),
      showErrorMessage: xmlBool(attr(dv, 'showErrorMessage'), false),
      error: attr(dv, 'error') ?? null,
      errorTitle: attr(dv, 'errorTitle') ?? null,
      errorStyle: attr(dv, 'errorStyle') ?? null,
      prompt: attr(dv, 'prompt') ?? null,
      promptTitle: attr(dv, 'promptTitle') ?? null,
      imeMode: attr(dv, 'imeMode') ?? null,
    }));
  }

  autoFilter(): XEl | null {
    return kid(this.root, NS.sml, 'autoFilter');
  }

  conditionalFormats(): ConditionalFormat[] {
    return kids(this.root, NS.sml, 'conditionalFormatting').map((cf) => ({
      cells: parseMultiRange(attr(cf, 'sqref') ?? ''),
      rules: kids(cf, NS.sml, 'cfRule')
        .sort((a, b) => Number(attr(a, 'priority') ?? 0) - Number(attr(b, 'priority') ?? 0))
        .map((r) => {
          const dxfId = attr(r, 'dxfId');
          return {
            type: attr(r, 'type') ?? null,
            operator: attr(r, 'operator') ?? null,
            formula: kids(r, NS.sml, 'formula').map((f) => textOf(f)),
            dxf: dxfId === undefined ? null : (this.book.styles.dxfs[Number(dxfId)] ?? null),
          };
        }),
    }));
  }

  private relsOf(kind: string): string[] {
    return this.book.pkg.rels(this.part).filter((r) => relKind(r.type) === kind && !r.external).map((r) => r.target);
  }

  charts(): ChartInfo[] {
    const out: ChartInfo[] = [];
    for (const drawingPart of this.relsOf('drawing')) {
      const drawing = this.book.pkg.xml(drawingPart);
      if (!drawing) continue;
      for (const anchor of kids(drawing)) {
        if (anchor.ns !== NS.xdr) continue;
        const chartRef = descendants(anchor, NS.c, 'chart')[0];
        const rid = attr(chartRef, 'id', NS.rel);
        if (!rid) continue;
        const rel = this.book.pkg.relTarget(drawingPart, rid);
        const space = rel ? this.book.pkg.xml(rel.target) : null;
        if (!space) continue;
        const info = readChart(space, anchor);
        if (info) out.push(info);
      }
    }
    return out;
  }

  pivots(): PivotInfo[] {
    const out: PivotInfo[] = [];
    for (const partName of this.relsOf('pivotTable')) {
      const pt = this.book.pkg.xml(partName);
      if (!pt) continue;
      // openpyxl finds the cache through the workbook's <pivotCaches> by cacheId, and fails to load the workbook without it
      const cacheId = attr(pt, 'cacheId') ?? '';
      const cachePart = this.book.pivotCaches.get(cacheId);
      if (!cachePart) throw new OfficeFileError(`pivot table ${partName} names cache ${cacheId}, which the workbook does not list (openpyxl cannot load it)`);
      const cache = this.book.pkg.xml(cachePart);
      const source = kid(cache, NS.sml, 'cacheSource');
      const ws = kid(source, NS.sml, 'worksheetSource');
      const ints = (parent: string, child: string, a: string) => kids(kid(pt, NS.sml, parent), NS.sml, child).map((e) => Number(attr(e, a)));
      const loc = kid(pt, NS.sml, 'location');
      out.push({
        name: attr(pt, 'name') ?? null,
        visualTotals: xmlBool(attr(pt, 'visualTotals'), true),
        showEmptyRow: xmlBool(attr(pt, 'showEmptyRow'), false),
        showEmptyCol: xmlBool(attr(pt, 'showEmptyCol'), false),
        showHeaders: xmlBool(attr(pt, 'showHeaders'), true),
        location: loc ? { ...loc.attrs } : null,
        fieldItems: kids(kid(pt, NS.sml, 'pivotFields'), NS.sml, 'pivotField').map((f) =>
          kids(kid(f, NS.sml, 'items'), NS.sml, 'item')
            .filter((i) => attr(i, 'x') !== undefined)
            .map((i): [boolean | null, number] => [xmlBoolOrNull(attr(i, 'h')), Number(attr(i, 'x'))]),
        ),
        cacheType: attr(source, 'type') ?? null,
        cacheRef: attr(ws, 'ref') ?? null,
        cacheSheet: attr(ws, 'sheet') ?? null,
        pageFields: ints('pageFields', 'pageField', 'fld'),
        colFields: ints('colFields', 'field', 'x'),
        rowFields: ints('rowFields', 'field', 'x'),
        dataFields: kids(kid(pt, NS.sml, 'dataFields'), NS.sml, 'dataField').map((d) => ({
          fld: Number(attr(d, 'fld')),
          name: attr(d, 'name') ?? null,
          subtotal: attr(d, 'subtotal') ?? 'sum',
          showDataAs: attr(d, 'showDataAs') ?? 'normal',
        })),
      });
    }
    return out;
  }
}

function key(row: number, col: number): number {
  return row * 20000 + col;
}

/** openpyxl's rich-text content: <t> plus every <r><t>, phonetic runs left out. */
function richText(el: XEl): string {
  let s = '';
  for (const child of kids(el)) {
    if (child.ns !== NS.sml) continue;
    if (child.name === 't') s += textOf(child);
    else if (child.name === 'r') s += textOf(kid(child, NS.sml, 't'));
  }
  return s;
}

function firstRunText(title: XEl | null): string | null {
  const p = kid(walk2(title, 'tx', 'rich'), NS.a, 'p');
  const r = kid(p, NS.a, 'r');
  const t = kid(r, NS.a, 't');
  return t ? textOf(t) : null;
}

function walk2(el: XEl | null, ...names: string[]): XEl | null {
  let cur = el;
  for (const n of names) cur = kid(cur, NS.c, n);
  return cur;
}

const PLOT_TYPES = new Set(['areaChart', 'area3DChart', 'lineChart', 'line3DChart', 'stockChart', 'radarChart', 'scatterChart', 'pieChart', 'pie3DChart', 'doughnutChart', 'barChart', 'bar3DChart', 'ofPieChart', 'surfaceChart', 'surface3DChart', 'bubbleChart']);

/** openpyxl's read_chart: the first plot of the plot area stands for the chart; title, legend and axes from the chart. */
function readChart(space: XEl, anchor: XEl): ChartInfo | null {
  const chart = kid(space, NS.c, 'chart');
  const plotArea = kid(chart, NS.c, 'plotArea');
  const plot = kids(plotArea, NS.c).find((e) => PLOT_TYPES.has(e.name));
  if (!plot) return null;
  const ref = (el: XEl | null) => {
    const num = kid(el, NS.c, 'numRef');
    const str = kid(el, NS.c, 'strRef');
    const f = kid(num ?? str, NS.c, 'f');
    return f ? textOf(f) : '';
  };
  const series = kids(plot, NS.c, 'ser')
    .map((s) => `${ref(kid(s, NS.c, 'val'))},${ref(kid(s, NS.c, 'cat'))}`)
    .join(';');
  const axIds = kids(plot, NS.c, 'axId').map((a) => attr(a, 'val'));
  const axes = kids(plotArea, NS.c).filter((e) => ['valAx', 'catAx', 'dateAx', 'serAx'].includes(e.name));
  const axisById = (id: string | undefined) => axes.find((a) => attr(kid(a, NS.c, 'axId'), 'val') === id) ?? null;
  const axisTitle = (a: XEl | null) => (a ? firstRunText(kid(a, NS.c, 'title')) : null);
  const legend = kid(chart, NS.c, 'legend');
  const from = kid(anchor, NS.xdr, 'from');
  const to = kid(anchor, NS.xdr, 'to');
  const num = (parent: XEl | null, n: string) => {
    const t = kid(parent, NS.xdr, n);
    return t ? Number(textOf(t)) : null;
  };
  const editAs = anchor.name === 'twoCellAnchor' ? (attr(anchor, 'editAs') ?? 'twoCell') : null;
  return {
    series,
    tagname: plot.name,
    title: firstRunText(kid(chart, NS.c, 'title')),
    legend: legend ? (attr(kid(legend, NS.c, 'legendPos'), 'val') ?? 'r') : null,
    // the reference lists [editAs, from.col, to.row, to.col, to.row]
    anchor: [editAs, num(from, 'col'), num(to, 'row'), num(to, 'col'), num(to, 'row')],
    barDir: plot.name === 'barChart' || plot.name === 'bar3DChart' ? (attr(kid(plot, NS.c, 'barDir'), 'val') ?? 'col') : undefined,
    xtitle: axisTitle(axisById(axIds[0])),
    ytitle: axisTitle(axisById(axIds[1])),
    ztitle: axisTitle(axisById(axIds[2])),
  };
}

export interface SheetEntry {
  name: string;
  sheetId: string;
  part: string | null;
  kind: string;
}

export class Workbook {
  readonly sheets: SheetEntry[] = [];
  readonly styles: Styles;
  readonly sharedStrings: string[];
  readonly date1904: boolean;
  /** cacheId -> pivot cache definition part (workbook.xml's <pivotCaches>). */
  readonly pivotCaches = new Map<string, string>();
  private readonly loaded = new Map<string, Worksheet>();

  private readonly workbookPart: string;

  private constructor(
    readonly file: string,
    readonly pkg: Package,
  ) {
    const workbookPart = pkg.rels('').find((r) => relKind(r.type) === 'officeDocument')?.target ?? 'xl/workbook.xml';
    this.workbookPart = workbookPart;
    const wb = pkg.xml(workbookPart);
    if (!wb || wb.ns !== NS.sml || wb.name !== 'workbook') throw new OfficeFileError(`${path.basename(file)} is not an xlsx workbook`);
    const rels = pkg.rels(workbookPart);
    for (const s of kids(kid(wb, NS.sml, 'sheets'), NS.sml, 'sheet')) {
      const rel = rels.find((r) => r.id === attr(s, 'id', NS.rel));
      this.sheets.push({ name: attr(s, 'name') ?? '', sheetId: attr(s, 'sheetId') ?? '', part: rel?.target ?? null, kind: rel ? relKind(rel.type) : '' });
    }
    this.date1904 = xmlBool(attr(kid(wb, NS.sml, 'workbookPr'), 'date1904'), false);
    const stylesPart = rels.find((r) => relKind(r.type) === 'styles')?.target;
    this.styles = new Styles(stylesPart ? pkg.xml(stylesPart) : null);
    for (const pc of kids(kid(wb, NS.sml, 'pivotCaches'), NS.sml, 'pivotCache')) {
      const rel = rels.find((r) => r.id === attr(pc, 'id', NS.rel));
      if (rel) this.pivotCaches.set(attr(pc, 'cacheId') ?? '', rel.target);
    }
    const ssPart = rels.find((r) => relKind(r.type) === 'sharedStrings')?.target;
    this.sharedStrings = kids(ssPart ? pkg.xml(ssPart) : null, NS.sml, 'si').map(richText);
  }

  /**
   * openpyxl.load_workbook: only .xlsx/.xlsm/.xltx/.xltm names are accepted (an .ods or .csv is refused before it is
   * opened), then the package must be a SpreadsheetML workbook.
   */
  static open(file: string): Workbook {
    const ext = path.extname(file).toLowerCase();
    if (!['.xlsx', '.xlsm', '.xltx', '.xltm'].includes(ext)) throw new OfficeFileError(`openpyxl does not support ${ext || 'extension-less'} files (${path.basename(file)})`);
    return new Workbook(file, Package.open(file));
  }

  /** openpyxl's wb.active: the sheet at the workbook view's activeTab (chartsheets count in the index). */
  activeSheet(): Worksheet | null {
    const wb = this.pkg.xml(this.workbookPart);
    const tab = Number(attr(kid(kid(wb, NS.sml, 'bookViews'), NS.sml, 'workbookView'), 'activeTab') ?? 0);
    const entry = this.sheets[tab];
    return entry && entry.kind === 'worksheet' ? this.sheet(entry.name) : null;
  }

  /** What openpyxl.load_workbook reads up front and fails on: every worksheet, its pivot tables. */
  loadEagerly(): void {
    for (const name of this.worksheetNames()) this.sheet(name)?.pivots();
  }

  /** Worksheet titles in workbook order (pandas' ExcelFile.sheet_names: worksheets only, chartsheets left out). */
  worksheetNames(): string[] {
    return this.sheets.filter((s) => s.kind === 'worksheet').map((s) => s.name);
  }

  /** openpyxl's wb[name]; null where openpyxl raises KeyError. */
  sheet(name: string): Worksheet | null {
    const entry = this.sheets.find((s) => s.name === name && s.kind === 'worksheet');
    if (!entry?.part) return null;
    let ws = this.loaded.get(name);
    if (!ws) {
      ws = new Worksheet(this, name, entry.part);
      this.loaded.set(name, ws);
    }
    return ws;
  }

  /** openpyxl's WorkSheetParser.parse_cell: the value and data_type of a cell. */
  cellValue(raw: RawCell, dataOnly: boolean): [CellValue, string] {
    let dataType = raw.t;
    let value: string | null = raw.t === 'inlineStr' ? null : raw.v || null;
    if (!dataOnly && raw.formula) {
      const text = ownText(raw.formula);
      return [`=${text ?? ''}`, 'f'];
    }
    if (value !== null) {
      switch (dataType) {
        case 'n': {
          const n = castNumber(value);
          const style = this.styles.get(raw.style);
          if (style.isDate) return [fromExcel(n, this.date1904, style.isTimedelta), 'd'];
          return [n, 'n'];
        }
        case 's': {
          const idx = Number(value);
          if (!Number.isInteger(idx) || idx < 0 || idx >= this.sharedStrings.length) throw new OfficeFileError(`shared string ${value} does not exist`);
          return [this.sharedStrings[idx]!, 's'];
        }
        case 'b':
          return [Number(value) !== 0, 'b'];
        case 'str':
          return [value, 's'];
        case 'd': {
          const ms = Date.parse(value.endsWith('Z') || /[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
          return [{ kind: 'datetime', ms }, 'd'];
        }
        case 'e':
          return [{ kind: 'error', code: value }, 'e'];
        default:
          return [value, dataType];
      }
    }
    if (dataType === 'inlineStr') {
      if (raw.inline !== null) return [raw.inline, 's'];
      return [null, 'inlineStr'];
    }
    return [null, dataType === 'str' ? 's' : dataType];
  }
}

/** A <c><is><t attr="..">text</t></is></c> as xmltodict returns it (a dict, so it never equals a string). */
export interface XmlDict {
  xmltodict: Record<string, string>;
}

/**
 * The reference's read_cell_value: the raw XML of "xl/worksheets/sheet{sheetId}.xml" (not the part the workbook's
 * relationships name), numbers as floats, shared/formula strings and errors as text, inline strings through
 * xmltodict, anything else (booleans, missing cells, unknown sheets, unreadable files) as None.
 */
export function readCellValue(file: string, sheetName: string, coord: string): string | number | XmlDict | null {
  let shared: string[] = [];
  let cell: XEl | null = null;
  try {
    const pkg = Package.open(file);
    try {
      const ss = pkg.xml('xl/sharedStrings.xml');
      const sis = kids(ss, NS.sml, 'si').map((si) => descendants(si, NS.sml, 't'));
      // "".join(t.text ...) fails on an empty <t/>: the reference then has no shared strings at all
      shared = sis.some((ts) => ts.some((t) => t.children.length === 0)) ? [] : sis.map((ts) => ts.map((t) => textOf(t)).join(''));
    } catch {
      shared = [];
    }
    const wb = pkg.xml('xl/workbook.xml');
    const ids = new Map<string, string>();
    for (const s of kids(kid(wb, NS.sml, 'sheets'), NS.sml, 'sheet')) ids.set(attr(s, 'name') ?? '', attr(s, 'sheetId') ?? '');
    const id = ids.get(sheetName);
    if (id === undefined) return null;
    const sheet = pkg.xml(`xl/worksheets/sheet${id}.xml`);
    if (!sheet) return null;
    for (const row of kids(kid(sheet, NS.sml, 'sheetData'), NS.sml, 'row')) {
      cell = kids(row, NS.sml, 'c').find((c) => attr(c, 'r') === coord) ?? null;
      if (cell) break;
    }
  } catch {
    return null;
  }
  if (!cell) return null;
  const t = attr(cell, 't');
  const v = kid(cell, NS.sml, 'v');
  if (t === undefined || t === 'n') {
    if (!v) return null;
    const n = Number(textOf(v).trim());
    return Number.isNaN(n) && !/nan/i.test(textOf(v)) ? null : n;
  }
  if (t === 's') {
    if (!v) return null;
    const idx = Number(textOf(v));
    if (!Number.isInteger(idx)) return null;
    if (idx < 0 || idx >= shared.length) throw new OfficeFileError(`shared string ${idx} does not exist (the reference raises IndexError)`);
    return shared[idx]!;
  }
  if (t === 'str' || t === 'e') return v ? textOf(v) : null;
  if (t === 'inlineStr') {
    const ts = kids(kid(cell, NS.sml, 'is'), NS.sml, 't');
    if (ts.length !== 1) return null;
    const tEl = ts[0]!;
    if (Object.keys(tEl.attrs).length === 0) return textOf(tEl);
    const dict: Record<string, string> = {};
    for (const [k, val] of Object.entries(tEl.attrs)) dict[`@${k.replace(/^\{(.*)\}/, '$1:')}`] = val;
    dict['#text'] = textOf(tEl);
    return { xmltodict: dict };
  }
  return null;
}

/**
 * The reference's load_sparklines: {sqref: formula} of the x14 sparklines in "sheet{sheetId}.xml". An unknown
 * sheet name raises (KeyError) there; here too.
 */
export function loadSparklines(file: string, sheetName: string): Record<string, string> {
  let pkg: Package;
  try {
    pkg = Package.open(file);
  } catch {
    return {};
  }
  const wb = pkg.xml('xl/workbook.xml');
  const ids = new Map<string, string>();
  for (const s of kids(kid(wb, NS.sml, 'sheets'), NS.sml, 'sheet')) ids.set(attr(s, 'name') ?? '', attr(s, 'sheetId') ?? '');
  const id = ids.get(sheetName);
  if (id === undefined) throw new OfficeFileError(`sparklines: no sheet named ${JSON.stringify(sheetName)} in ${path.basename(file)}`);
  const sheet = pkg.xml(`xl/worksheets/sheet${id}.xml`);
  if (!sheet) throw new OfficeFileError(`sparklines: xl/worksheets/sheet${id}.xml is missing in ${path.basename(file)}`);
  const out: Record<string, string> = {};
  for (const sp of descendants(sheet, NS.x14, 'sparkline')) {
    const sqref = kid(sp, NS.xm, 'sqref');
    const f = kid(sp, NS.xm, 'f');
    if (!sqref || !f) throw new OfficeFileError('sparklines: a sparkline without xm:sqref or xm:f');
    out[textOf(sqref)] = textOf(f);
  }
  return out;
}
