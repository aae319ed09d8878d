/**
 * The two limits a profile puts on one reply (limits.callsPerReply, limits.replyBytes): past either the parser
 * yields no call, only an error that names the limit, and `deskpilot parse` refuses stdin past the size limit.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readStdin } from '../../app/cli/parse';
import { UsageError } from '../../app/cli/errors';
import { formatBytes, parseReply, readReplyInput } from '../../app/model/parse';
import { DEFAULT_LIMITS, getProfile, ProfileSchema } from '../../app/model/profiles';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const qwen3 = getProfile('qwen3-vl');
const click = (x: number) => `<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [${x}, 10]}}\n</tool_call>`;

describe('text per type action', () => {
  it('types up to limits.typeChars characters; a longer text is an error that says to type it in parts', () => {
    const typeCall = (text: string) => `<tool_call>\n${JSON.stringify({ name: 'computer_use', arguments: { action: 'type', text } })}\n</tool_call>`;
    const fits = parseReply({ content: typeCall('x'.repeat(65536)) }, qwen3);
    expect(fits.errors).toEqual([]);
    expect(fits.calls).toHaveLength(1);
    const tooLong = parseReply({ content: `${click(1)}\n${typeCall('x'.repeat(65537))}` }, qwen3);
    expect(tooLong.calls.map((c) => (c.arguments as { action: string }).action)).toEqual(['left_click']);
    expect(tooLong.errors).toEqual([
      'tool call 2 (computer_use type): the text is 65537 characters long, more than the 65536 one type action may carry (limits.typeChars of profile "qwen3-vl"); type it in several parts',
    ]);
  });
});

describe('calls per reply', () => {
  it('every built-in profile allows 5 calls per reply , 1 MiB of text and 3 zooms per step', () => {
    expect(DEFAULT_LIMITS).toEqual({ callsPerReply: 5, replyBytes: 1024 * 1024, typeChars: 65536, zoomsPerStep: 3 });
    for (const id of ['qwen3-vl', 'qwen3-vl-thinking', 'qwen3-vl-interleaved', 'qwen3-vl-mobile', 'qwen2.5-vl', 'qwen2.5-vl-mobile', 'capcurriculum']) {
      expect(getProfile(id).limits).toEqual(DEFAULT_LIMITS);
    }
  });

  it('performs up to the cap, and nothing of a reply with more: one error naming the limit and the count', () => {
    const five = parseReply({ content: [1, 2, 3, 4, 5].map(click).join('\n') }, qwen3);
    expect(five.calls).toHaveLength(5);
    expect(five.errors).toEqual([]);

    const six = parseReply({ content: `Clicking all of them.\n${[1, 2, 3, 4, 5, 6].map(click).join('\n')}` }, qwen3);
    expect(six.calls).toEqual([]);
    expect(six.errors).toEqual([
      'the reply has 6 tool calls, more than the limit of 5 per reply (limits.callsPerReply of profile "qwen3-vl"); nothing of it was performed. Send at most 5 calls, then look at the next screenshot',
    ]);
    expect(six.text).toBe('Clicking all of them.');
  });

  it('counts server-parsed calls, invalid calls and the objects of one block alike, and the cap is a profile setting', () => {
    const two = ProfileSchema.parse({ ...qwen3, id: 'two', limits: { callsPerReply: 2, replyBytes: 4096 } });
    const serverCalls = [1, 2, 3].map((x) => ({ function: { name: 'computer_use', arguments: `{"action": "left_click", "coordinate": [${x}, 10]}` } }));
    expect(parseReply({ content: null, tool_calls: serverCalls }, two).errors).toEqual([expect.stringContaining('has 3 tool calls, more than the limit of 2')]);
    // An invalid call counts: the model sent it.
    const mixed = parseReply({ content: `${click(1)}\n${click(2000)}\n${click(3)}` }, two);
    expect(mixed.calls).toEqual([]);
    expect(mixed.errors).toEqual([expect.stringContaining('has 3 tool calls')]);
    const oneBlock = parseReply({ content: '<tool_call>\n[{"name": "computer_use", "arguments": {"action": "wait", "time": 1}}, {"name": "computer_use", "arguments": {"action": "wait", "time": 1}}, {"name": "computer_use", "arguments": {"action": "wait", "time": 1}}]\n</tool_call>' }, two);
    expect(oneBlock.errors).toEqual([expect.stringContaining('has 3 tool calls')]);
    expect(() => ProfileSchema.parse({ ...qwen3, limits: { callsPerReply: 0, replyBytes: 10 } })).toThrow();
  });
});

describe('reply size', () => {
  // Room for one click call and 40 bytes more.
  const limit = Buffer.byteLength(click(1)) + 40;
  const small = ProfileSchema.parse({ ...qwen3, id: 'small', limits: { callsPerReply: 5, replyBytes: limit } });

  it('reads nothing of a reply longer than limits.replyBytes, counting content, reasoning once and call arguments', () => {
    expect(parseReply({ content: click(1) }, small).calls).toHaveLength(1);
    const text = `${click(1)}${'x'.repeat(41)}`;
    expect(parseReply({ content: text }, small)).toEqual({
      reasoning: null,
      text: '',
      calls: [],
      errors: [
        `the reply is longer than the limit of ${limit} bytes (limits.replyBytes of profile "small"; it has ${limit + 1} bytes); nothing of it was performed. Reply with a short reasoning and at most 5 tool calls`,
      ],
    });
    // The same reasoning in both fields counts once (twice it would be 60 bytes over the call).
    const twice = parseReply({ content: click(1), reasoning: 'r'.repeat(30), reasoning_content: 'r'.repeat(30) }, small);
    expect(twice.errors).toEqual([]);
    expect(twice.calls).toHaveLength(1);
    const args = { function: { name: 'computer_use', arguments: `{"action": "type", "text": "${'t'.repeat(limit)}"}` } };
    expect(parseReply({ content: null, tool_calls: [args] }, small).errors[0]).toContain(`longer than the limit of ${limit} bytes`);
    // Bytes, not characters: 60 Chinese characters are 180 bytes of UTF-8.
    expect(parseReply({ content: '点'.repeat(60) }, small).errors[0]).toContain('it has 180 bytes');
  });

  it('reports a reply the client cut off, whatever is left of it', () => {
    const cut = parseReply({ content: click(1), cutOff: { receivedBytes: 1_048_600 } }, qwen3);
    expect(cut.calls).toEqual([]);
    expect(cut.errors).toEqual([
      'the reply is longer than the limit of 1 MiB (limits.replyBytes of profile "qwen3-vl"; the client stopped reading after 1 MiB); nothing of it was performed. Reply with a short reasoning and at most 5 tool calls',
    ]);
    // A cut-off message from a run record reads back the same through `deskpilot parse`.
    const recorded = readReplyInput(JSON.stringify({ role: 'assistant', content: click(1), tool_calls: [], cutOff: { receivedBytes: 2_000_000 } }));
    expect(parseReply(recorded, qwen3).errors[0]).toContain('stopped reading after 1.9 MiB');
  });

  it('says sizes the way a person reads them', () => {
    expect([formatBytes(300), formatBytes(2048), formatBytes(1536 * 1024), formatBytes(1024 * 1024)]).toEqual(['300 bytes', '2 KiB', '1.5 MiB', '1 MiB']);
  });
});

describe('deskpilot parse and the size limit', () => {
  it('refuses stdin past the limit with exit 2 and a message naming the limit, and parses a reply just under it', () => {
    const over = spawnSync(process.execPath, [join(root, 'bin/deskpilot.js'), 'parse'], { input: 'x'.repeat(1024 * 1024 + 1), encoding: 'utf8', cwd: root });
    expect(over.status).toBe(2);
    expect(over.stdout).toBe('');
    expect(over.stderr).toContain('stdin is longer than 1 MiB, the reply-size limit (limits.replyBytes of profile "qwen3-vl")');

    const under = spawnSync(process.execPath, [join(root, 'bin/deskpilot.js'), 'parse'], {
      input: `${click(500)}\n${' '.repeat(1024 * 1024 - 200)}`,
      encoding: 'utf8',
      cwd: root,
    });
    expect(under.status).toBe(0);
    expect(JSON.parse(under.stdout).actions).toHaveLength(1);
  });

  it('stops reading stdin as soon as it passes the limit', async () => {
    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          pulled++;
          yield Buffer.alloc(64 * 1024, 0x61);
        }
      })(),
    );
    await expect(readStdin(1024 * 1024, 'qwen3-vl', endless)).rejects.toThrow(UsageError);
    expect(pulled).toBeLessThanOrEqual(18);
  });
});
