/**
 * Text for the phone: quoting a word for the device shell, and turning text into the device command lines that type
 * it exactly - `input text` for ASCII, ADBKeyboard's base64 broadcast for everything else.
 *
 * What arrives where (the reasons for the rules below):
 * - adb hands a command line to the phone's `/system/bin/sh -c`, so every word is single-quoted here (`'` as
 *   `'\''`): `&;|<>()$\`"` and backslashes then reach the command as typed;
 * - `input text` turns each `%s` into a space (Input.java's sendText) and types only what the virtual keyboard map
 *   has keys for (ASCII; Android 10 crashes on anything else), and takes exactly one word. So spaces are sent as `%s`,
 *   a typed `%` directly followed by `s` is split across two `input text` commands (so no `%s` is formed), and a
 *   newline or tab is its key (ENTER 66, TAB 61) between pieces;
 * - ADBKeyboard (com.android.adbkeyboard/.AdbIME) commits the UTF-8 text of `am broadcast -a ADB_INPUT_B64 --es msg
 *   BASE64` at the cursor while it is the input method: base64 cannot be mangled by any shell or key map.
 * Each device command line stays under MAX_LINE_BYTES (old adbd refuse a service request over 4 KiB).
 */

export const ADB_KEYBOARD_IME = 'com.android.adbkeyboard/.AdbIME';
export const ADB_KEYBOARD_INSTALL =
  'install ADBKeyboard (https://github.com/senzhk/ADBKeyBoard/releases: `adb install ADBKeyboard.apk`, then ' +
  '`adb shell ime enable com.android.adbkeyboard/.AdbIME`) so that text other than ASCII can be typed exactly';

/** Room for a device command line, the adb framing and the exit marker, under adbd's oldest 4 KiB limit. */
export const MAX_LINE_BYTES = 3000;
/** Characters of text per `input text` word (long words are slow for the phone to inject; pieces keep it steady). */
const INPUT_TEXT_PIECE = 200;
/** Code points per ADBKeyboard broadcast: at most 4 UTF-8 bytes each, base64 4/3 of that, well under the limit. */
const BROADCAST_PIECE = 500;

const KEYCODE_ENTER = 66;
const KEYCODE_TAB = 61;

/** One word for the device shell: single-quoted, so nothing in it is special. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Text that `input text` (with ENTER and TAB keys for newlines and tabs) types exactly: printable ASCII. */
export function isInputTextTypable(text: string): boolean {
  return /^[\x20-\x7e\n\r\t]*$/.test(text);
}

/** Device commands, in order, that type ASCII `text` through `input text` and key events. */
export function inputTextCommands(text: string): string[] {
  const commands: string[] = [];
  // CRLF and lone CR are one newline.
  const lines = text.replace(/\r\n?/g, '\n');
  let piece = '';
  const flush = () => {
    if (piece === '') return;
    commands.push(`input text ${shellQuote(piece.replace(/ /g, '%s'))}`);
    piece = '';
  };
  for (const char of lines) {
    if (char === '\n' || char === '\t') {
      flush();
      commands.push(`input keyevent ${char === '\n' ? KEYCODE_ENTER : KEYCODE_TAB}`);
      continue;
    }
    // A typed "%s" would become a space: end the piece after the '%', the 's' starts the next one.
    if (char === 's' && piece.endsWith('%')) flush();
    piece += char;
    if (piece.length >= INPUT_TEXT_PIECE) flush();
  }
  flush();
  return commands;
}

/** Device commands that type `text` through ADBKeyboard (it must be the input method while they run). */
export function adbKeyboardCommands(text: string): string[] {
  const points = [...text];
  const commands: string[] = [];
  for (let at = 0; at < points.length; at += BROADCAST_PIECE) {
    const piece = points.slice(at, at + BROADCAST_PIECE).join('');
    commands.push(`am broadcast -a ADB_INPUT_B64 --es msg ${shellQuote(Buffer.from(piece, 'utf8').toString('base64'))}`);
  }
  return commands;
}

/** Commands joined with `&&` into as few device command lines as fit MAX_LINE_BYTES (a failure stops the rest). */
export function joinCommands(commands: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const command of commands) {
    const next = line === '' ? command : `${line} && ${command}`;
    if (line !== '' && Buffer.byteLength(next) > MAX_LINE_BYTES) {
      lines.push(line);
      line = command;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines;
}
