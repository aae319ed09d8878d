/**
 * Recognising replies written in another agent's action syntax (see test/fixtures/model-replies/README.md):
 * UI-TARS function calls, Midscene's XML and JSON plans, Alibaba gui-plus JSON, pyautogui code. None of them is
 * ever performed - their coordinates mean something else (UI-TARS boxes, Midscene bboxes, gui-plus pixels) and
 * guessing would click the wrong place. The user gets one error naming the format, so they can see the model
 * (or the profile) is not the one they meant.
 */
import { isPlainObject, show } from './parse-args';
import { scanJsonEnd, stripFences } from './parse-text';
import { COMPUTER_USE_ACTIONS, MOBILE_USE_ACTIONS } from '../base/actions';

function toolOfAction(action: string): string | undefined {
  if ((COMPUTER_USE_ACTIONS as readonly string[]).includes(action)) return 'computer_use';
  if ((MOBILE_USE_ACTIONS as readonly string[]).includes(action)) return 'mobile_use';
  return undefined;
}

const ADVICE = 'Deskpilot performs only Qwen <tool_call> calls of computer_use / mobile_use; check that the endpoint serves a Qwen3-VL model and that the profile matches it';

function notExecuted(format: string, sample: string): string {
  return `not executed: the reply is in ${format} (${sample}), not a Qwen <tool_call>; ${ADVICE}`;
}

/** The first line matching `re`, trimmed and shortened for a message. */
function lineOf(text: string, re: RegExp): string {
  const line = text.split('\n').find((l) => re.test(l)) ?? '';
  const t = line.trim();
  return t.length > 100 ? `${t.slice(0, 99)}…` : t;
}

/** A whole-text JSON object (fences allowed around it), or undefined. */
function wholeJsonObject(text: string): Record<string, unknown> | undefined {
  const t = stripFences(text).trim();
  if (!t.startsWith('{') || scanJsonEnd(t, 0) !== t.length) return undefined;
  try {
    const value: unknown = JSON.parse(t);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `<complete ...>` tag: `<complete` and a `>` somewhere after it. (The regex `<complete\b[^>]*>` scanned to the
 * end of the text from every `<complete` when no `>` followed - quadratic.)
 */
function hasCompleteTag(text: string): boolean {
  const at = text.search(/<complete\b/i);
  return at >= 0 && text.includes('>', at);
}

const UI_TARS_ACTION = /^[ \t]*Action[ \t]*[:：][ \t]*[A-Za-z_]+\(/m;
const UI_TARS_ARGS = /\b(?:start_box|end_box|start_point|end_point)\s*=/;

/**
 * The error for a reply in a foreign action syntax, or null when the text is plain prose (which is not an
 * error: the agent loop tells the model it proposed no action). `text` is the visible text, reasoning removed.
 */
export function detectForeignFormat(text: string): string | null {
  if (UI_TARS_ACTION.test(text) || UI_TARS_ARGS.test(text)) {
    const sample = lineOf(text, UI_TARS_ACTION.test(text) ? UI_TARS_ACTION : UI_TARS_ARGS);
    return notExecuted('UI-TARS action syntax', sample);
  }
  if (/<action-type>|<action-param-json>/i.test(text) || hasCompleteTag(text)) {
    const type = /<action-type>([^<]*)<\/action-type>/i.exec(text)?.[1]?.trim();
    const sample = type ? `<action-type>${type}</action-type>` : lineOf(text, /<complete\b/i);
    return notExecuted("Midscene's XML planning format", sample);
  }
  if (/\bpyautogui\.[A-Za-z_]+\s*\(/.test(text)) {
    return notExecuted('pyautogui code', lineOf(text, /pyautogui\./));
  }
  const json = wholeJsonObject(text);
  if (json) {
    const action = json.action;
    if ('more_actions_needed_by_instruction' in json || 'log' in json || 'sleep' in json || (isPlainObject(action) && 'type' in action)) {
      const sample = isPlainObject(action) ? `action type ${show(action.type)}` : `keys ${Object.keys(json).join(', ')}`;
      return notExecuted("Midscene's JSON planning format", sample);
    }
    const tool = typeof action === 'string' ? toolOfAction(action) : undefined;
    if (tool && !('parameters' in json)) {
      return `not executed: the reply is bare ${tool} arguments (action ${show(action)}) without {"name": ..., "arguments": ...} inside <tool_call></tool_call>; which tool was meant is not certain`;
    }
    if (typeof action === 'string' && ('parameters' in json || 'thought' in json)) {
      return notExecuted('gui-plus JSON', `action ${show(action)}`);
    }
    return notExecuted('a JSON object that is not a tool call', `keys ${Object.keys(json).join(', ')}`);
  }
  return null;
}
