/**
 * Prompt building: a mode-independent conversation (turns) -> the messages of a chat-completion request, in one of
 * the two ways a server can take tools (reference/qwen3-vl-protocol.md sections 5 and 6):
 * - `native`: the server has a tool-call parser; tools go in `tools`, calls in `tool_calls`, results as `tool`
 *   messages.
 * - `prompt`: the server has none; the Nous `# Tools` block is appended to the system message, calls are written
 *   as `<tool_call>` text and results as user turns wrapped in `<tool_response>`, exactly as Qwen's chat template
 *   would render them itself.
 *
 * A profile's `layout` may ask for another form: `osworld-qwen3vl` sends what OSWorld's Qwen3-VL agent sends (every
 * content a list of parts, no `tools` in either mode: its system prompt carries its own tool text; osworld-qwen3vl.ts).
 *
 * The output is byte-stable for the same input (fixed key order, no clocks) so the server's prefix cache stays warm.
 */
import type { Profile } from './profiles';
import { pythonJson } from './python-json';
import { nousToolsBlock } from './nous-tools';
import { computerUseTool, imageZoomInTool, mobileUseTool, type FunctionTool } from './tools';
import type { Size } from '../screen/geometry';

export { nousToolsBlock, pythonJson };

export type Part = { type: 'text'; text: string } | { type: 'image'; mime: string; base64: string };

export interface ToolCallTurn {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type Turn =
  | { role: 'user'; parts: Part[] }
  | { role: 'assistant'; reasoning?: string; text?: string; calls: ToolCallTurn[] }
  | { role: 'tool'; callId: string; name: string; parts: Part[] };

export type ServerMode = 'native' | 'prompt';

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** The subset of OpenAI chat messages we send. */
export type ChatMessage =
  | { role: 'system'; content: string | ContentPart[] }
  | { role: 'user'; content: string | ContentPart[] }
  | {
      role: 'assistant';
      content: string | null | ContentPart[];
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatRequestParts {
  messages: ChatMessage[];
  tools?: FunctionTool[];
  tool_choice?: 'auto';
}

export interface BuildChatRequestInput {
  profile: Profile;
  system?: string;
  turns: Turn[];
  tools: FunctionTool[];
  mode: ServerMode;
}

/** One call as the model writes it in prompt mode (and as the chat template renders `tool_calls`). */
export function renderToolCall(call: { name: string; arguments: Record<string, unknown> }): string {
  return toolCallText(call.name, pythonJson(call.arguments));
}

/** A call whose arguments are already JSON text (a native request's `tool_calls[].function.arguments`). */
export function toolCallText(name: string, argumentsJson: string): string {
  return `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": ${argumentsJson}}\n</tool_call>`;
}

/**
 * The model's coordinate space as the tool text states it: the grid (1000x1000, 999x999) or, for absolute
 * profiles (Qwen2.5-VL), the pixel size of the resized image the model is sent.
 */
export function screenTextSize(profile: Profile, imageSize: Size): Size {
  if (profile.coordinates.kind === 'grid') return { width: profile.coordinates.size, height: profile.coordinates.size };
  return { width: imageSize.width, height: imageSize.height };
}

/** The tools a profile offers, with the screen line filled in for it. `imageSize` = the resized screenshot size. */
export function toolsForProfile(profile: Profile, imageSize: Size): FunctionTool[] {
  // The published agent's own tool text is in its system prompt; it sends no tools.
  if (profile.layout === 'osworld-qwen3vl') return [];
  const screen = screenTextSize(profile, imageSize);
  const main = profile.tool === 'mobile_use' ? mobileUseTool(screen) : computerUseTool(screen);
  const extra = profile.extraTools.map((name) => {
    if (name === 'image_zoom_in_tool') return imageZoomInTool(screen);
    throw new Error(`profile ${profile.id} asks for an unknown extra tool "${String(name)}"`);
  });
  return [main, ...extra];
}

function imagePart(part: { mime: string; base64: string }): ContentPart {
  return { type: 'image_url', image_url: { url: `data:${part.mime};base64,${part.base64}` } };
}

function toContentParts(parts: Part[]): ContentPart[] {
  return parts.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : imagePart(p)));
}

/** A user message's content: a plain string when it is one text, parts otherwise. */
function userContent(parts: ContentPart[]): string | ContentPart[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

/** Earlier reasoning goes back inline; Qwen's template splits `</think>` out of the content itself. */
function assistantText(turn: Extract<Turn, { role: 'assistant' }>): string {
  const think = turn.reasoning !== undefined ? `<think>\n${turn.reasoning}\n</think>\n\n` : '';
  return think + (turn.text ?? '');
}

/** Merge neighbouring text parts so the content stays short and stable. */
function mergeText(parts: ContentPart[]): ContentPart[] {
  const out: ContentPart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (part.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + part.text };
    else out.push(part);
  }
  return out.filter((p) => p.type !== 'text' || p.text !== '');
}

export function buildChatRequest(input: BuildChatRequestInput): ChatRequestParts {
  const { system, turns, tools, mode } = input;
  if (input.profile.layout === 'osworld-qwen3vl') return { messages: osworldMessages(system, turns) };
  const messages: ChatMessage[] = [];

  const systemParts: string[] = [];
  if (system !== undefined && system !== '') systemParts.push(system);
  if (mode === 'prompt' && tools.length > 0) systemParts.push(nousToolsBlock(tools));
  if (systemParts.length > 0) messages.push({ role: 'system', content: systemParts.join('\n\n') });

  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i]!;
    if (turn.role === 'user') {
      messages.push({ role: 'user', content: userContent(toContentParts(turn.parts)) });
    } else if (turn.role === 'assistant') {
      const text = assistantText(turn);
      if (mode === 'prompt') {
        // The template puts "\n" between the text and each call, and between calls.
        const pieces = turn.calls.map(renderToolCall);
        const content = text === '' ? pieces.join('\n') : [text, ...pieces].join('\n');
        messages.push({ role: 'assistant', content });
      } else if (turn.calls.length === 0) {
        messages.push({ role: 'assistant', content: text });
      } else {
        messages.push({
          role: 'assistant',
          content: text === '' ? null : text,
          tool_calls: turn.calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: pythonJson(c.arguments) },
          })),
        });
      }
    } else {
      // A run of tool results: the template merges them into one user turn; we do the same.
      const run: Array<Extract<Turn, { role: 'tool' }>> = [turn];
      while (turns[i + 1]?.role === 'tool') run.push(turns[++i] as Extract<Turn, { role: 'tool' }>);
      if (mode === 'prompt') {
        const parts: ContentPart[] = [];
        run.forEach((t, k) => {
          parts.push({ type: 'text', text: `${k === 0 ? '' : '\n'}<tool_response>\n` });
          parts.push(...toContentParts(t.parts));
          parts.push({ type: 'text', text: '\n</tool_response>' });
        });
        messages.push({ role: 'user', content: userContent(mergeText(parts)) });
      } else {
        // vLLM takes only text in `tool` messages (vllm-project/vllm#43203: "tool message content only supports
        // text"), so a result's images follow in one user message after the run of tool messages.
        const images: ContentPart[] = [];
        for (const t of run) {
          const text = t.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
          messages.push({ role: 'tool', tool_call_id: t.callId, content: text });
          for (const p of t.parts) if (p.type === 'image') images.push(imagePart(p));
        }
        if (images.length > 0) messages.push({ role: 'user', content: images });
      }
    }
  }

  if (mode === 'native' && tools.length > 0) return { messages, tools, tool_choice: 'auto' };
  return { messages };
}

/**
 * OSWorld's Qwen3-VL agent's messages: the system prompt and each turn as a list of parts, in the order given, the
 * same in either server mode (it never sends `tools`). Its history (previous-actions) has user and assistant turns
 * only; an assistant turn is the reply's text as it came.
 */
function osworldMessages(system: string | undefined, turns: Turn[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: [{ type: 'text', text: system ?? '' }] }];
  for (const turn of turns) {
    if (turn.role === 'user') messages.push({ role: 'user', content: toContentParts(turn.parts) });
    else if (turn.role === 'assistant') messages.push({ role: 'assistant', content: [{ type: 'text', text: assistantText(turn) }] });
    else throw new Error('the osworld-qwen3vl layout has no tool turns; its history strategy is previous-actions');
  }
  return messages;
}
