/**
 * What servers say when they refuse: the error text of any body shape they use, vLLM's "no tool-call parser"
 * answer, and the cause of a failed connection. Shared by the client and the check.
 */
import { errorMessage } from '../base/errors';

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

/** What a failed connection says about its cause: the system error code (ECONNREFUSED, ...) or message. */
export function connectionCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? errorMessage(error);
}
