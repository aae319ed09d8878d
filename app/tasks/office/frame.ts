/**
 * pandas.read_excel(book, sheet) as the reference's sheet_data rule uses it, then DataFrame.round(n) and
 * DataFrame.equals. What decides a score here is pandas' type inference, so it is reproduced step by step:
 *   - cells come from openpyxl read-only with cached values; empty cells are "", integral floats become ints,
 *     error cells NaN; trailing empty cells and rows are trimmed, rows padded to the widest;
 *   - the first row names the columns ("" -> "Unnamed: i", duplicates -> "a.1"); blank rows are kept;
 *   - each column: NA strings ("", "NA", "N/A", "null", "None", ...) -> NaN, then numeric conversion when every
 *     value is a number, a bool or a numeric string ("007" -> 7), giving int64 / float64 / bool; otherwise an
 *     object column, which becomes datetime64 / timedelta64 when every non-NA value is a datetime / timedelta;
 *   - round() rounds float columns half-to-even (numpy), leaves object columns alone;
 *   - equals() needs the same column labels, the same length and, column by column, the same dtype and the same
 *     values (NaN equal to NaN).
 */
import { pyFloatRepr } from './pystr';
import { isTemporal, type CellValue, type Temporal } from './workbook';

export type Dtype = 'int64' | 'float64' | 'bool' | 'object' | 'datetime64' | 'timedelta64';

/** A Python scalar in an object column. NaN stands for pandas' missing value. */
export type PyScalar = number | string | boolean | Temporal | null;

export interface Column {
  label: PyScalar;
  dtype: Dtype;
  values: PyScalar[];
}

export interface Frame {
  columns: Column[];
  length: number;
}

/** pandas' default na_values (pandas 2: "None" included). */
export const NA_STRINGS = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);
const TRUE_STRINGS = new Set(['True', 'TRUE', 'true']);
const FALSE_STRINGS = new Set(['False', 'FALSE', 'false']);

/** pandas' _convert_cell for openpyxl. */
function convertCell(v: CellValue): PyScalar {
  if (v === null) return '';
  if (typeof v === 'object' && 'kind' in v && v.kind === 'error') return Number.NaN;
  return v as PyScalar;
}

function isNa(v: PyScalar): boolean {
  return v === null || (typeof v === 'number' && Number.isNaN(v));
}

/** xstrtod: a decimal or exponent number, optional sign, surrounding spaces, "inf"/"infinity". */
function parseNumericString(s: string): { value: number; isInt: boolean } | null {
  const t = s.trim();
  if (/^[+-]?\d+$/.test(t)) return { value: Number(t), isInt: true };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { value: Number(t), isInt: false };
  if (/^[+-]?(inf|infinity)$/i.test(t)) return { value: t.startsWith('-') ? -Infinity : Infinity, isInt: false };
  return null;
}

/** lib.maybe_convert_numeric: a numeric array, or null when some value is not numeric (pandas falls back to object). */
function maybeConvertNumeric(values: PyScalar[]): { dtype: Dtype; values: PyScalar[] } | null {
  let sawFloat = false;
  let sawNull = false;
  let sawInt = false;
  let sawBool = false;
  const nums: number[] = [];
  for (const v of values) {
    if (typeof v === 'string') {
      if (NA_STRINGS.has(v)) {
        sawNull = true;
        nums.push(Number.NaN);
        continue;
      }
      const parsed = parseNumericString(v);
      if (!parsed) return null;
      if (parsed.isInt) sawInt = true;
      else sawFloat = true;
      nums.push(parsed.value);
    } else if (typeof v === 'boolean') {
      sawBool = true;
      nums.push(v ? 1 : 0);
    } else if (typeof v === 'number') {
      if (Number.isNaN(v)) sawNull = true;
      else if (Number.isInteger(v)) sawInt = true;
      else sawFloat = true;
      nums.push(v);
    } else if (v === null) {
      sawNull = true;
      nums.push(Number.NaN);
    } else return null; // datetimes and the like: TypeError in pandas, object column
  }
  if (sawFloat || sawNull) return { dtype: 'float64', values: nums };
  if (sawInt) return { dtype: 'int64', values: nums };
  if (sawBool) return { dtype: 'bool', values: nums.map((n) => n === 1) };
  return { dtype: 'int64', values: nums };
}

/** Infer a column's dtype from its raw values, as pandas' python parser and DataFrame constructor do. */
export function inferColumn(raw: PyScalar[]): { dtype: Dtype; values: PyScalar[] } {
  if (raw.length === 0) return { dtype: 'object', values: [] };
  const numeric = maybeConvertNumeric(raw);
  if (numeric) return numeric;
  // sanitize_objects: NA strings become NaN, everything else is kept as it is
  const values = raw.map((v) => (typeof v === 'string' && NA_STRINGS.has(v) ? Number.NaN : v));
  // maybe_convert_bool: only when every value is a bool or a true/false string (no NaN)
  if (values.every((v) => typeof v === 'boolean' || (typeof v === 'string' && (TRUE_STRINGS.has(v) || FALSE_STRINGS.has(v))))) {
    return { dtype: 'bool', values: values.map((v) => v === true || (typeof v === 'string' && TRUE_STRINGS.has(v))) };
  }
  // maybe_infer_to_datetimelike
  const present = values.filter((v) => !isNa(v));
  if (present.length && present.every((v) => isTemporal(v) && v.kind === 'datetime')) return { dtype: 'datetime64', values };
  if (present.length && present.every((v) => isTemporal(v) && v.kind === 'timedelta')) return { dtype: 'timedelta64', values };
  return { dtype: 'object', values };
}

/** Column names from the header row: "Unnamed: i" for blanks, ".1"-style suffixes for duplicates (pandas' dedup_names). */
function headerNames(header: PyScalar[]): PyScalar[] {
  const names = header.map((v, i) => (v === '' ? `Unnamed: ${i}` : v));
  const counts = new Map<string, number>();
  const keyOf = (v: PyScalar) => (typeof v === 'number' ? `n:${v}` : `${typeof v}:${JSON.stringify(v)}`);
  return names.map((col) => {
    let name: PyScalar = col;
    let cur = counts.get(keyOf(name)) ?? 0;
    while (cur > 0) {
      counts.set(keyOf(name), cur + 1);
      name = `${pyScalarStr(name)}.${cur}`;
      cur = counts.get(keyOf(name)) ?? 0;
    }
    counts.set(keyOf(name), cur + 1);
    return name;
  });
}

/** pd.read_excel(book, sheet) from the rows pandas' openpyxl reader produces. */
export function readExcelFrame(rows: CellValue[][]): Frame {
  let data = rows.map((r) => {
    const row = r.map(convertCell);
    while (row.length && row[row.length - 1] === '') row.pop();
    return row;
  });
  let last = -1;
  data.forEach((r, i) => {
    if (r.length) last = i;
  });
  data = data.slice(0, last + 1);
  if (!data.length) return { columns: [], length: 0 };
  const width = Math.max(...data.map((r) => r.length));
  data = data.map((r) => [...r, ...new Array<PyScalar>(width - r.length).fill('')]);
  const [header, ...body] = data as [PyScalar[], ...PyScalar[][]];
  const names = headerNames(header);
  const columns: Column[] = names.map((label, i) => {
    const { dtype, values } = inferColumn(body.map((r) => r[i]!));
    return { label, dtype, values };
  });
  return { columns, length: body.length };
}

/** numpy.round(x, decimals): scale, round half to even, scale back. */
export function npRound(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  if (decimals >= 0) {
    const f = 10 ** decimals;
    return roundHalfEven(x * f) / f;
  }
  const f = 10 ** -decimals;
  return roundHalfEven(x / f) * f;
}

function roundHalfEven(y: number): number {
  const r = Math.round(y);
  if (Math.abs(y % 1) === 0.5) return 2 * Math.round(y / 2);
  return r;
}

export function roundFrame(frame: Frame, decimals: number): Frame {
  return {
    length: frame.length,
    columns: frame.columns.map((c) => (c.dtype === 'float64' ? { ...c, values: c.values.map((v) => npRound(v as number, decimals)) } : c)),
  };
}

/** Python `==` between two scalars of an object column (1 == 1.0 == True; NaN matches NaN there). */
function objectEqual(a: PyScalar, b: PyScalar): boolean {
  if (isNa(a) && isNa(b)) return true;
  const num = (v: PyScalar) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x === y;
  if (isTemporal(x) && isTemporal(y)) return x.kind === y.kind && x.ms === y.ms;
  return x === y;
}

function labelEqual(a: PyScalar, b: PyScalar): boolean {
  return objectEqual(a, b);
}

export function framesEqual(a: Frame, b: Frame): { equal: boolean; why: string } {
  if (a.columns.length !== b.columns.length) return { equal: false, why: `${a.columns.length} columns vs ${b.columns.length}` };
  for (let i = 0; i < a.columns.length; i++) {
    if (!labelEqual(a.columns[i]!.label, b.columns[i]!.label)) {
      return { equal: false, why: `column ${i + 1} is named ${pyScalarStr(a.columns[i]!.label)} vs ${pyScalarStr(b.columns[i]!.label)}` };
    }
  }
  if (a.length !== b.length) return { equal: false, why: `${a.length} rows vs ${b.length}` };
  for (let i = 0; i < a.columns.length; i++) {
    const x = a.columns[i]!;
    const y = b.columns[i]!;
    if (x.dtype !== y.dtype) return { equal: false, why: `column ${pyScalarStr(x.label)} is ${x.dtype} vs ${y.dtype}` };
    for (let r = 0; r < a.length; r++) {
      if (!objectEqual(x.values[r]!, y.values[r]!)) {
        return { equal: false, why: `column ${pyScalarStr(x.label)} row ${r + 2}: ${pyScalarStr(x.values[r]!)} vs ${pyScalarStr(y.values[r]!)}` };
      }
    }
  }
  return { equal: true, why: 'equal' };
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** str() of a pandas value: Timestamp / Timedelta / time / float / int / bool as Python prints them. */
export function pyScalarStr(v: PyScalar, dtype?: Dtype): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return dtype === 'datetime64' || dtype === 'timedelta64' ? 'NaT' : 'nan';
    if (dtype === 'float64') return pyFloatRepr(v);
    return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  }
  if (typeof v === 'string') return v;
  const d = new Date(v.ms);
  if (v.kind === 'datetime') {
    const base = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    const ms = d.getUTCMilliseconds();
    return ms ? `${base}.${String(ms * 1000).padStart(6, '0')}` : base;
  }
  if (v.kind === 'time') {
    const base = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    const ms = d.getUTCMilliseconds();
    return ms ? `${base}.${String(ms * 1000).padStart(6, '0')}` : base;
  }
  const days = Math.floor(v.ms / 86_400_000);
  const rest = new Date(v.ms - days * 86_400_000);
  return `${days} days ${two(rest.getUTCHours())}:${two(rest.getUTCMinutes())}:${two(rest.getUTCSeconds())}`;
}

/**
 * get_content_from_vm_file's `df.iloc[-1].astype(str).tolist()`: the last row as one Series, whose dtype is the
 * columns' common type (all int64 -> int64, ints and floats -> float64, else object), each value as str() prints it.
 */
export function lastRowAsStrings(frame: Frame): string[] {
  if (frame.length === 0) throw new Error('the sheet has no data rows (pandas raises IndexError on iloc[-1])');
  const dtypes = new Set(frame.columns.map((c) => c.dtype));
  let common: Dtype = 'object';
  if (dtypes.size === 1) common = [...dtypes][0]!;
  else if ([...dtypes].every((d) => d === 'int64' || d === 'float64')) common = 'float64';
  return frame.columns.map((c) => {
    const v = c.values[frame.length - 1]!;
    if (common === 'float64') return pyScalarStr(typeof v === 'number' ? v : Number(v), 'float64');
    if (common === 'object') return pyScalarStr(v, c.dtype);
    return pyScalarStr(v, common);
  });
}
