/**
 * THE abortable sleep. Pure (timers and AbortSignal only).
 *
 * `onAbort` says what a cancelled sleep does: `resolve` (the caller checks its signal next, e.g. a poll loop or the
 * `wait` action) or `reject` (with the signal's reason when it is an Error, else an Aborted), for callers whose
 * next step must not run after a cancel.
 */
import { Aborted } from './errors';

export function sleep(ms: number, signal?: AbortSignal, onAbort: 'resolve' | 'reject' = 'resolve'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancelled = (): void => {
      if (onAbort === 'resolve') return resolve();
      const reason: unknown = signal?.reason;
      reject(reason instanceof Error ? reason : new Aborted('the wait was cancelled'));
    };
    if (signal?.aborted) return cancelled();
    const done = (): void => {
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    const stop = (): void => {
      clearTimeout(timer);
      cancelled();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}
