/**
 * The simulated phone's `/system/bin/sh -c`: adbd hands every `shell:`/`exec:` command line to the device shell,
 * so what a command receives is what a POSIX shell makes of that line. A backend that forgets to quote `&`, `$`,
 * `"` or a space must see the same breakage here as on a real phone, so this reads a line the way a shell does:
 *
 * - words split on blanks; `'...'` literal; `"..."` with `\` escaping only `$ \` " \` and newline; `\x` outside
 *   quotes; backslash-newline joins lines; `#` at the start of a word begins a comment;
 * - lists: `;`, newline, `&&`, `||`, `&` (run in order here: the fake has no background jobs);
 * - `$NAME`, `${NAME}` and the special parameters, with field splitting when unquoted; `~` at a word's start;
 *   leading `NAME=value` assignments; redirections `[n]>`, `>>`, `<`, `>&n`, `<&n` (what they may point at is the
 *   runner's business).
 *
 * What a real shell would do but this fake does not simulate - pipes, subshells and `( )`, command substitution,
 * `${X:-y}` forms, arithmetic, globs (`* ? [`, matched against the phone's files), brace expansion (mksh's
 * `{a,b}`), here-documents and the reserved words (`if`, `for`, ...) - is refused with an `unsupported` error
 * naming it, never treated as literal text: a command that would be mangled on a phone fails loudly here.
 *
 * One pass over the line, each character looked at once: linear in the input, whatever it contains. Written by hand
 * because the npm shell-quote/shell-parse packages follow bash (or no shell) rather than the POSIX rules above, and
 * do not report what they skipped.
 */

export type Segment =
  | { kind: 'text'; text: string; quoted: boolean }
  /** `$NAME`; `quoted` when inside double quotes (no field splitting). `~` is `HOME`, quoted. */
  | { kind: 'param'; name: string; quoted: boolean };

export interface Word {
  segments: Segment[];
}

export type RedirectOp = '>' | '>>' | '<' | '>&' | '<&';

export interface Redirect {
  fd: number;
  op: RedirectOp;
  target: Word;
}

export interface SimpleCommand {
  assignments: { name: string; value: Word }[];
  words: Word[];
  redirects: Redirect[];
}

/** How a command joins the one before it: `null` for the first, `;` also for newline and `&`. */
export type Joiner = ';' | '&&' | '||' | null;

export interface ListItem {
  joiner: Joiner;
  command: SimpleCommand;
}

export type ParseResult =
  | { ok: true; list: ListItem[] }
  | { ok: false; kind: 'syntax' | 'unsupported'; message: string; at: number };

const RESERVED = new Set(['!', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'select', 'then', 'time', 'until', 'while', '{', '}', '[[', ']]']);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMS = new Set(['?', '$', '#', '!', '@', '*', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
const DOUBLE_QUOTE_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

class ParseError extends Error {
  constructor(
    readonly kind: 'syntax' | 'unsupported',
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

export function parseShellLine(line: string): ParseResult {
  try {
    return { ok: true, list: new LineParser(line).parse() };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, kind: error.kind, message: error.message, at: error.at };
    throw error;
  }
}

interface WordInProgress {
  segments: Segment[];
  /** Only unquoted literal characters so far (a candidate for `NAME=` or an io number like `2>`). */
  plain: boolean;
  /** The plain text so far is a shell NAME (kept up to date per character, so `a-=====` stays linear). */
  isName: boolean;
  assignName?: string;
}

class LineParser {
  private i = 0;
  private readonly list: ListItem[] = [];
  private joiner: Joiner = null;
  /** The operator that ended the previous command, for the error when nothing follows it. */
  private danglingOperator: { op: string; at: number } | null = null;
  private command: SimpleCommand = { assignments: [], words: [], redirects: [] };
  private word: WordInProgress | null = null;
  private pendingRedirect: { fd: number; op: RedirectOp; at: number } | null = null;

  constructor(private readonly line: string) {}

  parse(): ListItem[] {
    const line = this.line;
    while (this.i < line.length) {
      const at = this.i;
      const c = line[at]!;
      const next = line[at + 1];
      if (c === ' ' || c === '\t') {
        this.endWord();
        this.i++;
      } else if (c === '\n') {
        this.endCommand(';', at, true);
        this.i++;
      } else if (c === ';') {
        if (next === ';') throw new ParseError('syntax', "unexpected ';;' (only valid inside case)", at);
        this.endCommand(';', at, false);
        this.i++;
      } else if (c === '&') {
        if (next === '&') {
          this.endCommand('&&', at, false);
          this.i += 2;
        } else if (next === '>') {
          throw new ParseError('unsupported', "the '&>' redirection is not simulated", at);
        } else {
          this.endCommand(';', at, false);
          this.i++;
        }
      } else if (c === '|') {
        if (next === '|') {
          this.endCommand('||', at, false);
          this.i += 2;
        } else {
          throw new ParseError('unsupported', "a pipe ('|') is not simulated", at);
        }
      } else if (c === '<' || c === '>') {
        this.redirect(c, at);
      } else if (c === '(' || c === ')') {
        throw new ParseError('unsupported', `'${c}' (a subshell or function) is not simulated`, at);
      } else if (c === '`') {
        throw new ParseError('unsupported', 'command substitution (`...`) is not simulated', at);
      } else if (c === '$') {
        this.dollar(false);
      } else if (c === "'") {
        const close = line.indexOf("'", at + 1);
        if (close < 0) throw new ParseError('syntax', "no closing quote (')", at);
        this.appendText(line.slice(at + 1, close), true);
        this.i = close + 1;
      } else if (c === '"') {
        this.doubleQuoted();
      } else if (c === '\\') {
        if (next === '\n') {
          this.i += 2;
        } else if (next === undefined) {
          this.appendText('\\', false);
          this.i++;
        } else {
          this.appendText(next, true);
          this.i += 2;
        }
      } else if (c === '#' && this.word === null) {
        const newline = line.indexOf('\n', at);
        this.i = newline < 0 ? line.length : newline;
      } else if (c === '*' || c === '?' || c === '[') {
        throw new ParseError('unsupported', `an unquoted '${c}' is a glob the phone's shell would match against its files; quote it`, at);
      } else if (c === '{' || c === '}') {
        throw new ParseError('unsupported', `an unquoted '${c}' (brace expansion or a group) is not simulated; quote it`, at);
      } else if (c === '~' && this.word === null && (next === undefined || next === '/' || /[\s;&|<>]/.test(next))) {
        this.startWord().segments.push({ kind: 'param', name: 'HOME', quoted: true });
        this.word!.plain = false;
        this.i++;
      } else if (c === '=' && this.isAssignmentStart()) {
        const word = this.word!;
        word.assignName = (word.segments[0] as { text: string }).text;
        word.segments = [];
        word.plain = false;
        this.i++;
      } else {
        this.appendText(c, false);
        this.i++;
      }
    }
    this.endCommand(null, line.length, true);
    if (this.danglingOperator) {
      throw new ParseError('syntax', `'${this.danglingOperator.op}' is not followed by a command`, this.danglingOperator.at);
    }
    return this.list;
  }

  private isAssignmentStart(): boolean {
    const word = this.word;
    return !!word && word.plain && word.isName && word.assignName === undefined && this.command.words.length === 0;
  }

  private startWord(): WordInProgress {
    if (!this.word) this.word = { segments: [], plain: true, isName: false };
    return this.word;
  }

  private appendText(text: string, quoted: boolean): void {
    const word = this.startWord();
    if (quoted) word.plain = false;
    if (word.plain) {
      for (let k = 0; k < text.length; k++) {
        const first = word.segments.length === 0 && k === 0;
        word.isName = first ? NAME_START.test(text[k]!) : word.isName && NAME_CHAR.test(text[k]!);
      }
    }
    const last = word.segments[word.segments.length - 1];
    if (last && last.kind === 'text' && last.quoted === quoted) last.text += text;
    else word.segments.push({ kind: 'text', text, quoted });
  }

  /** At a `$`: a parameter, or a literal `$` when no name follows. */
  private dollar(quoted: boolean): void {
    const line = this.line;
    const at = this.i;
    const next = line[at + 1];
    if (next === '(') throw new ParseError('unsupported', 'command substitution or arithmetic ($(...)) is not simulated', at);
    if (next === '{') {
      const close = line.indexOf('}', at + 2);
      const name = close < 0 ? '' : line.slice(at + 2, close);
      const simple = SPECIAL_PARAMS.has(name) || (NAME_START.test(name[0] ?? '') && [...name].every((ch) => NAME_CHAR.test(ch)));
      if (!simple) throw new ParseError('unsupported', `only \${NAME} is simulated, not '${line.slice(at, close < 0 ? at + 12 : close + 1)}'`, at);
      this.pushParam(name, quoted);
      this.i = close + 1;
      return;
    }
    if (next !== undefined && SPECIAL_PARAMS.has(next)) {
      this.pushParam(next, quoted);
      this.i += 2;
      return;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let end = at + 2;
      while (end < line.length && NAME_CHAR.test(line[end]!)) end++;
      this.pushParam(line.slice(at + 1, end), quoted);
      this.i = end;
      return;
    }
    this.appendText('$', quoted);
    this.i++;
  }

  private pushParam(name: string, quoted: boolean): void {
    const word = this.startWord();
    word.plain = false;
    word.segments.push({ kind: 'param', name, quoted });
  }

  private doubleQuoted(): void {
    const line = this.line;
    const open = this.i;
    this.startWord().plain = false;
    // An empty "" still makes a word: record a quoted empty text segment.
    this.appendText('', true);
    this.i++;
    while (this.i < line.length) {
      const c = line[this.i]!;
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        const next = line[this.i + 1];
        if (next !== undefined && DOUBLE_QUOTE_ESCAPABLE.has(next)) {
          if (next !== '\n') this.appendText(next, true);
          this.i += 2;
        } else {
          this.appendText('\\', true);
          this.i++;
        }
      } else if (c === '$') {
        this.dollar(true);
      } else if (c === '`') {
        throw new ParseError('unsupported', 'command substitution (`...`) is not simulated', this.i);
      } else {
        this.appendText(c, true);
        this.i++;
      }
    }
    throw new ParseError('syntax', 'no closing quote (")', open);
  }

  private redirect(c: '<' | '>', at: number): void {
    const line = this.line;
    let fd = c === '<' ? 0 : 1;
    const word = this.word;
    if (word && word.plain && word.segments.length === 1 && /^\d+$/.test((word.segments[0] as { text: string }).text)) {
      fd = Number((word.segments[0] as { text: string }).text);
      this.word = null;
    } else {
      this.endWord();
    }
    if (this.pendingRedirect) throw new ParseError('syntax', `a redirection needs a target before '${c}'`, at);
    const next = line[at + 1];
    let op: RedirectOp;
    if (c === '>') {
      if (next === '>') op = '>>';
      else if (next === '&') op = '>&';
      else if (next === '|') throw new ParseError('unsupported', "the '>|' redirection is not simulated", at);
      else op = '>';
    } else {
      if (next === '<') throw new ParseError('unsupported', 'here-documents (<<) are not simulated', at);
      if (next === '>') throw new ParseError('unsupported', "the '<>' redirection is not simulated", at);
      op = next === '&' ? '<&' : '<';
    }
    this.i = at + (op.length === 2 ? 2 : 1);
    this.pendingRedirect = { fd, op, at };
  }

  private endWord(): void {
    const word = this.word;
    if (!word) return;
    this.word = null;
    if (this.pendingRedirect) {
      const { fd, op } = this.pendingRedirect;
      this.pendingRedirect = null;
      this.command.redirects.push({ fd, op, target: { segments: this.wordSegments(word) } });
      return;
    }
    if (word.assignName !== undefined && this.command.words.length === 0) {
      this.command.assignments.push({ name: word.assignName, value: { segments: word.segments } });
      return;
    }
    if (this.command.words.length === 0 && word.plain && word.segments.length === 1) {
      const text = (word.segments[0] as { text: string }).text;
      if (RESERVED.has(text)) throw new ParseError('unsupported', `the reserved word '${text}' (shell control flow) is not simulated`, this.i - text.length);
    }
    this.command.words.push({ segments: this.wordSegments(word) });
  }

  /** A word marked `NAME=` that turned out not to be an assignment gets its text back. */
  private wordSegments(word: WordInProgress): Segment[] {
    if (word.assignName === undefined) return word.segments;
    return [{ kind: 'text', text: `${word.assignName}=`, quoted: false }, ...word.segments];
  }

  private endCommand(joiner: Joiner, at: number, allowEmpty: boolean): void {
    this.endWord();
    if (this.pendingRedirect) throw new ParseError('syntax', 'a redirection has no target', this.pendingRedirect.at);
    const command = this.command;
    const empty = command.words.length === 0 && command.assignments.length === 0 && command.redirects.length === 0;
    if (empty) {
      if (!allowEmpty) throw new ParseError('syntax', `unexpected '${this.line.slice(at, at + (joiner === '&&' || joiner === '||' ? 2 : 1))}'`, at);
      return;
    }
    this.list.push({ joiner: this.joiner, command });
    this.command = { assignments: [], words: [], redirects: [] };
    this.joiner = joiner ?? ';';
    this.danglingOperator = joiner === '&&' || joiner === '||' ? { op: joiner, at } : null;
  }
}

const IFS_WHITESPACE = /[ \t\n]+/;

/**
 * A word's fields after parameter expansion, field splitting (for unquoted parameters, on blanks) and quote removal.
 * An unquoted parameter that expands to nothing leaves no field, as in a shell.
 */
export function expandWord(word: Word, lookup: (name: string) => string, split = true): string[] {
  const fields: string[] = [];
  let current = '';
  let started = false;
  const finish = () => {
    if (started) fields.push(current);
    current = '';
    started = false;
  };
  for (const segment of word.segments) {
    if (segment.kind === 'text') {
      current += segment.text;
      started = true;
      continue;
    }
    const value = lookup(segment.name);
    if (segment.quoted || !split) {
      current += value;
      started ||= segment.quoted || value !== '';
      continue;
    }
    if (value === '') continue;
    const pieces = value.split(IFS_WHITESPACE);
    // A leading blank ends the field before it; a trailing one ends this one.
    if (pieces[0] === '') {
      finish();
      pieces.shift();
    }
    const trailing = pieces[pieces.length - 1] === '';
    if (trailing) pieces.pop();
    pieces.forEach((piece, index) => {
      if (index > 0) finish();
      current += piece;
      started = true;
    });
    if (trailing) finish();
  }
  finish();
  return fields;
}
