/**
 * computer_use actions as pyautogui code: what the OSWorld guest executes, and what traj.jsonl records in OSWorld's
 * `pyautogui` action space. Coordinates are mapped with screen/geometry.ts (never here). Text is embedded as a
 * JSON string literal, which is also a valid Python string literal, so nothing the model wrote becomes code.
 * Key names: the shared key table (app/input/key-names.ts), its canonical ids mapped to pyautogui's names.
 */
import type { ComputerAction } from '../../base/actions';
import { keyCharacter, lookupKey, splitKeyNames, type KeyId, type NamedKeyId } from '../../input/key-names';
import { modelToScreen, type CoordinateSpace, type Point, type Size } from '../../screen/geometry';

export const PYAUTOGUI_PREFIX = 'import pyautogui; import time; pyautogui.FAILSAFE = False; ';

/** Key ids (app/input/key-names.ts) whose pyautogui name is not the id itself (nor, for a character, the character). */
const PYAUTOGUI_NAMES = new Map<KeyId, string>([
  ['escape', 'esc'],
  ['super', 'win'],
  ['superright', 'winright'],
  ['sysrq', 'printscreen'],
  ['menu', 'apps'],
  ['mediastop', 'stop'],
  ['audiopause', 'playpause'],
  ['kpadd', 'add'],
  ['kpsubtract', 'subtract'],
  ['kpmultiply', 'multiply'],
  ['kpdivide', 'divide'],
  ['kpdecimal', 'decimal'],
  ...Array.from({ length: 10 }, (_, i): [`kp${number}`, string] => [`kp${i}`, `num${i}`]),
] satisfies Array<[NamedKeyId | `kp${number}`, string]>);

/** A model's key name -> pyautogui's. A name the key table does not know is passed on lower-cased. */
export function pyautoguiKey(name: string): string {
  const key = lookupKey(name);
  if (key) return PYAUTOGUI_NAMES.get(key.id) ?? keyCharacter(key.id) ?? key.id;
  return name.length === 1 ? name : name.toLowerCase();
}

function lit(text: string): string {
  return JSON.stringify(text);
}

export interface PyautoguiTarget {
  space: CoordinateSpace;
  /** The screen the guest shows (pyautogui's coordinates). */
  screen: Size;
  imageSize?: Size;
}

function pt(coordinate: readonly [number, number], target: PyautoguiTarget): Point {
  return modelToScreen({ x: coordinate[0], y: coordinate[1] }, target.space, target.screen, target.imageSize);
}

/**
 * The pyautogui statement(s) for an action, or a special token: 'WAIT' (wait), 'DONE' (terminate success),
 * 'FAIL' (terminate failure), or null for `answer` (nothing to do on screen).
 */
export function actionToPyautogui(action: ComputerAction, target: PyautoguiTarget): { code: string; screen?: Point } | { special: 'WAIT' | 'DONE' | 'FAIL' } | null {
  switch (action.action) {
    case 'key': {
      const keys = splitKeyNames(action.keys).map(pyautoguiKey);
      return { code: keys.length === 1 ? `pyautogui.press(${lit(keys[0]!)})` : `pyautogui.hotkey(${keys.map(lit).join(', ')})` };
    }
    case 'type':
      return { code: `pyautogui.write(${lit(action.text)}, interval=0.01)` };
    case 'mouse_move': {
      const p = pt(action.coordinate, target);
      return { code: `pyautogui.moveTo(${p.x}, ${p.y})`, screen: p };
    }
    case 'left_click':
    case 'right_click':
    case 'middle_click':
    case 'double_click':
    case 'triple_click': {
      const p = pt(action.coordinate, target);
      const fn = { left_click: 'click', right_click: 'rightClick', middle_click: 'middleClick', double_click: 'doubleClick', triple_click: 'tripleClick' }[action.action];
      return { code: `pyautogui.${fn}(${p.x}, ${p.y})`, screen: p };
    }
    case 'left_click_drag': {
      const p = pt(action.coordinate, target);
      return { code: `pyautogui.dragTo(${p.x}, ${p.y}, duration=0.5, button='left')`, screen: p };
    }
    case 'scroll':
    case 'hscroll': {
      const fn = action.action === 'scroll' ? 'scroll' : 'hscroll';
      const amount = Math.round(action.pixels);
      if (action.coordinate) {
        const p = pt(action.coordinate, target);
        return { code: `pyautogui.${fn}(${amount}, x=${p.x}, y=${p.y})`, screen: p };
      }
      return { code: `pyautogui.${fn}(${amount})` };
    }
    case 'wait':
      return { special: 'WAIT' };
    case 'terminate':
      return { special: action.status === 'success' ? 'DONE' : 'FAIL' };
    case 'answer':
      return null;
  }
}

/** What traj.jsonl's `action` holds for an action: pyautogui code, or WAIT / DONE / FAIL. */
export function trajectoryAction(action: ComputerAction | 'WAIT' | 'DONE' | 'FAIL', target: PyautoguiTarget): string {
  if (typeof action === 'string') return action;
  const t = actionToPyautogui(action, target);
  if (t === null) return action.action === 'answer' ? `# answer: ${action.text}` : '';
  return 'special' in t ? t.special : t.code;
}
