/**
 * Splitting a model's content text into reasoning, `<tool_call>` bodies and the remaining visible text.
 * Pure string work: nothing here interprets what a call means (parse-args.ts does) and nothing is evaluated.
 *
 * Everything here is linear in the text (the text is model-controlled, and the engine must never block on it):
 * each search moves forward only, a search whose answer is still valid is not repeated, and no regex has two
 * quantifiers that can both take the same characters (the shape that backtracks super-linearly).
 */

/** Special tokens that leak into content when a server runs with skip_special_tokens=false. */
const SPECIAL_TOKENS = /<\|(?:im_end|im_start|endoftext)\|>(?:assistant\b)?/g;

/** Stands in for a removed `<tool_call>` block so later steps can see where one was. Never in model text. */
export const CALL_MARK = '\u0000';

export interface ToolCallBlock {
  /** The text between the tags (or to where an unclosed block's JSON ends). */
  body: string;
  /** False when the closing `</tool_call>` was missing. */
  closed: boolean;
}

export interface SplitContent {
  /** Reasoning pieces found inline, in order of appearance. */
  reasoning: string[];
  /** `<tool_call>` blocks outside the reasoning, in order. */
  blocks: ToolCallBlock[];
  /** Whether a `<tool_call>` appeared inside inline reasoning (never executed). */
  callInReasoning: boolean;
  /** The content with reasoning removed and each block replaced by CALL_MARK. */
  rest: string;
}

export function stripSpecialTokens(text: string): string {
  return text.replace(SPECIAL_TOKENS, '');
}

/**
 * Case-insensitive search for a fixed tag from a position, in the text's own indices. (A lowercased copy would do
 * too, but its length can differ from the text's - "İ" lowercases to two code units - and shift every index.)
 */
export function tagFinder(text: string, tag: string): (from: number) => number {
  const re = new RegExp(tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  return (from) => {
    re.lastIndex = from;
    // test() rather than exec(): no match array to allocate, and a reply can hold a hundred thousand tags.
    return re.test(text) ? re.lastIndex - tag.length : -1;
  };
}

/**
 * Take `<tag>...</tag>` blocks out of `text`. A closing tag with no opening tag before it (Qwen3 Thinking
 * templates put `<think>` in the prompt, so the output starts inside the block) makes everything before it a
 * block; an opening tag that is never closed runs to the end (a reply cut off while reasoning).
 */
function takeTagged(text: string, tag: string): { pieces: string[]; rest: string } {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const findOpen = tagFinder(text, open);
  const findClose = tagFinder(text, close);
  const pieces: string[] = [];
  let rest = '';
  let pos = 0;
  const firstClose = findClose(0);
  const firstOpen = findOpen(0);
  if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen)) {
    pieces.push(text.slice(0, firstClose));
    pos = firstClose + close.length;
  }
  for (;;) {
    const start = findOpen(pos);
    if (start < 0) break;
    rest += text.slice(pos, start);
    const end = findClose(start + open.length);
    if (end < 0) {
      pieces.push(text.slice(start + open.length));
      pos = text.length;
      break;
    }
    pieces.push(text.slice(start + open.length, end));
    pos = end + close.length;
  }
  rest += text.slice(pos);
  return { pieces, rest };
}

/**
 * Index just past the JSON object or array that starts at `start` (which must be `{` or `[`), or -1 when it is
 * not closed. Brackets inside strings are skipped; whether the inside is valid JSON is JSON.parse's job.
 */
export function scanJsonEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

const FENCE_LINE = /^[ \t]*```[\w-]*[ \t]*$/gm;

/** Remove Markdown code-fence lines (```json ... ```), keeping what they enclosed. */
export function stripFences(text: string): string {
  return text.replace(FENCE_LINE, '');
}

/**
 * For a block whose `</tool_call>` never came: the leading JSON value(s) are the call; whatever follows them
 * (prose the model went on with) is visible text again. If the JSON itself is cut off, the whole remainder is
 * the body and JSON.parse will say what is wrong with it.
 */
function splitUnclosed(segment: string): { body: string; after: string } {
  const unfenced = segment.replace(/^\s*```[\w-]*[ \t]*\n/, '');
  let pos = 0;
  let end = -1;
  for (;;) {
    while (pos < unfenced.length && /\s/.test(unfenced[pos] ?? '')) pos++;
    const ch = unfenced[pos];
    if (ch !== '{' && ch !== '[') break;
    const next = scanJsonEnd(unfenced, pos);
    if (next < 0) return { body: segment, after: '' };
    end = next;
    pos = next;
  }
  if (end < 0) return { body: segment, after: '' };
  const after = unfenced.slice(end).replace(/^\s*```[ \t]*(?=\n|$)/, '');
  return { body: unfenced.slice(0, end), after };
}

/**
 * Find the `<tool_call>` blocks. A block ends at its `</tool_call>`; when that is missing it ends at the next
 * `<tool_call>` or at the end of the text (a missing final closing tag is common in real replies).
 */
function takeToolCalls(text: string): { blocks: ToolCallBlock[]; rest: string } {
  const findOpen = tagFinder(text, '<tool_call>');
  const findClose = tagFinder(text, '</tool_call>');
  const blocks: ToolCallBlock[] = [];
  let rest = '';
  let pos = 0;
  // The first closing tag at or after the current block, kept while it is still ahead: searching again from
  // every opening tag would rescan the same text once per tag (quadratic with many unclosed blocks).
  let closeAt = -2;
  for (;;) {
    const openAt = findOpen(pos);
    if (openAt < 0) break;
    rest += text.slice(pos, openAt) + CALL_MARK;
    const bodyStart = openAt + '<tool_call>'.length;
    if (closeAt !== -1 && closeAt < bodyStart) closeAt = findClose(bodyStart);
    const nextOpen = findOpen(bodyStart);
    if (closeAt >= 0 && (nextOpen < 0 || closeAt < nextOpen)) {
      blocks.push({ body: text.slice(bodyStart, closeAt), closed: true });
      pos = closeAt + '</tool_call>'.length;
    } else {
      const segmentEnd = nextOpen >= 0 ? nextOpen : text.length;
      const { body, after } = splitUnclosed(text.slice(bodyStart, segmentEnd));
      blocks.push({ body, closed: false });
      rest += after;
      pos = segmentEnd;
    }
  }
  rest += text.slice(pos);
  // A stray closing tag with no opening one says nothing on its own; drop it from the visible text.
  return { blocks, rest: rest.replace(/<\/tool_call>/gi, '') };
}

const LABEL = /^[ \t]*(?:#+[ \t]*)?(?:\*\*)?(thoughts?|observation|reasoning|action|summary|conclusion)(?:\*\*)?[ \t]*[:：](?:\*\*)?/i;

/**
 * A leading "Thought: ..." block (the Thought/Action layout of Qwen's mobile cookbook, OSWorld-style prompts and
 * UI-TARS): the lines from a leading Thought or Observation label up to the first Action/Summary label, the first
 * tool call (tagged, fenced or a JSON line), or the end. Returns the reasoning (first label removed) and the text that remains.
 */
export function takeLeadingThought(text: string): { reasoning: string | null; rest: string } {
  const leading = /^\s*/.exec(text)?.[0] ?? '';
  const body = text.slice(leading.length);
  const first = LABEL.exec(body);
  if (!first) return { reasoning: null, rest: text };
  const label = (first[1] ?? '').toLowerCase();
  if (!label.startsWith('thought') && label !== 'observation' && label !== 'reasoning') {
    return { reasoning: null, rest: text };
  }
  let length = 0;
  for (const [i, line] of body.split('\n').entries()) {
    const l = (LABEL.exec(line)?.[1] ?? '').toLowerCase();
    if (i > 0 && (l === 'action' || l === 'summary' || l === 'conclusion')) break;
    // A call written without tags (a JSON line, or a fenced block) is not part of the thought.
    if (i > 0 && /^[ \t]*(?:\{|```)/.test(line)) break;
    const mark = line.indexOf(CALL_MARK);
    if (mark >= 0) {
      length += mark;
      break;
    }
    length += line.length + 1;
  }
  const block = body.slice(0, Math.min(length, body.length));
  // "Thought:" only labels the block; an Observation/Reasoning-first block keeps its labels as written.
  const reasoning = (label.startsWith('thought') ? block.slice(first[0].length) : block).trim();
  return { reasoning: reasoning || null, rest: body.slice(block.length) };
}

/**
 * Split content text: inline reasoning (`...</think>` with or without `<think>`, `<thinking>`, `<thought>`) is
 * taken out first, so a `<tool_call>` inside it is never seen as a call; then the `<tool_call>` blocks.
 */
export function splitContent(content: string): SplitContent {
  let text = stripSpecialTokens(content);
  const reasoning: string[] = [];
  for (const tag of ['think', 'thinking', 'thought']) {
    const { pieces, rest } = takeTagged(text, tag);
    reasoning.push(...pieces);
    text = rest;
  }
  const callInReasoning = reasoning.some((r) => /<tool_call>/i.test(r));
  const { blocks, rest } = takeToolCalls(text);
  return { reasoning: reasoning.map((r) => r.trim()).filter((r) => r.length > 0), blocks, callInReasoning, rest };
}

/** Index just past a run of whitespace (JavaScript's \s) starting at `from`. */
function skipSpace(text: string, from: number): number {
  SPACE_RUN.lastIndex = from;
  SPACE_RUN.exec(text);
  return SPACE_RUN.lastIndex;
}
const SPACE_RUN = /\s*/y;
const OPENING_FENCE = /[ \t]*```[\w-]*[ \t]*\n/y;
const CLOSING_FENCE = /[ \t]*```[ \t]*(?=[\n\r\u2028\u2029]|$)/y;
const LINE_BREAK = /[\n\r\u2028\u2029]/g;

/** The first line start at or after `at` (where ^ matches in a multiline regex), or -1. */
function lineStartFrom(text: string, at: number): number {
  if (at > text.length) return -1;
  if (at === 0 || '\n\r\u2028\u2029'.includes(text[at - 1] ?? 'x')) return at;
  LINE_BREAK.lastIndex = at;
  const found = LINE_BREAK.exec(text);
  return found ? found.index + 1 : -1;
}

/**
 * Remove fence pairs with only blank lines between them (what is left of ```json ... ``` once the call inside
 * was taken out): from the opening fence line through the closing fence; the line break after it stays.
 *
 * Hand-written because the one-regex form (an opening fence line, lazily any blank lines, a closing fence)
 * backtracks exponentially over blank lines that no closing fence follows. Here each opening fence looks once at
 * the whitespace after it: a closing fence can only start right after that run's last newline.
 */
function removeEmptyFences(text: string): string {
  if (!text.includes('```')) return text;
  let out = '';
  let copied = 0;
  let at = 0;
  for (;;) {
    const lineStart = lineStartFrom(text, at);
    if (lineStart < 0) break;
    OPENING_FENCE.lastIndex = lineStart;
    if (!OPENING_FENCE.test(text)) {
      at = lineStart + 1;
      continue;
    }
    const inside = OPENING_FENCE.lastIndex;
    const closingAt = text.lastIndexOf('\n', skipSpace(text, inside) - 1) + 1;
    CLOSING_FENCE.lastIndex = closingAt;
    if (CLOSING_FENCE.test(text)) {
      out += text.slice(copied, lineStart);
      copied = CLOSING_FENCE.lastIndex;
      at = copied;
    } else at = inside;
  }
  return out + text.slice(copied);
}

/** The visible text: markers and fences that only wrapped calls removed, blank-line runs collapsed, trimmed. */
export function finishText(rest: string): string {
  return (
    removeEmptyFences(rest.split(CALL_MARK).join(''))
      // Spaces and tabs at a line end go; a run not followed by a newline is consumed whole, so it is read once.
      .replace(/[ \t]+(\n)?/g, (run, newline: string | undefined) => (newline ? '\n' : run))
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
