/**
 * The inline </think> splitter on its own: reasoning before the tag and content after it come out live and whole,
 * however the text is cut into chunks (the client's streaming tests cover it behind HTTP).
 */
import { describe, expect, it } from 'vitest';
import type { ModelEvent } from '../../app/model/client';
import { InlineThinkSplitter } from '../../app/model/think-splitter';

const joined = (events: ModelEvent[], type: 'reasoning' | 'content') =>
  events.flatMap((e) => (e.type === type ? [e.delta] : [])).join('');

function split(thinking: boolean, chunks: string[]): ModelEvent[] {
  const splitter = new InlineThinkSplitter(thinking);
  return [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
}

describe('inline </think> split', () => {
  it('gives the same split for every way the text can be cut in two', () => {
    const text = 'think <b>\n</think>\n\nText with </think> inside';
    for (let cut = 0; cut <= text.length; cut++) {
      const events = split(true, [text.slice(0, cut), text.slice(cut)]);
      expect(joined(events, 'reasoning')).toBe('think <b>');
      expect(joined(events, 'content')).toBe('Text with </think> inside');
    }
  });

  it('shows reasoning as it arrives, holding back only what could be the start of </think>', () => {
    const splitter = new InlineThinkSplitter(true);
    expect(joined(splitter.push('Looking at the screen'), 'reasoning')).toBe('Looking at the screen');
    // "\n</th" may become the closing tag: nothing of it is shown yet.
    expect(splitter.push('.\n</th')).toEqual([{ type: 'reasoning', delta: '.' }]);
    expect(splitter.push('ink>\n\nClick it')).toEqual([{ type: 'content', delta: 'Click it' }]);
    expect(splitter.end()).toEqual([]);
  });

  it('splits a reply that opens with <think> for a non-thinking profile, and leaves other replies as content', () => {
    const opened = split(false, ['  <thi', 'nk>\nhmm\n</think>\n\nAnswer']);
    expect([joined(opened, 'reasoning'), joined(opened, 'content')]).toEqual(['hmm', 'Answer']);
    const plain = split(false, ['<', 'b>bold</b>']);
    expect([joined(plain, 'reasoning'), joined(plain, 'content')]).toEqual(['', '<b>bold</b>']);
  });

  it('passes everything through as content once the server sends reasoning in its own field', () => {
    const splitter = new InlineThinkSplitter(true);
    splitter.passThrough();
    const events = [...splitter.push('no tag here </think> at all'), ...splitter.end()];
    expect(events).toEqual([{ type: 'content', delta: 'no tag here </think> at all' }]);
  });

  it('ends a reply cut off inside the reasoning with the reasoning it held back', () => {
    const events = split(true, ['still thinking </thi']);
    expect(joined(events, 'reasoning')).toBe('still thinking </thi');
    expect(joined(events, 'content')).toBe('');
  });
});
