/**
 * Reply assembly without HTTP: the deltas a server streams become the events the loop shows and the one raw
 * message the parser reads - reasoning in either field or inline, tool calls in fragments, and the reply-size cap.
 */
import { describe, expect, it } from 'vitest';
import { CUT_OFF_KEEP_CHARS, ReplyAssembler, type Delta } from '../../app/model/reply-assembly';

function assemble(deltas: Delta[], options: { thinking?: boolean; replyBytes?: number; whole?: boolean } = {}) {
  const reply = new ReplyAssembler(options.thinking ?? false, options.replyBytes ?? 1024 * 1024);
  const events = [...deltas.flatMap((d) => reply.push(d, options.whole ?? false)), ...reply.end()];
  return { events, message: reply.message(), cutOff: reply.cutOff };
}

describe('reply assembly', () => {
  it('joins streamed reasoning, content and tool-call fragments, emitting each piece as it arrives', () => {
    const { events, message } = assemble([
      { reasoning: 'The Files icon ' },
      { reasoning: 'is on the left.' },
      { content: 'Action: open Files' },
      { tool_calls: [{ index: 0, id: 'call-1', function: { name: 'computer_use', arguments: '{"action": "left_' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'click", "coordinate": [31, 412]}' } }] },
    ]);
    expect(events).toEqual([
      { type: 'reasoning', delta: 'The Files icon ' },
      { type: 'reasoning', delta: 'is on the left.' },
      { type: 'content', delta: 'Action: open Files' },
      { type: 'tool_call', index: 0, id: 'call-1', name: 'computer_use', argumentsDelta: '{"action": "left_' },
      { type: 'tool_call', index: 0, argumentsDelta: 'click", "coordinate": [31, 412]}' },
    ]);
    expect(message).toEqual({
      content: 'Action: open Files',
      reasoning: 'The Files icon is on the left.',
      tool_calls: [
        { id: 'call-1', type: 'function', index: 0, function: { name: 'computer_use', arguments: '{"action": "left_click", "coordinate": [31, 412]}' } },
      ],
    });
  });

  it('shows reasoning sent in both fields once, and keeps each field as the server sent it', () => {
    const { events, message } = assemble([{ reasoning: 'hmm', reasoning_content: 'hmm' }, { content: 'ok' }]);
    expect(events).toEqual([
      { type: 'reasoning', delta: 'hmm' },
      { type: 'content', delta: 'ok' },
    ]);
    expect(message).toMatchObject({ reasoning: 'hmm', reasoning_content: 'hmm', content: 'ok' });
  });

  it('splits inline reasoning out of the events but keeps the raw content for the parser', () => {
    const { events, message } = assemble([{ content: 'I will click.\n</thi' }, { content: 'nk>\n\nDone.' }], { thinking: true });
    expect(events).toEqual([
      { type: 'reasoning', delta: 'I will click.' },
      { type: 'content', delta: 'Done.' },
    ]);
    expect(message.content).toBe('I will click.\n</think>\n\nDone.');
    expect(message.reasoning).toBeUndefined();
  });

  it('continues the latest call for a fragment without an index, and orders calls by index', () => {
    const { message } = assemble([
      { tool_calls: [{ index: 1, id: 'b', function: { name: 'computer_use', arguments: '{"action":' } }] },
      { tool_calls: [{ function: { arguments: ' "wait", "time": 1}' } }] },
      { tool_calls: [{ index: 0, id: 'a', function: { name: 'computer_use', arguments: '{"action": "terminate", "status": "success"}' } }] },
    ]);
    expect(message.tool_calls.map((c) => [c.index, c.id, c.function.arguments])).toEqual([
      [0, 'a', '{"action": "terminate", "status": "success"}'],
      [1, 'b', '{"action": "wait", "time": 1}'],
    ]);
  });

  it('indexes the calls of a whole (non-streamed) message by position, arguments given as objects included', () => {
    const { message } = assemble(
      [
        {
          tool_calls: [
            { id: 'a', function: { name: 'computer_use', arguments: { action: 'wait', time: 1 } } },
            { id: 'b', function: { name: 'computer_use', arguments: '{"action": "answer", "text": "4"}' } },
          ],
        },
      ],
      { whole: true },
    );
    expect(message.tool_calls.map((c) => [c.index, c.function.arguments])).toEqual([
      [0, '{"action":"wait","time":1}'],
      [1, '{"action": "answer", "text": "4"}'],
    ]);
  });

  it('past limits.replyBytes shows nothing more, keeps the start of each field and no calls, and says how much came', () => {
    const chunk = 'x'.repeat(1500);
    const { events, message, cutOff } = assemble(
      [
        { reasoning: chunk },
        { reasoning: chunk, content: 'y'.repeat(3000) },
        { tool_calls: [{ index: 0, function: { name: 'computer_use', arguments: '{}' } }] },
      ],
      { replyBytes: 2000 },
    );
    expect(cutOff).toBe(true);
    expect(events).toEqual([{ type: 'reasoning', delta: chunk }]);
    expect(message.reasoning).toBe('x'.repeat(CUT_OFF_KEEP_CHARS));
    expect(message.content).toBe('y'.repeat(CUT_OFF_KEEP_CHARS));
    expect(message.tool_calls).toEqual([]);
    // Everything that arrived counts, the call after the cut too (its name and arguments: 14 bytes).
    expect(message.cutOff).toEqual({ receivedBytes: 1500 + 1500 + 3000 + 14 });
  });

  it('counts UTF-8 bytes, not characters, against the limit', () => {
    // 700 three-byte characters are 2100 bytes: over a 2000-byte limit though only 700 characters long.
    expect(assemble([{ content: '€'.repeat(700) }], { replyBytes: 2000 }).cutOff).toBe(true);
    expect(assemble([{ content: 'e'.repeat(700) }], { replyBytes: 2000 }).cutOff).toBe(false);
  });
});
