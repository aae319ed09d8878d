/**
 * The model client: one chat-completion request to an OpenAI-compatible server (vLLM, SGLang, Ollama, ...),
 * streamed as typed events - reasoning, content and tool-call fragments - and assembled into the raw message the
 * parser reads.
 *
 * What it takes care of:
 * - the base URL (a missing `/v1` is found and said, see endpoint.ts);
 * - the server mode: `tools` sent natively, or the Nous block in the prompt when the server has no tool parser
 *   (found from vLLM's "auto tool choice requires ..." 400, then remembered);
 * - cancel through an AbortSignal at any point, an idle timeout, and retries with backoff on connection errors,
 *   5xx and 429 only (Retry-After honoured), never once the reply has started to stream (that would repeat text);
 * - reasoning that arrives inline before `</think>`: split out live, so it can be shown as it streams; the final
 *   message keeps the raw content for the parser;
 * - the profile's `limits.replyBytes`: past it the client stops reading and closes the request (so the server
 *   stops generating), and the message it hands on is marked `cutOff`, which the parser reports to the model.
 *
 * Every delta is handled in time proportional to its own size (no rescans of what came before), so a long or
 * hostile stream never blocks the event loop and a stop takes effect at the next chunk.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import type { Profile } from './profiles';
import type { FunctionTool } from './tools';
import { buildChatRequest, type ServerMode, type Turn } from './prompt';
import { resolveBaseUrl, type ResolvedBase } from './endpoint-url';
import { connectionCause, isNoToolParserError, serverErrorMessage } from './server-errors';
import { errorMessage, isAbort } from '../base/errors';
import { sleep } from '../base/sleep';

export type { ServerMode };

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

export interface ModelClientOptions {
  /** `http://host:8000`, `.../v1`, `.../v1/` or `.../v1/chat/completions`. */
  endpoint: string;
  model: string;
  apiKey?: string;
  /** Longest wait for the first byte and between two streamed chunks (default 120 s). */
  timeoutMs?: number;
  /** Retries on connection errors, 5xx and 429 (default 2). */
  maxRetries?: number;
  /** First backoff delay; doubles each retry, capped at 8 s (default 500 ms). */
  retryDelayMs?: number;
  /** `auto` (default): native tools, falling back to prompt tools when the server refuses them. */
  mode?: 'auto' | ServerMode;
  /** Stream the reply (default true). Off: one non-streamed request, events emitted when it arrives. */
  streaming?: boolean;
}

export interface ModelRequest {
  profile: Profile;
  system?: string;
  turns: Turn[];
  tools: FunctionTool[];
  signal?: AbortSignal;
  /** Extra request fields (vLLM: mm_processor_kwargs, chat_template_kwargs, ...). */
  extraBody?: Record<string, unknown>;
}

export type ModelErrorKind = 'connection' | 'timeout' | 'http' | 'aborted' | 'protocol';

export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly details: { status?: number; serverMessage?: string; retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
  get status(): number | undefined {
    return this.details.status;
  }
  get retryable(): boolean {
    return this.details.retryable ?? false;
  }
}

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
const DeltaSchema = z.looseObject({
  content: z.string().nullish(),
  reasoning: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  tool_calls: z.array(ToolCallDeltaSchema).nullish(),
});
const ChunkSchema = z.looseObject({
  choices: z
    .array(z.looseObject({ index: z.number().nullish(), delta: DeltaSchema.nullish(), finish_reason: z.string().nullish() }))
    .nullish(),
  usage: UsageSchema,
});
const CompletionSchema = z.looseObject({
  choices: z.array(z.looseObject({ message: DeltaSchema, finish_reason: z.string().nullish() })).min(1),
  usage: UsageSchema,
});

function toUsage(u: z.infer<typeof UsageSchema>): Usage | undefined {
  if (!u) return undefined;
  const usage: Usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') usage.cachedTokens = cached;
  return usage;
}

// ---------------------------------------------------------------------------------------- inline </think> split

const OPEN = '<think>';
const CLOSE = '</think>';

/** Length of the longest tail of `text` that is a start of `tag` (it may be completed by the next chunk). */
function partialTail(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (tag.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/**
 * Splits content that carries reasoning inline (no reasoning parser on the server): everything before `</think>`
 * is reasoning. Thinking templates open `<think>` in the prompt, so the reply usually has only the closing tag.
 */
export class InlineThinkSplitter {
  private state: 'undecided' | 'reasoning' | 'content';
  private buffer = '';
  private afterClose = false;
  /**
   * While undecided: the buffer from its first non-space character on (a few characters: the split is decided by
   * then). Kept apart so each chunk is looked at once - trimming or searching the growing buffer itself would
   * flatten and rescan it on every chunk, quadratic over a long run of blank lines.
   */
  private lead = '';

  constructor(thinking: boolean) {
    // A thinking profile starts in reasoning; others only when the reply opens with <think>.
    this.state = thinking ? 'reasoning' : 'undecided';
  }

  /** The split is off: everything is content (the server sent reasoning in its own field). */
  passThrough(): void {
    if (this.buffer === '' && this.state !== 'content') this.state = 'content';
  }

  get started(): boolean {
    return this.buffer !== '' || this.afterClose || this.state === 'content';
  }

  push(text: string): ModelEvent[] {
    const events: ModelEvent[] = [];
    this.buffer += text;
    if (this.state === 'undecided') this.lead += this.lead === '' ? text.trimStart() : text;
    for (;;) {
      if (this.state === 'undecided') {
        const lead = this.lead;
        if (lead.startsWith(OPEN)) {
          this.buffer = lead.slice(OPEN.length).replace(/^\n/, '');
          this.state = 'reasoning';
          continue;
        }
        if (lead === '' || OPEN.startsWith(lead)) return events; // could still become <think>
        this.state = 'content';
        continue;
      }
      if (this.state === 'reasoning') {
        const close = this.buffer.indexOf(CLOSE);
        if (close >= 0) {
          const reasoning = this.buffer.slice(0, close).replace(/\n$/, '');
          if (reasoning !== '') events.push({ type: 'reasoning', delta: reasoning });
          this.buffer = this.buffer.slice(close + CLOSE.length);
          this.state = 'content';
          this.afterClose = true;
          continue;
        }
        // Hold back a possible "</thi", and the newline before it (it belongs to the tag, not the reasoning).
        let keep = partialTail(this.buffer, CLOSE);
        if (this.buffer.charAt(this.buffer.length - keep - 1) === '\n') keep += 1;
        const out = this.buffer.slice(0, this.buffer.length - keep);
        if (out !== '') events.push({ type: 'reasoning', delta: out });
        this.buffer = this.buffer.slice(out.length);
        return events;
      }
      // content
      if (this.afterClose) {
        // The blank lines after </think> are layout, not text.
        this.buffer = this.buffer.replace(/^\n+/, '');
        if (this.buffer === '') return events;
        this.afterClose = false;
      }
      if (this.buffer !== '') events.push({ type: 'content', delta: this.buffer });
      this.buffer = '';
      return events;
    }
  }

  end(): ModelEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    if (rest === '') return [];
    if (this.state === 'reasoning') return [{ type: 'reasoning', delta: rest }];
    if (this.state === 'content' && this.afterClose) return rest.trim() === '' ? [] : [{ type: 'content', delta: rest }];
    return [{ type: 'content', delta: rest }];
  }
}

// ------------------------------------------------------------------------------------------------------ helpers

/** Retry-After (seconds or an HTTP date) and the non-standard retry-after-ms, in milliseconds. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The SDK keeps only the `error` member of an error body, so the flat bodies of older vLLM and SGLang
 * (`{"object":"error","message":...}`) and FastAPI's `{"detail":...}` would lose their message. Rewrap those in
 * the `{"error": {...}}` shape before the SDK reads them.
 */
async function fetchWithErrorBodies(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (response.ok) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const flat = body && typeof body === 'object' && !('error' in body) ? (body as Record<string, unknown>) : undefined;
  const message = flat ? serverErrorMessage(flat) : body === undefined && text.trim() !== '' ? text.trim().slice(0, 500) : undefined;
  const rewritten = message !== undefined ? JSON.stringify({ error: { ...flat, message } }) : text;
  return new Response(rewritten, { status: response.status, statusText: response.statusText, headers: response.headers });
}

// -------------------------------------------------------------------------------------------------------- client

export class ModelClient {
  /** Things a person should know (e.g. `/v1` was added to the URL); each is also streamed once as a `note` event. */
  readonly notes: string[] = [];
  private notesSent = 0;
  private readonly options: Required<Omit<ModelClientOptions, 'apiKey'>> & { apiKey?: string };
  private base?: Promise<ResolvedBase>;
  private detected?: ServerMode;
  private sdk?: OpenAI;

  constructor(options: ModelClientOptions) {
    if (!options.model) throw new Error('the model name is required (the name the server serves)');
    this.options = {
      timeoutMs: 120_000,
      maxRetries: 2,
      retryDelayMs: 500,
      mode: 'auto',
      streaming: true,
      ...options,
    };
  }

  /** The mode in use: the configured one, or what `auto` found (undefined before the first reply). */
  get mode(): ServerMode | undefined {
    return this.options.mode === 'auto' ? this.detected : this.options.mode;
  }

  /** The resolved base URL (with `/v1` added when the server answers only there). */
  async baseUrl(signal?: AbortSignal): Promise<string> {
    if (!this.base) {
      this.base = resolveBaseUrl(this.options.endpoint, {
        apiKey: this.options.apiKey,
        timeoutMs: Math.min(this.options.timeoutMs, 10_000),
        signal,
      }).then((resolved) => {
        if (resolved.note) this.notes.push(resolved.note);
        return resolved;
      });
      this.base.catch(() => (this.base = undefined));
    }
    return (await this.base).baseUrl;
  }

  private async client(signal?: AbortSignal): Promise<OpenAI> {
    const baseURL = await this.baseUrl(signal);
    if (!this.sdk || this.sdk.baseURL !== baseURL) {
      // The SDK's own retries are off: ours emit events and never repeat a reply that has started.
      this.sdk = new OpenAI({
        baseURL,
        // The SDK insists on a key; without one, no Authorization header is sent at all (not a placeholder that
        // a server of another origin would see).
        apiKey: this.options.apiKey || 'none',
        ...(this.options.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
        maxRetries: 0,
        timeout: this.options.timeoutMs,
        fetch: fetchWithErrorBodies,
      });
    }
    return this.sdk;
  }

  async complete(request: ModelRequest): Promise<DoneEvent> {
    for await (const event of this.stream(request)) {
      if (event.type === 'done') return event;
    }
    throw new ModelError('protocol', 'The model reply ended without a result.');
  }

  async *stream(request: ModelRequest): AsyncGenerator<ModelEvent> {
    const { signal } = request;
    if (signal?.aborted) throw new ModelError('aborted', 'The model request was cancelled.');
    let sdk: OpenAI;
    try {
      sdk = await this.client(signal);
    } catch (error) {
      if (signal?.aborted) throw new ModelError('aborted', 'The model request was cancelled.');
      throw error instanceof ModelError ? error : new ModelError('connection', (error as Error).message);
    }
    while (this.notesSent < this.notes.length) yield { type: 'note', message: this.notes[this.notesSent++]! };
    let mode: ServerMode = this.options.mode === 'auto' ? (this.detected ?? 'native') : this.options.mode;
    let attempt = 0;
    for (;;) {
      const progress = { emitted: false };
      try {
        yield* this.once(sdk, request, mode, progress);
        if (this.options.mode === 'auto') this.detected = mode;
        return;
      } catch (raw) {
        const error = this.classify(raw, sdk.baseURL);
        if (
          error.kind === 'http' &&
          error.status === 400 &&
          isNoToolParserError(error.details.serverMessage ?? error.message) &&
          mode === 'native' &&
          request.tools.length > 0 &&
          !progress.emitted
        ) {
          if (this.options.mode === 'auto') {
            mode = 'prompt';
            this.detected = 'prompt';
            yield {
              type: 'mode',
              mode,
              reason: 'The server has no tool-call parser (it refused `tools` with "auto tool choice requires --enable-auto-tool-choice"); the tools now go in the prompt.',
            };
            continue;
          }
          throw new ModelError(
            'http',
            'The server has no tool-call parser, so it refused the tools. Start vLLM with --enable-auto-tool-choice --tool-call-parser hermes, or use the "prompt" or "auto" server mode.',
            { ...error.details },
          );
        }
        if (error.retryable && !progress.emitted && attempt < this.options.maxRetries) {
          attempt++;
          const backoff = Math.min(8_000, this.options.retryDelayMs * 2 ** (attempt - 1));
          const delayMs = Math.min(MAX_RETRY_AFTER_MS, error.details.retryAfterMs ?? backoff);
          yield { type: 'retry', attempt, delayMs, error: error.message };
          await sleep(delayMs, signal);
          if (signal?.aborted) throw new ModelError('aborted', 'The model request was cancelled.');
          continue;
        }
        throw error;
      }
    }
  }

  private body(request: ModelRequest, mode: ServerMode): Record<string, unknown> {
    const built = buildChatRequest({ profile: request.profile, system: request.system, turns: request.turns, tools: request.tools, mode });
    const { sampling } = request.profile;
    const body: Record<string, unknown> = {
      model: this.options.model,
      messages: built.messages,
      ...(built.tools ? { tools: built.tools, tool_choice: built.tool_choice } : {}),
      temperature: sampling.temperature,
      top_p: sampling.topP,
      max_tokens: sampling.maxTokens,
      ...request.extraBody,
    };
    if (this.options.streaming) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return body;
  }

  /** One attempt. Sets `progress.emitted` as soon as a model event went out (no retry after that). */
  private async *once(
    sdk: OpenAI,
    request: ModelRequest,
    mode: ServerMode,
    progress: { emitted: boolean },
  ): AsyncGenerator<ModelEvent> {
    const controller = new AbortController();
    const state = { timedOut: false };
    const onAbort = () => controller.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.timedOut = true;
        controller.abort();
      }, this.options.timeoutMs);
    };
    const started = performance.now();
    arm();
    try {
      const body = this.body(request, mode);
      const splitter = new InlineThinkSplitter(request.profile.thinking);
      const acc = { content: '', reasoning: undefined as string | undefined, reasoningContent: undefined as string | undefined };
      const calls = new Map<number, RawToolCall>();
      // A streamed tool-call delta without an index continues the latest call.
      let latestCall = 0;
      let finishReason: string | null = null;
      let usage: Usage | undefined;
      let sawContent = false;
      const limit = request.profile.limits.replyBytes;
      let receivedBytes = 0;
      let cutOff = false;

      const onDelta = (delta: z.infer<typeof DeltaSchema>, whole: boolean): ModelEvent[] => {
        const events: ModelEvent[] = [];
        const r = delta.reasoning ?? undefined;
        const rc = delta.reasoning_content ?? undefined;
        // Counted as the parser counts a whole reply (parse.ts replyBytes): reasoning once, content, call text.
        receivedBytes += Buffer.byteLength(r || rc || '') + Buffer.byteLength(delta.content ?? '');
        for (const tc of delta.tool_calls ?? []) {
          const args = tc.function?.arguments;
          receivedBytes += Buffer.byteLength(tc.function?.name ?? '');
          receivedBytes += typeof args === 'string' ? Buffer.byteLength(args) : args ? Buffer.byteLength(JSON.stringify(args)) : 0;
        }
        if (receivedBytes > limit) {
          // Past the limit nothing more is shown, and only the start of each field is kept (a reply sent whole
          // crosses the limit in its one delta): the loop gets a cut-off message, the model an error.
          cutOff = true;
          const head = (kept: string | undefined, more: string | undefined) =>
            more && (kept ?? '').length < CUT_OFF_KEEP_CHARS ? (kept ?? '') + more.slice(0, CUT_OFF_KEEP_CHARS - (kept ?? '').length) : kept;
          acc.content = head(acc.content, delta.content ?? undefined) ?? '';
          acc.reasoning = head(acc.reasoning, r);
          acc.reasoningContent = head(acc.reasoningContent, rc);
          return events;
        }
        if (r) acc.reasoning = (acc.reasoning ?? '') + r;
        if (rc) acc.reasoningContent = (acc.reasoningContent ?? '') + rc;
        // Both fields carry the same text during vLLM's rename: show it once.
        const shown = r || rc;
        if (shown) {
          if (!sawContent) splitter.passThrough();
          events.push({ type: 'reasoning', delta: shown });
        }
        if (delta.content) {
          if (!sawContent && (acc.reasoning || acc.reasoningContent)) splitter.passThrough();
          sawContent = true;
          acc.content += delta.content;
          events.push(...splitter.push(delta.content));
        }
        (delta.tool_calls ?? []).forEach((tc, position) => {
          const index = tc.index ?? (whole ? position : latestCall);
          latestCall = Math.max(latestCall, index);
          const args = tc.function?.arguments;
          const argumentsDelta = typeof args === 'string' ? args : args ? JSON.stringify(args) : '';
          const call = calls.get(index) ?? { id: '', type: 'function' as const, index, function: { name: '', arguments: '' } };
          if (tc.id) call.id = tc.id;
          if (tc.function?.name) call.function.name += tc.function.name;
          call.function.arguments += argumentsDelta;
          calls.set(index, call);
          const event: ModelEvent = { type: 'tool_call', index, argumentsDelta };
          if (tc.id) event.id = tc.id;
          if (tc.function?.name) event.name = tc.function.name;
          events.push(event);
        });
        return events;
      };

      if (this.options.streaming) {
        const stream = (await sdk.chat.completions.create(body as never, {
          signal: controller.signal,
          maxRetries: 0,
          timeout: this.options.timeoutMs,
        })) as unknown as AsyncIterable<unknown>;
        for await (const raw of stream) {
          if (controller.signal.aborted) break;
          arm();
          const chunk = ChunkSchema.safeParse(raw);
          if (!chunk.success) {
            throw new ModelError('protocol', `The server sent a stream chunk that is not a chat-completion chunk: ${JSON.stringify(raw).slice(0, 200)}`);
          }
          if (chunk.data.usage) usage = toUsage(chunk.data.usage);
          for (const choice of chunk.data.choices ?? []) {
            if (choice.finish_reason) finishReason = choice.finish_reason;
            if (!choice.delta) continue;
            for (const event of onDelta(choice.delta, false)) {
              progress.emitted = true;
              yield event;
            }
          }
          // Stop reading: leaving the loop ends the SDK stream, and the finally below closes the request.
          if (cutOff) break;
        }
      } else {
        const raw = await sdk.chat.completions.create(body as never, {
          signal: controller.signal,
          maxRetries: 0,
          timeout: this.options.timeoutMs,
        });
        const parsed = CompletionSchema.safeParse(raw);
        if (!parsed.success) {
          throw new ModelError('protocol', `The server's reply is not a chat completion: ${JSON.stringify(raw).slice(0, 200)}`);
        }
        const choice = parsed.data.choices[0]!;
        finishReason = choice.finish_reason ?? null;
        usage = toUsage(parsed.data.usage);
        for (const event of onDelta(choice.message, true)) {
          progress.emitted = true;
          yield event;
        }
      }
      // The SDK ends a stream quietly when it is aborted; a cancelled reply must not look complete.
      if (controller.signal.aborted) throw new ModelError('aborted', 'The model request was cancelled.');
      if (!cutOff) {
        for (const event of splitter.end()) {
          progress.emitted = true;
          yield event;
        }
      }
      clearTimeout(timer);

      const message: RawMessage = cutOff
        ? {
            content: acc.content === '' ? null : acc.content.slice(0, CUT_OFF_KEEP_CHARS),
            tool_calls: [],
            cutOff: { receivedBytes },
          }
        : { content: acc.content === '' ? null : acc.content, tool_calls: [...calls.values()].sort((a, b) => a.index - b.index) };
      const keep = (text: string) => (cutOff ? text.slice(0, CUT_OFF_KEEP_CHARS) : text);
      if (acc.reasoning !== undefined) message.reasoning = keep(acc.reasoning);
      if (acc.reasoningContent !== undefined) message.reasoning_content = keep(acc.reasoningContent);
      const done: DoneEvent = {
        type: 'done',
        message,
        finishReason,
        mode,
        latencyMs: Math.round(performance.now() - started),
      };
      if (usage) done.usage = usage;
      progress.emitted = true;
      yield done;
    } catch (error) {
      if (state.timedOut) {
        throw new ModelError(
          'timeout',
          `The model server at ${sdk.baseURL} sent nothing for ${Math.round(this.options.timeoutMs / 1000)} s. It may be overloaded or still loading the model; try again, or raise the timeout.`,
        );
      }
      if (request.signal?.aborted) throw new ModelError('aborted', 'The model request was cancelled.');
      throw error;
    } finally {
      // Also reached when the consumer stops iterating: close the request so the server stops generating.
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  /** Any failure -> a ModelError a person understands, with the fix where one is known. */
  private classify(error: unknown, baseURL: string): ModelError {
    if (error instanceof ModelError) return error;
    if (error instanceof OpenAI.APIUserAbortError) return new ModelError('aborted', 'The model request was cancelled.');
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new ModelError('timeout', `The model server at ${baseURL} did not answer in time; try again, or raise the timeout.`);
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return new ModelError(
        'connection',
        `Cannot reach the model server at ${baseURL} (${connectionCause(error)}). Check that it is running and that the endpoint URL is right.`,
        { retryable: true },
      );
    }
    if (error instanceof OpenAI.APIError) {
      const serverMessage = serverErrorMessage(error.error) ?? error.message;
      const codeStatus = Number((error.error as { code?: unknown } | undefined)?.code);
      const status = error.status ?? (Number.isInteger(codeStatus) && codeStatus >= 400 ? codeStatus : undefined);
      const details = { status, serverMessage, retryable: status === 429 || (status !== undefined && status >= 500) };
      if (error.status === undefined) {
        // An error event inside a 200 stream.
        return new ModelError('http', `The model server failed while answering: ${serverMessage}`, details);
      }
      const retryAfter = retryAfterMs(error.headers);
      const withRetry = retryAfter !== undefined ? { ...details, retryAfterMs: retryAfter } : details;
      switch (true) {
        case status === 401 || status === 403:
          return new ModelError('http', `The server refused the API key (${status}: ${serverMessage}). Pass the key it expects.`, withRetry);
        case status === 404 && /model/i.test(serverMessage):
          return new ModelError(
            'http',
            `The server does not serve the model "${this.options.model}" (${serverMessage}). Run \`deskpilot check --endpoint ${this.options.endpoint}\` to see the served names.`,
            withRetry,
          );
        case status === 404:
          return new ModelError(
            'http',
            `${baseURL}/chat/completions does not exist (404). The endpoint URL is probably wrong; for vLLM it ends in /v1.`,
            withRetry,
          );
        case status === 400 && /maximum context length|max_model_len/i.test(serverMessage):
          return new ModelError(
            'http',
            `The request is longer than the model's context (${serverMessage.replace(/\s*None$/, '')}). Keep fewer screenshots in the history, or start vLLM with a larger --max-model-len.`,
            withRetry,
          );
        case status === 429:
          return new ModelError('http', `The server is rate-limiting requests (429: ${serverMessage}).`, withRetry);
        case status !== undefined && status >= 500:
          return new ModelError('http', `The model server failed (${status}: ${serverMessage}).`, withRetry);
        default:
          return new ModelError('http', `The server rejected the request (${status}: ${serverMessage.replace(/\s*None$/, '')}).`, withRetry);
      }
    }
    if (isAbort(error)) return new ModelError('aborted', 'The model request was cancelled.');
    return new ModelError('protocol', `Unexpected failure talking to the model server: ${errorMessage(error)}`);
  }
}
