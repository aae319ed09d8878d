/**
 * Python value semantics the metrics depend on: `==` between JSON values (1 == 1.0 == True), `in`, universal-newline
 * text reading, Python regexes in JS, and difflib's SequenceMatcher ratio.
 */
import { readFileSync } from 'node:fs';

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  const numLike = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (numLike(a) && numLike(b)) return Number(a) === Number(b);
  if (typeof a !== typeof b) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => pyEquals(v, b[i]));
  }
  if (typeof a === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b as object, k) && pyEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

/** Python's `needle in haystack`; throws TypeError where Python would. */
export function pyIn(needle: unknown, haystack: unknown): boolean {
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') throw new TypeError(`'in <string>' requires string as left operand, not ${typeof needle}`);
    return haystack.includes(needle);
  }
  if (Array.isArray(haystack)) return haystack.some((v) => pyEquals(needle, v));
  if (haystack && typeof haystack === 'object') return typeof needle === 'string' && Object.hasOwn(haystack, needle);
  throw new TypeError(`argument of type '${haystack === null ? 'NoneType' : typeof haystack}' is not iterable`);
}

/** Read a text file as Python's open() does by default (UTF-8, universal newlines). */
export function readText(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
}

/** A Python `re` pattern as a JS RegExp (named groups, leading inline flags, \A and \Z). */
export function pyRegex(pattern: string, flags = ''): RegExp {
  let p = pattern;
  let f = flags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    p = p.slice(inline[0].length);
    for (const ch of inline[1]!) if ('ims'.includes(ch) && !f.includes(ch)) f += ch;
  }
  p = p.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
  // Python's `$` (without MULTILINE) also matches before a final newline; \A and \Z are absolute.
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '\\') {
      const next = p[i + 1] ?? '';
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += ch + next;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') inClass = true;
    out += ch === '$' && !f.includes('m') ? '(?=\\n?(?![\\s\\S]))' : ch;
  }
  return new RegExp(out, f.includes('u') ? f : f + 'u');
}

/** difflib.SequenceMatcher(a=..., b=...).ratio() for sequences of strings (no isjunk, autojunk on). */
export function sequenceRatio(a: readonly string[], b: readonly string[]): number {
  const la = a.length;
  const lb = b.length;
  if (la + lb === 0) return 1;
  const b2j = new Map<string, number[]>();
  b.forEach((elt, j) => {
    const list = b2j.get(elt);
    if (list) list.push(j);
    else b2j.set(elt, [j]);
  });
  if (lb >= 200) {
    const ntest = Math.floor(lb / 100) + 1;
    for (const [elt, idxs] of [...b2j]) if (idxs.length > ntest) b2j.delete(elt);
  }
  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(a[i]!) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    // Popular elements were left out of b2j but may still extend a match (they are not "junk").
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
    return [besti, bestj, bestsize];
  };
  let matches = 0;
  const queue: Array<[number, number, number, number]> = [[0, la, 0, lb]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (!k) continue;
    matches += k;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
  }
  return (2 * matches) / (la + lb);
}

/** rapidfuzz fuzz.ratio(a, b) / 100: the normalized Indel similarity of two strings (by code point). */
export function fuzzRatio(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length + y.length === 0) return 1;
  let prev = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    const cur = new Array<number>(y.length + 1).fill(0);
    for (let j = 1; j <= y.length; j++) {
      cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    prev = cur;
  }
  const lcs = prev[y.length]!;
  return (2 * lcs) / (x.length + y.length);
}

/** str(value) as Python prints a JSON value (None, True, False; lists and objects as JSON). */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
}
