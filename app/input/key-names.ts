/**
 * THE table of key names a model may emit in a `key` action (xdotool keysym names, pyautogui names, browser
 * `KeyboardEvent.key` names, single characters), each resolved to one canonical key id. Pure data and string
 * functions: the policy imports it, so it must not load nut-js (keys.ts maps ids to nut-js keys, policy/describe.ts
 * to the names deny rules match, devices/osworld/pyautogui.ts to pyautogui names).
 *
 * Names are matched case-insensitively and with "_", "-" and spaces ignored, so "Page_Up", "pageup", "PAGE-UP" and
 * "Page Up" are one name. Single letters are the letter key whatever their case: in ["ctrl", "A"] the model means
 * ctrl+a, not ctrl+shift+a; to get a capital letter the model types it or adds "shift" explicitly.
 */

export class UnknownKeyError extends Error {
  override name = 'UnknownKeyError';
  constructor(
    readonly keyName: string,
    readonly suggestions: string[],
  ) {
    super(
      `unknown key name ${JSON.stringify(keyName)}` +
        (suggestions.length ? `; did you mean ${suggestions.map((s) => JSON.stringify(s)).join(', ')}?` : '') +
        ' (key names follow xdotool: ctrl, alt, shift, super, Return, Escape, BackSpace, Tab, Delete, Page_Up, F1..F24, space, a, 1, /, ...)',
    );
  }
}

/**
 * Keys that exist on the keyboard: [canonical id, names]. Names are normalised (see compactKeyName); the id always
 * resolves too. The ids are the spellings deny rules and the risk table use ("ctrl+w", "ctrl+alt+delete").
 */
const PHYSICAL = [
  ['ctrl', ['ctrl', 'control', 'ctrll', 'controll', 'leftctrl', 'leftcontrol', 'lctrl', 'controlleft', 'ctrlleft', 'strg', 'ctl']],
  ['ctrlright', ['ctrlr', 'controlr', 'rightctrl', 'rightcontrol', 'rctrl', 'controlright', 'ctrlright']],
  ['alt', ['alt', 'altl', 'leftalt', 'lalt', 'altleft', 'option', 'opt', 'metaalt']],
  ['altright', ['altr', 'rightalt', 'ralt', 'altright', 'altgr', 'isolevel3shift']],
  ['shift', ['shift', 'shiftl', 'leftshift', 'lshift', 'shiftleft']],
  ['shiftright', ['shiftr', 'rightshift', 'rshift', 'shiftright']],
  ['super', ['super', 'superl', 'win', 'winl', 'windows', 'meta', 'metal', 'cmd', 'command', 'leftsuper', 'leftwin', 'leftmeta', 'leftcmd', 'lwin', 'lsuper', 'lcmd', 'metaleft', 'osleft', 'os', 'hyper', 'hyperl', 'start']],
  ['superright', ['superr', 'winr', 'metar', 'rightsuper', 'rightwin', 'rightmeta', 'rightcmd', 'rwin', 'rsuper', 'rcmd', 'metaright', 'osright']],
  ['enter', ['return', 'enter', 'ret', 'kpenter', 'numpadenter', 'linefeed']],
  ['escape', ['escape', 'esc']],
  ['backspace', ['backspace', 'bksp', 'bs', 'back']],
  ['tab', ['tab']],
  ['delete', ['delete', 'del', 'kpdelete']],
  ['insert', ['insert', 'ins', 'kpinsert']],
  ['home', ['home', 'kphome']],
  ['end', ['end', 'kpend']],
  ['pageup', ['pageup', 'pgup', 'prior', 'kpprior', 'kppageup']],
  ['pagedown', ['pagedown', 'pgdn', 'pagedn', 'next', 'kpnext', 'kppagedown']],
  ['up', ['up', 'arrowup', 'uparrow', 'kpup']],
  ['down', ['down', 'arrowdown', 'downarrow', 'kpdown']],
  ['left', ['left', 'arrowleft', 'leftarrow', 'kpleft']],
  ['right', ['right', 'arrowright', 'rightarrow', 'kpright']],
  ['space', ['space', 'spacebar', 'spc']],
  ['capslock', ['capslock', 'caps']],
  ['numlock', ['numlock']],
  ['scrolllock', ['scrolllock']],
  ['printscreen', ['print', 'printscreen', 'prtsc', 'prtscr', 'prntscrn']],
  // The same key as Print, named apart because the risk table flags SysRq combos.
  ['sysrq', ['sysrq', 'sysreq']],
  ['menu', ['menu', 'apps', 'contextmenu', 'application']],
  ['volumemute', ['audiomute', 'volumemute', 'mute']],
  ['volumedown', ['audiolowervolume', 'audiovoldown', 'volumedown', 'voldown']],
  ['volumeup', ['audioraisevolume', 'audiovolup', 'volumeup', 'volup']],
  ['playpause', ['audioplay', 'mediaplaypause', 'playpause', 'play']],
  ['mediastop', ['audiostop', 'mediastop']],
  ['audiopause', ['audiopause']],
  ['prevtrack', ['audioprev', 'mediaprevtrack', 'prevtrack', 'mediatrackprevious']],
  ['nexttrack', ['audionext', 'medianexttrack', 'nexttrack', 'mediatracknext']],
  ['kpadd', ['kpadd', 'add', 'numpadadd']],
  ['kpsubtract', ['kpsubtract', 'subtract', 'numpadsubtract']],
  ['kpmultiply', ['kpmultiply', 'multiply', 'numpadmultiply']],
  ['kpdivide', ['kpdivide', 'divide', 'numpaddivide']],
  ['kpdecimal', ['kpdecimal', 'decimal', 'numpaddecimal']],
  // xdotool keysym names of punctuation.
  ['minus', ['minus', 'hyphen', 'dash']],
  ['equal', ['equal', 'equals']],
  ['comma', ['comma']],
  ['period', ['period', 'dot', 'fullstop']],
  ['slash', ['slash', 'forwardslash']],
  ['backslash', ['backslash']],
  ['semicolon', ['semicolon']],
  ['apostrophe', ['apostrophe', 'quote', 'quoteright', 'singlequote']],
  ['grave', ['grave', 'backtick', 'backquote', 'quoteleft']],
  ['bracketleft', ['bracketleft', 'leftbracket']],
  ['bracketright', ['bracketright', 'rightbracket']],
] as const;

/** Characters typed with Shift on a US layout: [id, names, the key pressed with Shift]. */
const SHIFTED = [
  ['plus', ['plus'], 'equal'],
  ['underscore', ['underscore'], 'minus'],
  ['exclam', ['exclam', 'exclamation', 'exclamationmark', 'bang'], '1'],
  ['at', ['at'], '2'],
  ['numbersign', ['numbersign', 'hash', 'pound'], '3'],
  ['dollar', ['dollar'], '4'],
  ['percent', ['percent'], '5'],
  ['asciicircum', ['asciicircum', 'caret', 'circumflex'], '6'],
  ['ampersand', ['ampersand', 'and'], '7'],
  ['asterisk', ['asterisk', 'star'], '8'],
  ['parenleft', ['parenleft', 'leftparen'], '9'],
  ['parenright', ['parenright', 'rightparen'], '0'],
  ['braceleft', ['braceleft', 'leftbrace'], 'bracketleft'],
  ['braceright', ['braceright', 'rightbrace'], 'bracketright'],
  ['colon', ['colon'], 'semicolon'],
  ['quotedbl', ['quotedbl', 'doublequote'], 'apostrophe'],
  ['less', ['less', 'lessthan'], 'comma'],
  ['greater', ['greater', 'greaterthan'], 'period'],
  ['question', ['question', 'questionmark'], 'slash'],
  ['bar', ['bar', 'pipe'], 'backslash'],
  ['asciitilde', ['asciitilde', 'tilde'], 'grave'],
] as const;

export type NamedKeyId = (typeof PHYSICAL)[number][0];
export type ShiftedKeyId = (typeof SHIFTED)[number][0];
/** A canonical key id: a NamedKeyId, a ShiftedKeyId, a letter "a".."z", a digit, "kp0".."kp9" or "f1".."f24". */
export type KeyId = string;

/** Single characters on a US layout -> id (letters and digits are added below). */
const CHARACTERS: Record<string, string> = {
  ' ': 'space',
  '\n': 'enter',
  '\r': 'enter',
  '\t': 'tab',
  '-': 'minus',
  '=': 'equal',
  ',': 'comma',
  '.': 'period',
  '/': 'slash',
  '\\': 'backslash',
  ';': 'semicolon',
  "'": 'apostrophe',
  '`': 'grave',
  '[': 'bracketleft',
  ']': 'bracketright',
  '+': 'plus',
  _: 'underscore',
  '!': 'exclam',
  '@': 'at',
  '#': 'numbersign',
  $: 'dollar',
  '%': 'percent',
  '^': 'asciicircum',
  '&': 'ampersand',
  '*': 'asterisk',
  '(': 'parenleft',
  ')': 'parenright',
  '{': 'braceleft',
  '}': 'braceright',
  ':': 'colon',
  '"': 'quotedbl',
  '<': 'less',
  '>': 'greater',
  '?': 'question',
  '|': 'bar',
  '~': 'asciitilde',
};

const FUNCTION_KEY_COUNT = 24;

/** Normalised name -> id. */
const BY_NAME = new Map<string, string>();
/** id -> the unshifted key that produces it (itself for all but SHIFTED). */
const BASE = new Map<string, string>();
/** id -> its names (for tests and docs), in table order. */
const NAMES_OF = new Map<string, string[]>();
/** Names shown in suggestions: the named keys' names and f1..f24. */
const KNOWN_NAMES: string[] = [];

function add(id: string, names: readonly string[], base: string, known: boolean): void {
  BASE.set(id, base);
  NAMES_OF.set(id, [...names]);
  for (const name of [id, ...names]) BY_NAME.set(name, id);
  if (known) KNOWN_NAMES.push(...names);
}
for (const [id, names] of PHYSICAL) add(id, names, id, true);
for (const [id, names, base] of SHIFTED) add(id, names, base, true);
for (let i = 0; i < 26; i++) {
  const letter = String.fromCharCode(97 + i);
  add(letter, [], letter, false);
  CHARACTERS[letter] = letter;
  CHARACTERS[letter.toUpperCase()] = letter;
}
for (let i = 0; i < 10; i++) {
  add(String(i), [], String(i), false);
  CHARACTERS[String(i)] = String(i);
  add(`kp${i}`, [`kp${i}`, `numpad${i}`, `num${i}`], `kp${i}`, false);
}
for (let i = 1; i <= FUNCTION_KEY_COUNT; i++) add(`f${i}`, [`f${i}`], `f${i}`, true);

/** Lower case, with "_", "-" and spaces dropped: "Page_Up" -> "pageup". */
export function compactKeyName(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

export interface CanonicalKey {
  id: KeyId;
  /** Shift must be held to produce this key's character (US layout). */
  shift: boolean;
  /** The key pressed (with Shift when `shift`): "equal" for "plus", else the id itself. */
  base: KeyId;
}

function entry(id: string): CanonicalKey {
  const base = BASE.get(id) ?? id;
  return { id, shift: base !== id, base };
}

/** The canonical key of a name, or undefined when the name is unknown. */
export function lookupKey(name: string): CanonicalKey | undefined {
  if (typeof name !== 'string' || name.length === 0) return undefined;
  // A single character is itself (so "-" and "_" are keys, not separators); " " is the space bar.
  // Own properties only: a model's "constructor" or "toString" must not find Object.prototype's members.
  if (Object.hasOwn(CHARACTERS, name)) return entry(CHARACTERS[name]!);
  const trimmed = name.trim();
  if (trimmed.length === 1 && Object.hasOwn(CHARACTERS, trimmed)) return entry(CHARACTERS[trimmed]!);
  const id = BY_NAME.get(compactKeyName(trimmed));
  return id === undefined ? undefined : entry(id);
}

/** The canonical key of a name. Throws UnknownKeyError naming it, with close known names. */
export function canonicalKey(name: string): CanonicalKey {
  const hit = lookupKey(name);
  if (hit) return hit;
  if (typeof name !== 'string' || name.length === 0) throw new UnknownKeyError(String(name), []);
  throw new UnknownKeyError(name, suggest(name.trim()));
}

/** Every canonical id with the names that resolve to it (single characters included). */
export function keyNameTable(): Map<KeyId, string[]> {
  const table = new Map<string, string[]>();
  for (const [id, names] of NAMES_OF) table.set(id, [id, ...names]);
  for (const [char, id] of Object.entries(CHARACTERS)) table.get(id)!.push(char);
  return table;
}

/** The printable character a key id types (US layout), if it is one: "plus" -> "+", "a" -> "a". */
export function keyCharacter(id: KeyId): string | undefined {
  return PRINTABLE.get(id);
}
const PRINTABLE = new Map<string, string>(
  Object.entries(CHARACTERS)
    .filter(([char]) => char > ' ' && char === char.toLowerCase())
    .map(([char, id]) => [id, char]),
);

/**
 * The keys of a `key` action, one entry per key to hold. Models sometimes send a whole combo as one string
 * ("ctrl+c", "ctrl++"): such an entry is split at "+" (an empty part means the "+" key itself).
 */
export function splitKeyNames(keys: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of keys) {
    if (entry.length > 1 && entry.includes('+')) {
      const parts = entry.split('+').map((p) => p.trim());
      // "ctrl++" -> ["ctrl", "", ""]: the empty parts stand for "+", pressed once.
      let sawPlus = false;
      for (const part of parts) {
        if (part === '') {
          if (!sawPlus) out.push('+');
          sawPlus = true;
        } else out.push(part);
      }
    } else out.push(entry);
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}

/** Up to three known names close to an unknown one. */
function suggest(name: string): string[] {
  const n = compactKeyName(name);
  if (!n) return [];
  const scored = KNOWN_NAMES.map((known) => ({ known, d: editDistance(n, known) - (known.startsWith(n) || n.startsWith(known) ? 1 : 0) }))
    .filter((s) => s.d <= Math.max(1, Math.floor(n.length / 3)))
    .sort((a, b) => a.d - b.d || a.known.length - b.known.length);
  return [...new Set(scored.map((s) => s.known))].slice(0, 3);
}
