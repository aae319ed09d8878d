/**
 * The one key-name table (app/input/key-names.ts) and its three users agree: every name a model may send presses a
 * real key locally (keys.ts), has one canonical spelling for deny rules and summaries (policy/describe.ts) and one
 * pyautogui name on an OSWorld guest (devices/osworld/pyautogui.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalKey, keyNameTable, lookupKey, splitKeyNames, UnknownKeyError } from '../../app/input/key-names';
import { Key, resolveCombo, resolveKeyStroke, X_KEYSYMS } from '../../app/input/keys';
import { normalizeCombo, normalizeKeyName } from '../../app/policy/describe';
import { actionToPyautogui, pyautoguiKey } from '../../app/devices/osworld/pyautogui';

/** Key names pyautogui accepts (from its KEYBOARD_KEYS), those a key action can need. */
const PYAUTOGUI_KEYS = new Set([
  ...'abcdefghijklmnopqrstuvwxyz0123456789',
  ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  ...Array.from({ length: 24 }, (_, i) => `f${i + 1}`),
  ...Array.from({ length: 10 }, (_, i) => `num${i}`),
  'ctrl', 'ctrlright', 'alt', 'altright', 'shift', 'shiftright', 'win', 'winright',
  'enter', 'esc', 'backspace', 'tab', 'delete', 'insert', 'home', 'end', 'pageup', 'pagedown', 'up', 'down', 'left', 'right',
  'space', 'capslock', 'numlock', 'scrolllock', 'printscreen', 'apps',
  'volumemute', 'volumedown', 'volumeup', 'playpause', 'stop', 'prevtrack', 'nexttrack',
  'add', 'subtract', 'multiply', 'divide', 'decimal',
]);

const RIGHT_MODIFIERS: Record<string, string> = { ctrlright: 'ctrl', altright: 'alt', shiftright: 'shift', superright: 'super' };

const table = keyNameTable();

describe('the key-name table', () => {
  it('is a pure module: the policy can use it without loading nut-js', () => {
    const source = readFileSync(new URL('../../app/input/key-names.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
  });

  it('has the ids the policy, its tests and the deny-rule docs spell combos with', () => {
    for (const id of ['ctrl', 'alt', 'shift', 'super', 'enter', 'escape', 'backspace', 'tab', 'delete', 'pageup', 'up', 'f5', 'a', '1', 'minus', 'plus', 'sysrq']) {
      expect(table.has(id), id).toBe(true);
    }
    expect(canonicalKey('Return')).toEqual({ id: 'enter', shift: false, base: 'enter' });
    expect(canonicalKey('+')).toEqual({ id: 'plus', shift: true, base: 'equal' });
    expect(canonicalKey('A')).toEqual({ id: 'a', shift: false, base: 'a' });
  });

  it('every name of every key presses one key locally, normalises to one name and maps to one pyautogui key', () => {
    let checked = 0;
    for (const [id, names] of table) {
      const stroke = resolveKeyStroke(id);
      expect(X_KEYSYMS.get(stroke.key), id).toBeTruthy();
      const policyName = RIGHT_MODIFIERS[id] ?? id;
      const pyName = pyautoguiKey(id);
      expect(PYAUTOGUI_KEYS.has(pyName), `${id} -> pyautogui ${JSON.stringify(pyName)}`).toBe(true);
      for (const name of names) {
        expect(lookupKey(name)?.id, JSON.stringify(name)).toBe(id);
        expect(resolveKeyStroke(name), JSON.stringify(name)).toEqual(stroke);
        expect(normalizeKeyName(name), JSON.stringify(name)).toBe(policyName);
        expect(pyautoguiKey(name), JSON.stringify(name)).toBe(pyName);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(400);
  });

  it('splits "ctrl+c" and "ctrl++" the same way for all three', () => {
    const target = { space: { kind: 'grid', size: 1000 }, screen: { width: 1920, height: 1080 } } as const;
    const cases: Array<[string[], Key[], string, string]> = [
      [['ctrl+c'], [Key.LeftControl, Key.C], 'ctrl+c', 'pyautogui.hotkey("ctrl", "c")'],
      [['ctrl++'], [Key.LeftControl, Key.Equal], 'ctrl+plus', 'pyautogui.hotkey("ctrl", "+")'],
      [['Control + W'], [Key.LeftControl, Key.W], 'ctrl+w', 'pyautogui.hotkey("ctrl", "w")'],
      [['super', 'Page_Up'], [Key.LeftSuper, Key.PageUp], 'super+pageup', 'pyautogui.hotkey("win", "pageup")'],
      [['Escape'], [Key.Escape], 'escape', 'pyautogui.press("esc")'],
    ];
    for (const [keys, nut, combo, code] of cases) {
      expect(resolveCombo(keys).map((s) => s.key), keys.join()).toEqual(nut);
      expect(normalizeCombo(keys)).toBe(combo);
      expect(actionToPyautogui({ action: 'key', keys }, target)).toEqual({ code });
    }
    expect(splitKeyNames(['ctrl++'])).toEqual(['ctrl', '+']);
  });

  it('an unknown name is an error locally, but is still shown and passed on by the policy and pyautogui', () => {
    expect(() => canonicalKey('Retrun')).toThrow(UnknownKeyError);
    expect(() => canonicalKey('Retrun')).toThrow(/did you mean .*"return"/);
    expect(lookupKey('hyperspace_jump')).toBeUndefined();
    expect(lookupKey('constructor')).toBeUndefined();
    expect(normalizeKeyName('Hyperspace_Jump')).toBe('hyperspacejump');
    expect(normalizeKeyName('constructor')).toBe('constructor');
    expect(normalizeCombo(['ctrl', 'XF86Launch1'])).toBe('ctrl+xf86launch1');
    expect(pyautoguiKey('XF86Launch1')).toBe('xf86launch1');
  });
});
