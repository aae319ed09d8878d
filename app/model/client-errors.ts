/**
 * How the client says what went wrong: ModelError (its kind, the HTTP status, whether a retry may help, how long
 * the server asked to wait), the classification of any failure into one with the fix where one is known, and the
 * fetch wrapper that keeps the message of the error bodies older servers send.
 */
import OpenAI from 'openai';
import { errorMessage, isAbort } from '../base/errors';
import { connectionCause, serverErrorMessage } from './server-errors';

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

/** The cancelled-request error every abort becomes. */
export function cancelled(): ModelError {
  return new ModelError('aborted', 'The model request was cancelled.');
}

/** Retry-After (seconds or an HTTP date) and the non-standard retry-after-ms, in milliseconds. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
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

export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The SDK keeps only the `error` member of an error body, so the flat bodies of older vLLM and SGLang
 * (`{"object":"error","message":...}`) and FastAPI's `{"detail":...}` would lose their message. Rewrap those in
 * the `{"error": {...}}` shape before the SDK reads them.
 */
export async function fetchWithErrorBodies(input: string | URL | Request, init?: RequestInit): Promise<Response> {
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

/** Any failure -> a ModelError a person understands, with the fix where one is known. */
export function classifyModelError(error: unknown, where: { baseURL: string; model: string; endpoint: string }): ModelError {
  const { baseURL } = where;
  if (error instanceof ModelError) return error;
  if (error instanceof OpenAI.APIUserAbortError) return cancelled();
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
          `The server does not serve the model "${where.model}" (${serverMessage}). Run \`deskpilot check --endpoint ${where.endpoint}\` to see the served names.`,
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
  if (isAbort(error)) return cancelled();
  return new ModelError('protocol', `Unexpected failure talking to the model server: ${errorMessage(error)}`);
}
