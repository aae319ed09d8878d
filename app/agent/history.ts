/**
 * The conversation the agent keeps with the model, in the mode-independent Turn form that app/model/prompt.ts
 * renders for either server mode.
 *
 * Shape (both history strategies):
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
}

export class History {
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

  /** The parser's errors for a reply that was not performed. */
  addFeedback(text: string): void {
    this.turns.push({ role: 'user', parts: [{ type: 'text', text }] });
  }

  /**
   * The results of the last reply's calls (one per call, in order), with the screenshot taken after them
   * attached to the last result. Returns where each result's own image (a crop) is among the images of the next
   * request, -1 for a result without one.
   */
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
