/**
 * Model profiles: everything that differs between the models we drive - which tool they were trained on, how they
 * express coordinates, how screenshots are sized and encoded for them, how history is kept, sampling defaults.
 */
import { z } from 'zod';
import type { ImageSpec } from '../screen/smart-resize';

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
});
export type Limits = z.infer<typeof LimitsSchema>;
export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant.';
export const DEFAULT_LIMITS: Limits = { callsPerReply: 5, replyBytes: 1024 * 1024, typeChars: 65536 };

export const ProfileSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  tool: z.enum(['computer_use', 'mobile_use']),
  /** Extra tools offered next to the main one. */
  extraTools: z.array(z.literal('image_zoom_in_tool')).default([]),
  coordinates: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('grid'), size: z.number().int().positive() }),
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
  }) satisfies z.ZodType<ImageSpec>,
  /**
   * The system prompt the model was trained with, before the tools (prompt mode) and the person's own
   * `settings.systemPrompt`. The agent loop and the endpoint check's grounding probe both send it.
   */
  systemPrompt: z.string().default(DEFAULT_SYSTEM_PROMPT),
  /** The model writes reasoning before `</think>` (Thinking variants). */
  thinking: z.boolean(),
  history: z.object({
    /**
     * `screenshots`: each step is a new user turn with the latest screenshots; older steps become text lines.
     * `interleaved`: the steps are assistant tool calls answered by tool responses (with the new screenshot), and
     * each call's reasoning is passed back with it (interleaved-thinking models, seed 000).
     */
    strategy: z.enum(['screenshots', 'interleaved']),
    /**
     * How many of the latest screenshots are sent as images, at least; older ones are dropped in batches once more
     * than `maxImages` (default 2 x images) would be sent, so the request prefix stays cacheable (agent/history.ts).
     * The server must accept maxImages images per request (vLLM: --limit-mm-per-prompt '{"image": 6}').
     */
    images: z.number().int().min(1),
    maxImages: z.number().int().min(1).optional(),
    /** Whether the reasoning of earlier steps is sent back. */
    keepThinking: z.boolean(),
  }),
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

const BUILT_IN: ProfileInput[] = [
  {
    id: 'qwen3-vl',
    label: 'Qwen3-VL Instruct (computer_use, 0..1000 grid)',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    thinking: false,
    history: { strategy: 'screenshots', images: 3, keepThinking: false },
    sampling: { temperature: 0, topP: 1, maxTokens: 2048 },
  },
  {
    id: 'qwen3-vl-thinking',
    label: 'Qwen3-VL Thinking (computer_use, 0..1000 grid, reasoning before </think>)',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    thinking: true,
    history: { strategy: 'screenshots', images: 3, keepThinking: false },
    sampling: { temperature: 0.6, topP: 0.95, maxTokens: 8192 },
  },
  {
    id: 'qwen3-vl-interleaved',
    label: 'Qwen3-VL Interleave-Thinking (several calls per turn, reasoning passed back)',
    tool: 'computer_use',
    coordinates: { kind: 'grid', size: 1000 },
    image: QWEN3_IMAGE,
    thinking: true,
    history: { strategy: 'interleaved', images: 3, keepThinking: true },
    sampling: { temperature: 0.6, topP: 0.95, maxTokens: 8192 },
  },
  {
    id: 'qwen3-vl-mobile',
    label: 'Qwen3-VL Mobile (mobile_use, 0..999 grid)',
    tool: 'mobile_use',
    coordinates: { kind: 'grid', size: 999 },
    image: QWEN3_IMAGE,
    thinking: true,
    history: { strategy: 'screenshots', images: 3, keepThinking: false },
    sampling: { temperature: 0, topP: 1, maxTokens: 4096 },
  },
  {
    id: 'qwen2.5-vl',
    label: 'Qwen2.5-VL (computer_use, absolute pixels of the resized screenshot)',
    tool: 'computer_use',
    coordinates: { kind: 'absolute' },
    image: { factor: 28, minPixels: 3136, maxPixels: 12845056, format: 'png', quality: 90 },
    thinking: false,
    history: { strategy: 'screenshots', images: 3, keepThinking: false },
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
    history: { strategy: 'screenshots', images: 3, keepThinking: false },
    sampling: { temperature: 0, topP: 1, maxTokens: 2048 },
  },
];

export const PROFILES: ReadonlyMap<string, Profile> = new Map(BUILT_IN.map((p) => [p.id, ProfileSchema.parse(p)]));
export const DEFAULT_PROFILE_ID = 'qwen3-vl';

/**
 * Look a profile up by id. `grid=N` after a colon overrides the grid size, e.g. `qwen3-vl:grid=999` (OSWorld's
 * Qwen3-VL agent divides by 999).
 */
export function getProfile(spec: string = DEFAULT_PROFILE_ID): Profile {
  const [id = '', ...options] = spec.split(':');
  const base = PROFILES.get(id);
  if (!base) {
    throw new Error(`unknown profile "${id}"; known profiles: ${[...PROFILES.keys()].join(', ')}`);
  }
  let profile: Profile = base;
  for (const option of options) {
    const match = /^grid=(\d+)$/.exec(option);
    if (!match) throw new Error(`unknown profile option "${option}" in "${spec}"; the only option is grid=N`);
    profile = { ...profile, id: spec, coordinates: { kind: 'grid', size: Number(match[1]) } };
  }
  return profile;
}
