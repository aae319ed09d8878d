/**
 * Assembling a streamed (or whole) chat-completion reply into the raw message the parser reads, and into the
 * events the loop shows as they arrive - without HTTP, so it is tested on its own (test/model/reply-assembly.test.ts).
 *
 * - reasoning may come in `reasoning`, `reasoning_content` (both during vLLM's rename: shown once) or inline before
 *   `</think>` in the content (think-splitter.ts); the message keeps the raw content for the parser;
 * - tool-call fragments are joined per index; a fragment without an index continues the latest call;
 * - the profile's `limits.replyBytes`: past it nothing more is shown, each field keeps only its start, and the
 *   message is marked `cutOff` (the client then stops reading and closes the request);
 * - every delta costs time proportional to its own size (no rescans of what came before).
 */
import { z } from 'zod';
import type { ServerMode } from './prompt';
import { InlineThinkSplitter } from './think-splitter';

/**
 * The assembled assistant message, in the chat-completion shape: assignable to parse.ts's (looser) RawMessage,
 * with every field filled. `reasoning` / `reasoning_content` hold what came in those fields, each as the server sent it.
 */
// Type aliases, not interfaces, so they stay assignable to Record<string, unknown> (run records store them).
export type RawToolCall = {
  id: string;
  type: 'function';
  index: number;
  function: { name: string; arguments: string };
};
export type RawMessage = {
  content: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls: RawToolCall[];
  /** The reply passed `limits.replyBytes` and was not read to its end: the fields hold only its start. */
  cutOff?: { receivedBytes: number };
};

/** How much of each field a cut-off message keeps: enough to show the model what it wrote, small in the history. */
export const CUT_OFF_KEEP_CHARS = 2000;

export type Usage = {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prefix-cache hits, when the server reports them. */
  cachedTokens?: number;
};

export type ModelEvent =
  | { type: 'reasoning'; delta: string }
  | { type: 'content'; delta: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'retry'; attempt: number; delayMs: number; error: string }
  | { type: 'mode'; mode: ServerMode; reason: string }
  /** Something a person should know about the endpoint (e.g. `/v1` was added to the URL); sent once per client. */
  | { type: 'note'; message: string }
  | {
      type: 'done';
      message: RawMessage;
      finishReason: string | null;
      usage?: Usage;
      mode: ServerMode;
      latencyMs: number;
    };

export type DoneEvent = Extract<ModelEvent, { type: 'done' }>;

// ------------------------------------------------------------------------------------------------ wire schemas

const ToolCallDeltaSchema = z.looseObject({
  index: z.number().int().nullish(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z
    .looseObject({ name: z.string().nullish(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish() })
    .nullish(),
});
const UsageSchema = z
  .looseObject({
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    total_tokens: z.number(),
    prompt_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  })
  .nullish();
export const DeltaSchema = z.looseObject({
  content: z.string().nullish(),
  reasoning: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  tool_calls: z.array(ToolCallDeltaSchema).nullish(),
});
export const ChunkSchema = z.looseObject({
  choices: z
    .array(z.looseObject({ index: z.number().nullish(), delta: DeltaSchema.nullish(), finish_reason: z.string().nullish() }))
    .nullish(),
  usage: UsageSchema,
});
export const CompletionSchema = z.looseObject({
  choices: z.array(z.looseObject({ message: DeltaSchema, finish_reason: z.string().nullish() })).min(1),
  usage: UsageSchema,
});

export function toUsage(u: z.infer<typeof UsageSchema>): Usage | undefined {
  if (!u) return undefined;
  const usage: Usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') usage.cachedTokens = cached;
  return usage;
}

export type Delta = z.infer<typeof DeltaSchema>;

/** One reply being assembled: push each delta, then end() and message(). */
export class ReplyAssembler {
  private readonly splitter: InlineThinkSplitter;
  private content = '';
  private reasoning: string | undefined;
  private reasoningContent: string | undefined;
  private readonly calls = new Map<number, RawToolCall>();
  /** A streamed tool-call delta without an index continues the latest call. */
  private latestCall = 0;
  private sawContent = false;
  private receivedBytes = 0;
  private cut = false;

  constructor(
    thinking: boolean,
    private readonly replyBytes: number,
  ) {
    this.splitter = new InlineThinkSplitter(thinking);
  }

  /** The reply passed the byte limit: stop reading it. */
  get cutOff(): boolean {
    return this.cut;
  }

  /** One delta (`whole`: the single message of a non-streamed reply, whose calls are indexed by position). */
  push(delta: Delta, whole: boolean): ModelEvent[] {
    const events: ModelEvent[] = [];
    const r = delta.reasoning ?? undefined;
    const rc = delta.reasoning_content ?? undefined;
    // Counted as the parser counts a whole reply (parse.ts replyBytes): reasoning once, content, call text.
    this.receivedBytes += Buffer.byteLength(r || rc || '') + Buffer.byteLength(delta.content ?? '');
    for (const tc of delta.tool_calls ?? []) {
      const args = tc.function?.arguments;
      this.receivedBytes += Buffer.byteLength(tc.function?.name ?? '');
      this.receivedBytes += typeof args === 'string' ? Buffer.byteLength(args) : args ? Buffer.byteLength(JSON.stringify(args)) : 0;
    }
    if (this.receivedBytes > this.replyBytes) {
      // Past the limit nothing more is shown, and only the start of each field is kept (a reply sent whole
      // crosses the limit in its one delta): the loop gets a cut-off message, the model an error.
      this.cut = true;
      const head = (kept: string | undefined, more: string | undefined) =>
        more && (kept ?? '').length < CUT_OFF_KEEP_CHARS ? (kept ?? '') + more.slice(0, CUT_OFF_KEEP_CHARS - (kept ?? '').length) : kept;
      this.content = head(this.content, delta.content ?? undefined) ?? '';
      this.reasoning = head(this.reasoning, r);
      this.reasoningContent = head(this.reasoningContent, rc);
      return events;
    }
    if (r) this.reasoning = (this.reasoning ?? '') + r;
    if (rc) this.reasoningContent = (this.reasoningContent ?? '') + rc;
    // Both fields carry the same text during vLLM's rename: show it once.
    const shown = r || rc;
    if (shown) {
      if (!this.sawContent) this.splitter.passThrough();
      events.push({ type: 'reasoning', delta: shown });
    }
    if (delta.content) {
      if (!this.sawContent && (this.reasoning || this.reasoningContent)) this.splitter.passThrough();
      this.sawContent = true;
      this.content += delta.content;
      events.push(...this.splitter.push(delta.content));
    }
    (delta.tool_calls ?? []).forEach((tc, position) => {
      const index = tc.index ?? (whole ? position : this.latestCall);
      this.latestCall = Math.max(this.latestCall, index);
      const args = tc.function?.arguments;
      const argumentsDelta = typeof args === 'string' ? args : args ? JSON.stringify(args) : '';
      const call = this.calls.get(index) ?? { id: '', type: 'function' as const, index, function: { name: '', arguments: '' } };
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.function.name += tc.function.name;
      call.function.arguments += argumentsDelta;
      this.calls.set(index, call);
      const event: ModelEvent = { type: 'tool_call', index, argumentsDelta };
      if (tc.id) event.id = tc.id;
      if (tc.function?.name) event.name = tc.function.name;
      events.push(event);
    });
    return events;
  }

  /** The reply ended: what the inline splitter still held back (nothing after a cut-off). */
  end(): ModelEvent[] {
    return this.cut ? [] : this.splitter.end();
  }

  /** The assembled message (a cut-off one keeps only the start of each field, and no calls). */
  message(): RawMessage {
    const cutOff = this.cut;
    const message: RawMessage = cutOff
      ? {
          content: this.content === '' ? null : this.content.slice(0, CUT_OFF_KEEP_CHARS),
          tool_calls: [],
          cutOff: { receivedBytes: this.receivedBytes },
        }
      : { content: this.content === '' ? null : this.content, tool_calls: [...this.calls.values()].sort((a, b) => a.index - b.index) };
    const keep = (text: string) => (cutOff ? text.slice(0, CUT_OFF_KEEP_CHARS) : text);
    if (this.reasoning !== undefined) message.reasoning = keep(this.reasoning);
    if (this.reasoningContent !== undefined) message.reasoning_content = keep(this.reasoningContent);
    return message;
  }
}
