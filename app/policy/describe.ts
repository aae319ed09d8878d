/**
 * How an action is named to a person and compared with another: the one-line summary shown on approval cards and
 * in reports, the canonical key combo ("ctrl+w") that deny rules and the risk table match against, and the
 * identity used by "approve all identical actions".
 *
 * Key names here are only normalised for reading and matching; turning them into real key events is app/input's job.
 */
import type { AnyAction } from '../base/actions';
import type { Point } from '../screen/geometry';
import { compactKeyName, lookupKey, splitKeyNames, type KeyId, type NamedKeyId } from '../input/key-names';

const MODIFIER_ORDER = ['ctrl', 'alt', 'shift', 'super'] as const;

/** Key ids (app/input/key-names.ts) named apart from their id here: rules about "ctrl" mean either Ctrl key. */
const POLICY_NAMES = new Map<KeyId, string>([
  ['ctrlright', 'ctrl'],
  ['altright', 'alt'],
  ['shiftright', 'shift'],
  ['superright', 'super'],
] satisfies Array<[NamedKeyId, string]>);

/**
 * One key name -> its canonical lowercase form ("Control_L" -> "ctrl", "Return" -> "enter", "+" -> "plus"). A name
 * the key table does not know is only lower-cased (without "_", "-" and spaces): it is still shown and matched.
 */
export function normalizeKeyName(name: string): string {
  const key = lookupKey(name);
  if (key) return POLICY_NAMES.get(key.id) ?? key.id;
  const trimmed = name.trim();
  return trimmed.length === 1 ? trimmed.toLowerCase() : compactKeyName(trimmed);
}

/**
 * Key names (as the model sent them, possibly "ctrl+w" in one element) -> "ctrl+alt+delete": modifiers first in a
 * fixed order, then the other keys in the order given. Equal combos compare equal however they were spelled.
 */
export function normalizeCombo(keys: readonly string[]): string {
  const names = splitKeyNames(keys).map(normalizeKeyName);
  const modifiers = MODIFIER_ORDER.filter((m) => names.includes(m));
  const others = names.filter((n) => !(MODIFIER_ORDER as readonly string[]).includes(n));
  return [...modifiers, ...[...new Set(others)]].join('+');
}

/** The combo a key action presses, or null for other actions (mobile `key` is an Android key name). */
export function comboOf(action: AnyAction): string | null {
  if (action.action !== 'key') return null;
  return 'keys' in action ? normalizeCombo(action.keys) : action.text.trim().toLowerCase();
}

const QUOTE_LIMIT = 60;

/** Text shown in quotes: newlines and tabs made visible, long text cut with an ellipsis. */
export function quoteText(text: string): string {
  const visible = text.replace(/\r\n|\n|\r/g, '⏎').replace(/\t/g, '⇥');
  const chars = [...visible];
  const cut = chars.length > QUOTE_LIMIT ? `${chars.slice(0, QUOTE_LIMIT).join('')}…` : visible;
  return `“${cut}”`;
}

function at(action: { coordinate?: readonly [number, number] }, screen?: Point): string {
  if (screen) return `(${Math.round(screen.x)}, ${Math.round(screen.y)})`;
  if (action.coordinate) return `model point (${action.coordinate[0]}, ${action.coordinate[1]})`;
  return 'the pointer';
}

/** "at (812, 430)", or with the text read at the point "“Delete account” at (812, 430)". */
function where(action: { coordinate?: readonly [number, number] }, screen?: Point, label?: string): string {
  return `${label ? `${quoteText(label)} ` : ''}at ${at(action, screen)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * One line a person reads: "Click at (412, 88)", "Type “hello” (5 chars)", "Press ctrl+w". With `screen` the
 * point is the mapped screen point; without it, the model's point is named as such. `label` is the text read at
 * the point (app/screen/ocr.ts): "Click “Delete account” at (812, 430)".
 */
export function summarizeAction(action: AnyAction, screen?: Point, screen2?: Point, label?: string): string {
  switch (action.action) {
    case 'key':
      return 'keys' in action ? `Press ${comboOf(action)}` : `Press the ${action.text} key`;
    case 'type':
      return `Type ${quoteText(action.text)} (${plural([...action.text].length, 'char')})`;
    case 'mouse_move':
      return label ? `Move the mouse to ${where(action, screen, label)}` : `Move the mouse to ${at(action, screen)}`;
    case 'left_click':
      return `Click ${where(action, screen, label)}`;
    case 'left_click_drag':
      return label ? `Drag to ${where(action, screen, label)}` : `Drag to ${at(action, screen)}`;
    case 'right_click':
      return `Right-click ${where(action, screen, label)}`;
    case 'middle_click':
      return `Middle-click ${where(action, screen, label)}`;
    case 'double_click':
      return `Double-click ${where(action, screen, label)}`;
    case 'triple_click':
      return `Triple-click ${where(action, screen, label)}`;
    case 'scroll':
    case 'hscroll': {
      // Positive pixels scroll up (and, horizontally, right) per the tool text.
      const direction =
        action.action === 'scroll' ? (action.pixels >= 0 ? 'up' : 'down') : action.pixels >= 0 ? 'right' : 'left';
      const where = action.coordinate || screen ? ` at ${at(action, screen)}` : '';
      return `Scroll ${direction} ${Math.abs(action.pixels)}${where}`;
    }
    case 'wait':
      return `Wait ${action.time} s`;
    case 'terminate':
      return `Finish the task: ${action.status}`;
    case 'answer':
      return `Answer ${quoteText(action.text)}`;
    case 'click':
      return `Tap ${where(action, screen, label)}`;
    case 'long_press':
      return `Long-press at ${at(action, screen)}${action.time !== undefined ? ` for ${action.time} s` : ''}`;
    case 'swipe': {
      const end = screen2 ?? { x: action.coordinate2[0], y: action.coordinate2[1] };
      const endText = screen2 ? `(${Math.round(end.x)}, ${Math.round(end.y)})` : `model point (${end.x}, ${end.y})`;
      return `Swipe from ${at(action, screen)} to ${endText}`;
    }
    case 'system_button':
      return `Press the ${action.button} button`;
    case 'open':
      return `Open the app ${quoteText(action.text)}`;
  }
}

/** JSON with object keys sorted, so that key order in the model's arguments does not matter. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Canonical identity for "approve all identical actions this run": same action, same arguments (key combos
 * compared after normalising, so ["Control","W"] equals ["ctrl+w"]).
 */
export function actionKey(action: { action: string } & Record<string, unknown>): string {
  if (action.action === 'key' && Array.isArray(action.keys)) {
    const keys = action.keys.filter((k): k is string => typeof k === 'string');
    return canonicalJson({ ...action, keys: normalizeCombo(keys) });
  }
  return canonicalJson(action);
}
