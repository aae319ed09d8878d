/**
 * The bridge between the UI (renderer) and the engine host: one typed allowlist of request channels, each with a
 * zod schema for its input and the type of what it answers, plus one event channel. Electron's preload (IPC) and the
 * browser UI mode (WebSocket) both carry exactly these; the renderer talks to the `DeskpilotBridge` interface, gets
 * typed answers, and never knows which transport it has. The engine host's handler map is typed from the same
 * table, so a handler that answers something else does not compile.
 * Plain data only (no Node imports): the renderer imports this file.
 */
import { z } from 'zod';
import type { Display } from '../base/shapes';
import { DecisionSchema, RunEventSchema, RunSettingsSchema, TRAINING_FORMATS, type Decision, type DeviceList, type RunEvent, type RunState } from '../contract';
import type { EndpointReport } from '../model/check-report';

/** Settings as the UI edits them: everything optional except what a run needs; the API key write-only. */
export const SettingsInputSchema = RunSettingsSchema.partial().extend({
  /** The key for the endpoint saved with it (or already saved). Empty string = keep the stored key; null = forget
      the key of that endpoint's origin. */
  apiKey: z.string().nullable().optional(),
});
export type SettingsInput = z.infer<typeof SettingsInputSchema>;

export const EndpointCheckInputSchema = z.object({
  endpoint: z.string().min(1),
  model: z.string().optional(),
  apiKey: z.string().optional(),
  /** The profile chosen in the form: the grounding probe checks the model answers in its coordinate space. */
  profile: z.string().optional(),
  /** Zooms per step from the form: the probe offers image_zoom_in_tool and answers zooms, as a run would. */
  zoom: RunSettingsSchema.shape.zoom.optional(),
});

/** One request channel: its input schema, and (for the type system only) what the host answers. */
export interface BridgeChannel<I extends z.ZodType, R> {
  readonly input: I;
  /** Never set: carries the answer's type. */
  readonly result?: R;
}

/** `request(inputSchema).returns<Answer>()`. */
function request<I extends z.ZodType>(input: I) {
  return { returns: <R>(): BridgeChannel<I, R> => ({ input }) };
}

/** The longest question `ask` takes (a question, not a document). */
export const ASK_QUESTION_MAX_CHARS = 4000;

const runId = z.string().regex(/^[\w.-]+$/, 'not a run id');

/** The request channels: name -> input schema and answer. Anything else is refused by the host. */
export const BRIDGE_REQUESTS = {
  'run.start': request(z.object({ instruction: z.string().trim().min(1, 'type an instruction first') })).returns<{ runId: string }>(),
  'run.decide': request(z.object({ proposalId: z.string().min(1), decision: DecisionSchema })).returns<{
    proposalId: string;
    kind: Decision['kind'];
  }>(),
  'run.pause': request(z.object({})).returns<{ state: RunState }>(),
  'run.resume': request(z.object({})).returns<{ state: RunState }>(),
  'run.stop': request(z.object({})).returns<{ state: RunState }>(),
  'run.current': request(z.object({})).returns<CurrentRun | null>(),
  'settings.get': request(z.object({})).returns<SettingsView>(),
  'settings.save': request(SettingsInputSchema).returns<SettingsView>(),
  'endpoint.check': request(EndpointCheckInputSchema).returns<EndpointReport>(),
  'runs.list': request(z.object({})).returns<RunListItem[]>(),
  'runs.get': request(z.object({ runId })).returns<RunDetails>(),
  /** One image file of a run folder (the step screenshots), as { mime, base64 }: the UI loads them lazily. */
  'runs.image': request(
    z.object({ runId, file: z.string().regex(/^step-\d+(-\d+)?\.(png|jpg|webp)$/, 'not a step image file name') }),
  ).returns<RunImage>(),
  /** History's "Export for training": the run as `deskpilot export` writes it, into a new folder of its own. */
  'runs.export': request(
    z.object({
      runId,
      format: z.enum(TRAINING_FORMATS),
      /** `deskpilot export --filter` values ("risk=risky", "outcome=success"). */
      filters: z.array(z.string().max(200)).max(12).default([]),
      /** Hide what the run's text deny rules match (`deskpilot export --redact`). */
      redact: z.boolean().default(false),
    }),
  ).returns<RunExport>(),
  'displays.list': request(z.object({})).returns<Display[]>(),
  /** What a run can drive (the `device` setting): this desktop's displays and the phones adb sees. */
  'devices.list': request(z.object({})).returns<DeviceList>(),
  /**
   * A question about the current screen of the run target (the `device` setting: this desktop's `display`, or the
   * phone), answered by the model under the saved profile (app/agent/ask.ts, as `deskpilot ask`). One at a time,
   * never while a run is going.
   */
  ask: request(
    z.object({
      question: z
        .string()
        .trim()
        .min(1, 'type a question about the screen first')
        .max(ASK_QUESTION_MAX_CHARS, `a question is at most ${ASK_QUESTION_MAX_CHARS} characters; shorten it`),
    }),
  ).returns<AskAnswer>(),
  /** Cancel the question being asked: its `ask` request then answers with an error saying so. */
  'ask.cancel': request(z.object({})).returns<{ cancelled: boolean }>(),
} as const;
export type BridgeRequestName = keyof typeof BRIDGE_REQUESTS;
export type BridgeRequestInput<N extends BridgeRequestName> = z.input<(typeof BRIDGE_REQUESTS)[N]['input']>;
/** The input as the host sees it, after its schema parsed it. */
export type BridgeRequestParsed<N extends BridgeRequestName> = z.output<(typeof BRIDGE_REQUESTS)[N]['input']>;
/** What a request answers when it succeeds. */
export type BridgeResult<N extends BridgeRequestName> = (typeof BRIDGE_REQUESTS)[N] extends BridgeChannel<z.ZodType, infer R> ? R : never;

export const BRIDGE_EVENT_CHANNEL = 'run.event';
export { RunEventSchema };

/** What a request answers: `{ ok: true, value }` or `{ ok: false, error }` with a message a person can read. */
export type BridgeResponse<T = unknown> = { ok: true; value: T } | { ok: false; error: string; issues?: string[] };

/** The settings as the UI sees them: never the API key itself. */
export interface SettingsView {
  settings: Omit<z.infer<typeof RunSettingsSchema>, 'apiKey'> | null;
  /** Raw stored values when they do not validate yet (first start: no endpoint). */
  draft: Record<string, unknown>;
  /** A key is stored for the origin of the endpoint in these settings (the only key a run or check with them uses). */
  apiKeySet: boolean;
  /** That origin ("https://host:port"), or null while the endpoint is not an http(s) URL. */
  apiKeyOrigin: string | null;
  /** Every origin a key is stored for. */
  apiKeyOrigins: string[];
  /** Where the API key is kept ("os keychain (safeStorage)", "memory only", ...). */
  apiKeyStorage: string;
}

/** One past run in the History list. */
export interface RunListItem {
  runId: string;
  instruction: string;
  startedAt: number;
  outcome: string | null;
  steps: number;
  /** Actions a person denied or edited (run.json; 0 for a run that never closed its record). */
  corrections: number;
}

/** What "Export for training" wrote: the folder, lines per kind, and why the other steps gave none. */
export interface RunExport {
  dir: string;
  files: string[];
  counts: Record<string, number>;
  skipped: Record<string, number>;
  missing: string[];
  /** With redaction: images that had regions blurred, and how many regions in all. */
  redacted?: { images: number; regions: number };
}

/** One past run opened in the trajectory viewer: its events, and what could not be read of its record. */
export interface RunDetails {
  runId: string;
  dir: string;
  settings: Record<string, unknown> | null;
  events: RunEvent[];
  problems: string[];
  truncated: boolean;
}

/** A step screenshot of a past run. */
export interface RunImage {
  mime: string;
  base64: string;
}

/** The model's answer to an `ask` question (app/agent/ask.ts AskResult, and what it was about). */
export interface AskAnswer {
  question: string;
  /** The answer as the profile finds it (CapCurriculum-style profiles: the last \boxed{}). */
  answer: string;
  reasoning: string | null;
  /** The reply as the model wrote it. */
  raw: string;
  /** Why the answer is not in the profile's form (no \boxed{} found: the whole reply is the answer). */
  note?: string;
  /** What was asked about, in words: "this desktop, display 0 (1280x720)", "the phone android:SERIAL". */
  about: string;
  profile: string;
  model: string;
  /** The size the screenshot was sent at. */
  image: { width: number; height: number };
}

export interface CurrentRun {
  runId: string;
  state: string;
  instruction: string;
  /** The events so far, for a UI that connects mid-run. */
  events: RunEvent[];
}

/** The one interface the renderer talks to. */
export interface DeskpilotBridge {
  readonly kind: 'electron' | 'websocket';
  /** Resolves with the host's BridgeResponse (app/host/engine-host.ts EngineHost.handle); never rejects for a refused request. */
  request<N extends BridgeRequestName>(name: N, input: BridgeRequestInput<N>): Promise<BridgeResponse<BridgeResult<N>>>;
  onEvent(listener: (event: RunEvent) => void): () => void;
  /** Connection state, for a bridge that can lose its connection (the WebSocket one); absent = always connected. */
  onStatus?(listener: (status: BridgeStatus) => void): () => void;
}

export type BridgeStatus = { state: 'connecting' | 'open' } | { state: 'closed'; message: string };

export type { Decision };
