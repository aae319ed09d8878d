/**
 * The fake phone's device shell (testkit/fake-adb/shell-words.ts): what a command receives from a line, as a POSIX
 * shell would hand it over. These cases are the ones a phone backend gets wrong when it escapes text for
 * `adb shell input text`, so each expectation is what /bin/sh itself makes of the line.
 */
import { describe, expect, it } from 'vitest';
import { expandWord, parseShellLine } from '../../testkit/fake-adb/shell-words';
import { decodeBase64, decodeInputText } from '../../testkit/fake-adb/phone';

const vars: Record<string, string> = { HOME: '/', TERM: 'xterm', SPACED: ' a  b ', EMPTY: '' };
const lookup = (name: string) => vars[name] ?? '';

/** The argv of each command on the line. */
function argvs(line: string): string[][] {
  const parsed = parseShellLine(line);
  if (!parsed.ok) throw new Error(`${parsed.kind}: ${parsed.message}`);
  return parsed.list.map(({ command }) => command.words.flatMap((w) => expandWord(w, lookup)));
}

function refusal(line: string) {
  const parsed = parseShellLine(line);
  if (parsed.ok) throw new Error(`'${line}' parsed, but should have been refused`);
  return parsed;
}

describe('device shell words', () => {
  it('removes quotes the way sh does', () => {
    expect(argvs(`input text 'Hello%s"x"'`)).toEqual([['input', 'text', 'Hello%s"x"']]);
    expect(argvs(`input text Hello%s"x"`)).toEqual([['input', 'text', 'Hello%sx']]);
    expect(argvs(`echo "a \\"b\\" \\$c \\\\ \\n" 'it'\\''s'`)).toEqual([['echo', 'a "b" $c \\ \\n', "it's"]]);
    expect(argvs(`echo a\\ b \\& \\'`)).toEqual([['echo', 'a b', '&', "'"]]);
    expect(argvs(`echo '' "" x`)).toEqual([['echo', '', '', 'x']]);
    expect(argvs('echo a\\\nb')).toEqual([['echo', 'ab']]);
  });

  it('keeps every character inside single quotes, including newlines and backslashes', () => {
    expect(argvs(`input text '&;|<>()$\`\\ %'`)).toEqual([['input', 'text', '&;|<>()$`\\ %']]);
    expect(argvs("echo 'line1\nline2'")).toEqual([['echo', 'line1\nline2']]);
  });

  it('splits lists on ; && || & and newlines, and joins them as sh does', () => {
    const parsed = parseShellLine('a; b && c || d & e\nf');
    expect(parsed.ok && parsed.list.map((i) => [i.joiner, i.command.words.length])).toEqual([
      [null, 1],
      [';', 1],
      ['&&', 1],
      ['||', 1],
      [';', 1],
      [';', 1],
    ]);
  });

  it('expands parameters, splitting unquoted ones into fields', () => {
    expect(argvs('echo $TERM "$TERM" ${TERM}x')).toEqual([['echo', 'xterm', 'xterm', 'xtermx']]);
    expect(argvs('echo $SPACED "$SPACED"')).toEqual([['echo', 'a', 'b', ' a  b ']]);
    expect(argvs('echo a$SPACED"b"')).toEqual([['echo', 'a', 'a', 'b', 'b']]);
    expect(argvs('echo $EMPTY "$EMPTY" $UNSET x')).toEqual([['echo', '', 'x']]);
    expect(argvs('echo ~ ~/x a~ $ 5$ $%')).toEqual([['echo', '/', '//x', 'a~', '$', '5$', '$%']]);
  });

  it('reads a # at the start of a word as a comment, and leaves it alone elsewhere', () => {
    expect(argvs('input text #hash')).toEqual([['input', 'text']]);
    expect(argvs('input text a#b')).toEqual([['input', 'text', 'a#b']]);
  });

  it('takes leading NAME=value words as assignments, later ones as words', () => {
    const parsed = parseShellLine('A=1 B="x y" cmd C=3');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { command } = parsed.list[0]!;
    expect(command.assignments.map((a) => [a.name, expandWord(a.value, lookup, false).join('')])).toEqual([
      ['A', '1'],
      ['B', 'x y'],
    ]);
    expect(command.words.flatMap((w) => expandWord(w, lookup))).toEqual(['cmd', 'C=3']);
    expect(argvs('a-b=c x')).toEqual([['a-b=c', 'x']]);
  });

  it('parses redirections and io numbers', () => {
    const parsed = parseShellLine('ime list -s 2>/dev/null >&2 3< x');
    expect(parsed.ok && parsed.list[0]!.command.redirects.map((r) => [r.fd, r.op, expandWord(r.target, lookup).join('')])).toEqual([
      [2, '>', '/dev/null'],
      [1, '>&', '2'],
      [3, '<', 'x'],
    ]);
    expect(argvs('echo a2>/dev/null')).toEqual([['echo', 'a2']]);
  });

  it('refuses what it does not simulate instead of passing it on as text', () => {
    for (const line of ['input text a|b', 'input text $(id)', 'input text `id`', 'input text a(b', 'input text *', 'input text a?', 'input text {a,b}', 'if true; then x; fi', 'cat <<EOF', 'echo ${X:-y}', 'echo a &> f']) {
      expect(refusal(line).kind, line).toBe('unsupported');
    }
    expect(refusal('input text a|b').message).toMatch(/pipe/);
    expect(refusal('input text *').message).toMatch(/glob.*quote it/);
  });

  it('reports syntax errors with their position', () => {
    expect(refusal(`input text 'abc`)).toMatchObject({ kind: 'syntax', message: "no closing quote (')", at: 11 });
    expect(refusal('echo "abc')).toMatchObject({ kind: 'syntax', message: 'no closing quote (")', at: 5 });
    expect(refusal('; echo')).toMatchObject({ kind: 'syntax', at: 0 });
    expect(refusal('echo a &&')).toMatchObject({ kind: 'syntax', message: "'&&' is not followed by a command" });
    expect(refusal('echo a ;; b')).toMatchObject({ kind: 'syntax' });
    expect(refusal('echo >')).toMatchObject({ kind: 'syntax', message: 'a redirection has no target' });
  });

  it('reads a megabyte of hostile text in one pass', () => {
    // Each of these would be quadratic in a parser that rescans: long words of '=', unclosed quotes, backslashes.
    const size = 1 << 20;
    expect(argvs(`x ${'a-='.repeat(size / 3)}`)[0]![1]!.length).toBe(3 * Math.floor(size / 3));
    expect(argvs(`x '${"\\".repeat(size)}'`)[0]![1]!.length).toBe(size);
    expect(argvs(`x "${'\\$'.repeat(size / 2)}"`)[0]![1]).toBe('$'.repeat(size / 2));
    expect(refusal(`x '${'a'.repeat(size)}`).kind).toBe('syntax');
    expect(argvs(`x ${'$A'.repeat(size / 2)}`)).toEqual([['x']]);
  });
});

describe('input text and ADBKeyboard decoding', () => {
  it('turns each %s into a space, as Android’s input does, and leaves other % alone', () => {
    expect(decodeInputText('Hello%s"x"')).toBe('Hello "x"');
    expect(decodeInputText('100%')).toBe('100%');
    expect(decodeInputText('%%s')).toBe('% ');
    expect(decodeInputText('a%sb%sc')).toBe('a b c');
  });

  it('decodes ADBKeyboard base64 as UTF-8 and rejects what is not base64', () => {
    expect(decodeBase64(Buffer.from('東京 ✓ café').toString('base64'))).toBe('東京 ✓ café');
    expect(decodeBase64('5p2x5Lqs')).toBe('東京');
    expect(decodeBase64('not base64!')).toBeNull();
  });
});

describe('agrees with /bin/sh', () => {
  // Deterministic: a small linear congruential generator, so a failure names a case that can be rerun.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = [...`aZ09 %s"'\\$&;|<>()\`*?[]{}#~=!,.\t`, '東', '✓', 'é'];
  const quoters: Record<string, (text: string) => string> = {
    single: (t) => `'${t.replace(/'/g, `'\\''`)}'`,
    double: (t) => `"${t.replace(/["\\$`]/g, (c) => `\\${c}`)}"`,
    backslash: (t) => [...t].map((c) => `\\${c}`).join(''),
  };

  it('splits and unquotes properly quoted text exactly as sh does', async () => {
    const { execFileSync } = await import('node:child_process');
    const cases: string[] = [];
    for (let n = 0; n < 120; n++) {
      const text = Array.from({ length: 1 + random(12) }, () => alphabet[random(alphabet.length)]).join('');
      const names = Object.keys(quoters);
      cases.push(`${quoters[names[n % names.length]!]!(text)} plain"mid"'dle' "$TERM"`);
    }
    cases.push(`Hello,%sworld%s\\&%s\\"friends\\"%s100%`, `a\\ b 'c'"d" ~ ~/x`, `x'"'y"'"z`);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', HOME: '/' };
    for (const words of cases) {
      const bySh = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${words}`], { env }).toString('utf8').split('\0').slice(0, -1);
      expect(argvs(`printf ${words}`)[0]!.slice(1), words).toEqual(bySh);
    }
  });
});
