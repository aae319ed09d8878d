/**
 * Android's key codes (android.view.KeyEvent.KEYCODE_*) as the phone's `input keyevent` reads them. Kept apart from
 * whatever table the Android backend uses on purpose: a stand-in that shared the backend's table would agree with
 * its mistakes. A subset: the keys a phone agent presses, plus the keyboard's letters, digits and punctuation.
 */
const NAMED: Record<number, string> = {
  0: 'UNKNOWN', 1: 'SOFT_LEFT', 2: 'SOFT_RIGHT', 3: 'HOME', 4: 'BACK', 5: 'CALL', 6: 'ENDCALL',
  17: 'STAR', 18: 'POUND', 19: 'DPAD_UP', 20: 'DPAD_DOWN', 21: 'DPAD_LEFT', 22: 'DPAD_RIGHT', 23: 'DPAD_CENTER',
  24: 'VOLUME_UP', 25: 'VOLUME_DOWN', 26: 'POWER', 27: 'CAMERA', 28: 'CLEAR',
  55: 'COMMA', 56: 'PERIOD', 57: 'ALT_LEFT', 58: 'ALT_RIGHT', 59: 'SHIFT_LEFT', 60: 'SHIFT_RIGHT', 61: 'TAB',
  62: 'SPACE', 63: 'SYM', 64: 'EXPLORER', 65: 'ENVELOPE', 66: 'ENTER', 67: 'DEL', 68: 'GRAVE', 69: 'MINUS',
  70: 'EQUALS', 71: 'LEFT_BRACKET', 72: 'RIGHT_BRACKET', 73: 'BACKSLASH', 74: 'SEMICOLON', 75: 'APOSTROPHE',
  76: 'SLASH', 77: 'AT', 78: 'NUM', 79: 'HEADSETHOOK', 80: 'FOCUS', 81: 'PLUS', 82: 'MENU', 83: 'NOTIFICATION',
  84: 'SEARCH', 85: 'MEDIA_PLAY_PAUSE', 86: 'MEDIA_STOP', 87: 'MEDIA_NEXT', 88: 'MEDIA_PREVIOUS', 89: 'MEDIA_REWIND',
  90: 'MEDIA_FAST_FORWARD', 91: 'MUTE', 92: 'PAGE_UP', 93: 'PAGE_DOWN', 111: 'ESCAPE', 112: 'FORWARD_DEL',
  113: 'CTRL_LEFT', 114: 'CTRL_RIGHT', 115: 'CAPS_LOCK', 116: 'SCROLL_LOCK', 117: 'META_LEFT', 118: 'META_RIGHT',
  119: 'FUNCTION', 120: 'SYSRQ', 121: 'BREAK', 122: 'MOVE_HOME', 123: 'MOVE_END', 124: 'INSERT', 125: 'FORWARD',
  126: 'MEDIA_PLAY', 127: 'MEDIA_PAUSE', 164: 'VOLUME_MUTE', 176: 'SETTINGS', 187: 'APP_SWITCH', 207: 'CONTACTS',
  208: 'CALENDAR', 209: 'MUSIC', 210: 'CALCULATOR', 219: 'ASSIST', 220: 'BRIGHTNESS_DOWN', 221: 'BRIGHTNESS_UP',
  223: 'SLEEP', 224: 'WAKEUP', 231: 'VOICE_ASSIST', 277: 'CUT', 278: 'COPY', 279: 'PASTE',
};
for (let digit = 0; digit <= 9; digit++) NAMED[7 + digit] = String(digit);
for (let letter = 0; letter < 26; letter++) NAMED[29 + letter] = String.fromCharCode(65 + letter);
for (let f = 1; f <= 12; f++) NAMED[130 + f] = `F${f}`;

const BY_NAME = new Map(Object.entries(NAMED).map(([code, name]) => [name, Number(code)]));

/** The highest key code Android 10 knows (KeyEvent.LAST_KEYCODE is 288 there). */
const LAST_KEYCODE = 288;

export const KEYCODE = { home: 3, back: 4, enter: 66, del: 67, menu: 82, appSwitch: 187 } as const;

/**
 * What `input keyevent ARG` sends, as KeyEvent.keyCodeFromString decides it: a number in range, else a name with or
 * without `KEYCODE_`; anything else is KEYCODE_UNKNOWN (0) - the phone does not complain.
 */
export function keyCodeFromString(arg: string): { code: number; name: string } {
  if (/^\d+$/.test(arg)) {
    const code = Number(arg);
    if (code <= LAST_KEYCODE) return { code, name: `KEYCODE_${NAMED[code] ?? code}` };
  }
  const bare = arg.startsWith('KEYCODE_') ? arg.slice('KEYCODE_'.length) : arg;
  const code = BY_NAME.get(bare);
  return code === undefined ? { code: 0, name: 'KEYCODE_UNKNOWN' } : { code, name: `KEYCODE_${bare}` };
}
