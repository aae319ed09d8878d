/**
 * Asking the model a question about one image (`deskpilot ask`): the screenshot (or image file) as the profile
 * sizes it, then the question, in one user turn under the profile's system prompt, no tools. The answer is where the
 * profile says (app/model/answer.ts: the whole reply, or the last `\boxed{}` for CapCurriculum-style models); the
 * reasoning is the reply's `<think>` part or the server's reasoning field, split off as for any reply.
 */
import { finalAnswer } from '../model/answer';
import { parseReply, type RawMessage } from '../model/parse';
import type { Profile } from '../model/profiles';
import { prepareImage, type RawImage } from '../screen/prepare';
import type { ModelStreamer } from './conversation';

export interface AskResult {
  answer: string;
  reasoning: string | null;
  /** The reply's content as the model wrote it (an inline `<think>` part included). */
  raw: string;
  /** Set when the answer is not in the form the profile expects (e.g. no \boxed{}: the whole reply is shown). */
  note?: string;
  /** The size the image was sent at. */
  image: { width: number; height: number };
}

export async function askAboutImage(
  model: ModelStreamer,
  input: { profile: Profile; image: RawImage; question: string; systemPrompt?: string; signal?: AbortSignal },
): Promise<AskResult> {
  const { profile, question } = input;
  if (question.trim() === '') throw new Error('the question is empty; write what you want to know about the screen');
  const image = await prepareImage(input.image, profile.image);
  const system = input.systemPrompt ? `${profile.systemPrompt}\n\n${input.systemPrompt}` : profile.systemPrompt;
  let message: RawMessage | null = null;
  for await (const event of model.stream({
    profile,
    system,
    turns: [{ role: 'user', parts: [{ type: 'image', mime: image.mime, base64: image.data.toString('base64') }, { type: 'text', text: question }] }],
    tools: [],
    ...(input.signal ? { signal: input.signal } : {}),
  })) {
    if (event.type === 'done') message = event.message;
  }
  if (!message) throw new Error('the model stream ended without a reply');
  const parsed = parseReply(message, profile, { imageSize: { width: image.width, height: image.height } });
  const found = finalAnswer(parsed.text, profile);
  return {
    answer: found.answer,
    reasoning: parsed.reasoning,
    raw: typeof message.content === 'string' ? message.content : (message.content ?? []).map((part) => part.text ?? '').join(''),
    ...(found.note ? { note: found.note } : {}),
    image: { width: image.width, height: image.height },
  };
}
