/**
 * The conversation the agent keeps with the model, in the mode-independent Turn form that app/model/prompt.ts
 * renders for either server mode. The profile's `history.strategy` chooses how (createHistory): `tool-turns`
 * (ToolTurnsHistory, below) or `previous-actions` (PreviousActionsHistory, at the end: OSWorld's Qwen3-VL agent).
 *
 * tool-turns:
 *   user:      instruction + first screenshot
 *   assistant: reasoning?, text, tool calls
 *   tool:      one result per call; the last one also carries the next screenshot (a zoom's, its crop)
 *   assistant: ...
 * An invalid reply is answered by a user turn with the parser's errors (no new screenshot: the model retries on
 * the same screen).
 *
 * The history only ever appends, so the request prefix stays byte-stable from step to step and a server's prefix
 * cache (vLLM, SGLang) keeps working. Old screenshots are dropped in batches, not one per step: the request carries
 * between `history.images` and `history.maxImages` (default twice as many) of the latest screenshots, and only when
 * it would carry more are the oldest replaced by a short text line, down to `history.images`. Replacing the oldest
 * image every step would change the prompt right after the first turn and make the server prefill everything
 * after it again (measured: ~6,270 of ~8,360 tokens per step at 1920x1080 with a 3-image window); in batches the
 * prefix changes once every few steps (the same idea as `only_n_most_recent_images` with a removal threshold in
 * Anthropic's computer-use demo). The assistant turns next to dropped images remain as the text history of those
 * steps. The reasoning of earlier turns is dropped unless the profile keeps it (interleaved-thinking models need it).
 */
import type { Frame } from '../devices/device';
import { osworldActionLine, osworldInstructionPrompt } from '../model/osworld-qwen3vl';
import type { Profile } from '../model/profiles';
import type { Part, Turn } from '../model/prompt';
import type { Size } from '../screen/geometry';
import type { Region } from '../screen/zoom';

export const OMITTED_SCREENSHOT = '[screenshot omitted]';

/** Where an image the model was sent comes from, so it can zoom into it (agent/zoom.ts). */
export interface ImageSource {
  /** The step whose screenshot the image is (or is a crop of). */
  step: number;
  /** That step's full-resolution capture. */
  frame: Frame;
  /** The region of `frame` the image shows: the whole frame for a screenshot, the zoomed region for a crop. */
  region: Region;
  crop: boolean;
  /** The size of the step screenshot (the report draws zoom boxes on it). */
  imageSize: Size;
}

export interface ImageInput {
  mime: string;
  base64: string;
  /** Kept while the image is in the model's view (never sent). */
  source?: ImageSource;
}

/** The answer to one call: its text, and an image when the answer is one (a zoom's crop). */
export interface ToolResult {
  callId: string;
  name: string;
  text: string;
  image?: ImageInput;
}

export interface AssistantReply {
  reasoning: string | null;
  text: string;
  calls: Array<{ id: string; name: string; arguments: Record<string, unknown> }>;
  /** The reply's text as it came from the server (what previous-actions history sends back). */
  raw?: string;
}

/** What the conversation needs of a history, whichever the strategy. */
export interface History {
  /** The first user turn: the instruction and the first screenshot. */
  start(instruction: string, image: ImageInput): void;
  /** A valid reply, about to be performed. */
  addReply(reply: AssistantReply): void;
  /** A reply that was not performed (its start), and the parser's errors the model is told. */
  addRejected(reply: AssistantReply, feedback: string): void;
  /**
   * The results of the last reply's calls (one per call, in order) and the screenshot taken after them. Returns
   * where each result's own image (a zoom's crop) is among the images of the next request, -1 for none.
   */
  addResults(results: ToolResult[], next: ImageInput | null): number[];
  /** The sources of the images the next request carries, in the order the model sees them (what img_idx counts). */
  visibleSources(): Array<ImageSource | null>;
  /** The turns of the next request. */
  render(): Turn[];
}

/**
 * How many requests a screenshot stays in the model's view, at least: tool-turns keeps the latest `images`;
 * previous-actions sends the current screenshot and the `images` before it.
 */
export function requestsInView(profile: Profile): number {
  return profile.history.strategy === 'previous-actions' ? profile.history.images + 1 : profile.history.images;
}

/** The history the profile's strategy asks for. */
export function createHistory(profile: Profile): History {
  switch (profile.history.strategy) {
    case 'tool-turns':
      return new ToolTurnsHistory(profile);
    case 'previous-actions':
      return new PreviousActionsHistory(profile.history.images);
  }
}

export class ToolTurnsHistory implements History {
  private readonly turns: Turn[] = [];
  /** Screenshots added so far, and how many of the oldest are sent as OMITTED_SCREENSHOT (only ever grows). */
  private images = 0;
  private dropped = 0;
  /** Each image's source, in order; dropped ones are cleared (their captures freed). */
  private readonly sources: Array<ImageSource | null> = [];

  constructor(private readonly profile: Profile) {}

  /** The first user turn: the instruction and the first screenshot. */
  start(instruction: string, image: ImageInput): void {
    if (this.turns.length > 0) throw new Error('history already started');
    this.turns.push({ role: 'user', parts: [{ type: 'text', text: instruction }, imagePart(image)] });
    this.countImage(image);
  }

  /** An image was added: drop a batch of the oldest when the request would carry more than maxImages. */
  private countImage(image: ImageInput): void {
    this.images++;
    this.sources.push(image.source ?? null);
    const { images: keep, maxImages } = this.profile.history;
    if (this.images - this.dropped > (maxImages ?? 2 * keep)) this.dropped = this.images - keep;
    for (let i = 0; i < this.dropped; i++) this.sources[i] = null;
  }

  /** The sources of the images the next request carries, in the order the model sees them. */
  visibleSources(): Array<ImageSource | null> {
    return this.sources.slice(this.dropped);
  }

  addReply(reply: AssistantReply): void {
    this.turns.push({
      role: 'assistant',
      ...(reply.reasoning ? { reasoning: reply.reasoning } : {}),
      ...(reply.text ? { text: reply.text } : {}),
      calls: reply.calls,
    });
  }

  /** The reply goes back as it was written (no structured calls: nothing of it ran), then the errors. */
  addRejected(reply: AssistantReply, feedback: string): void {
    this.addReply(reply);
    this.turns.push({ role: 'user', parts: [{ type: 'text', text: feedback }] });
  }

  /** The screenshot taken after the calls is attached to the last result. */
  addResults(results: ToolResult[], next: ImageInput | null): number[] {
    const imageIndices: number[] = [];
    results.forEach((result, i) => {
      const parts: Part[] = [{ type: 'text', text: result.text }];
      if (result.image) {
        parts.push(imagePart(result.image));
        this.countImage(result.image);
        imageIndices[i] = this.images - 1;
      }
      if (next && i === results.length - 1) {
        parts.push(imagePart(next));
        this.countImage(next);
      }
      this.turns.push({ role: 'tool', callId: result.callId, name: result.name, parts });
    });
    // Each result image's place among the images of the next request (a batch dropped meanwhile shifts them).
    return results.map((_, i) => (imageIndices[i] === undefined ? -1 : imageIndices[i] - this.dropped));
  }

  /** The turns to send: dropped screenshots replaced by a text line, earlier reasoning dropped unless kept. */
  render(): Turn[] {
    const keepThinking = this.profile.history.keepThinking;
    let seen = 0;
    return this.turns.map((turn): Turn => {
      if (turn.role === 'assistant') return keepThinking || !turn.reasoning ? turn : withoutReasoning(turn);
      if (!turn.parts.some((p) => p.type === 'image')) return turn;
      const parts = turn.parts.map((part): Part => (part.type === 'image' && seen++ < this.dropped ? omitted : part));
      return { ...turn, parts };
    });
  }

  get length(): number {
    return this.turns.length;
  }
}

function imagePart(image: ImageInput): Part {
  return { type: 'image', mime: image.mime, base64: image.base64 };
}

const omitted: Part = { type: 'text', text: OMITTED_SCREENSHOT };

function withoutReasoning(turn: Extract<Turn, { role: 'assistant' }>): Turn {
  const { reasoning: _dropped, ...rest } = turn;
  return rest;
}

/**
 * OSWorld's "Previous actions" history (mm_agents/qwen3vl_agent.py; app/model/osworld-qwen3vl.ts has the text).
 * Every request is built afresh from the steps so far: the last `keep` steps each as its screenshot (the first of
 * them followed by the instruction prompt) and the reply as it came, then the current screenshot (followed by the
 * instruction prompt when there is no earlier step). The instruction prompt lists the steps before those as
 * "Step n: <Action line>" under "Previous actions". Tool results are not sent; the next screenshot shows what the
 * calls did. The request prefix changes every step (the reference agent's own cost).
 *
 * Where we differ on purpose: the reference performs whatever it could parse and moves on; our loop sends an invalid
 * reply back with the parser's errors and asks again on the same screen. Those retries are sent after the current
 * screenshot, for that step only, and a step is recorded by the valid reply it ended with.
 */
export class PreviousActionsHistory implements History {
  private instruction = '';
  /** One per step: its screenshot (null once it is too old to be sent again). */
  private readonly screenshots: Array<ImageInput | null> = [];
  /** One per performed step: the reply as it came, and its Action line. */
  private readonly replies: string[] = [];
  private readonly actions: string[] = [];
  /** Rejected replies of the current step and the errors sent about them. */
  private retries: Turn[] = [];

  constructor(private readonly keep: number) {}

  start(instruction: string, image: ImageInput): void {
    if (this.screenshots.length > 0) throw new Error('history already started');
    this.instruction = instruction;
    this.screenshots.push(image);
  }

  addReply(reply: AssistantReply): void {
    const raw = reply.raw ?? reply.text;
    this.replies.push(raw);
    this.actions.push(osworldActionLine(raw, reply.calls));
    this.retries = [];
  }

  addRejected(reply: AssistantReply, feedback: string): void {
    this.retries.push({ role: 'assistant', text: reply.raw ?? reply.text, calls: [] }, { role: 'user', parts: [{ type: 'text', text: feedback }] });
  }

  addResults(results: ToolResult[], next: ImageInput | null): number[] {
    if (next) {
      this.screenshots.push(next);
      // Only the current screenshot and the `keep` before it are ever sent again.
      const oldest = this.screenshots.length - 1 - this.keep;
      if (oldest > 0) this.screenshots[oldest - 1] = null;
    }
    return results.map(() => -1);
  }

  visibleSources(): Array<ImageSource | null> {
    return [];
  }

  render(): Turn[] {
    const current = this.screenshots[this.screenshots.length - 1];
    if (!current) throw new Error('history not started');
    const done = this.replies.length;
    const kept = Math.min(this.keep, done);
    const previous = this.actions.slice(0, done - kept).map((action, i) => `Step ${i + 1}: ${action}`);
    const prompt: Part = { type: 'text', text: osworldInstructionPrompt(this.instruction, previous) };
    const turns: Turn[] = [];
    for (let i = done - kept; i < done; i++) {
      const shot = this.screenshots[i];
      if (!shot) throw new Error(`the screenshot of step ${i + 1} is no longer kept`);
      turns.push({ role: 'user', parts: i === done - kept ? [imagePart(shot), prompt] : [imagePart(shot)] });
      turns.push({ role: 'assistant', text: this.replies[i]!, calls: [] });
    }
    turns.push({ role: 'user', parts: kept === 0 ? [imagePart(current), prompt] : [imagePart(current)] });
    return [...turns, ...this.retries];
  }
}
