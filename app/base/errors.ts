/**
 * The one "message of an error" helper and the one abort error family. Pure (no Node imports).
 *
 * Every cancelled wait or action in the engine throws an `Aborted` (name `AbortError`, as the web platform's own
 * abort errors), with a `kind` saying what was cut short; `isAbort` recognises it and any other AbortError
 * (fetch's DOMException, the input layer's ActionAborted/TypingAborted, which already carry that name).
 */

/**
 * The message of anything thrown: an Error's message, a string as is, anything else as String(value). With a
 * `fallback`, that is said instead of an empty message or of a value that is neither an Error nor a string (which
 * a caller may not want to print: an object could hold what it was given).
 */
export function errorMessage(error: unknown, fallback?: string): string {
  if (fallback !== undefined && !(error instanceof Error) && typeof error !== 'string') return fallback;
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
  return text === '' && fallback !== undefined ? fallback : text;
}

/** What was cut short: the whole run (Stop), one action, a model request, a wait. */
export type AbortKind = 'stop' | 'action' | 'model' | 'wait';

export class Aborted extends Error {
  override name = 'AbortError';
  constructor(
    message: string,
    readonly kind: AbortKind = 'wait',
  ) {
    super(message);
  }
}

/** Was this thrown because something was cancelled (by us, or by an AbortSignal anywhere below)? */
export function isAbort(error: unknown): boolean {
  return error instanceof Aborted || (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError');
}
