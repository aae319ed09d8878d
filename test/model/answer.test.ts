/** The final answer of a reply: the whole text, or the last \boxed{} for CapCurriculum-style profiles (seed 004). */
import { describe, expect, it } from 'vitest';
import { finalAnswer, lastBoxed } from '../../app/model/answer';
import { CAPCURRICULUM_SYSTEM_PROMPT, getProfile } from '../../app/model/profiles';

describe('\\boxed{} answers', () => {
  it('takes the content of the last box, nested braces kept', () => {
    expect(lastBoxed('first \\boxed{A} then \\boxed{\\frac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(lastBoxed('\\boxed{ {a, {b}} }')).toBe('{a, {b}}');
  });

  it('a box inside a box is part of the outer one; escaped braces are text', () => {
    expect(lastBoxed('\\boxed{x = \\boxed{2}}')).toBe('x = \\boxed{2}');
    expect(lastBoxed('\\boxed{set \\{1\\}}')).toBe('set \\{1\\}');
  });

  it('a box that never closes (a cut-off reply) is no answer', () => {
    expect(lastBoxed('\\boxed{B} and then \\boxed{C')).toBe('B');
    expect(lastBoxed('no box here {at all}')).toBeNull();
  });

  it('stays linear on a long hostile reply', () => {
    const hostile = '\\boxed{'.repeat(200_000) + '}'.repeat(100_000);
    expect(lastBoxed(hostile)).toBeNull();
  });

  it('the capcurriculum profile answers with the box, or the whole reply with a note', () => {
    const profile = getProfile('capcurriculum');
    expect(profile.systemPrompt).toBe(CAPCURRICULUM_SYSTEM_PROMPT);
    expect(finalAnswer('It is the Files icon. \\boxed{Files}', profile)).toEqual({ answer: 'Files', found: true });
    const none = finalAnswer('  The Files icon.  ', profile);
    expect(none.answer).toBe('The Files icon.');
    expect(none.note).toMatch(/no \\boxed/);
    expect(finalAnswer('\\boxed{1}', getProfile('qwen3-vl'))).toEqual({ answer: '\\boxed{1}', found: true });
  });
});
