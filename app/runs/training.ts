/**
 * Training samples from one run record: what the model saw at each step, what it answered, and what the person
 * made of it (app/cli/export.ts writes them as JSONL for ms-swift and LLaMA-Factory).
 *
 * - The context of a step is the request the model server received for that step's accepted reply, rebuilt from
 *   the record's model-input events (agent/request-log.ts), never re-rendered from the history. Both tools take
 *   plain-text turns with `<image>` placeholders, so the request is written the way Qwen's chat template renders it
 *   (model/prompt.ts says the prompt mode is exactly that): a prompt-mode request is taken as it is; a native one
 *   gets the tools block appended to the system prompt, its `tool_calls` written as `<tool_call>` text and its
 *   tool results as one user turn of `<tool_response>` blocks, with the same functions the prompt mode uses. The
 *   one liberty: the screenshot a native request sends in a user message right after the tool results is joined
 *   to that turn, because both tools need user and assistant turns to alternate.
 * - The assistant turn is written by the prompt builder the same way the history sends it back: `<think>` where
 *   the profile thinks (or the model reasoned), the text, then each `<tool_call>`; an edited call carries the
 *   person's action in place of the model's.
 * - sft: steps whose every call was accepted (approved as is, or edited), and nothing of them failed.
 * - preference pairs: an edited step (chosen = with the edits, rejected = as proposed), and a step a person denied
 *   with a note before anything of it was performed (chosen = the next accepted reply, which the model gave on the
 *   same screen since nothing was done in between; rejected = the denied reply).
 *
 * A record made before requests were recorded (no model-input events) still gives its steps, with only what it
 * has: the instruction and that step's screenshot, no system prompt, tools or history; `missing` says so, and each
 * such sample is marked `partial`.
 */
import { z } from 'zod';
import type { Decision, RunEvent, RunOutcome, Risk } from '../contract';
import { RequestReplay, recordedImageRef, type ReplayedRequest } from '../agent/request-log';
import { getProfile } from '../model/profiles';
import { buildChatRequest, nousToolsBlock, toolCallText, type ToolCallTurn } from '../model/prompt';
import type { FunctionTool } from '../model/tools';
import type { RunRecord } from './recorder';

export const IMAGE_PLACEHOLDER = '<image>';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What a sample needs from the record: turns with `<image>` placeholders and the run files of those images. */
export interface SampleContext {
  messages: ChatTurn[];
  /** Files of the run record, one per `<image>` in the messages, in order. */
  images: string[];
  /** Built without the recorded request (an old record): the instruction and the step's screenshot only. */
  partial: boolean;
}

interface SampleBase {
  step: number;
  /** The highest risk level among the step's proposals (as the model proposed them). */
  risk: Risk['level'];
  context: SampleContext;
}

export interface SftSample extends SampleBase {
  kind: 'approved' | 'edited';
  /** The assistant turn to learn. */
  reply: string;
}

export interface PreferencePair extends SampleBase {
  kind: 'edited' | 'denied';
  chosen: string;
  rejected: string;
  /** The person's note for a denial. */
  note?: string;
}

export interface RunSamples {
  dir: string;
  runId: string;
  instruction: string;
  profile: string | null;
  outcome: RunOutcome | null;
  /** When the run started (ms since the epoch), or null when the record does not say. */
  startedAt: number | null;
  sft: SftSample[];
  pairs: PreferencePair[];
  /** Steps that gave no SFT sample, and steps that could have given a pair and did not, counted by why. */
  skipped: { sft: Record<string, number>; pairs: Record<string, number> };
  /** What the record lacks, one sentence each (an old record, lost lines, missing image files). */
  missing: string[];
}

type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
type Reply = EventOf<'model-reply'>;
type Call = Reply['calls'][number];

// The recorded request messages are read back from disk: their shape is checked, not assumed.
const ContentPartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }) }),
]);
const RecordedMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(ContentPartSchema)]) }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    tool_calls: z
      .array(z.object({ function: z.object({ name: z.string(), arguments: z.string() }) }))
      .optional(),
  }),
  z.object({ role: z.literal('tool'), content: z.string() }),
]);
type RecordedMessage = z.infer<typeof RecordedMessageSchema>;
const RecordedToolsSchema = z.array(z.record(z.string(), z.unknown())).optional();

class ContextError extends Error {}

/** One message's content as text: text parts as they are, each image as `<image>` (its run file collected). */
function contentText(content: string | z.infer<typeof ContentPartSchema>[], images: string[]): string {
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      if (part.type === 'text') return part.text;
      const ref = recordedImageRef(part.image_url.url);
      if (!ref) throw new ContextError('an image of the request was not recorded in the run folder');
      images.push(ref.file);
      return IMAGE_PLACEHOLDER;
    })
    .join('');
}

/** A recorded request as the text turns the chat template makes of it (see the file header). */
export function templateTurns(request: Pick<ReplayedRequest, 'mode' | 'messages' | 'body'>): { messages: ChatTurn[]; images: string[] } {
  const parsed: RecordedMessage[] = request.messages.map((message, i) => {
    const result = RecordedMessageSchema.safeParse(message);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ContextError(`message ${i + 1} of the recorded request is not a chat message${issue ? ` (at "${issue.path.join('.')}": ${issue.message})` : ''}`);
    }
    return result.data;
  });
  const tools = RecordedToolsSchema.safeParse(request.body.tools);
  if (!tools.success) throw new ContextError('the tools of the recorded request are not a list of tools');
  const images: string[] = [];
  const out: ChatTurn[] = [];
  const native = request.mode === 'native';
  const toolsBlock = native && tools.data && tools.data.length > 0 ? nousToolsBlock(tools.data as unknown as FunctionTool[]) : null;
  if (toolsBlock && parsed[0]?.role !== 'system') out.push({ role: 'system', content: toolsBlock });

  for (let i = 0; i < parsed.length; i++) {
    const message = parsed[i]!;
    if (message.role === 'system') {
      out.push({ role: 'system', content: toolsBlock && i === 0 ? `${message.content}\n\n${toolsBlock}` : message.content });
    } else if (message.role === 'user') {
      out.push({ role: 'user', content: contentText(message.content, images) });
    } else if (message.role === 'assistant') {
      const text = message.content ?? '';
      const calls = (message.tool_calls ?? []).map((c) => toolCallText(c.function.name, c.function.arguments));
      out.push({ role: 'assistant', content: calls.length === 0 ? text : text === '' ? calls.join('\n') : [text, ...calls].join('\n') });
    } else {
      // A run of tool results is one user turn of <tool_response> blocks, as the template renders it.
      const blocks = [`<tool_response>\n${message.content}\n</tool_response>`];
      while (parsed[i + 1]?.role === 'tool') blocks.push(`<tool_response>\n${(parsed[++i] as { content: string }).content}\n</tool_response>`);
      let content = blocks.join('\n');
      const next = parsed[i + 1];
      // The result's screenshot, sent after the tool messages (vLLM takes no images in them): joined, see header.
      if (next?.role === 'user' && Array.isArray(next.content) && next.content.every((p) => p.type === 'image_url')) {
        content += contentText(next.content, images);
        i++;
      }
      out.push({ role: 'user', content });
    }
  }
  return { messages: out, images };
}

/** The assistant turn as the model writes it (and as the history sends it back), with `calls` as its calls. */
export function assistantTurn(reply: Pick<Reply, 'reasoning' | 'text'>, calls: ToolCallTurn[], thinks: boolean): string {
  const reasoning = reply.reasoning ?? (thinks ? '' : undefined);
  const built = buildChatRequest({
    profile: getProfile(), // the builder writes an assistant turn the same way for every profile
    turns: [{ role: 'assistant', ...(reasoning !== undefined ? { reasoning } : {}), ...(reply.text ? { text: reply.text } : {}), calls }],
    tools: [],
    mode: 'prompt',
  });
  return (built.messages[0] as { content: string }).content;
}

const RISK_ORDER: Record<Risk['level'], number> = { safe: 0, risky: 1, blocked: 2 };

type StepVerdict =
  | { kind: 'accepted'; calls: ToolCallTurn[]; edited: boolean }
  | { kind: 'denied'; index: number; note: string }
  | { kind: 'skipped'; reason: string };

interface StepRecord {
  step: number;
  reply: Reply;
  request: ReplayedRequest | { missing: string } | null;
}

/** The samples of one run record. Never throws for a damaged record: what cannot be used is counted or listed. */
export function samplesOfRun(record: RunRecord): RunSamples {
  const started = record.events.find((e): e is EventOf<'run-started'> => e.type === 'run-started');
  const finished = record.events.find((e): e is EventOf<'run-finished'> => e.type === 'run-finished');
  const profileId = typeof record.settings?.profile === 'string' ? record.settings.profile : typeof started?.settings.profile === 'string' ? started.settings.profile : null;
  let thinks: boolean | null = null;
  try {
    thinks = profileId ? getProfile(profileId).thinking : null;
  } catch {
    thinks = null;
  }
  const result: RunSamples = {
    dir: record.dir,
    runId: started?.runId ?? record.events[0]?.runId ?? '',
    instruction: started?.instruction ?? '',
    profile: profileId,
    outcome: finished?.outcome ?? null,
    startedAt: started?.at ?? null,
    sft: [],
    pairs: [],
    skipped: { sft: {}, pairs: {} },
    missing: record.problems.map((p) => `${record.dir}: ${p}`),
  };
  const skip = (reason: string, of: Array<'sft' | 'pairs'> = ['sft', 'pairs']) => {
    for (const kind of of) result.skipped[kind][reason] = (result.skipped[kind][reason] ?? 0) + 1;
  };

  const replay = new RequestReplay();
  let lastRequest: StepRecord['request'] = null;
  const steps = new Map<number, StepRecord>();
  const stepImages = new Map<number, string>();
  const proposals = new Map<string, EventOf<'proposal'>['proposal']>();
  const decisions = new Map<string, EventOf<'decision'>>();
  const actions = new Map<string, EventOf<'action'>>();
  let requestsSeen = 0;
  for (const event of record.events) {
    if (event.type === 'model-input') {
      requestsSeen++;
      lastRequest = replay.next(event);
    } else if (event.type === 'model-request') {
      lastRequest = null; // a request whose model-input line is missing must not borrow the previous one
    } else if (event.type === 'model-reply') {
      steps.set(event.step, { step: event.step, reply: event, request: lastRequest });
    } else if (event.type === 'observation') {
      if (!stepImages.has(event.step)) stepImages.set(event.step, event.image.file);
    } else if (event.type === 'proposal') {
      proposals.set(event.proposal.id, event.proposal);
    } else if (event.type === 'decision') {
      decisions.set(event.proposalId, event);
    } else if (event.type === 'action') {
      actions.set(event.proposalId, event);
    }
  }
  if (requestsSeen === 0 && steps.size > 0) {
    result.missing.push(
      `${record.dir}: the record has no model-input events (it was made before requests were recorded): its samples carry only the instruction and the step's screenshot, without the system prompt, tools or history the model saw`,
    );
  }
  const modelThinks = (reply: Reply) => thinks ?? reply.reasoning !== null;

  const verdict = (entry: StepRecord): StepVerdict => {
    const { reply, step } = entry;
    if (reply.errors.length > 0 || reply.calls.length === 0) return { kind: 'skipped', reason: 'the model gave no valid reply' };
    const calls: ToolCallTurn[] = [];
    let edited = false;
    for (const [index, call] of reply.calls.entries()) {
      const action = call.arguments.action;
      if (action === 'terminate' || action === 'answer') {
        calls.push(call);
        continue;
      }
      const id = `${step}.${index}`;
      const decided = decisions.get(id);
      if (!decided) return { kind: 'skipped', reason: 'the run ended before the step was decided' };
      const decision: Decision = decided.decision;
      if (decision.kind === 'stop') return { kind: 'skipped', reason: 'the person stopped the run at this step' };
      if (decision.kind === 'deny') {
        if (decided.by !== 'person') return { kind: 'skipped', reason: 'denied by a deny rule or the approval policy' };
        return { kind: 'denied', index, note: decision.note.trim() };
      }
      const performed = actions.get(id);
      if (!performed) return { kind: 'skipped', reason: 'the run ended before the action was performed' };
      if (!performed.ok) return { kind: 'skipped', reason: 'the action failed' };
      if (decision.kind === 'edit') {
        edited = true;
        calls.push({ id: call.id, name: call.name, arguments: decision.action as Record<string, unknown> });
      } else {
        calls.push(call);
      }
    }
    return { kind: 'accepted', calls, edited };
  };

  const context = (entry: StepRecord): SampleContext | string => {
    const request = entry.request;
    if (request && 'missing' in request) return request.missing;
    if (request) {
      try {
        const turns = templateTurns(request);
        return { ...turns, partial: false };
      } catch (error) {
        if (error instanceof ContextError) return `step ${entry.step}: ${error.message}`;
        throw error;
      }
    }
    if (requestsSeen > 0) return `step ${entry.step}: the record lost the request of this step`;
    const image = stepImages.get(entry.step);
    if (!image) return `step ${entry.step}: the record has neither the request nor the screenshot of this step`;
    return { messages: [{ role: 'user', content: `${result.instruction}${IMAGE_PLACEHOLDER}` }], images: [image], partial: true };
  };

  const riskOf = (entry: StepRecord): Risk['level'] => {
    let level: Risk['level'] = 'safe';
    for (const index of entry.reply.calls.keys()) {
      const proposal = proposals.get(`${entry.step}.${index}`);
      if (proposal && RISK_ORDER[proposal.risk.level] > RISK_ORDER[level]) level = proposal.risk.level;
    }
    return level;
  };

  const ordered = [...steps.values()].sort((a, b) => a.step - b.step);
  const verdicts = new Map(ordered.map((entry) => [entry.step, verdict(entry)]));
  const original = (reply: Reply): ToolCallTurn[] => reply.calls.map((c: Call) => ({ id: c.id, name: c.name, arguments: c.arguments }));

  for (const entry of ordered) {
    const decided = verdicts.get(entry.step)!;
    if (decided.kind === 'skipped') {
      skip(decided.reason);
      continue;
    }
    const ctx = context(entry);
    if (typeof ctx === 'string') {
      skip('the request the model saw could not be rebuilt');
      if (!result.missing.includes(`${record.dir}: ${ctx}`)) result.missing.push(`${record.dir}: ${ctx}`);
      continue;
    }
    if (ctx.messages.reduce((n, m) => n + m.content.split(IMAGE_PLACEHOLDER).length - 1, 0) !== ctx.images.length) {
      skip(`the text itself contains "${IMAGE_PLACEHOLDER}"`);
      continue;
    }
    const thinking = modelThinks(entry.reply);
    const rejected = assistantTurn(entry.reply, original(entry.reply), thinking);
    const base = { step: entry.step, risk: riskOf(entry), context: ctx };
    if (decided.kind === 'accepted') {
      const reply = assistantTurn(entry.reply, decided.calls, thinking);
      result.sft.push({ ...base, kind: decided.edited ? 'edited' : 'approved', reply });
      if (decided.edited) result.pairs.push({ ...base, kind: 'edited', chosen: reply, rejected });
      continue;
    }
    // Denied by the person: a pair at most.
    skip('denied by the person', ['sft']);
    if (decided.note === '') {
      skip('denied without a note', ['pairs']);
      continue;
    }
    if (decided.index > 0) {
      skip('denied after an earlier action of the same reply was performed', ['pairs']);
      continue;
    }
    // The next accepted reply on the same screen: later steps denied at their first call change nothing either.
    let chosen: string | null = null;
    for (let next = entry.step + 1; steps.has(next); next++) {
      const later = verdicts.get(next)!;
      if (later.kind === 'accepted') {
        chosen = assistantTurn(steps.get(next)!.reply, later.calls, modelThinks(steps.get(next)!.reply));
        break;
      }
      if (later.kind !== 'denied' || later.index > 0) break;
    }
    if (chosen === null) {
      skip('denied, and no accepted reply followed on the same screen', ['pairs']);
      continue;
    }
    result.pairs.push({ ...base, kind: 'denied', chosen, rejected, note: decided.note });
  }
  return result;
}
