/**
 * The final answer of a reply, as the profile says where it is (`answer` in profiles.ts): the whole text, or the
 * content of the LAST `\boxed{...}` (CapCurriculum-style models, seed 004: "The final answer MUST BE put in
 * \boxed{}"). Written by hand because no library reads LaTeX braces this way in linear time: one forward pass
 * with a depth counter, braces escaped as `\{` `\}` are text, and a `\boxed{` that never closes (a reply cut off)
 * is not an answer.
 */
import type { Profile } from './profiles';

export interface FinalAnswer {
  /** What is shown as the answer. */
  answer: string;
  /** The profile's format was found (`boxed`: a closed \boxed{} was there); `plain` is always found. */
  found: boolean;
  /** Said to the person when the format was not found, e.g. that the whole reply stands for the answer. */
  note?: string;
}

const OPEN = '\\boxed{';

/**
 * The content of the last closed `\boxed{...}` in `text` (nested braces kept), or null when there is none. A box
 * inside another box is part of the outer one's content; "last" is the outermost box that closes last.
 */
export function lastBoxed(text: string): string | null {
  let depth = 0;
  // Depth at which each open \boxed{ started, innermost last; its content starts at contentStarts.
  const boxDepths: number[] = [];
  const contentStarts: number[] = [];
  let last: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      if (text.startsWith(OPEN, i)) {
        boxDepths.push(depth);
        depth++;
        i += OPEN.length - 1;
        contentStarts.push(i + 1);
        continue;
      }
      // \{ and \} (and any other escaped character) are text.
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth === 0) continue;
      depth--;
      if (boxDepths.length > 0 && boxDepths[boxDepths.length - 1] === depth) {
        boxDepths.pop();
        const start = contentStarts.pop() ?? i;
        // Only an outermost box is an answer; one inside another is part of that one's content.
        if (boxDepths.length === 0) last = text.slice(start, i);
      }
    }
  }
  return last === null ? null : last.trim();
}

/** The answer of a reply's text (reasoning already split off) for a profile. */
export function finalAnswer(text: string, profile: Pick<Profile, 'answer'>): FinalAnswer {
  const whole = text.trim();
  if (profile.answer !== 'boxed') return { answer: whole, found: true };
  const boxed = lastBoxed(text);
  if (boxed !== null) return { answer: boxed, found: true };
  return { answer: whole, found: false, note: 'the reply has no \\boxed{...}; the whole reply is shown as the answer' };
}
