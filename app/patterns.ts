/**
 * Regular expressions that are applied to text a model, a screen or a web page controls: deny rules and the risk
 * heuristics. They all go through RE2 (the re2js package, a pure-JavaScript port, so the renderer validates with the
 * same engine the engine matches with), which matches in time linear in the input whatever the pattern: a rule such
 * as `^(a+)+$` cannot hang the engine the way a backtracking RegExp does. RE2 refuses what needs backtracking
 * (backreferences, lookaround); `patternProblem` says so in words a person can act on.
 *
 * Plain JavaScript only (no Node imports): app/contract.ts validates deny rules with it and the renderer imports that.
 */
import { RE2JS } from 're2js';
import { errorMessage } from './base/errors';

export type Pattern = RE2JS;

/** Longer patterns are refused: a deny rule is a short expression, and its compiled program stays small. */
export const MAX_PATTERN_LENGTH = 1000;

/** Compile a pattern, case-insensitive. Throws (an RE2JS exception) for a pattern RE2 cannot take. */
export function compilePattern(source: string, options: { multiline?: boolean } = {}): Pattern {
  return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE | (options.multiline ? RE2JS.MULTILINE : 0));
}

/** Constructs that only a backtracking engine has, each with why it is refused and what to write instead. */
const UNSUPPORTED: Array<{ test: (source: string) => boolean; problem: string }> = [
  {
    test: (s) => /\\[1-9]/.test(s.replace(/\\\\/g, '')),
    problem: 'backreferences (\\1, \\2, ...) are not supported: deny rules use RE2, which always matches in linear time',
  },
  {
    test: (s) => s.includes('(?=') || s.includes('(?!'),
    problem: 'lookahead ((?=...), (?!...)) is not supported: deny rules use RE2, which always matches in linear time',
  },
  {
    test: (s) => s.includes('(?<=') || s.includes('(?<!'),
    problem: 'lookbehind ((?<=...), (?<!...)) is not supported: deny rules use RE2, which always matches in linear time',
  },
  {
    test: (s) => /\\u[0-9a-f{]/i.test(s.replace(/\\\\/g, '')),
    problem: 'write a Unicode character as \\x{263A}, not \\u263A (RE2 syntax)',
  },
];

/**
 * Why `source` cannot be used as a pattern, in one sentence, or null when it can. Checks the constructs RE2 refuses
 * by name first (a clearer message than the parser's), then compiles it.
 */
export function patternProblem(source: string): string | null {
  if (source.length === 0) return 'the pattern is empty';
  if (source.length > MAX_PATTERN_LENGTH) {
    return `the pattern is ${source.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`;
  }
  for (const { test, problem } of UNSUPPORTED) if (test(source)) return problem;
  try {
    RE2JS.compile(source);
    return null;
  } catch (error) {
    // "error parsing regexp: missing closing ): `(`" -> "missing closing ): `(`"
    const message = errorMessage(error);
    return `not a valid regular expression: ${message.replace(/^error parsing regexp:\s*/, '')}`;
  }
}
