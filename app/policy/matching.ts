/**
 * Matching pattern lists against text the model or the screen controls, in time linear in the text: every pattern
 * is RE2 (app/patterns.ts), a list is one RE2 set (one pass over the text for all of its patterns), and finding
 * where a match is - for the fragment quoted to the person - never runs the slower capturing matcher on more than
 * a small window. A first pass over the whole text answers "does anything match?"; only then are lines or windows
 * looked at, each once.
 */
import { RE2JS, RE2Set } from 're2js';
import { compilePattern, type Pattern } from '../patterns';

/** A fixed list of patterns (case-insensitive), matched together. */
export class PatternList {
  private readonly set: RE2Set;
  /** Each pattern on its own, compiled on first need (to quote the fragment it matched). */
  private readonly single: Array<Pattern | null>;

  constructor(
    readonly sources: readonly string[],
    private readonly options: { multiline?: boolean } = {},
  ) {
    this.set = new RE2Set(RE2Set.UNANCHORED, RE2JS.CASE_INSENSITIVE | (options.multiline ? RE2JS.MULTILINE : 0));
    for (const source of sources) this.set.add(source);
    if (sources.length > 0) this.set.compile();
    this.single = sources.map(() => null);
  }

  /** Indices of the patterns that match somewhere in `text`, in list order. */
  matching(text: string): number[] {
    if (this.sources.length === 0) return [];
    return this.set.match(text).sort((a, b) => a - b);
  }

  test(text: string): boolean {
    return this.sources.length > 0 && this.set.match(text).length > 0;
  }

  pattern(index: number): Pattern {
    return (this.single[index] ??= compilePattern(this.sources[index]!, this.options));
  }
}

/** Lines are looked at in chunks of about this size, so a text of many short lines costs few set passes. */
const CHUNK = 8192;

/**
 * The first line of `text` on which a pattern of `list` matches, with the first such pattern; null when none does.
 * The patterns must be line-local (never match across a newline), as the shell hints are.
 */
export function firstMatchingLine(list: PatternList, text: string): { line: string; pattern: number } | null {
  if (!list.test(text)) return null;
  for (let start = 0; start <= text.length; ) {
    let end = Math.min(text.length, start + CHUNK);
    if (end < text.length) {
      const newline = text.indexOf('\n', end);
      end = newline === -1 ? text.length : newline;
    }
    const chunk = text.slice(start, end);
    if (list.test(chunk)) {
      for (let from = 0; from <= chunk.length; ) {
        const newline = chunk.indexOf('\n', from);
        const line = chunk.slice(from, newline === -1 ? undefined : newline);
        const found = list.matching(line);
        if (found.length > 0) return { line, pattern: found[0]! };
        if (newline === -1) break;
        from = newline + 1;
      }
    }
    start = end + 1;
  }
  return null;
}

/** Windows for locating a match: larger than any match of a bounded pattern, overlapping by more than one. */
const WINDOW = 4096;
const OVERLAP = 1024;

/**
 * The first fragment of `text` a pattern of `list` matches, for quoting. The patterns must match at most OVERLAP
 * characters (bounded repetitions, and text whose whitespace runs were collapsed), so a match lies whole inside one
 * of the overlapping windows.
 */
export function firstFragment(list: PatternList, text: string): string | null {
  if (!list.test(text)) return null;
  for (let start = 0; start < text.length; start += WINDOW - OVERLAP) {
    const window = text.slice(start, start + WINDOW);
    const found = list.matching(window);
    if (found.length > 0) return list.pattern(found[0]!).exec(window)?.[0] ?? null;
    if (start + WINDOW >= text.length) break;
  }
  return null;
}

/** Runs of whitespace (newlines included) as one space: text from the screen breaks lines anywhere. Linear. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ');
}
