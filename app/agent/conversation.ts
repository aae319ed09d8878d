/**
 * The conversation with the model: the history (history.ts), each request (streamed, its deltas out as run
 * events) and the check of each reply. A reply with any invalid call performs nothing: the parser's errors go back
 * to the model, with only the start of what it wrote, until it gives a valid reply or the retry budget
 * (`maxInvalidReplies`) runs out.
 */
import type { RunSettings, Timings } from '../contract';
import type { ModelEvent, SentRequest } from '../model/client';
import { parseReply, type ParsedCall, type RawMessage } from '../model/parse';
import type { Profile } from '../model/profiles';
import { toolsForProfile, type Turn } from '../model/prompt';
import type { FunctionTool } from '../model/tools';
import type { Size } from '../screen/geometry';
import { createHistory, type History, type ImageInput, type ImageSource, type ToolResult } from './history';
import { RequestLog } from './request-log';
import { timed, type RunControl } from './run-control';

/** What the loop needs from a model client (app/model/client.ts ModelClient, or a test double). */
export interface ModelStreamer {
  stream(request: {
    profile: Profile;
    system?: string;
    turns: Turn[];
    tools: FunctionTool[];
    signal?: AbortSignal;
    /** Told each request body right before it is sent (app/model/client.ts ModelRequest.onRequest). */
    onRequest?: (sent: SentRequest) => void;
  }): AsyncIterable<ModelEvent>;
}

/** A reply whose calls are all valid, in the profile's tool. */
export interface ValidReply {
  calls: ParsedCall[];
  reasoning: string | null;
  text: string;
}

export class Conversation {
  private readonly history: History;
  /** Every request as the server received it goes into the run record from here (request-log.ts). */
  private readonly requests: RequestLog;

  constructor(
    private readonly profile: Profile,
    private readonly settings: Pick<RunSettings, 'maxInvalidReplies' | 'systemPrompt'>,
    private readonly model: ModelStreamer,
    private readonly control: RunControl,
  ) {
    this.history = createHistory(profile);
    this.requests = new RequestLog((dataUrl) => control.imageFile(dataUrl));
  }

  /** The first user turn: the instruction and the first screenshot. */
  start(instruction: string, image: ImageInput): void {
    this.history.start(instruction, image);
  }

  /** The results of the last reply's calls (a zoom's with its crop), and the screenshot taken after them. */
  addResults(results: ToolResult[], next: ImageInput | null): number[] {
    return this.history.addResults(results, next);
  }

  /** The sources of the images the model was last sent, in its order (what img_idx counts). */
  visibleImages(): Array<ImageSource | null> {
    return this.history.visibleSources();
  }

  /** Ask the model until it gives a reply whose calls are all valid (or the retry budget runs out). */
  async ask(step: number, imageSize: Size, timings: Timings, round = 1): Promise<ValidReply | null> {
    const tools = toolsForProfile(this.profile, imageSize);
    const base = this.profile.systemPrompt;
    const system = this.settings.systemPrompt ? `${base}\n\n${this.settings.systemPrompt}` : base;
    for (let attempt = 1; attempt <= this.settings.maxInvalidReplies + 1; attempt++) {
      this.control.checkStopped();
      this.control.emit({ type: 'model-request', step, attempt, ...(round > 1 ? { round } : {}) });
      const done = await timed(timings, 'model', () =>
        this.streamOnce(step, attempt, { profile: this.profile, system, turns: this.history.render(), tools }),
      );
      const parsed = parseReply(done.message, this.profile, { imageSize });
      this.control.emit({
        type: 'model-reply',
        step,
        reasoning: parsed.reasoning,
        text: parsed.text,
        calls: parsed.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments as Record<string, unknown> })),
        errors: parsed.errors,
        raw: done.message as unknown as Record<string, unknown>,
        latencyMs: done.latencyMs,
        ...(done.usage ? { usage: done.usage as unknown as Record<string, unknown> } : {}),
      });
      const problems = [...parsed.errors];
      // Interleaved-thinking models end a task with a reply without calls (replyWithoutCall: answer, seed 000).
      if (parsed.calls.length === 0 && problems.length === 0 && this.profile.replyWithoutCall !== 'answer') {
        problems.push('the reply contains no tool call');
      }
      const offered: string[] = [this.profile.tool, ...this.profile.extraTools];
      const foreign = parsed.calls.find((c) => !offered.includes(c.name));
      if (foreign) problems.push(`the tool "${foreign.name}" is not available here; use ${offered.join(' or ')}`);
      if (problems.length === 0) {
        this.history.addReply({
          reasoning: parsed.reasoning,
          text: parsed.text,
          calls: parsed.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments as Record<string, unknown> })),
          raw: rawReplyText(done.message),
        });
        return parsed;
      }
      // A rejected reply goes back as the text the model wrote (no structured calls: nothing of it was performed,
      // so no tool results follow it), then the errors. Only its start: a reply refused for its size must not fill
      // the model's context in the next request.
      const message =
        `Your last reply was not performed: ${problems.join('; ')}. ` +
        `Reply with one or more <tool_call> blocks calling ${this.profile.tool} with valid arguments.`;
      this.control.emit({ type: 'feedback', step, message });
      const text = shortened(rawReplyText(done.message));
      this.history.addRejected({ reasoning: parsed.reasoning === null ? null : shortened(parsed.reasoning), text, calls: [], raw: text }, message);
    }
    return null;
  }

  private async streamOnce(
    step: number,
    attempt: number,
    request: { profile: Profile; system: string; turns: Turn[]; tools: FunctionTool[] },
  ): Promise<Extract<ModelEvent, { type: 'done' }>> {
    const onRequest = (sent: SentRequest): void => this.control.emit(this.requests.event(step, attempt, sent));
    for await (const event of this.model.stream({ ...request, signal: this.control.signal, onRequest })) {
      this.control.checkStopped();
      switch (event.type) {
        case 'reasoning':
          this.control.emit({ type: 'reasoning-delta', step, delta: event.delta });
          break;
        case 'content':
          this.control.emit({ type: 'content-delta', step, delta: event.delta });
          break;
        case 'retry':
          this.control.emit({ type: 'model-retry', step, attempt: event.attempt, error: event.error });
          break;
        case 'note':
          this.control.emit({ type: 'notice', step, message: event.message });
          break;
        case 'mode':
          this.control.emit({ type: 'notice', step, message: event.reason });
          break;
        case 'done':
          return event;
        default:
          break;
      }
    }
    this.control.checkStopped();
    throw new Error('the model stream ended without a reply');
  }
}

/** How much of a rejected reply goes back to the model. */
const REJECTED_REPLY_CHARS = 4000;

function shortened(text: string): string {
  if (text.length <= REJECTED_REPLY_CHARS) return text;
  return `${text.slice(0, REJECTED_REPLY_CHARS)}\n[... ${text.length - REJECTED_REPLY_CHARS} more characters not repeated]`;
}

/** What the model wrote, as text: the content, or the raw tool calls when the server parsed them out. */
function rawReplyText(message: RawMessage): string {
  const content =
    typeof message.content === 'string'
      ? message.content
      : (message.content ?? []).map((part) => part.text ?? '').join('');
  const calls = (message.tool_calls ?? []).map((call) => {
    const args = typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments);
    return `<tool_call>\n{"name": ${JSON.stringify(call.function.name ?? '')}, "arguments": ${args}}\n</tool_call>`;
  });
  return [content, ...calls].filter((t) => t.trim() !== '').join('\n');
}
