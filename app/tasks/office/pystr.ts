/**
 * Python string behaviour the office metrics depend on: str.splitlines, str.strip (Python's whitespace set),
 * repr of a float (what `str(cell_value)` prints), str.isupper, and rapidfuzz's fuzz.ratio.
 */

/** Python's str.isspace characters. */
const PY_SPACE = '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const PY_SPACE_SET = new Set(PY_SPACE);

export function isPySpace(ch: string): boolean {
  return PY_SPACE_SET.has(ch);
}

/** str.strip / lstrip / rstrip; `chars` as Python's optional argument. */
export function pyStrip(s: string, chars?: string, side: 'both' | 'left' | 'right' = 'both'): string {
  const set = chars === undefined ? PY_SPACE_SET : new Set(chars);
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  if (side !== 'right') while (start < end && set.has(cps[start]!)) start++;
  if (side !== 'left') while (end > start && set.has(cps[end - 1]!)) end--;
  return cps.slice(start, end).join('');
}

/** `re.sub(r'\s+', ' ', s)` with Python's Unicode \s. */
export function collapsePyWhitespace(s: string): string {
  let out = '';
  let inSpace = false;
  for (const ch of s) {
    if (PY_SPACE_SET.has(ch)) {
      if (!inSpace) out += ' ';
      inSpace = true;
    } else {
      out += ch;
      inSpace = false;
    }
  }
  return out;
}

/** str.split() without arguments: runs of whitespace separate, no empty strings. */
export function pySplitWhitespace(s: string): string[] {
  return collapsePyWhitespace(s)
    .split(' ')
    .filter((w) => w !== '');
}

const LINE_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']);

/** str.splitlines(): every Python line boundary, \r\n as one, no trailing empty line. */
export function pySplitlines(s: string): string[] {
  const lines: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (LINE_BREAKS.has(ch)) {
      lines.push(cur);
      cur = '';
      if (ch === '\r' && s[i + 1] === '\n') i++;
    } else cur += ch;
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

/** repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16 on. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const m = mant.includes('.') ? mant : mant;
    const sign = exp < 0 ? '-' : '+';
    const e = String(Math.abs(exp)).padStart(2, '0');
    return `${m}e${sign}${e}`;
  }
  const digits = mant.replace('-', '').replace('.', '');
  const neg = x < 0 ? '-' : '';
  let body: string;
  if (exp >= 0) {
    const intLen = exp + 1;
    body = digits.length <= intLen ? `${digits.padEnd(intLen, '0')}.0` : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return neg + body;
}

/** str.isupper(): at least one cased character and no lowercase (or titlecase) one. */
/**
 * int(s) for a str: surrounding whitespace, an optional sign, ASCII digits with single underscores between them
 * ("+1", " -2 ", "1_0", "007"); null where Python raises ValueError. (Python also takes other Unicode decimal
 * digits; sheet indexes in task files are ASCII.)
 */
export function pyInt(s: string): number | null {
  const t = pyStrip(s);
  return /^[+-]?\d+(_\d+)*$/.test(t) ? Number(t.replace(/_/g, '')) : null;
}

export function pyIsUpper(s: string): boolean {
  let cased = false;
  for (const ch of s) {
    if (/\p{Ll}|\p{Lt}/u.test(ch)) return false;
    if (/\p{Lu}/u.test(ch)) cased = true;
  }
  return cased;
}

/** str.isdigit() for one character (decimal digits and the superscript/other digits Python accepts). */
export function pyIsDigit(ch: string): boolean {
  return /\p{Nd}|[\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490]/u.test(ch);
}

/**
 * rapidfuzz.fuzz.ratio(a, b) (0..100, no preprocessing): 100 * (1 - indel distance / (len a + len b)), i.e.
 * 200 * LCS / (len a + len b), over code points. The LCS is computed bit-parallel (Hyyrö), as rapidfuzz does:
 * O(len a * len b / 32) with no quadratic memory.
 */
export function fuzzRatio100(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const total = x.length + y.length;
  if (total === 0) return 100;
  if (x.length === 0 || y.length === 0) return 0;
  const [pat, text] = x.length <= y.length ? [x, y] : [y, x];
  const m = pat.length;
  const words = Math.ceil(m / 32);
  const masks = new Map<string, Uint32Array>();
  pat.forEach((ch, i) => {
    let v = masks.get(ch);
    if (!v) masks.set(ch, (v = new Uint32Array(words)));
    v[i >>> 5]! |= 1 << (i & 31);
  });
  const V = new Uint32Array(words).fill(0xffffffff);
  const lastBits = m & 31;
  if (lastBits) V[words - 1] = (2 ** lastBits - 1) >>> 0;
  for (const ch of text) {
    const pm = masks.get(ch);
    if (!pm) continue;
    let carry = 0;
    for (let w = 0; w < words; w++) {
      const v = V[w]!;
      const u = (v & pm[w]!) >>> 0;
      const sum = v + u + carry;
      carry = sum > 0xffffffff ? 1 : 0;
      V[w] = ((sum >>> 0) | (v & ~u)) >>> 0;
    }
    if (lastBits) V[words - 1]! &= (2 ** lastBits - 1) >>> 0;
  }
  let ones = 0;
  for (let w = 0; w < words; w++) {
    let v = V[w]!;
    while (v) {
      v &= v - 1;
      ones++;
    }
  }
  const lcs = m - ones;
  return (200 * lcs) / total;
}
