/**
 * The requests of a run exactly as the model server received them, for the run record (and from it, training
 * data: app/runs/training.ts). The model client tells the conversation the body of every HTTP request right before
 * sending it (ModelRequest.onRequest), and this turns it into a `model-input` event:
 *
 * - images: every `data:<mime>;base64,<data>` string becomes `data:<mime>;run-file=<name>`, naming the file of the
 *   run record that holds the same bytes (the step's screenshot, Recorder.imageFile). events.jsonl never holds
 *   base64, and a screenshot sent in six requests is stored once.
 * - messages: the history only appends (agent/history.ts), so a request repeats nearly all of the previous one.
 *   Only the messages after the leading ones equal to the previous request's are written, and `shared` says how
 *   many those are; the record grows with the run's length, not with its square. Every FULL_EVERY-th request is
 *   written whole, so a line lost to a damaged file costs the requests up to the next whole one, not the rest.
 *
 * RequestReplay undoes both, event by event in the record's order. The encoding is written by hand: it is the
 * record's own format, and nothing else knows which messages a request shares with the one before.
 */
import type { RunEvent, RunEventInit } from '../contract';

type ModelInputEvent = Extract<RunEvent, { type: 'model-input' }>;
type Json = unknown;

/** What the client sent (app/model/client.ts SentRequest). */
export interface SentBody {
  mode: 'native' | 'prompt';
  body: Readonly<Record<string, unknown>>;
}

/** One request in this many is written with all its messages (shared = 0): where a replay can start again. */
export const FULL_EVERY = 8;

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+);base64,/;
const FILE_URL = /^data:([\w.+-]+\/[\w.+-]+);run-file=([\w][\w.-]{0,254})$/;

/** The image a recorded `data:<mime>;run-file=<name>` string stands for, or null when the string is not one. */
export function recordedImageRef(url: string): { mime: string; file: string } | null {
  const match = FILE_URL.exec(url);
  return match ? { mime: match[1]!, file: match[2]! } : null;
}

/** `value` with every base64 data URL replaced by what `toRef` makes of it (a run-file reference). */
function mapImages(value: Json, toRef: (dataUrl: string, mime: string) => string): Json {
  if (typeof value === 'string') {
    // Only the start is looked at: a data URL is megabytes long.
    const match = value.startsWith('data:') ? DATA_URL.exec(value.slice(0, 120)) : null;
    return match ? toRef(value, match[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((item) => mapImages(item, toRef));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) out[key] = mapImages(item, toRef);
    return out;
  }
  return value;
}

export class RequestLog {
  private previous: string[] = [];
  private seq = 0;

  /** `imageFile`: the run record's file holding a data URL's image (Recorder.imageFile), or null without a record. */
  constructor(private readonly imageFile: (dataUrl: string) => string | null) {}

  event(step: number, attempt: number, sent: SentBody): Extract<RunEventInit, { type: 'model-input' }> {
    const { messages: rawMessages, ...rest } = sent.body;
    const toRef = (dataUrl: string, mime: string): string => {
      const file = this.imageFile(dataUrl);
      return file === null ? `data:${mime};not-recorded` : `data:${mime};run-file=${file}`;
    };
    const messages = (Array.isArray(rawMessages) ? rawMessages : []).map((m) => mapImages(m, toRef) as Record<string, unknown>);
    const serialized = messages.map((m) => JSON.stringify(m));
    let shared = 0;
    const whole = this.seq % FULL_EVERY === FULL_EVERY - 1;
    while (!whole && shared < serialized.length && shared < this.previous.length && serialized[shared] === this.previous[shared]) shared++;
    this.previous = serialized;
    return {
      type: 'model-input',
      step,
      attempt,
      mode: sent.mode,
      seq: ++this.seq,
      shared,
      messages: messages.slice(shared),
      body: mapImages(rest, toRef) as Record<string, unknown>,
    };
  }
}

/** One request rebuilt from the record: its messages (images as run-file references) and the rest of its body. */
export interface ReplayedRequest {
  step: number;
  attempt: number;
  mode: 'native' | 'prompt';
  messages: Array<Record<string, unknown>>;
  body: Record<string, unknown>;
}

/**
 * Rebuilds each request from the model-input events of one run, in the record's order. A request whose previous
 * one could not be read (a damaged line was skipped: `seq` has a gap) cannot be rebuilt: `next` then says why.
 */
export class RequestReplay {
  private previous: Array<Record<string, unknown>> | null = [];
  private seq = 0;

  next(event: ModelInputEvent): ReplayedRequest | { missing: string } {
    // A gap in the numbers: a line was lost, and with it what later requests share with it.
    if (event.seq !== this.seq + 1) this.previous = null;
    this.seq = event.seq;
    const base = this.previous;
    if (event.shared > 0 && (base === null || event.shared > base.length)) {
      this.previous = null;
      return { missing: `the request of step ${event.step} repeats messages of an earlier request whose line the record lost` };
    }
    const messages = [...(base ?? []).slice(0, event.shared), ...event.messages];
    this.previous = messages;
    return { step: event.step, attempt: event.attempt, mode: event.mode, messages, body: event.body };
  }
}
