/**
 * The bridge between the UI (renderer) and the engine host: one typed allowlist of request channels, each with a
 * zod schema for its input, plus one event channel. Electron's preload (IPC) and the browser UI mode (WebSocket)
 * both carry exactly these; the renderer talks to the `DeskpilotBridge` interface and never knows which one it has.
 * Plain data only (no Node imports): the renderer imports this file.
 */
import { z } from 'zod';
import { DecisionSchema, RunEventSchema, RunSettingsSchema, type Decision, type RunEvent } from './contract';

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
});

/** The request channels: name -> input schema. Anything else is refused by the host. */
export const BRIDGE_REQUESTS = {
  'run.start': z.object({ instruction: z.string().trim().min(1, 'type an instruction first') }),
  'run.decide': z.object({ proposalId: z.string().min(1), decision: DecisionSchema }),
  'run.pause': z.object({}),
  'run.resume': z.object({}),
  'run.stop': z.object({}),
  'run.current': z.object({}),
  'settings.get': z.object({}),
  'settings.save': SettingsInputSchema,
  'endpoint.check': EndpointCheckInputSchema,
  'runs.list': z.object({}),
  'runs.get': z.object({ runId: z.string().regex(/^[\w.-]+$/, 'not a run id') }),
  /** One image file of a run folder (the step screenshots), as { mime, base64 }: the UI loads them lazily. */
  'runs.image': z.object({
    runId: z.string().regex(/^[\w.-]+$/, 'not a run id'),
    file: z.string().regex(/^step-\d+(-\d+)?\.(png|jpg|webp)$/, 'not a step image file name'),
  }),
  'displays.list': z.object({}),
} as const;
export type BridgeRequestName = keyof typeof BRIDGE_REQUESTS;
export type BridgeRequestInput<N extends BridgeRequestName> = z.input<(typeof BRIDGE_REQUESTS)[N]>;

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

export interface RunSummary {
  runId: string;
  instruction: string;
  startedAt: number;
  outcome: string | null;
  steps: number;
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
  request<N extends BridgeRequestName>(name: N, input: BridgeRequestInput<N>): Promise<unknown>;
  onEvent(listener: (event: RunEvent) => void): () => void;
  /** Connection state, for a bridge that can lose its connection (the WebSocket one); absent = always connected. */
  onStatus?(listener: (status: BridgeStatus) => void): () => void;
}

export type BridgeStatus = { state: 'connecting' | 'open' } | { state: 'closed'; message: string };

export type { Decision };
