/**
 * A protocol-faithful fake of vLLM's OpenAI-compatible server (reference/qwen3-vl-protocol.md section 10), for
 * model-side tests and for people who want a server to point the app at without a GPU.
 *
 * Replies are scripted as what the MODEL generates (reasoning, text, tool calls); the server then renders them the
 * way vLLM would in the configured mode: with or without the hermes tool parser, with reasoning in `reasoning`,
 * `reasoning_content`, both, or inline before `</think>` (no opening `<think>`, as the Thinking template leaves it),
 * streamed as SSE or not, with vLLM's error bodies in the old or new shape.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

export type ReasoningForm = 'reasoning' | 'reasoning_content' | 'both' | 'inline' | 'none';

export interface ScriptedToolCall {
  name: string;
  /** An object (written as JSON) or a raw string (written as is, to script malformed calls). */
  arguments: Record<string, unknown> | string;
}

export interface Reply {
  reasoning?: string;
  content?: string;
  toolCalls?: ScriptedToolCall[];
  /** Answer with an HTTP error instead (vLLM's body shape). `retryAfter` adds a Retry-After header (seconds). */
  error?: { status: number; message: string; type?: string; retryAfter?: number };
  /** Send an error event after this many chunks of a streamed 200 reply (`data: {"error": ...}` then [DONE]). */
  streamError?: { message: string; afterChunks?: number };
  finishReason?: 'stop' | 'length' | 'tool_calls';
  /** Overrides the server's chunk pacing for this reply. */
  chunkDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined for GET or unparsable bodies). */
  body: any;
  /** HTTP status the fake answered with. */
  status?: number;
  /** The client went away before the reply was complete (abort mid-stream). */
  closedEarly: boolean;
  /** The reply was sent completely. */
  finished: boolean;
}

export interface ScriptContext {
  /** 0-based index of this chat request among all chat requests the fake has served. */
  index: number;
  options: Required<Omit<FakeVllmOptions, 'script' | 'port' | 'host' | 'apiKey'>> & { apiKey?: string };
  /** True when the request offers tools (native `tools`, or the Nous block in the system prompt). */
  toolsOffered: string[];
}

export type Script = ((request: any, ctx: ScriptContext) => Reply | Promise<Reply>) | Reply[];

export interface FakeVllmOptions {
  servedModel?: string;
  /** `--enable-auto-tool-choice --tool-call-parser hermes` on (true) or off. */
  toolParser?: boolean;
  reasoning?: ReasoningForm;
  errorShape?: 'old' | 'new';
  maxModelLen?: number;
  /** Milliseconds between SSE chunks. */
  chunkDelayMs?: number;
  /** Characters of text per streamed chunk. */
  chunkChars?: number;
  acceptImages?: boolean;
  /** Require `Authorization: Bearer <apiKey>` (vLLM's --api-key). */
  apiKey?: string;
  /** Replies in order (the last one repeats), or a function of the request. Default: a plausible model. */
  script?: Script;
  port?: number;
  host?: string;
}

export interface FakeVllm {
  url: string;
  requests: RecordedRequest[];
  /** Only the POST /v1/chat/completions requests. */
  chatRequests(): RecordedRequest[];
  close(): Promise<void>;
}

const hex = (n: number) => randomBytes(n).toString('hex');

/** Python's json.dumps layout (", " and ": "), which the model writes and vLLM's hermes parser re-emits. */
function pyDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyDumps(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

function errorBody(shape: 'old' | 'new', status: number, message: string, type: string): unknown {
  if (shape === 'old') return { object: 'error', message, type, param: null, code: status };
  return { error: { message, type, param: null, code: status } };
}

function errorType(status: number): string {
  if (status === 404) return 'NotFoundError';
  if (status === 429) return 'RateLimitError';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequestError';
}

/** Every data URL image in a request body, in order (user, tool and any other message). */
export function imageUrlsOf(body: any): string[] {
  const urls: string[] = [];
  for (const message of Array.isArray(body?.messages) ? body.messages : []) {
    if (!Array.isArray(message?.content)) continue;
    for (const part of message.content) {
      if (part?.type === 'image_url' && typeof part.image_url?.url === 'string') urls.push(part.image_url.url);
    }
  }
  return urls;
}

export interface DecodedImage {
  mime: string;
  width: number;
  height: number;
  data: Buffer;
}

/** Decode the images a request carried (for assertions on what the model was shown). */
export async function decodeImages(body: any): Promise<DecodedImage[]> {
  const out: DecodedImage[] = [];
  for (const url of imageUrlsOf(body)) {
    const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    if (!match) throw new Error(`not a base64 data URL: ${url.slice(0, 40)}...`);
    const data = Buffer.from(match[2]!, 'base64');
    const meta = await sharp(data).metadata();
    out.push({ mime: match[1]!, width: meta.width ?? 0, height: meta.height ?? 0, data });
  }
  return out;
}

/** All the text a request carried, concatenated (for "did the note reach the model" assertions). */
export function textOf(body: any): string {
  const texts: string[] = [];
  for (const message of Array.isArray(body?.messages) ? body.messages : []) {
    if (typeof message?.content === 'string') texts.push(message.content);
    else if (Array.isArray(message?.content)) {
      for (const part of message.content) if (part?.type === 'text') texts.push(String(part.text));
    }
  }
  return texts.join('\n');
}

/** Tool names offered natively or in a Nous `<tools>` block. */
function toolsOffered(body: any): string[] {
  if (Array.isArray(body?.tools) && body.tools.length > 0) {
    return body.tools.map((t: any) => String(t?.function?.name ?? ''));
  }
  const system = (Array.isArray(body?.messages) ? body.messages : []).find((m: any) => m?.role === 'system');
  // A string, or (OSWorld's Qwen3-VL agent) a list of text parts.
  const text =
    typeof system?.content === 'string'
      ? system.content
      : Array.isArray(system?.content)
        ? system.content.map((p: any) => (p?.type === 'text' ? String(p.text ?? '') : '')).join('')
        : '';
  const block = /<tools>\n([\s\S]*?)\n<\/tools>/.exec(text);
  if (!block) return [];
  return block[1]!
    .split('\n')
    .map((line) => {
      try {
        return String(JSON.parse(line)?.function?.name ?? '');
      } catch {
        return '';
      }
    })
    .filter((n) => n !== '');
}

/** The default "model": calls the first offered tool (a harmless action), else says OK; reasons when it can. */
function defaultReply(_body: any, ctx: ScriptContext): Reply {
  const reasoning = 'The user wants a short answer. I will keep it brief.';
  const first = ctx.toolsOffered[0];
  if (first) {
    const args: Record<string, unknown> =
      first === 'computer_use' || first === 'mobile_use' ? { action: 'wait', time: 1 } : { value: 7 };
    return { reasoning, content: '', toolCalls: [{ name: first, arguments: args }] };
  }
  return { reasoning, content: 'OK.' };
}

/** The text the model generates: optional inline reasoning, the text, then `<tool_call>` blocks. */
function generatedContent(reply: Reply): string {
  const calls = (reply.toolCalls ?? []).map((c) => {
    const args = typeof c.arguments === 'string' ? c.arguments : pyDumps(c.arguments);
    return `<tool_call>\n{"name": ${JSON.stringify(c.name)}, "arguments": ${args}}\n</tool_call>`;
  });
  const text = reply.content ?? '';
  if (calls.length === 0) return text;
  return text === '' ? calls.join('\n') : `${text}\n${calls.join('\n')}`;
}

interface ParsedCall {
  id: string;
  name: string;
  arguments: string;
}

/** What vLLM's hermes parser makes of generated text: the text before the first call, and the calls. */
function hermesParse(text: string): { content: string | null; calls: ParsedCall[] } | null {
  const start = text.indexOf('<tool_call>');
  if (start < 0) return null;
  const calls: ParsedCall[] = [];
  const re = /<tool_call>([\s\S]*?)<\/tool_call>|<tool_call>([\s\S]*)$/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = (m[1] ?? m[2] ?? '').trim();
    try {
      const parsed = JSON.parse(raw) as { name?: unknown; arguments?: unknown };
      calls.push({
        id: `chatcmpl-tool-${hex(16)}`,
        name: String(parsed.name),
        arguments: pyDumps(parsed.arguments ?? {}),
      });
    } catch {
      // vLLM gives up on parsing and returns the whole text as content.
      return null;
    }
  }
  const before = text.slice(0, start);
  return { content: before === '' ? null : before, calls };
}

/** Crude token count: 4 characters per token, 1 token per 32x32 block of each image. */
async function countPromptTokens(body: any): Promise<number> {
  let tokens = Math.ceil(JSON.stringify(body.messages ?? []).replace(/data:[^"]+/g, '').length / 4);
  if (Array.isArray(body.tools)) tokens += Math.ceil(JSON.stringify(body.tools).length / 4);
  for (const image of await decodeImages(body).catch(() => [])) {
    tokens += Math.ceil(image.width / 32) * Math.ceil(image.height / 32);
  }
  return tokens;
}

function split(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeVllm(options: FakeVllmOptions = {}): Promise<FakeVllm> {
  const config = {
    servedModel: options.servedModel ?? 'Qwen/Qwen3-VL-8B-Instruct',
    toolParser: options.toolParser ?? true,
    reasoning: options.reasoning ?? 'none',
    errorShape: options.errorShape ?? 'new',
    maxModelLen: options.maxModelLen ?? 32768,
    chunkDelayMs: options.chunkDelayMs ?? 0,
    chunkChars: options.chunkChars ?? 6,
    acceptImages: options.acceptImages ?? true,
    apiKey: options.apiKey,
  };
  const requests: RecordedRequest[] = [];
  let chatIndex = 0;
  const created = Math.floor(Date.now() / 1000);
  const sockets = new Set<import('node:net').Socket>();

  async function reply(request: any, ctx: ScriptContext): Promise<Reply> {
    const script = options.script;
    if (!script) return defaultReply(request, ctx);
    if (Array.isArray(script)) {
      if (script.length === 0) return defaultReply(request, ctx);
      return script[Math.min(ctx.index, script.length - 1)]!;
    }
    return script(request, ctx);
  }

  function sendJson(res: http.ServerResponse, record: RecordedRequest, status: number, body: unknown, headers = {}) {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  function sendError(res: http.ServerResponse, record: RecordedRequest, failure: HttpFailure) {
    const headers = failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {};
    sendJson(res, record, failure.status, errorBody(config.errorShape, failure.status, failure.message, failure.type), headers);
  }

  async function chat(body: any, res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
      throw new HttpFailure(400, "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]", 'BadRequestError');
    }
    if (body.model !== config.servedModel) {
      throw new HttpFailure(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError');
    }
    const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
    const toolChoice = body.tool_choice ?? (hasTools ? 'auto' : 'none');
    if (hasTools && toolChoice === 'auto' && !config.toolParser) {
      throw new HttpFailure(
        400,
        '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        'BadRequestError',
      );
    }
    const images = imageUrlsOf(body);
    if (images.length > 0 && !config.acceptImages) {
      throw new HttpFailure(400, `At most 0 image(s) may be provided in one prompt. None`, 'BadRequestError');
    }
    const promptTokens = await countPromptTokens(body);
    const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 0);
    if (promptTokens + maxTokens > config.maxModelLen) {
      const extra =
        images.length > 0
          ? ' Make sure that `max_model_len` is no smaller than the number of text tokens plus multimodal tokens.'
          : '';
      throw new HttpFailure(
        400,
        `This model's maximum context length is ${config.maxModelLen} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.${extra} None`,
        'BadRequestError',
      );
    }

    const ctx: ScriptContext = { index: chatIndex++, options: config, toolsOffered: toolsOffered(body) };
    const scripted = await reply(body, ctx);
    if (scripted.error) {
      const { status, message, type, retryAfter } = scripted.error;
      throw new HttpFailure(status, message, type ?? errorType(status), retryAfter);
    }

    // What the model generated, and how the server splits it.
    const thinking = config.reasoning !== 'none' && scripted.reasoning !== undefined;
    const generated = generatedContent(scripted);
    let content: string | null = generated;
    if (thinking && config.reasoning === 'inline') content = `${scripted.reasoning}\n</think>\n\n${generated}`;
    let calls: ParsedCall[] = [];
    if (hasTools && toolChoice !== 'none' && config.toolParser) {
      const parsed = hermesParse(content);
      if (parsed) ({ content, calls } = parsed);
    }
    const reasoningText = thinking && config.reasoning !== 'inline' ? (scripted.reasoning ?? '') : undefined;
    const finishReason = scripted.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
    const completionTokens = Math.ceil(((reasoningText ?? '') + (content ?? '') + calls.map((c) => c.arguments).join('')).length / 4);
    const usage = {
      prompt_tokens: promptTokens,
      total_tokens: promptTokens + completionTokens,
      completion_tokens: completionTokens,
      prompt_tokens_details: null,
    };
    const id = `chatcmpl-${hex(16)}`;
    const reasoningFields = (text: string): Record<string, string> => {
      if (config.reasoning === 'reasoning') return { reasoning: text };
      if (config.reasoning === 'reasoning_content') return { reasoning_content: text };
      return { reasoning: text, reasoning_content: text };
    };

    if (!body.stream) {
      const message: Record<string, unknown> = { role: 'assistant', content };
      if (reasoningText !== undefined) Object.assign(message, reasoningFields(reasoningText));
      // Older vLLM always sent tool_calls ([] when none); the old error shape stands for the older server here.
      if (calls.length > 0 || config.errorShape === 'old') {
        message.tool_calls = calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        }));
      }
      sendJson(res, record, 200, {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: config.servedModel,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason, stop_reason: null }],
        usage,
      });
      return;
    }

    // SSE.
    record.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const delay = scripted.chunkDelayMs ?? config.chunkDelayMs;
    const chunkBase = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: config.servedModel };
    const deltas: Array<Record<string, unknown>> = [{ role: 'assistant', content: '' }];
    if (reasoningText) for (const piece of split(reasoningText, config.chunkChars)) deltas.push(reasoningFields(piece));
    if (content) for (const piece of split(content, config.chunkChars)) deltas.push({ content: piece });
    calls.forEach((call, index) => {
      deltas.push({ tool_calls: [{ id: call.id, type: 'function', index, function: { name: call.name } }] });
      for (const piece of split(call.arguments, config.chunkChars)) {
        deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });

    let sent = 0;
    const write = async (data: string): Promise<boolean> => {
      if (record.closedEarly || res.destroyed) return false;
      if (sent > 0 && delay > 0) await sleep(delay);
      if (record.closedEarly || res.destroyed) return false;
      res.write(`data: ${data}\n\n`);
      sent++;
      return true;
    };
    for (const delta of deltas) {
      if (scripted.streamError && sent >= (scripted.streamError.afterChunks ?? 1)) {
        const err = errorBody('new', 500, scripted.streamError.message, 'InternalServerError');
        await write(JSON.stringify(err));
        await write('[DONE]');
        res.end();
        record.finished = true;
        return;
      }
      const chunk = { ...chunkBase, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
      if (!(await write(JSON.stringify(chunk)))) return;
    }
    const last = { ...chunkBase, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason, stop_reason: null }] };
    if (!(await write(JSON.stringify(last)))) return;
    if (body.stream_options?.include_usage) {
      if (!(await write(JSON.stringify({ ...chunkBase, choices: [], usage })))) return;
    }
    if (!(await write('[DONE]'))) return;
    res.end();
    record.finished = true;
  }

  const server = http.createServer((req, res) => {
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0]!,
      headers: req.headers,
      body: undefined,
      closedEarly: false,
      finished: false,
    };
    res.on('close', () => {
      if (!res.writableFinished) record.closedEarly = true;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (raw !== '') {
          try {
            record.body = JSON.parse(raw);
          } catch {
            record.body = undefined;
          }
        }
        // Listed once its body is in: a test that waits for the Nth request, then reads it, never sees it half-sent.
        requests.push(record);
        try {
          if (record.path === '/health' && record.method === 'GET') {
            record.status = 200;
            res.writeHead(200).end();
            return;
          }
          if (config.apiKey && record.path.startsWith('/v1') && req.headers.authorization !== `Bearer ${config.apiKey}`) {
            sendJson(res, record, 401, { error: 'Unauthorized' });
            return;
          }
          if (record.path === '/v1/models' && record.method === 'GET') {
            sendJson(res, record, 200, {
              object: 'list',
              data: [
                {
                  id: config.servedModel,
                  object: 'model',
                  created,
                  owned_by: 'vllm',
                  root: `/models/${config.servedModel}`,
                  parent: null,
                  max_model_len: config.maxModelLen,
                  permission: [
                    {
                      id: `modelperm-${hex(16)}`,
                      object: 'model_permission',
                      created,
                      allow_create_engine: false,
                      allow_sampling: true,
                      allow_logprobs: true,
                      allow_search_indices: false,
                      allow_view: true,
                      allow_fine_tuning: false,
                      organization: '*',
                      group: null,
                      is_blocking: false,
                    },
                  ],
                },
              ],
            });
            return;
          }
          if (record.path === '/v1/chat/completions' && record.method === 'POST') {
            if (raw !== '' && record.body === undefined) {
              throw new HttpFailure(400, 'JSON decode error', 'BadRequestError');
            }
            await chat(record.body, res, record);
            return;
          }
          // FastAPI's plain 404.
          sendJson(res, record, 404, { detail: 'Not Found' });
        } catch (error) {
          if (error instanceof HttpFailure) sendError(res, record, error);
          else {
            const message = error instanceof Error ? error.message : String(error);
            if (!res.headersSent) sendError(res, record, new HttpFailure(500, message, 'InternalServerError'));
            else res.destroy();
          }
        }
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/v1/chat/completions' && r.method === 'POST'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
