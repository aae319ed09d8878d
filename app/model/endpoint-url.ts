/**
 * Endpoint URLs: turning what a person typed into the base URL of an OpenAI-compatible server (a missing `/v1` is
 * found and said), and the server's model list. Used by the client (client.ts), the check (check.ts), the CLI and
 * the engine host.
 */
import { z } from 'zod';

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

export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** `signal` (if any) or the timeout, whichever comes first. */
export function boundedSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** GET a URL, bounded in time; undefined when nothing answered. */
export async function tryGet(url: string, o: ProbeOptions): Promise<Response | undefined> {
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

/** A server's GET /models answer (vLLM adds each model's max_model_len). */
export const ModelsSchema = z.object({
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
