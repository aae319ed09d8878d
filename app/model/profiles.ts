/**
 * Model profiles: everything that differs between the models we drive - which tool they were trained on, how they
 * express coordinates, how screenshots are sized and encoded for them, how history is sent, where the final answer
 * is, sampling defaults.
 *
 * Options after a colon change a built-in profile for one run: `grid=N` (the coordinate grid), `zoom` or `zoom=N`
 * (offer image_zoom_in_tool, at most N zooms per step). Settings reach the same option (`zoom`) and choose an agent
 * preset (`agent`, AGENT_PRESETS): profileForSettings() is the one place that turns settings into the profile a run
 * uses.
 */
import { z } from 'zod';
import { AGENT_PRESETS, type AgentPreset } from '../contract';
import type { ImageSpec } from '../screen/smart-resize';
import { OSWORLD_QWEN3VL_SYSTEM_PROMPT } from './osworld-qwen3vl';

/** What one reply may carry; past either limit nothing of the reply is performed and the model is told why. */
export const LimitsSchema = z.object({
  /** Most tool calls in one reply. */
  callsPerReply: z.number().int().positive(),
  /**
   * Most text in one reply, in UTF-8 bytes: content, reasoning and tool-call names and arguments together. The
   * streaming client stops reading (and closes the request) past it.
   */
  replyBytes: z.number().int().positive(),
  /**
   * Most characters one `type` action may type. Longer text is an error back to the model (type it in parts): it
   * bounds how long the risk check of one action can hold the event loop (about 25 ms per 64 KiB, worst case,
   * `npm run bench -- --only risk`), so a stop always takes effect within 100 ms.
   */
  typeChars: z.number().int().positive().default(65536),
  /**
   * Most image_zoom_in_tool calls answered in one step (profiles that offer the tool). Zooms past it are answered
   * with an error; a reply made only of refused zooms counts as an invalid reply.
   */
  zoomsPerStep: z.number().int().positive().default(3),
});
export type Limits = z.infer<typeof LimitsSchema>;
export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant.';
export const DEFAULT_LIMITS: Limits = { callsPerReply: 5, replyBytes: 1024 * 1024, typeChars: 65536, zoomsPerStep: 3 };

/**
 * The smallest crop a zoom sends, in pixels (256 visual tokens of 32x32): a small box is enlarged to at least this,
 * so a tiny icon is seen at several times its size; a big box is sent at its own pixels (never fewer).
 */
export const ZOOM_MIN_PIXELS = 256 * 32 * 32;

/** How history goes to the model (agent/history.ts reads it; see `history.strategy` below). */
export const HISTORY_STRATEGIES = ['tool-turns', 'previous-actions'] as const;
export type HistoryStrategy = (typeof HISTORY_STRATEGIES)[number];

/** Published agents reproduced as they are (contract.ts AGENT_PRESETS): each is the built-in profile of that name. */
export { AGENT_PRESETS, type AgentPreset };

export const ProfileSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  tool: z.enum(['computer_use', 'mobile_use']),
  /** Extra tools offered next to the main one. */
  extraTools: z.array(z.literal('image_zoom_in_tool')).default([]),
  coordinates: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('grid'),
      size: z.number().int().positive(),
      /** What a point is divided by when it is mapped (default: size); base/shapes.ts CoordinateSpace. */
      divisor: z.number().int().positive().optional(),
      rounding: z.enum(['nearest', 'down']).optional(),
    }),
    z.object({ kind: z.literal('absolute') }),
  ]),
  /** How screenshots are resized and encoded for this model (screen/smart-resize.ts ImageSpec). */
  image: z.object({
    /** Smart-resize factor: patch size x spatial merge (32 for Qwen3-VL, 28 for Qwen2.5-VL). */
    factor: z.number().int().positive(),
    minPixels: z.number().int().positive(),
    maxPixels: z.number().int().positive(),
    format: z.enum(['png', 'jpeg', 'webp']),
    /** 1-100, for jpeg and webp. */
    quality: z.number().int().min(1).max(100),
    /** Python's round (half to even) or half up (the default) when a side is rounded to the factor. */
    rounding: z.enum(['half-up', 'half-even']).optional(),
    /** A longer side is first scaled down to this (OSWorld's smart_resize: 8192). */
    maxLongSide: z.number().int().positive().optional(),
    /** The fewest pixels a zoom crop is sent with (it is enlarged to this); see ZOOM_MIN_PIXELS. */
    zoomMinPixels: z.number().int().positive().default(ZOOM_MIN_PIXELS),
  }) satisfies z.ZodType<ImageSpec>,
  /**
   * The system prompt the model was trained with, before the tools (prompt mode) and the person's own
   * `settings.systemPrompt`. The agent loop and the endpoint check's grounding probe both send it.
   */
  systemPrompt: z.string().default(DEFAULT_SYSTEM_PROMPT),
  /**
   * How the request's messages are laid out. `chat`: the chat-completion form every server takes (tools natively or
   * as the Nous block in the system prompt, app/model/prompt.ts). `osworld-qwen3vl`: what OSWorld's
   * mm_agents/qwen3vl_agent.py sends - its system prompt holds its own tool text, so no `tools` are sent in either
   * server mode, and every message's content is a list of parts (app/model/osworld-qwen3vl.ts).
   */
  layout: z.enum(['chat', 'osworld-qwen3vl']).default('chat'),
  /** The model writes reasoning before `</think>` (Thinking variants). */
  thinking: z.boolean(),
  history: z.object({
    /**
     * `tool-turns` (agent/history.ts ToolTurnsHistory): the conversation grows by turns - each reply as an
     * assistant turn with its tool calls, each call answered by a tool response (the last one with the next
     * screenshot, a zoom's with its crop); the request prefix stays the same from step to step.
     * `previous-actions` (agent/history.ts PreviousActionsHistory, OSWorld's Qwen3-VL agent): every request is built
     * afresh - the last `images` steps as screenshot + reply pairs, the steps before them as "Step n: <its Action
     * line>" under "Previous actions", then the current screenshot. No tool results are sent.
     */
    strategy: z.enum(HISTORY_STRATEGIES),
    /**
     * tool-turns: how many of the latest images (screenshots and zoom crops) are sent, at least; older ones are
     * dropped in batches once more than `maxImages` (default 2 x images) would be sent, so the request prefix stays
     * cacheable. previous-actions: how many earlier steps are sent with their screenshot (a request holds up to
     * images + 1 images). The server must accept that many images per request (vLLM: --limit-mm-per-prompt).
     */
    images: z.number().int().min(1),
    maxImages: z.number().int().min(1).optional(),
    /** Whether the reasoning of earlier steps is sent back (interleaved-thinking models need it, seed 000). */
    keepThinking: z.boolean(),
  }),
  /**
   * Where the final answer is in a reply: the whole text (`plain`), or the last `\boxed{...}` (`boxed`,
   * CapCurriculum-style models, seed 004; app/model/answer.ts). `deskpilot ask` and the agent's `answer` action read it so.
   */
  answer: z.enum(['plain', 'boxed']).default('plain'),
  /**
   * A reply without any tool call: `invalid` (the model is told to call a tool) or `answer` (the model has finished:
   * its text is the answer; interleaved-thinking models end a task that way, seed 000).
   */
  replyWithoutCall: z.enum(['invalid', 'answer']).default('invalid'),
  /**
   * How a `terminate` call ends an OSWorld task: as its status says (`by-status`: success DONE, failure FAIL), or
   * always as DONE (`always-done`: OSWorld's Qwen3-VL agent translates every terminate to DONE, so the infeasible
   * tasks, which score a final FAIL, score 0 with it). app/tasks/loop-agent.ts reads it.
   */
  terminate: z.enum(['by-status', 'always-done']).default('by-status'),
  sampling: z.object({
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    maxTokens: z.number().int().positive(),
  }),
  limits: LimitsSchema.default(DEFAULT_LIMITS),
});
export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;

const QWEN3_IMAGE = { factor: 32, minPixels: 4 * 32 * 32, maxPixels: 16384 * 32 * 32, format: 'png', quality: 90 } as const;
const TOOL_TURNS = { strategy: 'tool-turns', images: 3, keepThinking: false } as const;

/**
 * The system prompt of the VLM-CapCurriculum model card (seed 004), word for word. The copy of the card in
 * ../shared/seeds lost its `<think> </think>` tags when its HTML was stripped ("enclosed within tags ... i.e.
 * reasoning here \boxed{...}"); they are restored here and nothing else is changed.
 */
export const CAPCURRICULUM_SYSTEM_PROMPT =
  'You FIRST think about the reasoning process as an internal monologue and then provide the final answer. ' +
  'The reasoning process MUST BE enclosed within <think> </think> tags. The final answer MUST BE put in \\boxed{}. ' +
  'i.e. <think> reasoning here </think> \\boxed{final answer here}';

const BUILT_IN: ProfileInput[] = [
  {
    id: 'qwen3-vl',
    label: 'Qwen3-VL Instruct (computer_use, 0..1000 grid)',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    thinking: false,
    history: TOOL_TURNS,
    sampling: { temperature: 0, topP: 1, maxTokens: 2048 },
  },
  {
    id: 'qwen3-vl-thinking',
    label: 'Qwen3-VL Thinking (computer_use, 0..1000 grid, reasoning before </think>)',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    thinking: true,
    history: TOOL_TURNS,
    sampling: { temperature: 0.6, topP: 0.95, maxTokens: 8192 },
  },
  {
    // Seed 000: reasoning before every call, several calls per reply, the reasoning of earlier calls passed back;
    // a reply without a call means the model has finished.
    id: 'qwen3-vl-interleaved',
    label: 'Qwen3-VL Interleave-Thinking (several calls per turn, reasoning passed back)',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    thinking: true,
    history: { strategy: 'tool-turns', images: 3, keepThinking: true },
    replyWithoutCall: 'answer',
    sampling: { temperature: 0.6, topP: 0.95, maxTokens: 8192 },
  },
  {
    id: 'qwen3-vl-mobile',
    label: 'Qwen3-VL Mobile (mobile_use, 0..999 grid)',
    tool: 'mobile_use',
    coordinates: { kind: 'grid', size: 999 },
    image: QWEN3_IMAGE,
    thinking: true,
    history: TOOL_TURNS,
    sampling: { temperature: 0, topP: 1, maxTokens: 4096 },
  },
  {
    id: 'qwen2.5-vl',
    label: 'Qwen2.5-VL (computer_use, absolute pixels of the resized screenshot)',
    tool: 'computer_use',
    coordinates: { kind: 'absolute' },
    image: { factor: 28, minPixels: 3136, maxPixels: 12845056, format: 'png', quality: 90 },
    thinking: false,
    history: TOOL_TURNS,
    sampling: { temperature: 0, topP: 1, maxTokens: 2048 },
  },
  {
    // Qwen's mobile cookbook with Qwen2.5-VL: mobile_use calls in absolute pixels of the resized screenshot.
    id: 'qwen2.5-vl-mobile',
    label: 'Qwen2.5-VL Mobile (mobile_use, absolute pixels of the resized screenshot)',
    tool: 'mobile_use',
    coordinates: { kind: 'absolute' },
    image: { factor: 28, minPixels: 3136, maxPixels: 12845056, format: 'png', quality: 90 },
    thinking: false,
    history: TOOL_TURNS,
    sampling: { temperature: 0, topP: 1, maxTokens: 2048 },
  },
  {
    // Seed 004: a perception-first model that answers questions about an image; the model writes its own <think>.
    id: 'capcurriculum',
    label: 'VLM-CapCurriculum (Qwen3-VL-8B-Staged): reasoning in <think>, the final answer in \\boxed{}',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    systemPrompt: CAPCURRICULUM_SYSTEM_PROMPT,
    thinking: false,
    history: TOOL_TURNS,
    answer: 'boxed',
    sampling: { temperature: 0, topP: 1, maxTokens: 4096 },
  },
  {
    // OSWorld's own Qwen3-VL agent (mm_agents/qwen3vl_agent.py, osworld-qwen3vl.ts says which copy), as published
    // with its defaults: its prompt and layout, "Previous actions" with the last 4 steps' screenshots, the 1000x1000
    // screen it states divided by 999 and truncated (int()), its smart_resize (factor 32, 56*56 to 16*16*4*12800
    // pixels, Python's rounding, long side at most 8192), temperature 0, top_p 0.9, max_tokens 32768.
    id: 'osworld-qwen3vl',
    label: "OSWorld's Qwen3-VL agent (qwen3vl_agent.py): its prompt, Previous actions + last 4 screenshots, /999",
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000, divisor: 999, rounding: 'down' },
    image: {
      factor: 32,
      minPixels: 56 * 56,
      maxPixels: 16 * 16 * 4 * 12800,
      format: 'png',
      quality: 90,
      rounding: 'half-even',
      maxLongSide: 8192,
    },
    systemPrompt: OSWORLD_QWEN3VL_SYSTEM_PROMPT,
    thinking: false,
    history: { strategy: 'previous-actions', images: 4, keepThinking: false },
    layout: 'osworld-qwen3vl',
    terminate: 'always-done',
    sampling: { temperature: 0, topP: 0.9, maxTokens: 32768 },
  },
];

export const PROFILES: ReadonlyMap<string, Profile> = new Map(BUILT_IN.map((p) => [p.id, ProfileSchema.parse(p)]));
export const DEFAULT_PROFILE_ID = 'qwen3-vl';

const OPTION_HELP = 'options are grid=N, zoom and zoom=N';

/** Offer image_zoom_in_tool, with at most `perStep` zooms per step (the profile's limit when not given). */
function withZoom(profile: Profile, perStep: number | undefined, spec: string): Profile {
  if (profile.coordinates.kind !== 'grid') {
    throw new Error(`"${spec}": zoom needs a profile whose model points on a grid; ${profile.id} points in pixels of the screenshot`);
  }
  if (profile.layout !== 'chat' || profile.history.strategy !== 'tool-turns') {
    throw new Error(
      `"${spec}": zoom answers each zoom as a tool response inside the step, which needs tool-turns history and the chat layout; ${profile.id} sends ${profile.history.strategy} history in the ${profile.layout} layout`,
    );
  }
  const extraTools = profile.extraTools.includes('image_zoom_in_tool') ? profile.extraTools : [...profile.extraTools, 'image_zoom_in_tool' as const];
  return { ...profile, extraTools, limits: { ...profile.limits, zoomsPerStep: perStep ?? profile.limits.zoomsPerStep } };
}

/**
 * Look a profile up by id, with options after colons: `grid=N` overrides the grid size (e.g. `qwen3-vl:grid=999`),
 * `zoom` / `zoom=N` offers image_zoom_in_tool (N zooms per step, default 3). The profile's id is the whole spec.
 */
export function getProfile(spec: string = DEFAULT_PROFILE_ID): Profile {
  const [id = '', ...options] = spec.split(':');
  const base = PROFILES.get(id);
  if (!base) {
    throw new Error(`unknown profile "${id}"; known profiles: ${[...PROFILES.keys()].join(', ')}`);
  }
  let profile: Profile = base;
  let zoom: { perStep: number | undefined } | null = null;
  for (const option of options) {
    const grid = /^grid=(\d+)$/.exec(option);
    const zoomOption = /^zoom(?:=(\d+))?$/.exec(option);
    if (grid) {
      const size = Number(grid[1]);
      if (size < 1) throw new Error(`"${spec}": grid=${grid[1]} must be at least 1`);
      if (profile.layout !== 'chat') throw new Error(`"${spec}": ${profile.id} reproduces a published agent; its grid cannot be changed`);
      profile = { ...profile, coordinates: { kind: 'grid', size } };
    } else if (zoomOption) {
      const perStep = zoomOption[1] === undefined ? undefined : Number(zoomOption[1]);
      if (perStep !== undefined && (perStep < 1 || perStep > 20)) throw new Error(`"${spec}": zoom=${zoomOption[1]} must be 1 to 20 zooms per step`);
      zoom = { perStep };
    } else {
      throw new Error(`unknown profile option "${option}" in "${spec}"; ${OPTION_HELP}`);
    }
  }
  // Zoom last: it checks the coordinates the other options chose.
  if (zoom) profile = withZoom(profile, zoom.perStep, spec);
  return options.length > 0 ? { ...profile, id: spec } : profile;
}

/** What of the settings decides the profile. */
export interface ProfileSettings {
  profile?: string;
  /** Offer image_zoom_in_tool: true (the profile's zooms per step) or the number of zooms per step. */
  zoom?: boolean | number;
  /** A published agent reproduced as it is: its own profile, whatever `profile` says. */
  agent?: AgentPreset;
  /** Extra system prompt text (a preset refuses it: the request would no longer be the published agent's). */
  systemPrompt?: string;
}

/**
 * The profile a run uses: the agent preset's when one is chosen (zoom or an extra system prompt would change what
 * the preset sends, so they are refused), else `profile` with `zoom` from the settings applied (as `:zoom` would).
 */
export function profileForSettings(settings: ProfileSettings): Profile {
  const zoom = settings.zoom ?? false;
  if (settings.agent) {
    if (zoom !== false) throw new Error(`agent ${settings.agent} sends exactly what the published agent sends; it cannot zoom (drop --zoom or the zoom setting)`);
    if (settings.systemPrompt) throw new Error(`agent ${settings.agent} sends the published agent's system prompt unchanged; drop the systemPrompt setting`);
    return getProfile(settings.agent);
  }
  const spec = settings.profile ?? DEFAULT_PROFILE_ID;
  const profile = getProfile(spec);
  if (zoom === false) return profile;
  const perStep = zoom === true ? undefined : zoom;
  const zoomed = withZoom(profile, perStep, spec);
  return { ...zoomed, id: `${spec}${spec.includes(':zoom') ? '' : perStep === undefined ? ':zoom' : `:zoom=${perStep}`}` };
}
