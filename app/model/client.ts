/**
 * The model client: one chat-completion request to an OpenAI-compatible server (vLLM, SGLang, Ollama, ...),
 * streamed as typed events - reasoning, content and tool-call fragments - and assembled into the raw message the
 * parser reads.
 *
 * What it takes care of:
 * - the base URL (a missing `/v1` is found and said, see endpoint-url.ts);
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
 * hostile stream never blocks the event loop and a stop takes effect at the next chunk. Its parts: reply-assembly.ts
 * (deltas -> events and the raw message), think-splitter.ts (inline reasoning), client-errors.ts (what went wrong).
 */
import OpenAI from 'openai';
import { sleep } from '../base/sleep';
import { cancelled, classifyModelError, fetchWithErrorBodies, MAX_RETRY_AFTER_MS, ModelError } from './client-errors';
import type { EndpointMemory } from './endpoint-memory';
import { resolveBaseUrl, type ResolvedBase } from './endpoint-url';
import type { Profile } from './profiles';
import { buildChatRequest, type ServerMode, type Turn } from './prompt';
import { ChunkSchema, CompletionSchema, ReplyAssembler, toUsage, type DoneEvent, type ModelEvent, type Usage } from './reply-assembly';
import { isNoToolParserError } from './server-errors';
import type { FunctionTool } from './tools';

export type { ServerMode };
export { ModelError, type ModelErrorKind } from './client-errors';
export { CUT_OFF_KEEP_CHARS, type DoneEvent, type ModelEvent, type RawMessage, type RawToolCall, type Usage } from './reply-assembly';

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
  /**
   * Where what `auto` finds out about the server is kept between runs (endpoint-memory.ts): a server found not to
   * parse tool calls then gets the tools in the prompt from the first request on. The shells pass one; without it
   * every client starts from `native`.
   */
  memory?: EndpointMemory;
}

export interface ModelRequest {
  profile: Profile;
  system?: string;
  turns: Turn[];
  tools: FunctionTool[];
  signal?: AbortSignal;
  /** Extra request fields (vLLM: mm_processor_kwargs, chat_template_kwargs, ...). */
  extraBody?: Record<string, unknown>;
  /**
   * Told the body of every HTTP request right before it is sent (a retry or the switch to prompt tools sends again,
   * and is told again), so the run record keeps exactly what the server received. Must not change the body.
   */
  onRequest?: (sent: SentRequest) => void;
}

/** One chat-completion request as it went to the server: the JSON body (data-URL images inline) and its mode. */
export interface SentRequest {
  mode: ServerMode;
  body: Readonly<Record<string, unknown>>;
}

export class ModelClient {
  /** Things a person should know (e.g. `/v1` was added to the URL); each is also streamed once as a `note` event. */
  readonly notes: string[] = [];
  private notesSent = 0;
  private readonly options: Required<Omit<ModelClientOptions, 'apiKey' | 'memory'>> & { apiKey?: string };
  private readonly memory: EndpointMemory | undefined;
  private base?: Promise<ResolvedBase>;
  private detected?: ServerMode;
  private sdk?: OpenAI;

  constructor(options: ModelClientOptions) {
    if (!options.model) throw new Error('the model name is required (the name the server serves)');
    const { memory, ...rest } = options;
    this.options = {
      timeoutMs: 120_000,
      maxRetries: 2,
      retryDelayMs: 500,
      mode: 'auto',
      streaming: true,
      ...rest,
    };
    this.memory = memory;
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
    if (signal?.aborted) throw cancelled();
    let sdk: OpenAI;
    try {
      sdk = await this.client(signal);
    } catch (error) {
      if (signal?.aborted) throw cancelled();
      throw error instanceof ModelError ? error : new ModelError('connection', (error as Error).message);
    }
    while (this.notesSent < this.notes.length) yield { type: 'note', message: this.notes[this.notesSent++]! };
    const configured = this.options.mode;
    const auto = configured === 'auto';
    if (auto && this.detected === undefined && this.memory) {
      this.detected = this.memory.recall(sdk.baseURL, this.options.model);
      if (this.detected === 'prompt') {
        yield {
          type: 'mode',
          mode: 'prompt',
          reason: `This server was found not to parse tool calls (remembered in ${this.memory.file}); the tools go in the prompt.`,
        };
      }
    }
    let mode: ServerMode = configured === 'auto' ? (this.detected ?? 'native') : configured;
    let attempt = 0;
    for (;;) {
      const progress = { emitted: false };
      try {
        yield* this.once(sdk, request, mode, progress);
        if (auto) {
          this.detected = mode;
          // Only a request with tools shows whether the server parses them.
          if (request.tools.length > 0) this.memory?.remember(sdk.baseURL, this.options.model, mode);
        }
        return;
      } catch (raw) {
        const error = classifyModelError(raw, { baseURL: sdk.baseURL, model: this.options.model, endpoint: this.options.endpoint });
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
          if (signal?.aborted) throw cancelled();
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
      request.onRequest?.({ mode, body });
      const reply = new ReplyAssembler(request.profile.thinking, request.profile.limits.replyBytes);
      let finishReason: string | null = null;
      let usage: Usage | undefined;

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
            for (const event of reply.push(choice.delta, false)) {
              progress.emitted = true;
              yield event;
            }
          }
          // Stop reading: leaving the loop ends the SDK stream, and the finally below closes the request.
          if (reply.cutOff) break;
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
        for (const event of reply.push(choice.message, true)) {
          progress.emitted = true;
          yield event;
        }
      }
      // The SDK ends a stream quietly when it is aborted; a cancelled reply must not look complete.
      if (controller.signal.aborted) throw cancelled();
      for (const event of reply.end()) {
        progress.emitted = true;
        yield event;
      }
      clearTimeout(timer);

      const message = reply.message();
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
      if (request.signal?.aborted) throw cancelled();
      throw error;
    } finally {
      // Also reached when the consumer stops iterating: close the request so the server stops generating.
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }
}
