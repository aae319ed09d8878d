/**
 * OSWorld's table metrics (desktop_env/evaluators/metrics/table.py): compare_table and its rule kinds, compare_csv,
 * compare_conference_city_in_order. The rules of a task are parsed up front (parseTableRules): a rule kind or a key
 * the reference does not read is refused with the rule's position, never ignored.
 *
 * Where the reference returns 0 (missing or unreadable result, a sheet it cannot load) we throw ScoreZero with the
 * reason, so the evaluation records why; where the reference itself would raise (an unreadable gold file, a rule
 * applied to a missing expected workbook) we throw too, which also scores 0 with the reason recorded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UnsupportedError } from '../errors';
import { pyRegex } from '../pyvalues';
import { compileConditionFormula, type CompiledCondition } from './cfformula';
import { framesEqual, readExcelFrame, roundFrame } from './frame';
import { attr as xattr, kid as xkid, kids as xkids, NS, OfficeFileError } from './ooxml';
import { fuzzRatio100, pyFloatRepr, pyInt, pySplitlines, pyStrip } from './pystr';
import {
  coordinate,
  isTemporal,
  loadSparklines,
  NON_RGB,
  parseCoordinate,
  parseMultiRange,
  rangeCells,
  rangeContains,
  readCellValue,
  Workbook,
  type CellRange,
  type DiffStyle,
  type OpenpyxlCell,
  type Worksheet,
} from './workbook';

/** The metric scores 0 for a reason worth recording (a missing file, a sheet that cannot be read). */
export class ScoreZero extends Error {
  override name = 'ScoreZero';
}

// ---------------------------------------------------------------- rule schemas

const SheetIdx = z.union([z.number().int(), z.string()]);
const ValueRule = z.object({ method: z.string(), ref: z.unknown() }).strict();
const pair = { sheet_idx0: SheetIdx, sheet_idx1: SheetIdx };
const StrList = z.array(z.string());

const FuzzyRange = z
  .object({
    range: z.union([z.string(), StrList]),
    type: z.enum(['includes', 'included_by', 'fuzzy_match', 'exact_match']),
    threshold: z.number().optional(),
    ignore_case: z.boolean().optional(),
    ignore_chars: z.string().optional(),
    trim_leadings: z.string().optional(),
    trim_trailings: z.string().optional(),
    normalization: z.array(z.tuple([z.string(), z.string()])).optional(),
  })
  .strict();

export const TableRule = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sheet_name') }).strict(),
  z
    .object({
      type: z.literal('sheet_data'),
      ...pair,
      precision: z.number().int().optional(),
      // Published libreoffice_calc/3a93cae4 sets it on sheet_data, where the reference never reads it (only its
      // sheet_print does): accepted, and it changes the score as little as there.
      ignore_case: z.boolean().optional(),
    })
    .strict(),
  z.object({ type: z.literal('sheet_print'), ...pair, ignore_case: z.boolean().optional() }).strict(),
  z.object({ type: z.literal('sheet_fuzzy'), ...pair, rules: z.array(FuzzyRange) }).strict(),
  z.object({ type: z.literal('sparkline'), ...pair }).strict(),
  z.object({ type: z.literal('chart'), ...pair, chart_props: StrList.optional() }).strict(),
  z.object({ type: z.literal('style'), ...pair, props: StrList.optional() }).strict(),
  z.object({ type: z.literal('freeze'), ...pair }).strict(),
  z.object({ type: z.literal('zoom'), sheet_idx: SheetIdx, method: z.string(), ref: z.unknown() }).strict(),
  z.object({ type: z.literal('data_validation'), sheet_idx: SheetIdx, dv_props: z.array(z.record(z.string(), ValueRule)) }).strict(),
  z.object({ type: z.literal('row_props'), ...pair, props: StrList.optional() }).strict(),
  z.object({ type: z.literal('col_props'), ...pair, props: StrList.optional() }).strict(),
  z.object({ type: z.literal('filter'), ...pair }).strict(),
  z.object({ type: z.literal('pivot_table'), ...pair, pivot_props: StrList.optional() }).strict(),
  z.object({ type: z.literal('check_cell'), sheet_idx: SheetIdx, coordinate: z.string(), props: z.record(z.string(), ValueRule) }).strict(),
]);
export type TableRule = z.infer<typeof TableRule>;

/** compare_table's options: {rules: [...]}. Throws UnsupportedError naming the rule and what is not understood. */
export function parseTableRules(options: Record<string, unknown>): TableRule[] {
  const extra = Object.keys(options).filter((k) => k !== 'rules');
  if (extra.length) throw new UnsupportedError(`compare_table option ${extra.join(', ')} (only "rules" is read by the reference)`);
  if (!Array.isArray(options.rules)) throw new UnsupportedError('compare_table without a "rules" list');
  return options.rules.map((r, i) => {
    const parsed = TableRule.safeParse(r);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
      throw new UnsupportedError(`compare_table rule ${i + 1} (${JSON.stringify(r).slice(0, 120)}): ${issue.message}${where}`);
    }
    for (const idx of sheetIdxs(parsed.data)) {
      if (typeof idx === 'string' && !/^(RI|RN|EI|EN)/.test(idx)) throw new UnsupportedError(`compare_table rule ${i + 1}: sheet index ${JSON.stringify(idx)} is not RI<n>, RN<name>, EI<n> or EN<name>`);
    }
    return parsed.data;
  });
}

function sheetIdxs(r: TableRule): Array<number | string> {
  const out: Array<number | string> = [];
  if ('sheet_idx0' in r) out.push(r.sheet_idx0, r.sheet_idx1);
  if ('sheet_idx' in r) out.push(r.sheet_idx);
  return out;
}

// ---------------------------------------------------------------- Python semantics for rule values

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTemporal(v) && v !== NON_RGB;
}

/** Python `==` between the values the rules compare (numbers, bools, strings, None, colours, dicts, lists, sets as sorted lists). */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  const num = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  if (typeof num(a) === 'number' && typeof num(b) === 'number') return num(a) === num(b);
  if (isTemporal(a) || isTemporal(b)) return isTemporal(a) && isTemporal(b) && a.kind === b.kind && a.ms === b.ms;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => pyEq(x, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

function pyCompare(a: unknown, b: unknown, op: string): boolean {
  const num = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  const x = num(a);
  const y = num(b);
  if (!((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string'))) {
    throw new TypeError(`'${op}' not supported between ${describe(a)} and ${describe(b)}`);
  }
  switch (op) {
    case 'lt':
      return x! < y!;
    case 'le':
      return x! <= y!;
    case 'gt':
      return x! > y!;
    default:
      return x! >= y!;
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === NON_RGB) return 'an openpyxl RGB descriptor';
  return typeof v === 'string' ? `str ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`;
}

const RE_FLAGS: Record<string, string> = { I: 'i', IGNORECASE: 'i', M: 'm', MULTILINE: 'm', S: 's', DOTALL: 's', X: '', VERBOSE: '', A: '', ASCII: '', U: '', UNICODE: '' };

/** utils._match_value_to_rule: eq/ne/le/lt/ge/gt, re[.FLAGS], approx:T, spreadsheet_range, range.XY, str_list_eq / str_set_eq. */
export function matchRule(value: unknown, rule: { method: string; ref?: unknown }): boolean {
  const method = rule.method;
  const ref = rule.ref;
  if (method.startsWith('re')) {
    const flags = method
      .split('.')
      .slice(1)
      .map((f) => {
        if (!(f in RE_FLAGS)) throw new UnsupportedError(`rule method ${method}: re flag ${f}`);
        return RE_FLAGS[f]!;
      })
      .join('');
    if (typeof value !== 'string') throw new TypeError(`re.search on ${describe(value)} (expected a string)`);
    return pyRegex(String(ref), flags).test(value);
  }
  if (method === 'eq') return pyEq(value, ref);
  if (method === 'ne') return !pyEq(value, ref);
  if (['le', 'lt', 'ge', 'gt'].includes(method)) return pyCompare(value, ref, method);
  if (method.startsWith('approx')) {
    const threshold = Number(method.split(':')[1]);
    let v: number;
    if (typeof value === 'number') v = value;
    else if (typeof value === 'boolean') v = value ? 1 : 0;
    else if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value.trim()))) v = Number(value.trim());
    else return false;
    return Math.abs(v - Number(ref)) <= threshold;
  }
  if (method === 'spreadsheet_range') {
    const [sub, sup] = ref as [unknown, unknown];
    const subset = parseMultiRange(sub);
    const superset = parseMultiRange(sup);
    const ranges = value as CellRange[];
    const within = (inner: CellRange[], outer: CellRange[]) => inner.every((r) => outer.some((o) => rangeContains(o, r)));
    return within(subset, ranges) && within(ranges, superset);
  }
  if (method.startsWith('range.')) {
    const [lo, hi] = ref as [unknown, unknown];
    const left = method[6] === 't' ? 'lt' : 'le';
    const right = method[7] === 't' ? 'lt' : 'le';
    return pyCompare(lo, value, left) && pyCompare(value, hi, right);
  }
  if (method === 'str_list_eq' || method === 'str_set_eq') {
    if (typeof value !== 'string') throw new TypeError(`${method} on ${describe(value)}`);
    const items = pyStrip(value, '"\'').split(',');
    const refs = (ref as unknown[]).map(String);
    if (method === 'str_list_eq') return pyEq(items, refs);
    const a = new Set(items);
    const b = new Set(refs);
    return a.size === b.size && [...a].every((x) => b.has(x));
  }
  throw new UnsupportedError(`rule method "${method}"`);
}

// ---------------------------------------------------------------- books and sheet selection

interface Book {
  path: string | null;
  xl: Workbook | null;
  names: string[] | null;
}

/** _parse_sheet_idx: which book, which sheet name ("" where the reference gives up on an index). */
function parseSheetIdx(idx: number | string, result: Book, expected: Book): [Book, string] {
  const pick = (names: string[] | null, n: number | null) => {
    if (!names || n === null || !Number.isInteger(n)) return '';
    const i = n < 0 ? names.length + n : n;
    return names[i] ?? '';
  };
  if (typeof idx === 'number') {
    if (!result.names || idx >= result.names.length) return [result, ''];
    return [result, pick(result.names, idx)];
  }
  const rest = idx.slice(2);
  // "RI<n>" / "EI<n>" go through Python's int(): "RI+1" and "EI -1" are indexes too
  if (idx.startsWith('RI')) return [result, pick(result.names, pyInt(rest))];
  if (idx.startsWith('RN')) return [result, rest];
  if (idx.startsWith('EI')) return [expected, pick(expected.names, pyInt(rest))];
  if (idx.startsWith('EN')) return [expected, rest];
  throw new UnsupportedError(`sheet index ${JSON.stringify(idx)}`);
}

function requireBook(book: Book, what: string): Workbook {
  if (!book.xl) throw new Error(`${what}: the rule reads the expected workbook but the task gives none (the reference raises here)`);
  return book.xl;
}

function requirePath(book: Book, what: string): string {
  if (!book.path) throw new Error(`${what}: the rule reads the expected file but the task gives none (the reference raises here)`);
  return book.path;
}

/** _safe_read_file: UTF-8 (BOM skipped), else Latin-1 (which reads anything); lines as str.splitlines(). */
export function readLinesLikePython(file: string): string[] {
  const data = readFileSync(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    if (text.startsWith('\ufeff')) text = text.slice(1);
  } catch {
    text = new TextDecoder('latin1').decode(data);
  }
  return pySplitlines(text);
}

/** _load_sheet on a path: "<book without extension>-<sheet>.csv", stripped, reversed, trailing blank lines dropped. */
function loadPrinted(book: Book, sheet: string, what: string): string[] | null {
  const file = `${requirePath(book, what).replace(/\.[^./\\]*$/, '')}-${sheet}.csv`;
  let lines: string[];
  try {
    lines = readLinesLikePython(file);
  } catch {
    return null;
  }
  const rev = lines.map((l) => pyStrip(l)).reverse();
  let i = 0;
  while (i < rev.length && rev[i] === '') i++;
  return rev.slice(i);
}

// ---------------------------------------------------------------- openpyxl cell styles (utils._read_cell_style)

class StyleReadError extends Error {}

export function readCellStyle(prop: string, cell: OpenpyxlCell, dxf: DiffStyle | null = null): unknown {
  const hasValue = cell.value !== null;
  const fontOf = () => {
    const font = dxf ? dxf.font : cell.style.font;
    if (!font) throw new StyleReadError(`'NoneType' object has no attribute (the differential style has no font)`);
    return font;
  };
  switch (prop) {
    case 'number_format':
      if (!(hasValue && cell.dataType === 'n')) return null;
      if (!dxf) return cell.style.numberFormat;
      if (dxf.numFmt === null) throw new StyleReadError('the differential style has no number format');
      return dxf.numFmt;
    case 'font_name':
      return hasValue ? fontOf().name : null;
    case 'font_family':
      return hasValue ? fontOf().family : null;
    case 'font_color': {
      if (!hasValue) return null;
      const c = fontOf().color;
      if (c === null) throw new StyleReadError("'NoneType' object has no attribute 'rgb' (the font has no colour)");
      return c;
    }
    case 'font_bold':
      return hasValue ? fontOf().bold : null;
    case 'font_italic':
      return hasValue ? fontOf().italic : null;
    case 'font_underline':
      return hasValue ? fontOf().underline : null;
    case 'font_size':
      return hasValue ? fontOf().size : null;
    case 'fill_type': {
      const fill = dxf ? dxf.fill : cell.style.fill;
      return fill ? fill.tag : null;
    }
    case 'bgcolor':
    case 'fgcolor': {
      if (dxf) return dxf.fill ? dxf.fill.bgColor : null;
      return cell.style.fill.tag === 'patternFill' ? cell.style.fill.fgColor : null;
    }
    case 'hyperlink':
      return hasValue ? (cell.hyperlink ?? '') : null;
    case 'merge':
      return cell.merged;
    default:
      throw new UnsupportedError(`cell style "${prop}"`);
  }
}

// ---------------------------------------------------------------- conditional formats (a subset of `formulas`)

/** load_xlsx_styles: every cell of A1:<max> with the concerned styles, then cells that a conditional format activates. */
function loadStyles(ws: Worksheet, bookPath: string, props: string[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (let col = 1; col <= ws.maxCol; col++) {
    for (let row = 1; row <= ws.maxRow; row++) {
      const cell = ws.cell(row, col);
      out.set(coordinate(row, col), props.map((p) => readCellStyle(p, cell)));
    }
  }
  let isActive: ((v: unknown) => unknown) | null = null;
  for (const fmt of ws.conditionalFormats()) {
    for (const rule of fmt.rules) {
      const active: Array<[number, number]> = [];
      const compiled: CompiledCondition[] = [];
      const argumentLists: Array<Array<unknown>> = [];
      let skip = false;
      for (const fml of rule.formula) {
        let c: CompiledCondition;
        try {
          c = compileConditionFormula(fml);
        } catch (error) {
          if (error instanceof UnsupportedError) throw error;
          skip = true; // the reference logs a formula it cannot parse and skips the rule
          break;
        }
        const args: unknown[] = [];
        for (const m of fml.matchAll(/\$([A-Z]{1,3})\$(\d+)(?::\$([A-Z]{1,3})\$(\d+))?/g)) {
          // the reference always builds "col1row1:col2row2"; a single absolute cell ("$A$1") makes that range invalid and raises
          if (m[3] === undefined) throw new Error(`conditional format formula ${JSON.stringify(fml)}: the reference cannot read the absolute cell $${m[1]}$${m[2]} and raises`);
          const range = parseMultiRange(`${m[1]}${m[2]}:${m[3]}${m[4]}`)[0]!;
          args.push([...rangeCells(range)].map(([r, cc]) => readCellValue(bookPath, ws.name, coordinate(r, cc))));
        }
        compiled.push(c);
        argumentLists.push(args);
      }
      if (skip) continue;
      const type = rule.type ?? '';
      if (['expression', 'containsText', 'notContainsText', 'endsWith', 'beginsWith', 'containsErrors', 'notContainsErrors'].includes(type)) {
        const cond = compiled[0];
        if (!cond) throw new Error(`a ${type} conditional format without a formula (the reference raises here)`);
        const args = argumentLists[0] ?? [];
        isActive = (v) => cond.call([v, ...args]);
      } else if (type === 'cellIs') {
        let refs: unknown[];
        try {
          refs = compiled.map((c) => c.call([]));
        } catch {
          continue; // the reference cannot evaluate the references (they name cells) and skips the rule
        }
        const op = rule.operator ?? '';
        isActive = (v) => cellIsOperator(op, v, refs);
      }
      // other rule types (top10, duplicateValues, colorScale, ...): the reference logs them and keeps the previous condition
      let nothings = 0;
      for (const range of fmt.cells) {
        for (const [r, c] of rangeCells(range)) {
          const v = readCellValue(bookPath, ws.name, coordinate(r, c));
          if (v === null) {
            nothings++;
            if (nothings > 50) break;
            continue;
          }
          let ok = false;
          try {
            ok = isActive ? Boolean(isActive(v)) : false;
          } catch {
            ok = false;
          }
          if (ok) active.push([r, c]);
        }
      }
      for (const [r, c] of active) {
        const cell = ws.cell(r, c);
        out.set(coordinate(r, c), props.map((p) => readCellStyle(p, cell, rule.dxf)));
      }
    }
  }
  return out;
}

/** utils._process_xlsx_cf_operator. */
function cellIsOperator(op: string, value: unknown, refs: unknown[]): boolean {
  try {
    const cmp = (o: string, a: unknown, b: unknown) => pyCompare(a, b, o);
    switch (op) {
      case 'lessThanOrEqual':
        return cmp('le', value, refs[0]);
      case 'lessThan':
        return cmp('lt', value, refs[0]);
      case 'equal':
        return pyEq(value, refs[0]);
      case 'greaterThanOrEqual':
        return cmp('ge', value, refs[0]);
      case 'notEqual':
        return !pyEq(value, refs[0]);
      case 'greaterThan':
        return cmp('gt', value, refs[0]);
      case 'between':
      case 'notBetween': {
        if (refs.length < 1) return false;
        const nums = refs as number[];
        const lo = Math.min(...nums);
        const hi = Math.max(...nums);
        const inside = cmp('ge', value, lo) && cmp('le', value, hi);
        return op === 'between' ? inside : !inside;
      }
      default:
        // the reference logs it and returns an unbound result: an exception, so the cell is not active
        return false;
    }
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- other sheet features

function rowsOrCols(ws: Worksheet | null, obj: 'row' | 'column', props: string[]): Record<string, Record<string, unknown>> {
  if (!ws) return {};
  const out: Record<string, Record<string, unknown>> = {};
  const dims = obj === 'row' ? ws.rowDims : ws.colDims;
  for (const [k, attrs] of dims) {
    const info: Record<string, unknown> = {};
    for (const p of new Set(props)) info[p] = dimensionProp(obj, attrs, p);
    out[String(k)] = info;
  }
  return out;
}

function boolAttr(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return v === '1' || v === 'true';
}

/** RowDimension / ColumnDimension attributes (openpyxl names and defaults). */
function dimensionProp(obj: 'row' | 'column', a: Record<string, string>, prop: string): unknown {
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  const common: Record<string, () => unknown> = {
    hidden: () => boolAttr(a.hidden, false),
    collapsed: () => boolAttr(a.collapsed, false),
    outlineLevel: () => Number(a.outlineLevel ?? 0),
    outline_level: () => Number(a.outlineLevel ?? 0),
    style: () => (a.s === undefined && a.style === undefined ? 'Normal' : (a.s ?? a.style)),
  };
  const rowOnly: Record<string, () => unknown> = {
    height: () => num(a.ht),
    ht: () => num(a.ht),
    customHeight: () => boolAttr(a.customHeight, false),
    customFormat: () => boolAttr(a.customFormat, false),
    thickBot: () => boolAttr(a.thickBot, false),
    thickTop: () => boolAttr(a.thickTop, false),
  };
  const colOnly: Record<string, () => unknown> = {
    width: () => (a.width === undefined ? 13 : Number(a.width)),
    auto_size: () => boolAttr(a.bestFit, false),
    bestFit: () => boolAttr(a.bestFit, false),
    customWidth: () => boolAttr(a.customWidth, false),
    min: () => num(a.min),
    max: () => num(a.max),
  };
  const table = { ...common, ...(obj === 'row' ? rowOnly : colOnly) };
  const f = table[prop];
  if (!f) throw new UnsupportedError(`${obj} dimension property "${prop}"`);
  return f();
}

function loadFilters(ws: Worksheet | null): Record<string, unknown> {
  if (!ws) return {};
  const af = ws.autoFilter();
  const bool = (v: string | undefined) => (v === undefined ? null : v === '1' || v === 'true');
  const columns = xkids(af, NS.sml, 'filterColumn').map((fc) => {
    const col: Record<string, unknown> = {
      col_id: Number(xattr(fc, 'colId')),
      // openpyxl leaves both None when the attributes are absent
      hidden_button: bool(xattr(fc, 'hiddenButton')),
      show_button: bool(xattr(fc, 'showButton')),
    };
    const filters = xkid(fc, NS.sml, 'filters');
    if (filters) {
      col.filters_blank = bool(xattr(filters, 'blank'));
      col.filters = sortedSet(xkids(filters, NS.sml, 'filter').map((f) => xattr(f, 'val') ?? null));
    }
    const custom = xkid(fc, NS.sml, 'customFilters');
    if (custom) {
      col.custom_filters_op = bool(xattr(custom, 'and'));
      col.custom_filters = sortedSet(xkids(custom, NS.sml, 'customFilter').map((f) => [xattr(f, 'operator') ?? null, xattr(f, 'val') ?? null]));
    }
    return col;
  });
  columns.sort((a, b) => (a.col_id as number) - (b.col_id as number));
  const out: Record<string, unknown> = { ref: xattr(af, 'ref') ?? null, filter_column: columns };
  const sort = xkid(af, NS.sml, 'sortState');
  if (sort) {
    const int = (v: string | undefined) => (v === undefined ? null : Number(v));
    out.sort_state = {
      sort: bool(xattr(sort, 'columnSort')),
      case: bool(xattr(sort, 'caseSensitive')),
      method: xattr(sort, 'sortMethod') ?? null,
      ref: xattr(sort, 'ref') ?? null,
      condition: xkids(sort, NS.sml, 'sortCondition').map((c) => ({
        descending: bool(xattr(c, 'descending')),
        key: xattr(c, 'sortBy') ?? null,
        ref: xattr(c, 'ref') ?? null,
        custom_list: xattr(c, 'customList') ?? null,
        dxf_id: int(xattr(c, 'dxfId')),
        icon: xattr(c, 'iconSet') ?? null,
        iconid: int(xattr(c, 'iconId')),
      })),
    };
  }
  return out;
}

/** A Python set as a canonical sorted list, so that equality ignores order as sets do. */
function sortedSet(items: unknown[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const it of items) seen.set(JSON.stringify(it), it);
  return [...seen.keys()].sort().map((k) => seen.get(k));
}

function pyTuple(t: [number, number]): string {
  return `(${t[0]}, ${t[1]})`;
}

function loadPivots(ws: Worksheet | null, props: string[]): Record<string, unknown> {
  if (!ws) return {};
  const want = new Set(props);
  const out: Record<string, unknown> = {};
  for (const p of ws.pivots()) {
    const raw = p.fieldItems;
    let left = 0;
    while (left < raw.length && raw[left]!.length === 0) left++;
    let end = raw.length;
    while (end > left && raw[end - 1]!.length === 0) end--;
    const selection = raw.slice(left, end);
    const right = raw.length - end;
    if (!p.cacheRef) throw new Error('pivot table without a worksheet cache source (the reference raises here)');
    const [a, b] = p.cacheRef.split(':') as [string, string | undefined];
    if (b === undefined) throw new Error(`pivot cache source ${p.cacheRef} is not a range (the reference raises here)`);
    const c1 = parseCoordinate(a);
    const c2 = parseCoordinate(b);
    const source = `${p.cacheType};${pyTuple([c1[0], c1[1] + left])}:${pyTuple([c2[0], c2[1] - right])};${p.cacheSheet}`;
    const info: Record<string, unknown> = {};
    if (want.has('name')) info.name = p.name;
    if (want.has('show_total')) info.show_total = p.visualTotals;
    if (want.has('show_empty_row')) info.show_empty_row = p.showEmptyRow;
    if (want.has('show_empty_col')) info.show_empty_col = p.showEmptyCol;
    if (want.has('show_headers')) info.show_headers = p.showHeaders;
    if (want.has('location')) info.location = p.location;
    if (want.has('filter') || want.has('selection')) {
      info.selection = want.has('ordered') ? selection : selection.map((r) => sortedSet(r));
    }
    if (want.has('filter')) info.filter_fields = sortedSet(p.pageFields);
    if (want.has('col_fields')) {
      let f = p.colFields.map((x) => x - left);
      if (want.has('ignore_special_fields')) f = f.filter((x) => x >= 0);
      info.col_fields = f;
    }
    if (want.has('row_fields')) {
      let f = p.rowFields.map((x) => x - left);
      if (want.has('ignore_special_fields')) f = f.filter((x) => x >= 0);
      info.row_fields = f;
    }
    if (want.has('data_fields')) {
      info.data_fields = p.dataFields.map((d) => `${d.fld - left};${want.has('data_fields_name') ? (d.name ?? 'None') : ''};${d.subtotal};${d.showDataAs}`);
    }
    out[source] = info;
  }
  return out;
}

function loadCharts(ws: Worksheet | null, props: string[]): Record<string, unknown> {
  if (!ws) return {};
  const want = new Set(props);
  const out: Record<string, unknown> = {};
  for (const ch of ws.charts()) {
    const info: Record<string, unknown> = {};
    if (want.has('title')) info.title = ch.title;
    if (want.has('legend')) info.legend = ch.legend;
    if (want.has('anchor')) info.anchor = ch.anchor;
    // openpyxl's reader leaves a chart's width and height at their defaults
    if (want.has('width')) info.width = 15;
    if (want.has('height')) info.height = 7.5;
    if (want.has('type')) info.type = ch.tagname;
    if (want.has('direction')) {
      if (ch.barDir === undefined) throw new Error(`chart property "direction" on a ${ch.tagname} (the reference raises: no barDir)`);
      info.direction = ch.barDir;
    }
    if (want.has('xtitle')) info.xtitle = ch.xtitle;
    if (want.has('ytitle')) info.ytitle = ch.ytitle;
    if (want.has('ztitle')) info.ztitle = ch.ztitle;
    out[ch.series] = info;
  }
  return out;
}

function freezeKey(ws: Worksheet): unknown[] {
  const pane = ws.pane;
  if (!pane) return ['none'];
  const state = (pane.state ?? 'split').toLowerCase();
  const xs = pane.xSplit === null ? 0 : Math.trunc(pane.xSplit);
  const ys = pane.ySplit === null ? 0 : Math.trunc(pane.ySplit);
  if (state === 'frozen' || state === 'frozensplit') return ['frozen', xs, ys];
  return ['other', xs, ys, pane.topLeftCell];
}

function mapsEqual(a: Map<string, unknown[]>, b: Map<string, unknown[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !pyEq(v, w)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- compare_table

function isFile(p: unknown): p is string {
  return typeof p === 'string' && existsSync(p) && statSync(p).isFile();
}

export function compareTable(result: unknown, expected: unknown, options: Record<string, unknown>): number {
  const rules = parseTableRules(options);
  if (result === null || result === undefined) throw new ScoreZero('the result file was not found (None)');
  if (typeof result !== 'string') throw new ScoreZero(`the result is not one file path: ${JSON.stringify(result)}`);
  if (!existsSync(result)) throw new ScoreZero(`result file not found: ${result}`);
  let rxl: Workbook;
  try {
    rxl = Workbook.open(result);
    rxl.loadEagerly();
  } catch (error) {
    throw new ScoreZero(`cannot load the result workbook ${path.basename(result)}: ${(error as Error).message}`);
  }
  const resultBook: Book = { path: result, xl: rxl, names: rxl.worksheetNames() };
  let expectedBook: Book = { path: null, xl: null, names: null };
  if (expected !== null && expected !== undefined) {
    if (typeof expected !== 'string') throw new Error(`the expected value is not one file path: ${JSON.stringify(expected)}`);
    const exl = Workbook.open(expected);
    exl.loadEagerly();
    expectedBook = { path: expected, xl: exl, names: exl.worksheetNames() };
  }
  const idx = (i: number | string) => parseSheetIdx(i, resultBook, expectedBook);
  const sheetOf = (i: number | string, what: string): Worksheet | null => {
    const [book, name] = idx(i);
    return requireBook(book, what).sheet(name);
  };

  for (const [n, r] of rules.entries()) {
    const what = `rule ${n + 1} (${r.type})`;
    let ok: boolean;
    switch (r.type) {
      case 'sheet_name':
        ok = pyEq(resultBook.names, expectedBook.names);
        break;
      case 'sheet_data': {
        const frame = (i: number | string) => {
          const [book, name] = idx(i);
          const ws = requireBook(book, what).sheet(name);
          return ws ? readExcelFrame(ws.pandasRows()) : null;
        };
        const a = frame(r.sheet_idx0);
        if (!a) throw new ScoreZero(`${what}: sheet ${JSON.stringify(r.sheet_idx0)} cannot be read`);
        const b = frame(r.sheet_idx1);
        if (!b) throw new Error(`${what}: sheet ${JSON.stringify(r.sheet_idx1)} cannot be read (the reference raises here)`);
        const precision = r.precision ?? 4;
        ok = framesEqual(roundFrame(a, precision), roundFrame(b, precision)).equal;
        break;
      }
      case 'sheet_print': {
        const [b0, s0] = idx(r.sheet_idx0);
        const a = loadPrinted(b0, s0, what);
        if (!a) throw new ScoreZero(`${what}: no CSV export ${path.basename(requirePath(b0, what)).replace(/\.[^.]*$/, '')}-${s0}.csv next to the workbook`);
        const [b1, s1] = idx(r.sheet_idx1);
        let b = loadPrinted(b1, s1, what);
        let a2 = a;
        if (r.ignore_case) {
          if (!b) throw new Error(`${what}: no CSV export for ${JSON.stringify(r.sheet_idx1)} (the reference raises here)`);
          a2 = a.map((l) => l.toLowerCase());
          b = b.map((l) => l.toLowerCase());
        }
        ok = b !== null && pyEq(a2, b);
        break;
      }
      case 'sheet_fuzzy': {
        const [b0, s0] = idx(r.sheet_idx0);
        const [b1, s1] = idx(r.sheet_idx1);
        const p0 = requirePath(b0, what);
        const p1 = requirePath(b1, what);
        ok = true;
        for (const rl of r.rules) {
          for (const range of parseMultiRange(rl.range)) {
            for (const [row, col] of rangeCells(range)) {
              const c = coordinate(row, col);
              let v1 = pyStrOf(readCellValue(p0, s0, c));
              let v2 = pyStrOf(readCellValue(p1, s1, c));
              for (const [from, to] of rl.normalization ?? []) {
                v1 = v1.split(from).join(to);
                v2 = v2.split(from).join(to);
              }
              if (rl.trim_leadings !== undefined) {
                v1 = pyStrip(v1, rl.trim_leadings, 'left');
                v2 = pyStrip(v2, rl.trim_leadings, 'left');
              }
              if (rl.trim_trailings !== undefined) {
                v1 = pyStrip(v1, rl.trim_trailings, 'right');
                v2 = pyStrip(v2, rl.trim_trailings, 'right');
              }
              if (rl.ignore_chars !== undefined) {
                const ignore = new Set(rl.ignore_chars);
                v1 = Array.from(v1).filter((ch) => !ignore.has(ch)).join('');
                v2 = Array.from(v2).filter((ch) => !ignore.has(ch)).join('');
              }
              if (rl.ignore_case) {
                v1 = v1.toLowerCase();
                v2 = v2.toLowerCase();
              }
              let m: boolean;
              if (rl.type === 'includes') m = v1.includes(v2);
              else if (rl.type === 'included_by') m = v2.includes(v1);
              else if (rl.type === 'fuzzy_match') m = fuzzRatio100(v1, v2) >= (rl.threshold ?? 85);
              else m = v1 === v2;
              ok = ok && m;
            }
          }
        }
        break;
      }
      case 'sparkline': {
        const [b0, s0] = idx(r.sheet_idx0);
        const [b1, s1] = idx(r.sheet_idx1);
        ok = pyEq(loadSparklines(requirePath(b0, what), s0), loadSparklines(requirePath(b1, what), s1));
        break;
      }
      case 'chart':
        ok = pyEq(loadCharts(sheetOf(r.sheet_idx0, what), r.chart_props ?? []), loadCharts(sheetOf(r.sheet_idx1, what), r.chart_props ?? []));
        break;
      case 'style': {
        const styles = (i: number | string) => {
          const [book, name] = idx(i);
          const ws = requireBook(book, what).sheet(name);
          return ws ? loadStyles(ws, requirePath(book, what), r.props ?? []) : new Map<string, unknown[]>();
        };
        ok = mapsEqual(styles(r.sheet_idx0), styles(r.sheet_idx1));
        break;
      }
      case 'freeze': {
        const a = sheetOf(r.sheet_idx0, what);
        if (!a) throw new ScoreZero(`${what}: sheet ${JSON.stringify(r.sheet_idx0)} not found`);
        const b = sheetOf(r.sheet_idx1, what);
        if (!b) throw new Error(`${what}: sheet ${JSON.stringify(r.sheet_idx1)} not found (the reference raises here)`);
        ok = pyEq(freezeKey(a), freezeKey(b));
        break;
      }
      case 'zoom': {
        const ws = sheetOf(r.sheet_idx, what);
        if (!ws) throw new ScoreZero(`${what}: sheet ${JSON.stringify(r.sheet_idx)} not found`);
        ok = matchRule(ws.zoomScale || 100.0, r);
        break;
      }
      case 'data_validation': {
        const ws = sheetOf(r.sheet_idx, what);
        if (!ws) throw new ScoreZero(`${what}: sheet ${JSON.stringify(r.sheet_idx)} not found`);
        const dvs = ws.dataValidations();
        let total = dvs.length >= r.dv_props.length;
        for (const dv of dvs) {
          let m = false;
          for (const prop of r.dv_props) {
            m =
              m ||
              Object.entries(prop).every(([name, rule]) => {
                const key = name === 'sqref' || name === 'cells' ? 'ranges' : name;
                if (!(key in dv)) throw new Error(`data validation attribute "${name}" does not exist (the reference raises here)`);
                return matchRule(dv[key], rule);
              });
            if (m) break;
          }
          total = total && m;
          if (!total) break;
        }
        ok = total;
        break;
      }
      case 'row_props':
      case 'col_props': {
        const obj = r.type === 'row_props' ? 'row' : 'column';
        ok = pyEq(rowsOrCols(sheetOf(r.sheet_idx0, what), obj, r.props ?? []), rowsOrCols(sheetOf(r.sheet_idx1, what), obj, r.props ?? []));
        break;
      }
      case 'filter':
        ok = pyEq(loadFilters(sheetOf(r.sheet_idx0, what)), loadFilters(sheetOf(r.sheet_idx1, what)));
        break;
      case 'pivot_table':
        ok = pyEq(loadPivots(sheetOf(r.sheet_idx0, what), r.pivot_props ?? []), loadPivots(sheetOf(r.sheet_idx1, what), r.pivot_props ?? []));
        break;
      case 'check_cell': {
        // the reference wraps the whole rule: any failure scores the table 0
        try {
          const [book, name] = idx(r.sheet_idx);
          const ws = requireBook(book, what).sheet(name);
          if (!ws) throw new ScoreZero(`${what}: sheet ${JSON.stringify(r.sheet_idx)} not found`);
          const [row, col] = parseCoordinate(r.coordinate);
          const cell = ws.cell(row, col);
          ok = true;
          for (const [prop, rule] of Object.entries(r.props)) {
            let val: unknown;
            if (prop === 'value') val = book.path ? readCellValue(book.path, name, r.coordinate) : null;
            else {
              try {
                val = readCellStyle(prop, cell);
              } catch (error) {
                if (error instanceof UnsupportedError) throw error;
                val = null;
              }
            }
            ok = ok && matchRule(val, rule);
          }
        } catch (error) {
          if (error instanceof UnsupportedError || error instanceof ScoreZero) throw error;
          throw new ScoreZero(`${what} at ${r.coordinate}: ${(error as Error).message}`);
        }
        break;
      }
    }
    if (!ok) return 0;
  }
  return 1;
}

/** str() of read_cell_value's result. */
function pyStrOf(v: ReturnType<typeof readCellValue>): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return pyFloatRepr(v);
  if (typeof v === 'string') return v;
  return `{${Object.entries(v.xmltodict).map(([k, val]) => `'${k}': '${val}'`).join(', ')}}`;
}

// ---------------------------------------------------------------- compare_csv, compare_conference_city_in_order

export function compareCsv(result: unknown, expected: unknown, options: Record<string, unknown>): number {
  const extra = Object.keys(options).filter((k) => k !== 'strict' && k !== 'ignore_case');
  if (extra.length) throw new UnsupportedError(`compare_csv option ${extra.join(', ')}`);
  if (result === null || result === undefined) throw new ScoreZero('the result file was not found (None)');
  let resultLines: string[];
  try {
    resultLines = readLinesLikePython(String(result));
  } catch (error) {
    throw new ScoreZero(`cannot read the result file ${String(result)}: ${(error as Error).message}`);
  }
  const files = typeof expected === 'string' ? [expected] : Array.isArray(expected) ? expected : [];
  const strict = options.strict === undefined ? true : Boolean(options.strict);
  const ignoreCase = Boolean(options.ignore_case);
  const norm = (lines: string[]) => lines.map((l) => (strict ? l : pyStrip(l))).map((l) => (ignoreCase ? l.toLowerCase() : l));
  for (const f of files) {
    let lines: string[];
    try {
      lines = readLinesLikePython(String(f));
    } catch {
      continue;
    }
    if (pyEq(norm(resultLines), norm(lines))) return 1;
  }
  return 0;
}

function normalizeCity(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : typeof value === 'number' ? pyFloatOrInt(value) : String(value);
  const stripped = s.normalize('NFKD').replace(/\p{M}/gu, '');
  return stripped.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

function pyFloatOrInt(v: number): string {
  return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
}

export function compareConferenceCityInOrder(actual: unknown, expectedCity: unknown): number {
  if (!isFile(actual)) throw new ScoreZero(`result file not found: ${String(actual)}`);
  const book = Workbook.open(actual);
  const rules = expectedCity as { expected?: unknown } | null;
  const expected = rules?.expected;
  const active = book.activeSheet();
  if (!active) throw new OfficeFileError(`${path.basename(actual)} has no active worksheet`);
  const cities: unknown[] = [];
  for (let row = 2; row <= 22; row++) cities.push(active.cell(row, 3).value);
  try {
    if (!Array.isArray(expected)) throw new TypeError('expected city list is not a list');
    for (let i = 0; i < cities.length; i++) {
      const actualNorm = normalizeCity(cities[i]);
      if (i >= expected.length) throw new RangeError('list index out of range');
      const entry: unknown = expected[i];
      let candidates: unknown[];
      if (typeof entry === 'string') candidates = [entry];
      else if (Array.isArray(entry)) candidates = entry;
      else throw new TypeError('Expected city should be a string or a list of strings');
      if (!candidates.some((c) => {
        const n = normalizeCity(c);
        return n !== '' && actualNorm.includes(n);
      })) return 0;
    }
  } catch (error) {
    throw new ScoreZero(`compare_conference_city_in_order: ${(error as Error).message}`);
  }
  return 1;
}
