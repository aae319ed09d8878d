/**
 * The Nous/Hermes function-calling block (reference section 5), as Qwen's chat template appends it to the system
 * message: prompt mode sends it (prompt.ts), training exports write it (runs/training.ts), and OSWorld's Qwen3-VL
 * agent puts it in its own system prompt (osworld-qwen3vl.ts, with its tool JSON ASCII-escaped, as Python's default
 * json.dumps writes it). One copy of the text for all three.
 */
import { pythonJson } from './python-json';

export function nousToolsBlock(tools: readonly unknown[], options: { asciiOnly?: boolean } = {}): string {
  return [
    '# Tools',
    '',
    'You may call one or more functions to assist with the user query.',
    '',
    'You are provided with function signatures within <tools></tools> XML tags:',
    '<tools>',
    ...tools.map((t) => pythonJson(t, options)),
    '</tools>',
    '',
    'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:',
    '<tool_call>',
    '{"name": <function-name>, "arguments": <args-json-object>}',
    '</tool_call>',
  ].join('\n');
}
