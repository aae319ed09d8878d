/**
 * Diagnosing a server Deskpilot has never seen, from its behaviour (`deskpilot check` and the UI's "Check
 * endpoint"): reachable, `/v1`, served models, tool-call parsing, reasoning form, images, grounding, latency; each
 * problem with its fix.
 *
 * Nothing here assumes the server is our fake or even vLLM: the tool-parser mode is found by asking for a trivial
 * tool call (a 400 "auto tool choice" or raw `<tool_call>` text => no parser; `tool_calls` => parser), and the
 * reasoning form by looking at which field the reasoning came back in.
 */
import { z } from 'zod';
import type { EndpointReport, Problem } from './check-report';
import {
  authHeaders,
  boundedSignal,
  ModelsSchema,
  normalizeEndpoint,
  resolveBaseUrl,
  tryGet,
  type NormalizedEndpoint,
  type ProbeOptions,
} from './endpoint-url';
import { probeGrounding, skippedGrounding, type GroundingOptions } from './grounding';
import { DEFAULT_PROFILE_ID } from './profiles';
import { connectionCause, isNoToolParserError, serverErrorMessage } from './server-errors';

export type { EndpointReport, GroundingReport, Problem, ReasoningReport } from './check-report';

export interface DiagnoseOptions extends GroundingOptions {
  endpoint: string;
  model?: string;
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
    return { kind: 'unreachable', message: connectionCause(error) };
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
    grounding: skippedGrounding(o.agent ?? o.profile ?? DEFAULT_PROFILE_ID, 'the server was not probed that far'),
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
      cause = (error as Error)?.name === 'TimeoutError' ? 'timed out' : connectionCause(error);
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

  const models = await servedModels(report, base.baseUrl, probe, normalized);
  if (!models) return report;
  const chosen = chooseModel(report, models, o.model);
  if (!chosen) return report;
  const { used } = chosen;

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

type ServedModel = z.infer<typeof ModelsSchema>['data'][number];

/** The server's model list into the report; null (with the problem said) when there is none to read. */
async function servedModels(
  report: EndpointReport,
  baseUrl: string,
  probe: ProbeOptions,
  normalized: NormalizedEndpoint,
): Promise<ServedModel[] | null> {
  const modelsResponse = await tryGet(`${baseUrl}/models`, probe);
  if (!modelsResponse) {
    report.problems.push({
      problem: `${baseUrl}/models did not answer within ${probe.timeoutMs} ms.`,
      fix: 'Check that the server has finished loading the model, then run the check again.',
    });
    return null;
  }
  const modelsText = await modelsResponse.text();
  if (modelsResponse.status === 401 || modelsResponse.status === 403) {
    report.problems.push({
      problem: `The server refused the request for its model list (${modelsResponse.status}); it needs an API key.`,
      fix: 'Pass the API key the server was started with (--api-key-file FILE or DESKPILOT_API_KEY; vLLM: --api-key).',
    });
    return null;
  }
  if (!modelsResponse.ok) {
    report.problems.push({
      problem: `${baseUrl}/models answered HTTP ${modelsResponse.status}, so this is not the OpenAI-compatible API.`,
      fix: normalized.hasVersion
        ? 'Check the path of --endpoint: it should be the URL that ends in /v1.'
        : `Give the URL that ends in /v1 (for vLLM: http://host:8000/v1).`,
    });
    return null;
  }
  let models: ServedModel[] = [];
  try {
    models = ModelsSchema.parse(JSON.parse(modelsText)).data;
  } catch {
    report.problems.push({
      problem: `${baseUrl}/models did not return a model list (got: ${modelsText.slice(0, 120)}).`,
      fix: 'Point --endpoint at an OpenAI-compatible server (vLLM, SGLang, Ollama, LM Studio).',
    });
    return null;
  }
  report.models = models.map((m) => m.id);
  return models;
}

/**
 * The model the probes use: the requested one when served, else (said as a problem) a served one so the rest of the
 * report is still useful; its context length checked. Null when there is no model to probe.
 */
function chooseModel(
  report: EndpointReport,
  models: ServedModel[],
  requested: string | undefined,
): { used: string | undefined } | null {
  let used: string | undefined;
  if (requested !== undefined) {
    report.model.served = report.models.includes(requested);
    if (report.model.served) used = requested;
    else if (report.models.length > 0) {
      const names = report.models.map((m) => `"${m}"`).join(', ');
      report.problems.push({
        problem: `The server does not serve the model "${requested}"; it serves ${names}.`,
        fix: `Pass --model ${JSON.stringify(report.models[0])} (the name must match exactly).`,
      });
      // Carry on with a served model so the rest of the report is still useful.
      used = report.models[0];
      report.notes.push(`The remaining probes used the served model "${used}".`);
    } else {
      // Some servers do not list models; try the given name.
      used = requested;
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
    return null;
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
  return { used };
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
