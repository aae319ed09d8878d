/**
 * Run control: the run's state, its events and who hears them, and the person's controls - stop (at once: one
 * AbortSignal that every wait, request and action of the run takes) and pause (held before the next action).
 *
 * Events go to the run record first, then to every listener; a record that cannot be written stops the run (a full
 * disk must not leave the desktop half-done), a listener that throws (a closed socket) never does.
 */
import type { RunEvent, RunEventInit, RunState, Timings } from '../contract';
import { Aborted, errorMessage } from '../base/errors';
import type { Recorder } from './recorder';

type Listener = (event: RunEvent) => void;

export const TIMED_OUT = Symbol('timed out');

export class RunControl {
  private stateValue: RunState = 'idle';
  private readonly listeners = new Set<Listener>();
  private readonly abort = new AbortController();
  private pauseWaiters: Array<() => void> = [];
  private pauseRequested = false;

  /** `onStop` runs once, right after the stop is signalled (release held keys and buttons). */
  constructor(
    private readonly runId: string,
    private readonly recorder: Recorder | undefined,
    private readonly onStop: () => void,
  ) {}

  get state(): RunState {
    return this.stateValue;
  }

  /** Aborted when the run is stopped; its reason is the stop's Aborted. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  isFinished(): boolean {
    return this.stateValue === 'done' || this.stateValue === 'failed';
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(init: RunEventInit): void {
    const event = { ...init, runId: this.runId, at: Date.now() } as RunEvent;
    try {
      this.recorder?.record(event);
    } catch (error) {
      // A full disk must not leave the desktop in a half-done state: stop the run, keep the listeners informed.
      if (!this.stopped) this.stop(`the run record could not be written: ${errorMessage(error)}`);
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed socket) never stops the agent.
      }
    }
  }

  /**
   * The run record's file for an image sent to the model (Recorder.imageFile), or null without a record. A record
   * that cannot take it stops the run, as for an event.
   */
  imageFile(dataUrl: string): string | null {
    if (!this.recorder) return null;
    try {
      return this.recorder.imageFile(dataUrl);
    } catch (error) {
      if (!this.stopped) this.stop(`the run record could not be written: ${errorMessage(error)}`);
      return null;
    }
  }

  setState(state: RunState, reason?: string): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit({ type: 'state', state, ...(reason ? { reason } : {}) });
  }

  /** Stop now: abort the stream and any pending approval; no input event is sent after this. */
  stop(reason = 'stopped by the person'): void {
    if (this.stopped) return;
    if (!this.isFinished()) this.setState('stopping', reason);
    this.abort.abort(new Aborted(reason, 'stop'));
    this.releasePause();
    this.onStop();
  }

  /** Hold before the next action. */
  pause(): void {
    if (this.isFinished()) return;
    this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.releasePause();
  }

  private releasePause(): void {
    const waiters = this.pauseWaiters;
    this.pauseWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Throws the stop's Aborted once the run is stopped. */
  checkStopped(): void {
    if (this.stopped) throw this.abort.signal.reason ?? new Aborted('stopped', 'stop');
  }

  /** Wait here while paused (a stop ends the wait and throws). */
  async pauseGate(): Promise<void> {
    while (this.pauseRequested && !this.stopped) {
      this.setState('paused');
      await new Promise<void>((resolve) => this.pauseWaiters.push(resolve));
    }
    this.checkStopped();
    if (this.stateValue === 'paused') this.setState('running');
  }

  /** The promise's value, or TIMED_OUT after `ms`. Throws the stop's Aborted as soon as the run is stopped. */
  async within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    const signal = this.abort.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMED_OUT), ms);
          onAbort = () => resolve(TIMED_OUT);
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      this.checkStopped();
    }
  }
}

/** Run `work` and add its duration to `timings[phase]`. */
export async function timed<T>(timings: Timings, phase: keyof Timings, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[phase] = (timings[phase] ?? 0) + (performance.now() - started);
  }
}
