/**
 * OSWorld's own Qwen3-VL agent (mm_agents/qwen3vl_agent.py), reproduced so that a Deskpilot score is comparable with
 * published ones: the text it sends and how it names a step under "Previous actions". The prompt text below is the
 * protocol, like the tool text in tools.ts, and is the reference's character for character; it differs from Qwen's
 * cookbook text in tools.ts in small ways (no comma in "failed to load even after waiting", "unless asked", an action
 * description that starts with a newline and ends with eight spaces, an enum without triple_click, hscroll and
 * answer though the list names them, `name_for_human` and `args_format`) and must stay so.
 *
 * Which copy: karakuri-ai/OSWorld-JP at 3301bf9 (read with the search tool). OS-Copilot/OS-Symphony at d13ea69 has
 * the same prompt text but for one typo ("adjusting yfour cursor position"), and other defaults: history_n 8,
 * max_tokens 1500, max_pixels 16*16*4*1280, a critic agent. The karakuri copy's defaults are the ones OSWorld
 * publishes for this agent (history_n 4, max_tokens 32768, max_pixels 16*16*4*12800), so it is the one followed.
 *
 * The request it builds (agent/history.ts PreviousActionsHistory builds the turns, prompt.ts lays them out): the
 * system message is OSWORLD_QWEN3VL_SYSTEM_PROMPT as one text part; then, for each of the last 4 steps, a user
 * message with that step's screenshot (the first of them followed by the instruction prompt) and an assistant
 * message with the reply as it came (one text part); then a user message with the current screenshot (followed by
 * the instruction prompt when there is no earlier step). "Previous actions" lists the steps before those 4 as
 * "Step n: <Action line>", or "None". No `tools` are sent: the system prompt carries them.
 */
import { nousToolsBlock } from './nous-tools';

/** The tool description, with coordinate_type "relative" (the agent's default: it states a 1000x1000 screen). */
const DESCRIPTION = [
  'Use a mouse and keyboard to interact with a computer, and take screenshots.',
  '* This is an interface to a desktop GUI. You do not have access to a terminal or applications menu. You must click on desktop icons to start applications.',
  "* Some applications may take time to start or process actions, so you may need to wait and take successive screenshots to see the results of your actions. E.g. if you click on Firefox and a window doesn't open, try wait and taking another screenshot.",
  "* The screen's resolution is 1000x1000.",
  '* Whenever you intend to move the cursor to click on an element like an icon, you should consult a screenshot to determine the coordinates of the element before moving the cursor.',
  '* If you tried clicking on a program or link but it failed to load even after waiting, try adjusting your cursor position so that the tip of the cursor visually falls on the element that you want to click.',
  "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of the element. Don't click boxes on their edges unless asked.",
].join('\n');

/** The action list as the reference's triple-quoted string holds it: a leading newline, eight trailing spaces. */
const ACTION_DESCRIPTION = [
  '',
  '* `key`: Performs key down presses on the arguments passed in order, then performs key releases in reverse order.',
  '* `type`: Type a string of text on the keyboard.',
  '* `mouse_move`: Move the cursor to a specified (x, y) pixel coordinate on the screen.',
  '* `left_click`: Click the left mouse button at a specified (x, y) pixel coordinate on the screen.',
  '* `left_click_drag`: Click and drag the cursor to a specified (x, y) pixel coordinate on the screen.',
  '* `right_click`: Click the right mouse button at a specified (x, y) pixel coordinate on the screen.',
  '* `middle_click`: Click the middle mouse button at a specified (x, y) pixel coordinate on the screen.',
  '* `double_click`: Double-click the left mouse button at a specified (x, y) pixel coordinate on the screen.',
  "* `triple_click`: Triple-click the left mouse button at a specified (x, y) pixel coordinate on the screen (simulated as double-click since it's the closest action).",
  '* `scroll`: Performs a scroll of the mouse scroll wheel.',
  '* `hscroll`: Performs a horizontal scroll (mapped to regular scroll).',
  '* `wait`: Wait specified seconds for the change to happen.',
  '* `terminate`: Terminate the current task and report its completion status.',
  '* `answer`: Answer a question.',
  '        ',
].join('\n');

/** The tool as the agent defines it; the key order is the reference's (it is serialised in that order). */
const TOOL = {
  type: 'function',
  function: {
    name_for_human: 'computer_use',
    name: 'computer_use',
    description: DESCRIPTION,
    parameters: {
      properties: {
        action: {
          description: ACTION_DESCRIPTION,
          enum: ['key', 'type', 'mouse_move', 'left_click', 'left_click_drag', 'right_click', 'middle_click', 'double_click', 'scroll', 'wait', 'terminate'],
          type: 'string',
        },
        keys: { description: 'Required only by `action=key`.', type: 'array' },
        text: { description: 'Required only by `action=type`.', type: 'string' },
        coordinate: { description: 'The x,y coordinates for mouse actions.', type: 'array' },
        pixels: { description: 'The amount of scrolling.', type: 'number' },
        time: { description: 'The seconds to wait.', type: 'number' },
        status: { description: 'The status of the task.', type: 'string', enum: ['success', 'failure'] },
      },
      required: ['action'],
      type: 'object',
    },
    args_format: 'Format the arguments as a JSON object.',
  },
};

/**
 * The agent's system prompt: the Nous tool block around its tool (Python's default json.dumps: ", " and ": ",
 * non-ASCII escaped), then its "# Response format" rules.
 */
export const OSWORLD_QWEN3VL_SYSTEM_PROMPT = [
  nousToolsBlock([TOOL], { asciiOnly: true }),
  '',
  '# Response format',
  '',
  'Response format for every step:',
  '1) Action: a short imperative describing what to do in the UI.',
  '2) A single <tool_call>...</tool_call> block containing only the JSON: {"name": <function-name>, "arguments": <args-json-object>}.',
  '',
  'Rules:',
  '- Output exactly in the order: Action, <tool_call>.',
  '- Be brief: one sentence for Action.',
  '- Do not output anything else outside those parts.',
  '- If finishing, use action=terminate in the tool call.',
].join('\n');

/**
 * The text after the first screenshot of a request: the instruction and the Action lines of the steps no longer sent
 * with their screenshot (`previousActions`: already "Step n: ..." lines; none gives "None").
 */
export function osworldInstructionPrompt(instruction: string, previousActions: readonly string[]): string {
  const previous = previousActions.length > 0 ? previousActions.join('\n') : 'None';
  return [
    '',
    'Please generate the next move according to the UI screenshot, instruction and previous actions.',
    '',
    `Instruction: ${instruction}`,
    '',
    'Previous actions:',
    previous,
  ].join('\n');
}

/** The name the agent's pyautogui translation gives each action it knows (the others produce no code). */
const PYAUTOGUI_NAMES: Readonly<Record<string, string>> = {
  left_click: 'click',
  right_click: 'rightClick',
  middle_click: 'middleClick',
  double_click: 'doubleClick',
  type: 'typewrite',
  scroll: 'scroll',
  mouse_move: 'moveTo',
  left_click_drag: 'dragTo',
  wait: 'WAIT',
  terminate: 'DONE',
};

/**
 * How the agent names a step under "Previous actions": of the reply's non-empty lines, the first that starts with
 * "action:" in any case, cut after its last "Action:" (exactly that case, as Python's split) and trimmed; an empty
 * one names nothing, so a later one may. Without a name, "Performing <name> action" after the first call it
 * translated (key: hotkey for several keys, press for one). The reference raises an IndexError when that first call
 * is wait or terminate ("WAIT" has no "."); here it is "Performing WAIT action" / "Performing DONE action".
 * `calls`: the reply's calls in order.
 */
export function osworldActionLine(reply: string, calls: ReadonlyArray<{ name: string; arguments: Record<string, unknown> }>): string {
  for (const raw of reply.split('\n')) {
    const line = raw.trim();
    if (!line.toLowerCase().startsWith('action:')) continue;
    const named = (line.split('Action:').pop() ?? '').trim();
    if (named) return named;
  }
  for (const call of calls) {
    if (call.name !== 'computer_use') continue;
    const action = String(call.arguments.action ?? '');
    const keys = call.arguments.keys;
    const name = action === 'key' ? (Array.isArray(keys) && keys.length > 1 ? 'hotkey' : 'press') : PYAUTOGUI_NAMES[action];
    if (name) return `Performing ${name} action`;
  }
  return '';
}
