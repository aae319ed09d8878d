/**
 * Android key names for `mobile_use` `key` actions: adb's `input keyevent` names (KEYCODE_VOLUME_UP, with or without
 * the prefix, any case: "volume_up"), key code numbers, and the few everyday words models write for them ("back",
 * "backspace", "recents"). A name not found here is an error back to the model - never KEYCODE_UNKNOWN, which is
 * what the phone itself would silently make of it.
 *
 * The codes are android.view.KeyEvent's KEYCODE_* constants (the ones a phone agent presses; TV, gamepad and
 * Japanese-keyboard keys are left out). Looking a name up is a map lookup after one linear normalisation.
 */

const NAMED: Record<string, number> = {
  SOFT_LEFT: 1, SOFT_RIGHT: 2, HOME: 3, BACK: 4, CALL: 5, ENDCALL: 6,
  STAR: 17, POUND: 18, DPAD_UP: 19, DPAD_DOWN: 20, DPAD_LEFT: 21, DPAD_RIGHT: 22, DPAD_CENTER: 23,
  VOLUME_UP: 24, VOLUME_DOWN: 25, POWER: 26, CAMERA: 27, CLEAR: 28,
  COMMA: 55, PERIOD: 56, ALT_LEFT: 57, ALT_RIGHT: 58, SHIFT_LEFT: 59, SHIFT_RIGHT: 60, TAB: 61, SPACE: 62, SYM: 63,
  EXPLORER: 64, ENVELOPE: 65, ENTER: 66, DEL: 67, GRAVE: 68, MINUS: 69, EQUALS: 70, LEFT_BRACKET: 71,
  RIGHT_BRACKET: 72, BACKSLASH: 73, SEMICOLON: 74, APOSTROPHE: 75, SLASH: 76, AT: 77, NUM: 78, HEADSETHOOK: 79,
  FOCUS: 80, PLUS: 81, MENU: 82, NOTIFICATION: 83, SEARCH: 84, MEDIA_PLAY_PAUSE: 85, MEDIA_STOP: 86, MEDIA_NEXT: 87,
  MEDIA_PREVIOUS: 88, MEDIA_REWIND: 89, MEDIA_FAST_FORWARD: 90, MUTE: 91, PAGE_UP: 92, PAGE_DOWN: 93,
  ESCAPE: 111, FORWARD_DEL: 112, CTRL_LEFT: 113, CTRL_RIGHT: 114, CAPS_LOCK: 115, SCROLL_LOCK: 116, META_LEFT: 117,
  META_RIGHT: 118, FUNCTION: 119, SYSRQ: 120, BREAK: 121, MOVE_HOME: 122, MOVE_END: 123, INSERT: 124, FORWARD: 125,
  MEDIA_PLAY: 126, MEDIA_PAUSE: 127, MEDIA_CLOSE: 128, MEDIA_EJECT: 129, MEDIA_RECORD: 130, NUM_LOCK: 143,
  NUMPAD_DIVIDE: 154, NUMPAD_MULTIPLY: 155, NUMPAD_SUBTRACT: 156, NUMPAD_ADD: 157, NUMPAD_DOT: 158, NUMPAD_COMMA: 159,
  NUMPAD_ENTER: 160, NUMPAD_EQUALS: 161, NUMPAD_LEFT_PAREN: 162, NUMPAD_RIGHT_PAREN: 163,
  VOLUME_MUTE: 164, ZOOM_IN: 168, ZOOM_OUT: 169, SETTINGS: 176, APP_SWITCH: 187, LANGUAGE_SWITCH: 204,
  CONTACTS: 207, CALENDAR: 208, MUSIC: 209, CALCULATOR: 210, ASSIST: 219, BRIGHTNESS_DOWN: 220, BRIGHTNESS_UP: 221,
  SLEEP: 223, WAKEUP: 224, VOICE_ASSIST: 231, CUT: 277, COPY: 278, PASTE: 279, ALL_APPS: 284, REFRESH: 285,
};
for (let digit = 0; digit <= 9; digit++) {
  NAMED[String(digit)] = 7 + digit;
  NAMED[`NUMPAD_${digit}`] = 144 + digit;
}
for (let letter = 0; letter < 26; letter++) NAMED[String.fromCharCode(65 + letter)] = 29 + letter;
for (let f = 1; f <= 12; f++) NAMED[`F${f}`] = 130 + f;

/** What models and people call keys that Android names otherwise. */
const ALIASES: Record<string, string> = {
  RETURN: 'ENTER', BACKSPACE: 'DEL', DELETE: 'DEL', ESC: 'ESCAPE', RECENTS: 'APP_SWITCH', RECENT_APPS: 'APP_SWITCH',
  OVERVIEW: 'APP_SWITCH', UP: 'DPAD_UP', DOWN: 'DPAD_DOWN', LEFT: 'DPAD_LEFT', RIGHT: 'DPAD_RIGHT', OK: 'DPAD_CENTER',
  CENTER: 'DPAD_CENTER', PAGEUP: 'PAGE_UP', PAGEDOWN: 'PAGE_DOWN', VOLUMEUP: 'VOLUME_UP', VOLUMEDOWN: 'VOLUME_DOWN',
  VOL_UP: 'VOLUME_UP', VOL_DOWN: 'VOLUME_DOWN', PLAY_PAUSE: 'MEDIA_PLAY_PAUSE', PLAY: 'MEDIA_PLAY', PAUSE: 'MEDIA_PAUSE',
  NEXT: 'MEDIA_NEXT', PREVIOUS: 'MEDIA_PREVIOUS', CTRL: 'CTRL_LEFT', CONTROL: 'CTRL_LEFT', ALT: 'ALT_LEFT',
  SHIFT: 'SHIFT_LEFT', META: 'META_LEFT', LOCK: 'POWER', NOTIFICATIONS: 'NOTIFICATION',
};

/** KeyEvent.LAST_KEYCODE on Android 10 to 14: a number above it is no key. */
const LAST_KEYCODE = 288;

export class UnknownAndroidKeyError extends Error {
  override name = 'UnknownAndroidKeyError';
}

/** The key code of a name or number, or an UnknownAndroidKeyError naming what was not understood. */
export function androidKeyCode(name: string): { code: number; name: string } {
  const trimmed = name.trim();
  if (/^\d{1,3}$/.test(trimmed)) {
    const code = Number(trimmed);
    if (code >= 1 && code <= LAST_KEYCODE) return { code, name: nameOf(code) ?? `key code ${code}` };
  }
  const normal = trimmed.toUpperCase().replace(/[\s-]+/g, '_').replace(/^KEYCODE_/, '');
  const key = NAMED[normal] !== undefined ? normal : ALIASES[normal];
  if (key !== undefined && NAMED[key] !== undefined) return { code: NAMED[key]!, name: `KEYCODE_${key}` };
  throw new UnknownAndroidKeyError(
    `unknown Android key ${JSON.stringify(name)}: use an adb keyevent name such as "volume_up", "KEYCODE_ENTER", "back", "del" or "app_switch", or a key code number (1-${LAST_KEYCODE})`,
  );
}

function nameOf(code: number): string | undefined {
  const found = Object.entries(NAMED).find(([, c]) => c === code);
  return found ? `KEYCODE_${found[0]}` : undefined;
}
