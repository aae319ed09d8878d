/**
 * Endpoints: turning what a person typed into the base URL of an OpenAI-compatible server, and diagnosing a server
 * it has never seen from its behaviour (used by `deskpilot check` and the UI's "Check endpoint" button).
 *
 * Nothing here assumes the server is our fake or even vLLM: the tool-parser mode is found by asking for a trivial
 * tool call (a 400 "auto tool choice" or raw `<tool_call>` text => no parser; `tool_calls` => parser), and the
 * reasoning form by looking at which field the reasoning came back in.
 */
import { z } from 'zod';
import { DEFAULT_PROFILE_ID, getProfile, type Profile } from './profiles';
import { toolsForProfile } from './prompt';
import { parseReply } from './parse';
import { errorMessage } from '../base/errors';

export interface NormalizedEndpoint {
  /** The URL without a trailing slash or a `/chat/completions` / `/models` tail. */
  base: string;
  /** The path already ends in a version segment (`/v1`, `/v1beta`, `/api/v3`...). */
  hasVersion: boolean;
}

/** Accepts `http://host:8000`, `.../v1`, `.../v1/`, `.../v1/chat/completions`; throws a clear error otherwise. */
export function normalizeEndpoint(input: string): NormalizedEndpoint {
  const trimmed = input.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
  } catch {
    throw new Error(`"${input}" is not a URL; give the server's address, e.g. http://localhost:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${input}" is not an http(s) URL; give the server's address, e.g. http://localhost:8000/v1`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/(chat\/completions|completions|models)$/, '').replace(/\/+$/, '');
  const base = `${url.protocol}//${url.host}${path}`;
  return { base, hasVersion: /\/v\d+[a-z0-9]*$/i.test(path) };
}

export interface ResolvedBase {
  baseUrl: string;
  /** `/v1` was missing from the given URL and was added because the server answers there. */
  v1Added: boolean;
  /** A sentence for the person when the URL was changed. */
  note?: string;
}

export interface ProbeOptions {
  apiKey?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

function boundedSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** GET a URL, bounded in time; undefined when nothing answered. */
async function tryGet(url: string, o: ProbeOptions): Promise<Response | undefined> {
  try {
    return await fetch(url, { headers: authHeaders(o.apiKey), signal: boundedSignal(o.timeoutMs ?? 10_000, o.signal) });
  } catch {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
    return undefined;
  }
}

/**
 * Find the base URL: as given when it has a version segment or its `/models` answers; with `/v1` added when only
 * `<url>/v1/models` answers (a 401/403 there counts: the path exists behind a key). Otherwise as given, and the
 * first request will say what is wrong.
 */
export async function resolveBaseUrl(endpoint: string, o: ProbeOptions = {}): Promise<ResolvedBase> {
  const { base, hasVersion } = normalizeEndpoint(endpoint);
  if (hasVersion) return { baseUrl: base, v1Added: false };
  const [plain, withV1] = await Promise.all([tryGet(`${base}/models`, o), tryGet(`${base}/v1/models`, o)]);
  await Promise.all([plain?.body?.cancel(), withV1?.body?.cancel()]);
  if (plain?.ok) return { baseUrl: base, v1Added: false };
  if (withV1 && (withV1.ok || withV1.status === 401 || withV1.status === 403)) {
    return {
      baseUrl: `${base}/v1`,
      v1Added: true,
      note: `The endpoint ${endpoint} lacks /v1; the server answers at ${base}/v1, so that is used.`,
    };
  }
  return { baseUrl: base, v1Added: false };
}

const ModelsSchema = z.object({
  data: z.array(z.looseObject({ id: z.string(), max_model_len: z.number().nullish() })),
});

/** The model names a server serves (its `/models`); throws an error that says what went wrong. */
export async function listServedModels(endpoint: string, apiKey?: string, o: ProbeOptions = {}): Promise<string[]> {
  const probe = { timeoutMs: 10_000, ...o, apiKey };
  const { baseUrl } = await resolveBaseUrl(endpoint, probe);
  const response = await tryGet(`${baseUrl}/models`, probe);
  if (!response) throw new Error(`nothing answers at ${baseUrl}/models; is the server running?`);
  const text = await response.text();
  if (response.status === 401 || response.status === 403) {
    throw new Error(`the server at ${baseUrl} refused the request for its model list (${response.status}); give the API key`);
  }
  if (!response.ok) throw new Error(`${baseUrl}/models answered HTTP ${response.status}; the endpoint should end in /v1`);
  let parsed: z.infer<typeof ModelsSchema>;
  try {
    parsed = ModelsSchema.parse(JSON.parse(text));
  } catch {
    throw new Error(`${baseUrl}/models did not return a model list (got: ${text.slice(0, 120)})`);
  }
  return parsed.data.map((m) => m.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Diagnosis

export type ReasoningReport = 'field:reasoning' | 'field:reasoning_content' | 'inline' | 'none';

export interface Problem {
  problem: string;
  fix: string;
}

/**
 * Which coordinate space the model clicks in, found by showing it a red square and asking it to click it:
 * `grid` = the 0..1000 (or 0..999) relative grid (Qwen3-VL), `absolute` = pixels of the image it was sent
 * (Qwen2.5-VL, UI-TARS), `missed` = on neither, `no-call` = it did not call the tool, `skipped` = not run.
 */
export interface GroundingReport {
  result: 'grid' | 'absolute' | 'missed' | 'no-call' | 'skipped';
  /** The profile the answer was compared with. */
  profile: string;
  /** The first call's point, as the model wrote it. */
  point?: [number, number];
  /** The square's centre in the 0..1000 grid and in pixels of the probe image. */
  expected: { grid: [number, number]; pixels: [number, number] };
  imageSize: { width: number; height: number };
  /** The profile that matches the answer (the chosen one when it already does). */
  suggestedProfile?: string;
  /** Why it was skipped, or what the model did instead of clicking. */
  reason?: string;
}

export interface EndpointReport {
  endpoint: string;
  baseUrl: string | null;
  v1Added: boolean;
  reachable: boolean;
  models: string[];
  model: { requested: string | null; served: boolean; used: string | null };
  maxModelLen: number | null;
  /** The server parses tool calls itself (vLLM `--tool-call-parser`); null when the probe could not tell. */
  toolCallParser: boolean | null;
  /** How Deskpilot will send tools to this server. */
  mode: 'native' | 'prompt' | null;
  reasoning: ReasoningReport | null;
  /** Every reasoning field the server filled (newer vLLM fills both during the rename). */
  reasoningFields: string[];
  imageAccepted: boolean | null;
  latencyMs: number | null;
  grounding: GroundingReport;
  problems: Problem[];
  notes: string[];
}

export interface DiagnoseOptions {
  endpoint: string;
  model?: string;
  apiKey?: string;
  /** The profile the person means to use (default qwen3-vl); the grounding probe checks its coordinate space. */
  profile?: string;
  /** Bound for each probe. */
  timeoutMs?: number;
  signal?: AbortSignal;
}


const MessageSchema = z.looseObject({
  content: z.string().nullish(),
  reasoning: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  tool_calls: z
    .array(z.looseObject({ function: z.looseObject({ name: z.string().nullish(), arguments: z.unknown() }).nullish() }))
    .nullish(),
});
const CompletionSchema = z.looseObject({
  choices: z.array(z.looseObject({ message: MessageSchema, finish_reason: z.string().nullish() })).min(1),
});
type ProbeMessage = z.infer<typeof MessageSchema>;

type ProbeResult =
  | { kind: 'ok'; message: ProbeMessage; finishReason: string | null; ms: number }
  | { kind: 'http'; status: number; message: string; ms: number }
  | { kind: 'unreachable'; message: string }
  | { kind: 'timeout' }
  | { kind: 'invalid'; message: string };

/** The error text of any of the shapes servers use ({error:{message}}, {message}, {error:"..."}, {detail}). */
export function serverErrorMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (b.error && typeof b.error === 'object') {
    const m = (b.error as Record<string, unknown>).message;
    if (typeof m === 'string') return m;
  }
  if (typeof b.error === 'string') return b.error;
  if (typeof b.message === 'string') return b.message;
  if (typeof b.detail === 'string') return b.detail;
  if (b.detail !== undefined) return JSON.stringify(b.detail);
  return undefined;
}

/** vLLM's answer to `tools` + `tool_choice: "auto"` when started without a tool parser. */
export function isNoToolParserError(message: string): boolean {
  return /auto"? tool choice requires|enable-auto-tool-choice|tool-call-parser/i.test(message);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? errorMessage(error);
}

async function postChat(baseUrl: string, body: unknown, o: DiagnoseOptions): Promise<ProbeResult> {
  const started = performance.now();
  const timeoutMs = o.timeoutMs ?? 60_000;
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(o.apiKey) },
      body: JSON.stringify(body),
      signal: boundedSignal(timeoutMs, o.signal),
    });
    text = await response.text();
  } catch (error) {
    if (o.signal?.aborted) throw o.signal.reason ?? error;
    if ((error as Error)?.name === 'TimeoutError') return { kind: 'timeout' };
    return { kind: 'unreachable', message: causeOf(error) };
  }
  const ms = Math.round(performance.now() - started);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    return { kind: 'http', status: response.status, message: serverErrorMessage(json) ?? text.slice(0, 300), ms };
  }
  const parsed = CompletionSchema.safeParse(json);
  if (!parsed.success) {
    return { kind: 'invalid', message: `not a chat completion: ${text.slice(0, 200)}` };
  }
  const choice = parsed.data.choices[0]!;
  return { kind: 'ok', message: choice.message, finishReason: choice.finish_reason ?? null, ms };
}

/** A tiny valid PNG: 32x32 (one visual token's block), solid red, made once with sharp and inlined here. */
const TINY_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAOklEQVR4nO3WSwkAMBAD0SoZ/6IipioKPTzYe2DJZ87q6R0CeVFcNEFLVUybZnBmMkMVAa+gY1/T9QWSNmA904FwuwAAAABJRU5ErkJggg==';

const PROBE_TOOL = {
  type: 'function',
  function: {
    name: 'report_number',
    description: 'Report a number to the user.',
    parameters: {
      type: 'object',
      properties: { value: { type: 'number', description: 'The number to report.' } },
      required: ['value'],
    },
  },
} as const;

function reasoningOf(message: ProbeMessage): { fields: string[]; inline: boolean } {
  const fields: string[] = [];
  if (message.reasoning) fields.push('reasoning');
  if (message.reasoning_content) fields.push('reasoning_content');
  return { fields, inline: (message.content ?? '').includes('</think>') };
}

function plainHttpProblem(what: string, r: Extract<ProbeResult, { kind: 'http' }>): Problem {
  if (r.status === 401 || r.status === 403) {
    return {
      problem: `The server refused the ${what} request with ${r.status}: ${r.message}.`,
      fix: 'Pass the API key the server expects with --api-key-file FILE or DESKPILOT_API_KEY (or the key field in Settings).',
    };
  }
  return {
    problem: `The server answered the ${what} request with HTTP ${r.status}: ${r.message}`,
    fix: 'Read the server log for the cause; run the check again once it is fixed.',
  };
}

/** Diagnose a server: every probe is bounded by `timeoutMs`; nothing throws except an abort through `signal`. */
export async function diagnoseEndpoint(o: DiagnoseOptions): Promise<EndpointReport> {
  const report: EndpointReport = {
    endpoint: o.endpoint,
    baseUrl: null,
    v1Added: false,
    reachable: false,
    models: [],
    model: { requested: o.model ?? null, served: false, used: null },
    maxModelLen: null,
    toolCallParser: null,
    mode: null,
    reasoning: null,
    reasoningFields: [],
    imageAccepted: null,
    latencyMs: null,
    grounding: skippedGrounding(o.profile ?? DEFAULT_PROFILE_ID, 'the server was not probed that far'),
    problems: [],
    notes: [],
  };
  const probe: ProbeOptions = { apiKey: o.apiKey, timeoutMs: Math.min(o.timeoutMs ?? 10_000, 10_000), signal: o.signal };

  let normalized: NormalizedEndpoint;
  try {
    normalized = normalizeEndpoint(o.endpoint);
  } catch (error) {
    report.problems.push({
      problem: (error as Error).message,
      fix: 'Pass --endpoint with the server address, e.g. http://localhost:8000/v1.',
    });
    return report;
  }

  // Reachable at all? Any HTTP answer counts.
  const root = normalized.base.replace(/^(https?:\/\/[^/]+).*$/, '$1');
  const rootAnswer = await tryGet(`${normalized.base}/models`, probe);
  await rootAnswer?.body?.cancel();
  if (!rootAnswer) {
    let cause = 'no answer';
    try {
      await fetch(root, { signal: boundedSignal(probe.timeoutMs!, o.signal) });
    } catch (error) {
      if (o.signal?.aborted) throw error;
      cause = (error as Error)?.name === 'TimeoutError' ? 'timed out' : causeOf(error);
    }
    if (cause === 'no answer') {
      // The host answers on other paths; carry on.
    } else {
      report.problems.push({
        problem: `Nothing answers at ${root} (${cause}).`,
        fix: 'Start the model server, or correct the host and port in --endpoint.',
      });
      return report;
    }
  }
  report.reachable = true;

  const base = await resolveBaseUrl(o.endpoint, probe);
  report.baseUrl = base.baseUrl;
  report.v1Added = base.v1Added;
  if (base.note) report.notes.push(`${base.note} Use ${base.baseUrl} as the endpoint.`);

  // Served models.
  const modelsResponse = await tryGet(`${base.baseUrl}/models`, probe);
  if (!modelsResponse) {
    report.problems.push({
      problem: `${base.baseUrl}/models did not answer within ${probe.timeoutMs} ms.`,
      fix: 'Check that the server has finished loading the model, then run the check again.',
    });
    return report;
  }
  const modelsText = await modelsResponse.text();
  if (modelsResponse.status === 401 || modelsResponse.status === 403) {
    report.problems.push({
      problem: `The server refused the request for its model list (${modelsResponse.status}); it needs an API key.`,
      fix: 'Pass the API key the server was started with (--api-key-file FILE or DESKPILOT_API_KEY; vLLM: --api-key).',
    });
    return report;
  }
  if (!modelsResponse.ok) {
    report.problems.push({
      problem: `${base.baseUrl}/models answered HTTP ${modelsResponse.status}, so this is not the OpenAI-compatible API.`,
      fix: normalized.hasVersion
        ? 'Check the path of --endpoint: it should be the URL that ends in /v1.'
        : `Give the URL that ends in /v1 (for vLLM: http://host:8000/v1).`,
    });
    return report;
  }
  let models: z.infer<typeof ModelsSchema>['data'] = [];
  try {
    models = ModelsSchema.parse(JSON.parse(modelsText)).data;
  } catch {
    report.problems.push({
      problem: `${base.baseUrl}/models did not return a model list (got: ${modelsText.slice(0, 120)}).`,
      fix: 'Point --endpoint at an OpenAI-compatible server (vLLM, SGLang, Ollama, LM Studio).',
    });
    return report;
  }
  report.models = models.map((m) => m.id);

  let used: string | undefined;
  if (o.model !== undefined) {
    report.model.served = report.models.includes(o.model);
    if (report.model.served) used = o.model;
    else if (report.models.length > 0) {
      const names = report.models.map((m) => `"${m}"`).join(', ');
      report.problems.push({
        problem: `The server does not serve the model "${o.model}"; it serves ${names}.`,
        fix: `Pass --model ${JSON.stringify(report.models[0])} (the name must match exactly).`,
      });
      // Carry on with a served model so the rest of the report is still useful.
      used = report.models[0];
      report.notes.push(`The remaining probes used the served model "${used}".`);
    } else {
      // Some servers do not list models; try the given name.
      used = o.model;
    }
  } else if (report.models.length === 1) {
    used = report.models[0];
    report.model.served = true;
  } else if (report.models.length > 1) {
    report.problems.push({
      problem: `The server serves ${report.models.length} models (${report.models.join(', ')}); which one to use is not given.`,
      fix: 'Pass --model with one of these names.',
    });
    used = report.models[0];
  } else {
    report.problems.push({
      problem: 'The server lists no models.',
      fix: 'Check that the model finished loading, and pass its name with --model.',
    });
    return report;
  }
  report.model.used = used ?? null;
  const entry = models.find((m) => m.id === used);
  if (entry?.max_model_len) {
    report.maxModelLen = entry.max_model_len;
    if (entry.max_model_len < 8192) {
      report.problems.push({
        problem: `The model's context is only ${entry.max_model_len} tokens; a few screenshots and the tool text need about 8000.`,
        fix: 'Start vLLM with a larger --max-model-len (16384 or more).',
      });
    }
  }

  const reasoningSeen = new Set<string>();
  let inlineSeen = false;
  const noteReasoning = (m: ProbeMessage) => {
    const r = reasoningOf(m);
    r.fields.forEach((f) => reasoningSeen.add(f));
    inlineSeen ||= r.inline;
  };

  // 1. Latency: the smallest round trip.
  const ping = await postChat(
    base.baseUrl,
    { model: used, messages: [{ role: 'user', content: 'Reply with the single word OK.' }], max_tokens: 1, temperature: 0 },
    o,
  );
  if (ping.kind === 'ok') {
    report.latencyMs = ping.ms;
  } else {
    report.problems.push(chatProblem('text', ping, base.baseUrl, used));
    return finish(report, reasoningSeen, inlineSeen);
  }

  // 2. Tool calls: ask for a trivial one and see how it comes back.
  const tool = await postChat(
    base.baseUrl,
    {
      model: used,
      messages: [
        { role: 'user', content: 'Call the report_number tool with value 7. Do not write anything else.' },
      ],
      tools: [PROBE_TOOL],
      tool_choice: 'auto',
      max_tokens: 1024,
      temperature: 0,
    },
    o,
  );
  if (tool.kind === 'http' && tool.status === 400 && isNoToolParserError(tool.message)) {
    report.toolCallParser = false;
  } else if (tool.kind === 'ok') {
    noteReasoning(tool.message);
    const calls = tool.message.tool_calls ?? [];
    if (calls.length > 0) report.toolCallParser = true;
    else if (/<tool_call>/.test(tool.message.content ?? '')) report.toolCallParser = false;
    else {
      report.notes.push(
        `The model did not call the probe tool (finish reason ${tool.finishReason ?? 'unknown'}), so whether the server parses tool calls is unknown; Deskpilot will find out on the first step.`,
      );
    }
  } else {
    report.problems.push(chatProblem('tool-call', tool, base.baseUrl, used));
  }
  if (report.toolCallParser === false) {
    report.notes.push(
      'The server does not parse tool calls; Deskpilot puts the tools in the prompt instead, which works the same. To let the server parse them, start vLLM with --enable-auto-tool-choice --tool-call-parser hermes.',
    );
  }
  report.mode = report.toolCallParser === null ? null : report.toolCallParser ? 'native' : 'prompt';

  // 3. Images.
  const image = await postChat(
    base.baseUrl,
    {
      model: used,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG}` } },
            { type: 'text', text: 'What colour is this image? One word.' },
          ],
        },
      ],
      max_tokens: 16,
      temperature: 0,
    },
    o,
  );
  if (image.kind === 'ok') {
    report.imageAccepted = true;
    noteReasoning(image.message);
    // 4. Grounding: which coordinate space the model clicks in.
    report.grounding = await probeGrounding(base.baseUrl, used, report, o);
  } else if (image.kind === 'http' && image.status >= 400 && image.status < 500) {
    report.imageAccepted = false;
    report.problems.push({
      problem: `The server refused an image (${image.status}: ${image.message}), so the model cannot see the screen.`,
      fix: 'Serve a vision-language model such as Qwen/Qwen3-VL-8B-Instruct, and do not set --limit-mm-per-prompt image=0.',
    });
  } else {
    report.problems.push(chatProblem('image', image, base.baseUrl, used));
  }
  if (report.imageAccepted !== true) {
    report.grounding.reason = 'the image probe failed, so the model cannot be shown a screenshot';
  }

  return finish(report, reasoningSeen, inlineSeen);
}

function finish(report: EndpointReport, fields: Set<string>, inline: boolean): EndpointReport {
  report.reasoningFields = [...fields].sort();
  if (fields.has('reasoning')) report.reasoning = 'field:reasoning';
  else if (fields.has('reasoning_content')) report.reasoning = 'field:reasoning_content';
  else if (inline) {
    report.reasoning = 'inline';
    report.notes.push(
      'The reasoning arrives inline before </think> in the text; Deskpilot splits it out. A reasoning parser (vLLM --reasoning-parser qwen3, or deepseek_r1 on vLLM 0.11) sends it separately.',
    );
  } else if (report.latencyMs !== null) report.reasoning = 'none';
  return report;
}

function chatProblem(what: string, r: ProbeResult, baseUrl: string, model: string | undefined): Problem {
  switch (r.kind) {
    case 'timeout':
      return {
        problem: `The ${what} probe got no answer in time from ${baseUrl}/chat/completions.`,
        fix: 'The server may still be loading or be overloaded; wait and run the check again, or raise --timeout.',
      };
    case 'unreachable':
      return {
        problem: `The connection broke during the ${what} probe (${r.message}).`,
        fix: 'Check the server log; it may have crashed while answering.',
      };
    case 'invalid':
      return {
        problem: `The ${what} probe's answer is ${r.message}.`,
        fix: 'Point --endpoint at an OpenAI-compatible chat-completions server.',
      };
    case 'http':
      if (r.status === 404) {
        return {
          problem: `The ${what} probe for model "${model}" got 404: ${r.message}`,
          fix: 'Pass a served model name with --model, and check that the endpoint ends in /v1.',
        };
      }
      return plainHttpProblem(what, r);
    case 'ok':
      return { problem: `The ${what} probe failed unexpectedly.`, fix: 'Run the check again.' };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Grounding probe

/**
 * The probe screenshot: light grey with one red square off-centre and off the diagonal, so a point in the 0..1000
 * grid and a point in pixels land far apart. Both sides are multiples of 224 (= 28 x 32): smart resize leaves the
 * image as it is for Qwen2.5-VL (factor 28) and Qwen3-VL (factor 32), so "pixels of the image the model saw" are
 * the pixels of this image.
 */
const GROUNDING_IMAGE = { width: 1344, height: 896 } as const;
const GROUNDING_SQUARE = { cx: 1030, cy: 250, side: 60 } as const;
/** Pixels around the square that still count as on it (a model aims at the square, not its exact centre). */
const GROUNDING_MARGIN = 15;
/** The agent loop's system prompt, so the model sees what it sees in a run. */
const GROUNDING_SYSTEM = 'You are a helpful assistant.';
const GROUNDING_INSTRUCTION = 'Click the red square.';

function groundingExpected(): GroundingReport['expected'] {
  const { cx, cy } = GROUNDING_SQUARE;
  return {
    grid: [Math.round((cx / GROUNDING_IMAGE.width) * 1000), Math.round((cy / GROUNDING_IMAGE.height) * 1000)],
    pixels: [cx, cy],
  };
}

function skippedGrounding(profile: string, reason: string): GroundingReport {
  return {
    result: 'skipped',
    profile,
    expected: groundingExpected(),
    imageSize: { ...GROUNDING_IMAGE },
    reason,
  };
}

async function groundingPng(): Promise<string> {
  // Loaded here only: `deskpilot check` without a vision model, and the CLI's start, do not pay for sharp.
  const { default: sharp } = await import('sharp');
  const { cx, cy, side } = GROUNDING_SQUARE;
  const square = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 230, g: 20, b: 20 } } })
    .png()
    .toBuffer();
  const png = await sharp({
    create: { width: GROUNDING_IMAGE.width, height: GROUNDING_IMAGE.height, channels: 3, background: { r: 225, g: 225, b: 225 } },
  })
    .composite([{ input: square, left: cx - side / 2, top: cy - side / 2 }])
    .png()
    .toBuffer();
  return png.toString('base64');
}

/** The point is on the square (with the margin), in pixels of the probe image. */
function onSquare(x: number, y: number): boolean {
  const { cx, cy, side } = GROUNDING_SQUARE;
  const half = side / 2 + GROUNDING_MARGIN;
  return Math.abs(x - cx) <= half && Math.abs(y - cy) <= half;
}

/** Where a model's point falls: a grid of 1000 or 999 (under 1.4 px apart here), pixels, or neither. */
export function classifyGroundingPoint(point: [number, number]): 'grid' | 'absolute' | 'missed' {
  const [x, y] = point;
  const { width, height } = GROUNDING_IMAGE;
  for (const grid of [1000, 999]) {
    if (onSquare((x / grid) * width, (y / grid) * height)) return 'grid';
  }
  if (onSquare(x, y)) return 'absolute';
  return 'missed';
}

/** The built-in profile for the same tool in the other coordinate space. */
function profileFor(space: 'grid' | 'absolute', chosen: Profile): string {
  if (chosen.coordinates.kind === space) return chosen.id;
  if (space === 'absolute') return chosen.tool === 'mobile_use' ? 'qwen2.5-vl-mobile' : 'qwen2.5-vl';
  return chosen.tool === 'mobile_use' ? 'qwen3-vl-mobile' : 'qwen3-vl';
}

function describeSpace(profile: Profile): string {
  return profile.coordinates.kind === 'grid'
    ? `the 0..${profile.coordinates.size} grid`
    : 'absolute pixels of the screenshot';
}

/**
 * Show the model a red square through the same client and tools a run uses, and see which coordinate space its
 * click is in. Bounded by the probe timeout; a failure becomes `skipped` with the reason and a note, never an
 * exception (except an abort through `o.signal`).
 */
async function probeGrounding(
  baseUrl: string,
  model: string | undefined,
  report: EndpointReport,
  o: DiagnoseOptions,
): Promise<GroundingReport> {
  const spec = o.profile ?? DEFAULT_PROFILE_ID;
  if (model === undefined) return skippedGrounding(spec, 'no model name is known');
  let profile: Profile;
  try {
    profile = getProfile(spec);
  } catch (error) {
    return skippedGrounding(spec, (error as Error).message);
  }
  const grounding: GroundingReport = {
    result: 'skipped',
    profile: profile.id,
    expected: groundingExpected(),
    imageSize: { ...GROUNDING_IMAGE },
  };
  const timeoutMs = o.timeoutMs ?? 60_000;
  try {
    const base64 = await groundingPng();
    // Imported here because client.ts imports this file.
    const { ModelClient } = await import('./client');
    const client = new ModelClient({
      endpoint: baseUrl,
      model,
      apiKey: o.apiKey,
      timeoutMs,
      maxRetries: 0,
      mode: report.mode ?? 'auto',
      streaming: false,
    });
    const done = await client.complete({
      profile,
      system: GROUNDING_SYSTEM,
      turns: [
        {
          role: 'user',
          parts: [
            { type: 'image', mime: 'image/png', base64 },
            { type: 'text', text: GROUNDING_INSTRUCTION },
          ],
        },
      ],
      tools: toolsForProfile(profile, GROUNDING_IMAGE),
      signal: boundedSignal(timeoutMs, o.signal),
    });
    // Parsed as absolute without an image size, so a point outside the profile's space is still read, not refused.
    const lenient: Profile = { ...profile, coordinates: { kind: 'absolute' } };
    const parsed = parseReply(done.message, lenient);
    const first = parsed.calls[0];
    if (!first) {
      grounding.result = 'no-call';
      grounding.reason = parsed.errors[0] ?? `the model answered in prose: "${snippetOf(parsed.text)}"`;
      report.notes.push(
        `Grounding probe: the model did not call ${profile.tool} when asked to click a red square (${grounding.reason}), so its coordinate space is unknown.`,
      );
      return grounding;
    }
    const coordinate = (first.arguments as { coordinate?: unknown }).coordinate;
    if (!Array.isArray(coordinate) || coordinate.length !== 2 || !coordinate.every((n) => typeof n === 'number')) {
      grounding.result = 'missed';
      grounding.reason = `the first call was ${JSON.stringify(first.arguments)}, with no point to click`;
      report.notes.push(`Grounding probe: asked to click a red square, the model made no click (${grounding.reason}).`);
      return grounding;
    }
    const point: [number, number] = [coordinate[0] as number, coordinate[1] as number];
    grounding.point = point;
    const result = classifyGroundingPoint(point);
    grounding.result = result;
    if (result === 'missed') {
      const { grid, pixels } = grounding.expected;
      const fractions = point.every((n) => n >= 0 && n <= 1) ? ' It looks like 0..1 fractions, which no profile reads.' : '';
      report.notes.push(
        `Grounding probe: the model clicked (${point.join(', ')}), on neither the red square's grid position (${grid.join(', ')}) nor its pixels (${pixels.join(', ')}); its clicks may land in the wrong place.${fractions}`,
      );
      return grounding;
    }
    grounding.suggestedProfile = profileFor(result, profile);
    if (profile.coordinates.kind !== result) {
      const answers = result === 'grid' ? 'the 0..1000 grid' : 'absolute pixels';
      report.problems.push({
        problem: `Asked to click a red square, the model answered (${point.join(', ')}) in ${answers}, but the profile ${profile.id} reads ${describeSpace(profile)}, so its clicks would land in the wrong place.`,
        fix: `This model answers in ${answers}: use --profile ${grounding.suggestedProfile}.`,
      });
    }
    return grounding;
  } catch (error) {
    if (o.signal?.aborted) throw o.signal.reason ?? error;
    const message = (error as Error)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error)?.message ?? String(error);
    grounding.reason = `the probe failed: ${message}`;
    report.notes.push(`Grounding probe skipped: ${message}`);
    return grounding;
  }
}

function snippetOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}
