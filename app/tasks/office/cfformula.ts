/**
 * Conditional-format formulas, evaluated the way the reference evaluates them with the `formulas` package: the
 * formula compiles to a function whose inputs are its distinct references in order of appearance ("D2" and "$D$2"
 * are one input, "D2:D9" another), called with the cell's value followed by the values of the absolute ranges.
 * Excel semantics for what conditional formats use: arithmetic, comparisons (text compares case-insensitively and
 * sorts after numbers), & and a set of functions. A function outside that set makes the task unsupported rather
 * than scored differently. Hand-written because no npm formula engine takes inputs this way; the parser is a
 * recursive descent over a tokenised formula, linear in its length, with nesting capped.
 */
import { UnsupportedError } from '../errors';

export class XlError {
  constructor(readonly code: string) {}
}

type Value = number | string | boolean | null | XlError | Value[];

type Node =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'ref'; input: number }
  | { k: 'un'; op: string; a: Node }
  | { k: 'pct'; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'call'; name: string; args: Node[] };

export interface CompiledCondition {
  inputs: string[];
  call(args: unknown[]): Value;
}

const MAX_DEPTH = 200;

interface Token {
  t: 'num' | 'str' | 'ref' | 'name' | 'op' | '(' | ')' | ',';
  v: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= src.length) throw new SyntaxError('unterminated string');
        if (src[j] === '"') {
          if (src[j + 1] === '"') {
            s += '"';
            j += 2;
            continue;
          }
          break;
        }
        s += src[j];
        j++;
      }
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const rest = src.slice(i);
    const ref = /^\$?[A-Za-z]{1,3}\$?\d+(:\$?[A-Za-z]{1,3}\$?\d+)?(?![A-Za-z0-9_(])/.exec(rest);
    if (ref) {
      out.push({ t: 'ref', v: ref[0] });
      i += ref[0].length;
      continue;
    }
    const num = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(rest);
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (name) {
      out.push({ t: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(<>|<=|>=|[-+*/^&=<>%])/.exec(rest);
    if (op) {
      out.push({ t: 'op', v: op[0] });
      i += op[0].length;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ';') {
      out.push({ t: ch === ';' ? ',' : (ch as '(' | ')' | ','), v: ch });
      i++;
      continue;
    }
    throw new SyntaxError(`unexpected ${JSON.stringify(ch)}`);
  }
  return out;
}

function normalizeRef(ref: string): string {
  return ref.replace(/\$/g, '').toUpperCase();
}

/** Compile a conditional format's formula (without "="). SyntaxError for what `formulas` would not parse either. */
export function compileConditionFormula(src: string): CompiledCondition {
  const tokens = tokenize(src);
  const inputs: string[] = [];
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (t: Token['t']) => {
    const tok = next();
    if (!tok || tok.t !== t) throw new SyntaxError(`expected ${t}`);
    return tok;
  };
  const levels: string[][] = [['=', '<>', '<', '>', '<=', '>='], ['&'], ['+', '-'], ['*', '/'], ['^']];
  const parseLevel = (level: number): Node => {
    if (++depth > MAX_DEPTH) throw new SyntaxError('formula nested too deeply');
    try {
      if (level >= levels.length) return parseUnary();
      let a = parseLevel(level + 1);
      for (;;) {
        const tok = peek();
        if (!tok || tok.t !== 'op' || !levels[level]!.includes(tok.v)) return a;
        next();
        a = { k: 'bin', op: tok.v, a, b: parseLevel(level + 1) };
      }
    } finally {
      depth--;
    }
  };
  const parseUnary = (): Node => {
    const tok = peek();
    if (tok && tok.t === 'op' && (tok.v === '-' || tok.v === '+')) {
      next();
      return { k: 'un', op: tok.v, a: parseUnary() };
    }
    let n = parsePrimary();
    while (peek()?.t === 'op' && peek()!.v === '%') {
      next();
      n = { k: 'pct', a: n };
    }
    return n;
  };
  const parsePrimary = (): Node => {
    const tok = next();
    if (!tok) throw new SyntaxError('unexpected end of formula');
    if (tok.t === 'num') return { k: 'num', v: Number(tok.v) };
    if (tok.t === 'str') return { k: 'str', v: tok.v };
    if (tok.t === 'ref') {
      const key = normalizeRef(tok.v);
      let input = inputs.indexOf(key);
      if (input < 0) input = inputs.push(key) - 1;
      return { k: 'ref', input };
    }
    if (tok.t === '(') {
      const n = parseLevel(0);
      expect(')');
      return n;
    }
    if (tok.t === 'name') {
      const upper = tok.v.toUpperCase();
      if (peek()?.t === '(') {
        next();
        const args: Node[] = [];
        if (peek()?.t !== ')') {
          args.push(parseLevel(0));
          while (peek()?.t === ',') {
            next();
            args.push(parseLevel(0));
          }
        }
        expect(')');
        if (!(upper in FUNCTIONS)) throw new UnsupportedError(`conditional format function ${upper}() (not evaluated here)`);
        return { k: 'call', name: upper, args };
      }
      if (upper === 'TRUE' || upper === 'FALSE') return { k: 'bool', v: upper === 'TRUE' };
      throw new UnsupportedError(`conditional format name ${tok.v} (defined names are not evaluated here)`);
    }
    throw new SyntaxError(`unexpected ${tok.v}`);
  };
  const root = parseLevel(0);
  if (pos !== tokens.length) throw new SyntaxError(`unexpected ${tokens[pos]!.v}`);
  return {
    inputs,
    call(args: unknown[]) {
      if (args.length !== inputs.length) throw new TypeError(`the formula takes ${inputs.length} inputs, got ${args.length}`);
      return evaluate(root, args.map(toValue));
    },
  };
}

function toValue(v: unknown): Value {
  if (Array.isArray(v)) return v.map(toValue);
  if (v === undefined) return null;
  return v as Value;
}

function isErr(v: Value): v is XlError {
  return v instanceof XlError;
}

type Scalar = Exclude<Value, Value[]>;

function scalar(v: Value): Scalar {
  let cur: Value = v;
  while (Array.isArray(cur)) cur = cur.length ? cur[0]! : null;
  return cur;
}

function toNumber(v: Value): number | XlError {
  const s = scalar(v);
  if (isErr(s)) return s;
  if (s === null) return 0;
  if (typeof s === 'boolean') return s ? 1 : 0;
  if (typeof s === 'number') return s;
  const n = Number(s.trim());
  return s.trim() !== '' && !Number.isNaN(n) ? n : new XlError('#VALUE!');
}

function toText(v: Value): string | XlError {
  const s = scalar(v);
  if (isErr(s)) return s;
  if (s === null) return '';
  if (typeof s === 'boolean') return s ? 'TRUE' : 'FALSE';
  return typeof s === 'number' ? String(s) : s;
}

function toBool(v: Value): boolean | XlError {
  const s = scalar(v);
  if (isErr(s)) return s;
  if (typeof s === 'string') return new XlError('#VALUE!');
  return Boolean(s);
}

/** Excel ordering: numbers < text < booleans; text case-insensitive; empty is 0 or "". */
function compare(a: Value, b: Value): number | XlError {
  let x = scalar(a);
  let y = scalar(b);
  if (isErr(x)) return x;
  if (isErr(y)) return y;
  const rank = (v: Value) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  if (x === null) x = typeof y === 'string' ? '' : typeof y === 'boolean' ? false : 0;
  if (y === null) y = typeof x === 'string' ? '' : typeof x === 'boolean' ? false : 0;
  if (rank(x) !== rank(y)) return rank(x) - rank(y);
  if (typeof x === 'string') {
    const p = x.toLowerCase();
    const q = (y as string).toLowerCase();
    return p < q ? -1 : p > q ? 1 : 0;
  }
  return Number(x) - Number(y);
}

function numbersIn(args: Value[]): number[] {
  const out: number[] = [];
  for (const a of args) {
    if (Array.isArray(a)) {
      for (const v of a.flat(Infinity as 1) as Value[]) if (typeof v === 'number') out.push(v);
    } else {
      const n = toNumber(a);
      if (typeof n === 'number') out.push(n);
    }
  }
  return out;
}

function firstError(args: Value[]): XlError | null {
  for (const a of args) {
    const s = Array.isArray(a) ? (a.flat(Infinity as 1) as Value[]).find(isErr) : a;
    if (s instanceof XlError) return s;
  }
  return null;
}

const DAY_MS = 86_400_000;
function serialDate(n: number): Date {
  return new Date(Date.UTC(1899, 11, 30) + Math.floor(n) * DAY_MS);
}

/** SEARCH / FIND: the 1-based position of `find` in `within` from `start`, #VALUE! when it is not there. */
function position(find: Value | undefined, within: Value | undefined, start: Value | undefined, ignoreCase: boolean): Value {
  const f = toText(find ?? null);
  const w = toText(within ?? null);
  if (isErr(f)) return f;
  if (isErr(w)) return w;
  const s = start === undefined ? 1 : toNumber(start);
  if (isErr(s)) return s;
  const i = ignoreCase ? w.toLowerCase().indexOf(f.toLowerCase(), s - 1) : w.indexOf(f, s - 1);
  return i < 0 ? new XlError('#VALUE!') : i + 1;
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  AND: (a) => firstError(a) ?? a.flatMap((x) => (Array.isArray(x) ? (x.flat(Infinity as 1) as Value[]) : [x])).filter((x) => x !== null).every((x) => toBool(x) === true),
  OR: (a) => firstError(a) ?? a.flatMap((x) => (Array.isArray(x) ? (x.flat(Infinity as 1) as Value[]) : [x])).some((x) => toBool(x) === true),
  NOT: ([x]) => {
    const b = toBool(x ?? null);
    return isErr(b) ? b : !b;
  },
  IF: ([c, t, f]) => {
    const b = toBool(c ?? null);
    if (isErr(b)) return b;
    return b ? (t ?? true) : (f ?? false);
  },
  ISERROR: ([x]) => isErr(scalar(x ?? null)),
  ISNUMBER: ([x]) => typeof scalar(x ?? null) === 'number',
  ISTEXT: ([x]) => typeof scalar(x ?? null) === 'string',
  ISBLANK: ([x]) => scalar(x ?? null) === null,
  // SEARCH ignores case, FIND does not (neither takes wildcards here).
  SEARCH: ([find, within, start]) => position(find, within, start, true),
  FIND: ([find, within, start]) => position(find, within, start, false),
  LEFT: ([t, n]) => {
    const s = toText(t ?? null);
    const k = n === undefined ? 1 : toNumber(n);
    return isErr(s) ? s : isErr(k) ? k : s.slice(0, k);
  },
  RIGHT: ([t, n]) => {
    const s = toText(t ?? null);
    const k = n === undefined ? 1 : toNumber(n);
    return isErr(s) ? s : isErr(k) ? k : k === 0 ? '' : s.slice(-k);
  },
  MID: ([t, st, n]) => {
    const s = toText(t ?? null);
    const a = toNumber(st ?? null);
    const k = toNumber(n ?? null);
    return isErr(s) ? s : isErr(a) ? a : isErr(k) ? k : s.slice(a - 1, a - 1 + k);
  },
  LEN: ([t]) => {
    const s = toText(t ?? null);
    return isErr(s) ? s : s.length;
  },
  LOWER: ([t]) => {
    const s = toText(t ?? null);
    return isErr(s) ? s : s.toLowerCase();
  },
  UPPER: ([t]) => {
    const s = toText(t ?? null);
    return isErr(s) ? s : s.toUpperCase();
  },
  TRIM: ([t]) => {
    const s = toText(t ?? null);
    return isErr(s) ? s : s.trim().replace(/ +/g, ' ');
  },
  EXACT: ([a, b]) => {
    const x = toText(a ?? null);
    const y = toText(b ?? null);
    return isErr(x) ? x : isErr(y) ? y : x === y;
  },
  MAX: (a) => firstError(a) ?? (numbersIn(a).length ? Math.max(...numbersIn(a)) : 0),
  MIN: (a) => firstError(a) ?? (numbersIn(a).length ? Math.min(...numbersIn(a)) : 0),
  SUM: (a) => firstError(a) ?? numbersIn(a).reduce((s, x) => s + x, 0),
  AVERAGE: (a) => {
    const e = firstError(a);
    if (e) return e;
    const n = numbersIn(a);
    return n.length ? n.reduce((s, x) => s + x, 0) / n.length : new XlError('#DIV/0!');
  },
  COUNT: (a) => numbersIn(a).length,
  LARGE: ([r, k]) => {
    const n = numbersIn([r ?? null]).sort((x, y) => y - x);
    const i = toNumber(k ?? null);
    return isErr(i) ? i : (n[i - 1] ?? new XlError('#NUM!'));
  },
  SMALL: ([r, k]) => {
    const n = numbersIn([r ?? null]).sort((x, y) => x - y);
    const i = toNumber(k ?? null);
    return isErr(i) ? i : (n[i - 1] ?? new XlError('#NUM!'));
  },
  ABS: ([x]) => {
    const n = toNumber(x ?? null);
    return isErr(n) ? n : Math.abs(n);
  },
  INT: ([x]) => {
    const n = toNumber(x ?? null);
    return isErr(n) ? n : Math.floor(n);
  },
  MOD: ([x, y]) => {
    const a = toNumber(x ?? null);
    const b = toNumber(y ?? null);
    if (isErr(a)) return a;
    if (isErr(b)) return b;
    return b === 0 ? new XlError('#DIV/0!') : a - b * Math.floor(a / b);
  },
  ROUND: ([x, d]) => {
    const a = toNumber(x ?? null);
    const k = d === undefined ? 0 : toNumber(d);
    if (isErr(a)) return a;
    if (isErr(k)) return k;
    const f = 10 ** k;
    return (Math.sign(a) * Math.round(Math.abs(a) * f)) / f;
  },
  WEEKDAY: ([x, type]) => {
    const n = toNumber(x ?? null);
    const t = type === undefined ? 1 : toNumber(type);
    if (isErr(n)) return n;
    if (isErr(t)) return t;
    const dow = serialDate(n).getUTCDay(); // 0 = Sunday
    if (t === 1) return dow + 1;
    if (t === 2) return ((dow + 6) % 7) + 1;
    if (t === 3) return (dow + 6) % 7;
    return new XlError('#NUM!');
  },
  DAY: ([x]) => {
    const n = toNumber(x ?? null);
    return isErr(n) ? n : serialDate(n).getUTCDate();
  },
  MONTH: ([x]) => {
    const n = toNumber(x ?? null);
    return isErr(n) ? n : serialDate(n).getUTCMonth() + 1;
  },
  YEAR: ([x]) => {
    const n = toNumber(x ?? null);
    return isErr(n) ? n : serialDate(n).getUTCFullYear();
  },
};

function evaluate(n: Node, inputs: Value[]): Value {
  switch (n.k) {
    case 'num':
      return n.v;
    case 'str':
      return n.v;
    case 'bool':
      return n.v;
    case 'ref':
      return inputs[n.input] ?? null;
    case 'un': {
      const v = toNumber(evaluate(n.a, inputs));
      return isErr(v) ? v : n.op === '-' ? -v : v;
    }
    case 'pct': {
      const v = toNumber(evaluate(n.a, inputs));
      return isErr(v) ? v : v / 100;
    }
    case 'call':
      return FUNCTIONS[n.name]!(n.args.map((a) => evaluate(a, inputs)));
    case 'bin': {
      const a = evaluate(n.a, inputs);
      const b = evaluate(n.b, inputs);
      if (n.op === '&') {
        const x = toText(a);
        const y = toText(b);
        return isErr(x) ? x : isErr(y) ? y : x + y;
      }
      if (['=', '<>', '<', '>', '<=', '>='].includes(n.op)) {
        const c = compare(a, b);
        if (isErr(c)) return c;
        return { '=': c === 0, '<>': c !== 0, '<': c < 0, '>': c > 0, '<=': c <= 0, '>=': c >= 0 }[n.op]!;
      }
      const x = toNumber(a);
      const y = toNumber(b);
      if (isErr(x)) return x;
      if (isErr(y)) return y;
      switch (n.op) {
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          return y === 0 ? new XlError('#DIV/0!') : x / y;
        default:
          return x ** y;
      }
    }
  }
}
