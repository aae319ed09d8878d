/**
 * The model-reply parser: one assistant message in, reasoning + visible text + validated tool calls + errors out.
 *
 * Sources it reads (reference/qwen3-vl-protocol.md sections 5, 6, 8, 10):
 * - reasoning: the `reasoning` / `reasoning_content` fields (vLLM, SGLang, Ollama, DashScope), inline
 *   `...</think>` with or without `<think>`, `<thinking>` / `<thought>` blocks, a leading "Thought:" block;
 * - calls: `tool_calls` (arguments as a JSON string or an object), `<tool_call>` blocks in the content (several,
 *   fenced, on the tag's line, final closing tag missing), and - as OSWorld's Qwen3-VL agent does - a bare
 *   `{"name": "computer_use", "arguments": {...}}` standing on its own lines when the reply has no tags at all.
 *
 * A `<tool_call>` inside reasoning is never a call. Errors are data: each says which call, what was wrong and
 * what would have been right, so the agent loop can hand them back to the model. Prose with no call yields no
 * action and no error; a foreign action syntax yields no action and one error naming the format.
 */
import { z } from 'zod';
import { errorMessage } from '../base/errors';
import type { Profile } from './profiles';
import type { ToolName } from './tools';
import type { ComputerAction, MobileAction, ZoomInArgs } from '../base/actions';
import type { Size } from '../screen/geometry';
import { checkCall, isPlainObject, show, snippet, TOOL_NAMES } from './parse-args';
import { detectForeignFormat } from './parse-foreign';
import { CALL_MARK, finishText, scanJsonEnd, splitContent, stripFences, stripSpecialTokens, tagFinder, takeLeadingThought } from './parse-text';

export interface RawToolCall {
  id?: string;
  type?: string;
  index?: number;
  function: { name?: string; arguments?: string | Record<string, unknown> };
}
export interface RawMessage {
  content?: string | null | Array<{ type?: string; text?: string }>;
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls?: RawToolCall[] | null;
  /**
   * Set by the client when the reply grew past the profile's `limits.replyBytes` and it stopped reading (the
   * fields then hold only the start of the reply): the parser reports it and reads nothing of it.
   */
  cutOff?: { receivedBytes: number } | null;
}
export interface ParsedCall {
  id: string;
  name: ToolName;
  arguments: ComputerAction | MobileAction | ZoomInArgs;
}
export interface ParsedReply {
  reasoning: string | null;
  text: string;
  calls: ParsedCall[];
  errors: string[];
}

/**
 * One call as found, before validation: a name and arguments, or why it could not even be read. Calls are
 * numbered only once all are known, so the problem is kept as the words that follow the call's final label
 * ("tool call 2" + error). Plain data, not a closure per call: a reply can hold tens of thousands.
 */
type Candidate = { id?: string; name: unknown; args: unknown } | { error: string };

function contentText(content: RawMessage['content']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return '';
}

/** Arguments given as a JSON string (the OpenAI wire form), sometimes JSON-encoded twice by a server. */
function decodeArguments(value: unknown): { args: unknown } | { error: string } {
  if (value === undefined || value === null) return { error: ' has no arguments' };
  if (typeof value !== 'string') return { args: value };
  let text = stripFences(value).trim();
  if (text === '') return { error: ' has empty arguments' };
  for (let depth = 0; depth < 2; depth++) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const reason = errorMessage(error);
      const shown = snippet(text);
      return { error: `: arguments are not valid JSON (${reason}): ${shown}` };
    }
    if (typeof parsed !== 'string') return { args: parsed };
    text = parsed.trim();
  }
  const shown = snippet(text);
  return { error: `: arguments are a string, not a JSON object: ${shown}` };
}

/** A call object from the content: {"name", "arguments"}; "parameters" and OpenAI's {"function": {...}} nesting too. */
function candidateFromObject(value: unknown): Candidate {
  if (!isPlainObject(value)) return { error: ` is not a JSON object: ${show(value)}` };
  const inner = isPlainObject(value.function) ? value.function : value;
  if (inner.name === undefined) {
    const keys = snippet(Object.keys(value).slice(0, 10).join(', '), 120) || '(none)';
    return { error: ` has no "name"; expected {"name": "<tool>", "arguments": {...}}, got keys ${keys}` };
  }
  const decoded = decodeArguments('arguments' in inner ? inner.arguments : inner.parameters);
  return 'error' in decoded ? decoded : { name: inner.name, args: decoded.args };
}

/**
 * The JSON inside one `<tool_call>` block: normally one object; several objects one after another, or an array
 * of them, are several calls. Anything that does not parse is one error, with JSON.parse's own words.
 */
function blockValues(body: string): { values: unknown[] } | { error: string } {
  const text = stripFences(body).trim();
  if (text === '') return { error: 'is empty' };
  if (/^<function=/i.test(text)) return xmlFunctionValues(text);
  try {
    const value: unknown = JSON.parse(text);
    return { values: Array.isArray(value) ? value : [value] };
  } catch (error) {
    const values: unknown[] = [];
    let pos = 0;
    while (pos < text.length) {
      if (text[pos] !== '{') break;
      const end = scanJsonEnd(text, pos);
      if (end < 0) break;
      try {
        values.push(JSON.parse(text.slice(pos, end)));
      } catch {
        break;
      }
      pos = end;
      while (pos < text.length && /\s/.test(text[pos] ?? '')) pos++;
    }
    if (pos >= text.length && values.length > 1) return { values };
    return { error: `is not valid JSON (${errorMessage(error)}): ${snippet(text)}` };
  }
}

/** Parameters that are text by the tool schema: their value is taken as written, never as JSON. */
const STRING_PARAMS = new Set(['action', 'text', 'status', 'button', 'label']);

/**
 * `NAME\s*>` at `at` (just after `<function=` or `<parameter=`): the name and the index after `>`. When it is not
 * there, `skipTo` is where the next such tag can start: every tag that begins inside this name's run of
 * characters would end the same way, so it is skipped instead of being read again (which made `<parameter=a`
 * repeated quadratic).
 */
function readTagName(text: string, at: number): { name: string; end: number } | { skipTo: number } {
  TAG_NAME.lastIndex = at;
  const name = TAG_NAME.exec(text)?.[0] ?? '';
  TAG_END.lastIndex = at + name.length;
  const closed = TAG_END.exec(text);
  if (name !== '' && closed) return { name, end: TAG_END.lastIndex };
  return { skipTo: Math.max(at, at + name.length) };
}
const TAG_NAME = /[^>\s]*/y;
const TAG_END = /\s*>/y;

/** `value` as an own property (a key "__proto__" from the model must not become the object's prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The parameters of one `<function=...>` body: each `<parameter=KEY>` runs to its `</parameter>`, the next
 * `<parameter=` or the end. One forward pass; the next closing tag is searched again only once passed.
 */
function xmlParameters(body: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const findOpen = tagFinder(body, '<parameter=');
  const findClose = tagFinder(body, '</parameter>');
  let closeAt = -2;
  let pos = 0;
  for (;;) {
    const openAt = findOpen(pos);
    if (openAt < 0) break;
    const head = readTagName(body, openAt + '<parameter='.length);
    if ('skipTo' in head) {
      pos = head.skipTo;
      continue;
    }
    if (closeAt !== -1 && closeAt < head.end) closeAt = findClose(head.end);
    const nextOpen = findOpen(head.end);
    let end = body.length;
    if (closeAt >= 0) end = closeAt;
    if (nextOpen >= 0 && nextOpen < end) end = nextOpen;
    pos = end === closeAt ? closeAt + '</parameter>'.length : end;
    // One newline after the opening tag and before the closing one belongs to the format, not the value.
    let raw = body.slice(head.end, end);
    if (raw.startsWith('\n')) raw = raw.slice(1);
    if (raw.endsWith('\n')) raw = raw.slice(0, -1);
    let value: unknown = raw;
    if (!STRING_PARAMS.has(head.name)) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw.trim();
      }
    }
    setOwn(args, head.name, value);
  }
  return args;
}

/**
 * The XML form of a call that newer Qwen models write inside `<tool_call>` (vLLM's qwen3_coder format):
 * `<function=computer_use><parameter=action>left_click</parameter><parameter=coordinate>[500, 300]</parameter></function>`.
 * Values of non-text parameters are read as JSON when they are JSON ("[500, 300]", "-5"), else kept as text.
 * A function runs to its `</function>` or the end.
 */
function xmlFunctionValues(text: string): { values: unknown[] } | { error: string } {
  const values: unknown[] = [];
  const findOpen = tagFinder(text, '<function=');
  const findClose = tagFinder(text, '</function>');
  let closeAt = -2;
  let pos = 0;
  for (;;) {
    const openAt = findOpen(pos);
    if (openAt < 0) break;
    const head = readTagName(text, openAt + '<function='.length);
    if ('skipTo' in head) {
      pos = head.skipTo;
      continue;
    }
    if (closeAt !== -1 && closeAt < head.end) closeAt = findClose(head.end);
    const end = closeAt >= 0 ? closeAt : text.length;
    values.push({ name: head.name, arguments: xmlParameters(text.slice(head.end, end)) });
    pos = closeAt >= 0 ? closeAt + '</function>'.length : text.length;
  }
  return values.length > 0 ? { values } : { error: `is not a <function=...> call: ${snippet(text)}` };
}

/** A JSON object that starts a line, as the [start, end) span of its text, with the line-start objects right inside it. */
interface LineObject {
  start: number;
  end: number;
  inner: Array<{ start: number; end: number }>;
}

/**
 * The JSON objects that start a line (after optional spaces and tabs, so also right after a fence line) and
 * close, outermost first, in order; each with the line-start objects that closed directly inside it. One pass with
 * one bracket stack, so each character is looked at once (scanning again from every nested start was quadratic:
 * `\n{` repeated). An object that never closes, closes with the wrong bracket, or has a raw newline inside a
 * string (which no JSON allows) is dropped, and the objects that closed inside it count on their own.
 */
function lineObjects(text: string): LineObject[] {
  const found: LineObject[] = [];
  // Open brackets of the object being read: the closer each expects, and where a line-start object began (-1 for
  // other brackets).
  const closers: string[] = [];
  const starts: number[] = [];
  let inString = false;
  let lineStart = true;
  const drop = () => {
    closers.length = 0;
    starts.length = 0;
    inString = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\' && text[i + 1] === '\n') i++;
      else if (ch === '\\') {
        i++;
        continue;
      } else if (ch === '"') {
        inString = false;
        continue;
      } else if (ch !== '\n') continue;
      drop();
      lineStart = true;
      continue;
    }
    if (ch === '\n') {
      lineStart = true;
      continue;
    }
    if (ch === ' ' || ch === '\t') continue;
    const atLineStart = lineStart;
    lineStart = false;
    if (closers.length === 0) {
      // Outside any object only a line-start brace matters.
      if (ch === '{' && atLineStart) {
        closers.push('}');
        starts.push(i);
      }
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      closers.push(ch === '{' ? '}' : ']');
      starts.push(ch === '{' && atLineStart ? i : -1);
    } else if (ch === '}' || ch === ']') {
      if (closers.pop() !== ch) {
        drop();
        continue;
      }
      const start = starts.pop() ?? -1;
      if (start < 0) continue;
      // A line-start object closed: the ones that closed inside it become its inner objects.
      let first = found.length;
      while (first > 0 && (found[first - 1]?.start ?? -1) > start) first--;
      const inner = found.splice(first).map(({ start: s, end: e }) => ({ start: s, end: e }));
      found.push({ start, end: i + 1, inner });
    }
  }
  return found;
}

/** The call in a bare JSON object, or undefined when it is not valid JSON or not a call of a known tool. */
function bareCall(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const inner = isPlainObject(value) && isPlainObject(value.function) ? value.function : value;
  if (!isPlainObject(inner) || !(TOOL_NAMES as readonly unknown[]).includes(inner.name)) return undefined;
  if (!('arguments' in inner) && !('parameters' in inner)) return undefined;
  return value;
}

/**
 * Bare call objects standing on their own lines (no `<tool_call>` tags), with a known tool name. An object that
 * is not a call (broken JSON, or a wrapper) is looked into one level: the line-start objects right inside it are
 * tried on their own. Deeper nesting is not looked into, so each character reaches JSON.parse at most twice; and
 * an object in which no tool name is written (as "computer_use", ...) is not handed to JSON.parse at all.
 */
function takeBareCalls(text: string): { values: unknown[]; rest: string } {
  const values: unknown[] = [];
  let rest = '';
  let pos = 0;
  // The next place each tool name is written; objects are tried in order of their start, so each moves forward only.
  const names = TOOL_NAMES.map((name) => ({ literal: JSON.stringify(name), at: -2 }));
  const namesATool = (start: number, end: number): boolean =>
    names.some((name) => {
      if (name.at !== -1 && name.at < start) name.at = text.indexOf(name.literal, start);
      return name.at >= 0 && name.at < end;
    });
  const take = (start: number, end: number): boolean => {
    if (!namesATool(start, end)) return false;
    const value = bareCall(text.slice(start, end));
    if (value === undefined) return false;
    values.push(value);
    rest += text.slice(pos, start) + CALL_MARK;
    pos = end;
    return true;
  };
  for (const object of lineObjects(text)) {
    if (!take(object.start, object.end)) for (const inner of object.inner) take(inner.start, inner.end);
  }
  return { values, rest: rest + text.slice(pos) };
}

/**
 * Reasoning pieces joined once each: a piece equal to an earlier one (a server that sends the reasoning in a field
 * and in the content too) is dropped, and of the two reasoning fields (reasoning == reasoning_content, or one
 * containing the other) only the longer is kept. Containment is checked between the two fields only and the
 * rest by equality, so the work stays linear however many `<think>` blocks there are.
 */
function joinReasoning(fields: string[], inline: string[]): string | null {
  const clean = (raw: string) => raw.replace(/<\/?think>/gi, '').trim();
  const kept: string[] = [];
  for (const piece of fields.map(clean)) {
    if (!piece || kept.some((k) => k.includes(piece))) continue;
    for (let i = kept.length - 1; i >= 0; i--) if (piece.includes(kept[i] ?? '')) kept.splice(i, 1);
    kept.push(piece);
  }
  const seen = new Set(kept);
  for (const piece of inline.map(clean)) {
    if (!piece || seen.has(piece)) continue;
    seen.add(piece);
    kept.push(piece);
  }
  return kept.length > 0 ? kept.join('\n\n') : null;
}

/**
 * A key that is the same for equal values whatever their key order (to count a call once when a server sends it
 * in tool_calls and in the content too). A value nested too deeply to walk gets a key of its own (never equal).
 */
function canonical(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) =>
      isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
    ) ?? 'null';
  } catch {
    return `\u0000unique ${++uniqueKeys}`;
  }
}
let uniqueKeys = 0;

/**
 * The size of a reply as `limits.replyBytes` counts it: UTF-8 bytes of the content, the reasoning (the longer of
 * the two reasoning fields: servers often send the same text in both) and the tool calls' names and arguments.
 */
export function replyBytes(message: RawMessage): number {
  const content = contentText(message.content);
  const reasoning = Math.max(Buffer.byteLength(message.reasoning ?? ''), Buffer.byteLength(message.reasoning_content ?? ''));
  let calls = 0;
  for (const call of message.tool_calls ?? []) {
    const args = call.function?.arguments;
    calls += Buffer.byteLength(call.function?.name ?? '');
    if (typeof args === 'string') calls += Buffer.byteLength(args);
    else if (args) calls += Buffer.byteLength(canonical(args));
  }
  return Buffer.byteLength(content) + reasoning + calls;
}

/** A byte count for a person: "1 MiB", "1.5 MiB", "512 KiB", "300 bytes". */
export function formatBytes(bytes: number): string {
  const units: Array<[number, string]> = [
    [1024 * 1024, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** The error for a reply past `limits.replyBytes`; nothing of such a reply is read. */
function tooLongError(profile: Profile, receivedBytes: number, cutOff: boolean): string {
  const limit = profile.limits.replyBytes;
  const came = cutOff ? `the client stopped reading after ${formatBytes(receivedBytes)}` : `it has ${formatBytes(receivedBytes)}`;
  return (
    `the reply is longer than the limit of ${formatBytes(limit)} (limits.replyBytes of profile "${profile.id}"; ${came}); ` +
    `nothing of it was performed. Reply with a short reasoning and at most ${profile.limits.callsPerReply} tool calls`
  );
}

/**
 * Parse one assistant message. `imageSize` is the size of the image the model was sent (after smart resize);
 * absolute-coordinate profiles (qwen2.5-vl) need it to check the upper bounds of points.
 *
 * Two limits from the profile come first: a reply longer than `limits.replyBytes` (or one the client cut off
 * there) is not read at all, and a reply with more than `limits.callsPerReply` calls yields no call, only the
 * error saying so - nothing of either is performed.
 */
export function parseReply(message: RawMessage, profile: Profile, options: { imageSize?: Size } = {}): ParsedReply {
  if (message.cutOff) {
    return { reasoning: null, text: '', calls: [], errors: [tooLongError(profile, message.cutOff.receivedBytes, true)] };
  }
  const size = replyBytes(message);
  if (size > profile.limits.replyBytes) {
    return { reasoning: null, text: '', calls: [], errors: [tooLongError(profile, size, false)] };
  }
  const errors: string[] = [];
  const split = splitContent(contentText(message.content));
  const thought = takeLeadingThought(split.rest);
  let rest = thought.rest;

  const fieldReasoning = [message.reasoning, message.reasoning_content]
    .filter((r): r is string => typeof r === 'string')
    .map(stripSpecialTokens);
  const callInReasoning = split.callInReasoning || fieldReasoning.some((r) => /<tool_call>/i.test(r));
  const reasoning = joinReasoning(fieldReasoning, [...split.reasoning, ...(thought.reasoning ? [thought.reasoning] : [])]);

  // Calls the server already parsed (hermes tool parser, Ollama, DashScope).
  const candidates: Candidate[] = [];
  const serverCalls = message.tool_calls ?? [];
  for (const call of serverCalls) {
    const decoded = decodeArguments(call.function?.arguments);
    candidates.push('error' in decoded ? decoded : { id: call.id, name: call.function?.name, args: decoded.args });
  }

  // Calls written in the content.
  const contentCandidates: Candidate[] = [];
  for (const block of split.blocks) {
    const found = blockValues(block.body);
    if ('error' in found) {
      const what = `(<tool_call> block${block.closed ? '' : ' without a closing tag'}) ${found.error}`;
      contentCandidates.push({ error: ` ${what}` });
    } else contentCandidates.push(...found.values.map(candidateFromObject));
  }
  if (serverCalls.length === 0 && split.blocks.length === 0) {
    const bare = takeBareCalls(rest);
    rest = bare.rest;
    contentCandidates.push(...bare.values.map(candidateFromObject));
  }

  // Some servers parse the calls and leave their text in the content too: count each call once.
  if (serverCalls.length > 0) {
    const seen = candidates.map((c) => ('error' in c ? '' : `${String(c.name)}|${canonical(c.args)}`));
    for (const c of contentCandidates) {
      const key = 'error' in c ? undefined : `${String(c.name)}|${canonical(c.args)}`;
      const at = key === undefined ? -1 : seen.indexOf(key);
      if (at >= 0) seen[at] = '';
      else candidates.push(c);
    }
  } else candidates.push(...contentCandidates);

  const calls: ParsedCall[] = [];
  const cap = profile.limits.callsPerReply;
  if (candidates.length > cap) {
    errors.push(
      `the reply has ${candidates.length} tool calls, more than the limit of ${cap} per reply (limits.callsPerReply of profile "${profile.id}"); ` +
        `nothing of it was performed. Send at most ${cap} calls, then look at the next screenshot`,
    );
    candidates.length = 0;
  }
  candidates.forEach((candidate, i) => {
    const where = `tool call ${i + 1}`;
    if ('error' in candidate) {
      errors.push(where + candidate.error);
      return;
    }
    const checked = checkCall(where, candidate.name, candidate.args, profile, options.imageSize);
    if (!checked.ok) {
      errors.push(checked.error);
      return;
    }
    calls.push({ id: candidate.id ?? `call_${i}`, name: checked.name, arguments: checked.arguments });
  });

  const text = finishText(rest);
  if (candidates.length === 0 && errors.length === 0) {
    const foreign = detectForeignFormat(text);
    if (foreign) errors.push(foreign);
    else if (callInReasoning) {
      errors.push('no action: a <tool_call> appears only inside the reasoning, and calls there are never executed; the call must come after the reasoning');
    } else if (/"name"\s*:\s*"(?:computer_use|mobile_use|image_zoom_in_tool)"/.test(text)) {
      errors.push('no action: the text contains what looks like a tool call, but not as valid JSON inside <tool_call></tool_call>');
    }
  }
  return { reasoning, text, calls, errors };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a reply from outside (stdin, files, logs).

/** The input could not be turned into a message (an error body, an empty choices list, a wrong shape). */
export class ReplyInputError extends Error {
  override name = 'ReplyInputError';
}

const ContentSchema = z.union([
  z.string(),
  z.null(),
  z.array(z.looseObject({ type: z.string().optional(), text: z.string().optional() })),
]);
const RawToolCallSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  index: z.number().optional(),
  function: z.looseObject({
    name: z.string().optional(),
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  }),
});
const RawMessageSchema = z.looseObject({
  content: ContentSchema.optional(),
  reasoning: z.string().nullable().optional(),
  reasoning_content: z.string().nullable().optional(),
  thinking: z.string().nullable().optional(),
  tool_calls: z.array(RawToolCallSchema).nullable().optional(),
  cutOff: z.object({ receivedBytes: z.number().int().nonnegative() }).nullable().optional(),
});

const MESSAGE_KEYS = ['role', 'content', 'tool_calls', 'reasoning', 'reasoning_content', 'thinking', 'cutOff'];

function toMessage(value: unknown, where: string): RawMessage {
  const result = RawMessageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    throw new ReplyInputError(`${where}${path ? `.${path}` : ''}: ${issue?.message ?? 'not a message object'}`);
  }
  const m = result.data;
  const message: RawMessage = { content: m.content ?? null };
  if (m.reasoning != null) message.reasoning = m.reasoning;
  // Ollama's native API calls the reasoning "thinking".
  else if (m.thinking != null) message.reasoning = m.thinking;
  if (m.reasoning_content != null) message.reasoning_content = m.reasoning_content;
  if (m.tool_calls) message.tool_calls = m.tool_calls;
  if (m.cutOff) message.cutOff = m.cutOff;
  return message;
}

/** OpenAI Responses API output items -> one message. */
function fromResponsesOutput(output: unknown[]): RawMessage {
  let content = '';
  const reasoning: string[] = [];
  const toolCalls: RawToolCall[] = [];
  for (const item of output) {
    if (!isPlainObject(item)) continue;
    const parts = [...(Array.isArray(item.content) ? item.content : []), ...(Array.isArray(item.summary) ? item.summary : [])];
    const texts = parts.filter(isPlainObject).map((p) => (typeof p.text === 'string' ? p.text : ''));
    if (item.type === 'message') content += texts.join('');
    else if (item.type === 'reasoning') reasoning.push(texts.join(''));
    else if (item.type === 'function_call') {
      const args = item.arguments;
      toolCalls.push({
        ...(typeof item.call_id === 'string' ? { id: item.call_id } : {}),
        function: {
          ...(typeof item.name === 'string' ? { name: item.name } : {}),
          ...(typeof args === 'string' || isPlainObject(args) ? { arguments: args } : {}),
        },
      });
    }
  }
  return { content, reasoning: reasoning.join('\n\n') || null, tool_calls: toolCalls };
}

/** Midscene logs keep the raw reply JSON-encoded, with < and > replaced by markers. */
function fromMidsceneLog(raw: string): RawMessage {
  let text = raw;
  try {
    const decoded: unknown = JSON.parse(raw);
    if (typeof decoded === 'string') text = decoded;
  } catch {
    // not double-encoded: use as it is
  }
  return { content: text.replaceAll('__midscene_lt__', '<').replaceAll('__midscene_gt__', '>') };
}

/**
 * Turn what a user pastes into one message: raw content text; a chat.completion (or a streaming chunk, or a
 * legacy completion with `text`); a bare message object; Ollama's native `{message: ...}`; DashScope's native
 * `{output: {choices: ...}}`; an OpenAI Responses object; a Midscene log `{rawResponse: ...}`. JSON that is
 * none of these (a model that answered in JSON) is raw content. Throws ReplyInputError for a server error body
 * or a completion without choices.
 */
export function readReplyInput(input: string): RawMessage {
  const trimmed = input.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('"')) return { content: input };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { content: input };
  }
  if (typeof value === 'string') return { content: value };
  if (!isPlainObject(value)) return { content: input };

  if (isPlainObject(value.error) || value.object === 'error') {
    const body = isPlainObject(value.error) ? value.error : value;
    throw new ReplyInputError(`the input is an error response, not a reply: ${show(body.message ?? body, 200)}`);
  }
  const choicesHolder = isPlainObject(value.output) && Array.isArray(value.output.choices) ? value.output : value;
  if (Array.isArray(choicesHolder.choices)) {
    const where = choicesHolder === value ? 'choices[0]' : 'output.choices[0]';
    const choice: unknown = choicesHolder.choices[0];
    if (!isPlainObject(choice)) throw new ReplyInputError(`the completion has no choices (${where} is missing)`);
    if (isPlainObject(choice.message)) return toMessage(choice.message, `${where}.message`);
    if (isPlainObject(choice.delta)) return toMessage(choice.delta, `${where}.delta`);
    if (typeof choice.text === 'string') return { content: choice.text };
    throw new ReplyInputError(`${where} has no message, delta or text`);
  }
  if (Array.isArray(value.output)) return fromResponsesOutput(value.output);
  if (isPlainObject(value.message)) return toMessage(value.message, 'message');
  if (typeof value.rawResponse === 'string') return fromMidsceneLog(value.rawResponse);
  if (MESSAGE_KEYS.some((k) => k in value) && (value.role === 'assistant' || !('action' in value))) {
    return toMessage(value, 'message');
  }
  return { content: input };
}
