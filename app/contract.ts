/**
 * The one contract between the engine and every shell (CLI, Electron main/preload, renderer, WebSocket bridge):
 * settings, proposals, decisions, run states and run events, each with a zod schema so that nothing crosses a
 * boundary untyped. Plain data only: no classes, no Node or Electron imports, so the renderer can import it.
 */
import { z } from 'zod';
import { patternProblem } from './patterns';

// ---------------------------------------------------------------------------------------------------- settings

export const APPROVAL_MODES = ['ask', 'risky', 'auto'] as const;
export const ApprovalModeSchema = z.enum(APPROVAL_MODES);
export type ApprovalMode = z.infer<typeof ApprovalModeSchema>;

export const DenyRuleSchema = z
  .object({
    /** What the rule looks at: the typed text, the key combo (normalised "ctrl+w"), or any action summary. */
    match: z.enum(['text', 'keys', 'summary']),
    /** A regular expression in RE2 syntax (app/patterns.ts), case-insensitive. `text` rules see the text as typed
        and as a shell would read it (quotes and escapes undone, app/policy/shell-text.ts). */
    pattern: z.string().min(1, 'the pattern is empty'),
    reason: z.string().trim().min(1, 'say why the rule exists: the reason is shown when it blocks an action'),
  })
  .superRefine((rule, ctx) => {
    const problem = patternProblem(rule.pattern);
    if (problem && rule.pattern.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `the pattern ${JSON.stringify(rule.pattern)} cannot be used: ${problem}` });
    }
  });
export type DenyRule = z.infer<typeof DenyRuleSchema>;

export const SettleSchema = z.object({
  /** Wait until the screen stops changing after an action (instead of a fixed sleep). */
  enabled: z.boolean().default(true),
  /** The screen counts as settled after this long without change. */
  quietMs: z.number().int().min(0).max(10_000).default(300),
  /** Never wait longer than this. */
  maxMs: z.number().int().min(0).max(60_000).default(3_000),
});
export type Settle = z.infer<typeof SettleSchema>;

export const OcrSettingsSchema = z.object({
  /** Read the text on each screenshot (app/screen/ocr.ts): labels for proposed points, the on-screen injection check. */
  enabled: z.boolean().default(true),
  /** A proposal waits at most this long for the screenshot's text; then it goes ahead without it. */
  waitMs: z.number().int().min(0).max(30_000).default(3_000),
});
export type OcrSettings = z.infer<typeof OcrSettingsSchema>;

/**
 * Which device a run drives: `local` (this desktop), `android` (the only phone attached, or ANDROID_SERIAL's) or
 * `android:SERIAL` (a serial may hold ':', as `adb connect` serials do: 192.168.1.20:5555).
 */
export const DeviceSpecSchema = z
  .string()
  .trim()
  .regex(/^(local|android(:\S+)?)$/, 'a device is local (this desktop), android (the only phone attached) or android:SERIAL');
export type DeviceTarget = { kind: 'local' } | { kind: 'android'; serial?: string };

/** A device spec (already validated by DeviceSpecSchema) -> what it names. */
export function parseDeviceSpec(spec: string): DeviceTarget {
  const text = spec.trim();
  if (text === 'android') return { kind: 'android' };
  if (text.startsWith('android:')) return { kind: 'android', serial: text.slice('android:'.length) };
  return { kind: 'local' };
}

/** The tool a device takes: a phone mobile_use, this desktop computer_use (a spec that does not parse: local's). */
export function toolOfDevice(device: string): 'computer_use' | 'mobile_use' {
  return DeviceSpecSchema.safeParse(device).success && parseDeviceSpec(device).kind === 'android' ? 'mobile_use' : 'computer_use';
}

/** The profile a run uses when none is set: the mobile_use model for a phone, Qwen3-VL for a desktop. */
export function defaultProfileFor(device: unknown): string {
  return typeof device === 'string' && DeviceSpecSchema.safeParse(device).success && parseDeviceSpec(device).kind === 'android'
    ? 'qwen3-vl-mobile'
    : 'qwen3-vl';
}

/** One phone adb sees (`deskpilot devices`, the UI's target choice). */
export interface PhoneInfo {
  /** What --device / the `device` setting takes for it: `android:SERIAL`. */
  spec: string;
  serial: string;
  /** adb's word: device (ready), unauthorized, offline, no permissions, ... */
  state: string;
  model?: string;
  /** The screen size taps are in (`wm size`), when the phone is ready. */
  size?: { width: number; height: number };
  /** What to do when the state is not `device`. */
  fix?: string;
}

/** What can be driven: this desktop's monitors and the attached phones, each with why not when it cannot be. */
export interface DeviceList {
  desktop: { spec: 'local'; displays: Array<{ id: number; name: string; width: number; height: number; primary: boolean }>; error?: string };
  phones: PhoneInfo[];
  /** Why phones could not be listed (adb missing, no adb server), with the fix. */
  phonesError?: string;
}

/**
 * Published agents reproduced as they are (`--agent NAME`, the `agent` setting): each is the built-in profile of the
 * same name (app/model/profiles.ts), which a run then uses whatever `profile` says; the run record keeps both.
 */
export const AGENT_PRESETS = ['osworld-qwen3vl'] as const;
export type AgentPreset = (typeof AGENT_PRESETS)[number];

export const RunSettingsSchema = z.object({
  endpoint: z.string().url('endpoint must be a URL such as http://localhost:8000/v1'),
  model: z.string().min(1, 'model name is required (the name the server serves)'),
  /** Never written to run records or logs. */
  apiKey: z.string().optional(),
  /** Default: defaultProfileFor(device), filled in by the settings sources (app/settings.ts, the engine host). */
  profile: z.string().min(1).default('qwen3-vl'),
  /** The device the run drives (DeviceSpecSchema). */
  device: DeviceSpecSchema.default('local'),
  /**
   * Offer image_zoom_in_tool next to the profile's tool (as the `:zoom` profile suffix): true, or the most zooms per
   * step (default 3). Zooms are answered inside the step from the full-resolution screen, never sent for approval.
   */
  zoom: z.union([z.boolean(), z.number().int().min(1).max(20)]).default(false),
  /** A published agent reproduced as it is (AGENT_PRESETS): it decides the profile; zoom and systemPrompt are refused. */
  agent: z.enum(AGENT_PRESETS, { error: `agent must be one of: ${AGENT_PRESETS.join(', ')}` }).optional(),
  approve: ApprovalModeSchema.default('ask'),
  maxSteps: z.number().int().min(1).max(500).default(30),
  /** Index into the display list (0 = primary). */
  display: z.number().int().min(0).default(0),
  settle: SettleSchema.default({ enabled: true, quietMs: 300, maxMs: 3000 }),
  ocr: OcrSettingsSchema.default({ enabled: true, waitMs: 3000 }),
  /** The same action on an unchanged screen this many times pauses the run and asks the person. */
  loopThreshold: z.number().int().min(2).max(20).default(3),
  /** Invalid replies fed back to the model before the run fails. */
  maxInvalidReplies: z.number().int().min(0).max(10).default(3),
  /** Your own deny rules; they apply together with the built-in ones (app/policy/default-deny-rules.ts). */
  denyRules: z.array(DenyRuleSchema).default([]),
  /** Ids of the built-in deny rules you removed. Built-in rules added in a later version apply until removed. */
  removedDefaultDenyRules: z.array(z.string().min(1)).default([]),
  /** Extra system prompt text appended after the built-in one. */
  systemPrompt: z.string().optional(),
});
export type RunSettings = z.infer<typeof RunSettingsSchema>;
export type RunSettingsInput = z.input<typeof RunSettingsSchema>;

/**
 * The origin ("https://host:port") an API key is bound to. A key is sent only to endpoints of the origin it was
 * entered for, so choosing another server (a cloud preset, say) never sends it the key meant for your own. Null for
 * anything that is not an http(s) URL.
 */
export function endpointOrigin(endpoint: string): string | null {
  try {
    const url = new URL(endpoint.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** Settings as recorded and shown: never the API key. */
export function redactSettings(settings: RunSettings): Omit<RunSettings, 'apiKey'> & { apiKey?: '(set)' } {
  const { apiKey, ...rest } = settings;
  return apiKey ? { ...rest, apiKey: '(set)' } : rest;
}

// ---------------------------------------------------------------------------------------------------- geometry

export const PointSchema = z.object({ x: z.number(), y: z.number() });
export type PointData = z.infer<typeof PointSchema>;

export const DisplaySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  bounds: z.object({ x: z.number(), y: z.number(), width: z.number().positive(), height: z.number().positive() }),
  scaleFactor: z.number().positive(),
  primary: z.boolean(),
});

// ---------------------------------------------------------------------------------------------------- proposals

export const RISK_LEVELS = ['safe', 'risky', 'blocked'] as const;
export const RiskSchema = z.object({
  level: z.enum(RISK_LEVELS),
  /** Plain sentences shown to the person; empty when safe. */
  reasons: z.array(z.string()),
});
export type Risk = z.infer<typeof RiskSchema>;

/** The tool arguments as the model sent them once validated (computer_use / mobile_use). */
export const ActionArgsSchema = z.record(z.string(), z.unknown()).and(z.object({ action: z.string() }));

export const BoxSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });

/** What is at the proposed point, as read from the screen. */
export const TargetSchema = z.object({
  /** The text on or next to the point, e.g. "Delete account". */
  label: z.string(),
  source: z.literal('ocr'),
  /** Where that text is, in global screen coordinates. */
  box: BoxSchema.optional(),
});
export type Target = z.infer<typeof TargetSchema>;

export const ProposalSchema = z.object({
  /** Unique within the run: `${step}.${index}`. */
  id: z.string(),
  step: z.number().int().min(1),
  /** Position of the call in the model's reply. */
  index: z.number().int().min(0),
  callId: z.string(),
  tool: z.string(),
  action: ActionArgsSchema,
  /** One line a person reads: "Click “Delete account” at (412, 88)", "Type “hello”", "Press ctrl+w". */
  summary: z.string(),
  /** The text at the point, when it could be read. */
  target: TargetSchema.optional(),
  /** Global screen point the action will act on (mapped by app/screen/geometry.ts), if it has one. */
  screen: PointSchema.optional(),
  /** The same point on the screenshot the model saw, in that image's pixels, for drawing the marker. */
  imagePoint: PointSchema.optional(),
  /** A swipe's end point on that screenshot (the trace draws the swipe as an arrow to it). */
  imagePoint2: PointSchema.optional(),
  risk: RiskSchema,
});
export type Proposal = z.infer<typeof ProposalSchema>;

export const DecisionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('approve') }),
  /** Approve this and every identical action for the rest of the run. */
  z.object({ kind: z.literal('approve-all') }),
  /** The note goes back to the model. */
  z.object({ kind: z.literal('deny'), note: z.string().max(4000).default('') }),
  /** Perform this action instead (validated again). */
  z.object({ kind: z.literal('edit'), action: ActionArgsSchema }),
  z.object({ kind: z.literal('stop') }),
]);
export type Decision = z.infer<typeof DecisionSchema>;

// ---------------------------------------------------------------------------------------------------- run events

export const RUN_STATES = ['idle', 'running', 'awaiting-approval', 'paused', 'stopping', 'done', 'failed'] as const;
export const RunStateSchema = z.enum(RUN_STATES);
export type RunState = z.infer<typeof RunStateSchema>;

export const RUN_OUTCOMES = ['success', 'failure', 'answered', 'max-steps', 'stopped', 'error'] as const;
export const RunOutcomeSchema = z.enum(RUN_OUTCOMES);
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

/** `ocr`: time the step's proposals waited for the screen's text (the read itself runs while the model thinks). */
export const PHASES = ['capture', 'prepare', 'model', 'ocr', 'approval', 'act', 'settle'] as const;
export const TimingsSchema = z.partialRecord(z.enum(PHASES), z.number());
export type Timings = z.infer<typeof TimingsSchema>;

const ImageRefSchema = z.object({
  mime: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** File name inside the run directory. */
  file: z.string(),
  /** Present on live events (for the UI); stripped before the event is written to disk. */
  base64: z.string().optional(),
});
export type ImageRef = z.infer<typeof ImageRefSchema>;

const base = { runId: z.string(), at: z.number() };

export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('run-started'),
    instruction: z.string(),
    settings: z.record(z.string(), z.unknown()),
    /**
     * The whole profile the run uses (app/model/profiles.ts: prompt, sampling, image sizing, history, coordinates),
     * so the record says exactly what was sent, e.g. for an agent preset.
     */
    profile: z.record(z.string(), z.unknown()).optional(),
    runDir: z.string(),
  }),
  z.object({ ...base, type: z.literal('state'), state: RunStateSchema, reason: z.string().optional() }),
  z.object({
    ...base,
    type: z.literal('observation'),
    step: z.number().int(),
    display: DisplaySchema,
    image: ImageRefSchema,
    /** Size of the raw capture before resizing. */
    source: z.object({ width: z.number().int(), height: z.number().int() }),
  }),
  z.object({
    ...base,
    /** The text read on the step's screenshot, or why it could not be read (the proposals then went without it). */
    type: z.literal('screen-text'),
    step: z.number().int(),
    status: z.enum(['read', 'unavailable']),
    /** How long the read took. */
    ms: z.number().optional(),
    lines: z.number().int().optional(),
    /** Text on the screen addressed to the agent, when found. */
    injection: z.string().optional(),
    error: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('model-request'),
    step: z.number().int(),
    attempt: z.number().int(),
    /** 2, 3, ...: a follow-up request of the same step, after the model's zooms were answered. */
    round: z.number().int().optional(),
  }),
  z.object({
    ...base,
    /**
     * One request exactly as the model server received it (app/agent/request-log.ts): each image a file of the run
     * record instead of its base64 data, and only the messages that differ from the previous model-input event.
     */
    type: z.literal('model-input'),
    step: z.number().int(),
    attempt: z.number().int(),
    mode: z.enum(['native', 'prompt']),
    /** This request's number in the run (1, 2, ...): a gap means a line of the record was lost. */
    seq: z.number().int().min(1),
    /** How many leading messages are those of the previous model-input event of this run; `messages` follow them. */
    shared: z.number().int().min(0),
    messages: z.array(z.record(z.string(), z.unknown())),
    /** The rest of the request body as sent (model, tools, tool_choice, sampling), without `messages`. */
    body: z.record(z.string(), z.unknown()),
  }),
  z.object({ ...base, type: z.literal('reasoning-delta'), step: z.number().int(), delta: z.string() }),
  z.object({ ...base, type: z.literal('content-delta'), step: z.number().int(), delta: z.string() }),
  z.object({
    ...base,
    type: z.literal('model-reply'),
    step: z.number().int(),
    reasoning: z.string().nullable(),
    text: z.string(),
    calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.record(z.string(), z.unknown()) })),
    errors: z.array(z.string()),
    raw: z.record(z.string(), z.unknown()),
    latencyMs: z.number(),
    usage: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ ...base, type: z.literal('model-retry'), step: z.number().int(), attempt: z.number().int(), error: z.string() }),
  z.object({ ...base, type: z.literal('feedback'), step: z.number().int(), message: z.string() }),
  /** Something the person should know about the model server (a `/v1` added to the URL, tools moved into the prompt). */
  z.object({ ...base, type: z.literal('notice'), step: z.number().int(), message: z.string() }),
  z.object({ ...base, type: z.literal('proposal'), proposal: ProposalSchema }),
  z.object({ ...base, type: z.literal('approval-requested'), proposal: ProposalSchema }),
  z.object({
    ...base,
    type: z.literal('decision'),
    proposalId: z.string(),
    decision: DecisionSchema,
    by: z.enum(['person', 'policy', 'rule', 'approve-all']),
  }),
  z.object({
    ...base,
    type: z.literal('action'),
    proposalId: z.string(),
    action: ActionArgsSchema,
    screen: PointSchema.optional(),
    screen2: PointSchema.optional(),
    ok: z.boolean(),
    error: z.string().optional(),
    /** How it was done, in words (PerformResult.note). */
    note: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('loop-detected'),
    step: z.number().int(),
    repeats: z.number().int(),
    summary: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('answer'),
    step: z.number().int(),
    /** The answer as shown: for a profile that puts it in \boxed{}, the box's content (app/model/answer.ts). */
    text: z.string(),
    /** What the model wrote, when the answer shown is taken out of it. */
    raw: z.string().optional(),
    /** Why the answer is not what the profile expected (e.g. no \boxed{} found: the whole reply is shown). */
    note: z.string().optional(),
  }),
  z.object({
    ...base,
    /**
     * One image_zoom_in_tool call, answered inside the step (never an action, never sent for approval): the region
     * of the named image, cropped from the full-resolution capture, enlarged when small, sent back as an image.
     */
    type: z.literal('zoom'),
    step: z.number().int(),
    callId: z.string(),
    /** The box as the model wrote it, on its grid. */
    bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
    label: z.string().optional(),
    /** The image of the request it named (img_idx; the latest screenshot when none was given). */
    imageIndex: z.number().int(),
    /** The step whose screenshot the region is on, and the region in that screenshot's pixels (to draw the box). */
    on: z.object({ step: z.number().int(), box: BoxSchema }).optional(),
    /** The region in global screen pixels. */
    screen: BoxSchema.optional(),
    /** The crop the model was sent; `index` is its own place among the images of the conversation. */
    crop: ImageRefSchema.extend({ index: z.number().int() }).optional(),
    ok: z.boolean(),
    /** Why it was not answered with a crop (sent to the model as the tool response). */
    error: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal('timings'), step: z.number().int(), timings: TimingsSchema }),
  z.object({
    ...base,
    type: z.literal('run-finished'),
    outcome: RunOutcomeSchema,
    message: z.string(),
    steps: z.number().int(),
  }),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventType = RunEvent['type'];
/** Helper for emitters: an event without the fields the run fills in. */
export type RunEventInit = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'at'> : never) : never;

/** How a run state and a run outcome are named to a person (tray, UI, compact view). */
export const RUN_STATE_LABELS: Record<RunState, string> = {
  idle: 'Idle',
  running: 'Running',
  'awaiting-approval': 'Waiting for your approval',
  paused: 'Paused',
  stopping: 'Stopping',
  done: 'Finished',
  failed: 'Failed',
};
export const RUN_OUTCOME_LABELS: Record<RunOutcome, string> = {
  success: 'Done',
  answered: 'Answered',
  failure: 'The model gave up',
  'max-steps': 'Out of steps',
  stopped: 'Stopped',
  error: 'Failed',
};

/** What `deskpilot export` and History's "Export for training" write (app/tasks/training-export.ts). */
export const TRAINING_FORMATS = ['sft', 'dpo', 'osworld'] as const;
export type TrainingFormat = (typeof TRAINING_FORMATS)[number];

/** Exit codes of `deskpilot run` per outcome. */
export const OUTCOME_EXIT_CODES: Record<RunOutcome, number> = {
  success: 0,
  answered: 0,
  failure: 3,
  'max-steps': 4,
  stopped: 5,
  error: 1,
};
