/**
 * One regression test per reproduced slow path of the parser (issue 9): each input is built at a size that used to
 * take seconds (or minutes, or threw), and must now give the right result within a generous budget of CPU time -
 * far above what `npm run bench -- --only parse` shows (a few ms at these sizes), far below the old seconds, and
 * measured as CPU time so a loaded machine does not make it flaky.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandOutput, type ParseOutput } from '../../app/cli/parse';
import { InlineThinkSplitter } from '../../app/model/think-splitter';
import { getProfile } from '../../app/model/profiles';
import { repeat } from '../../testkit/adversarial/replies';

const BUDGET_MS = 1500;
const profile = getProfile('qwen3-vl');

/** CPU milliseconds `work` took, and its result. */
function cpuTimed<T>(work: () => T): { result: T; cpuMs: number } {
  const start = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(start);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

function parse(text: string): ParseOutput {
  const { result, cpuMs } = cpuTimed(() => parseCommandOutput(text, profile, { width: 1920, height: 1080 }));
  expect(cpuMs, `parsing ${text.length} characters took ${cpuMs.toFixed(0)} ms of CPU`).toBeLessThan(BUDGET_MS);
  return result;
}

const call = (args: string) => `<tool_call>\n{"name": "computer_use", "arguments": ${args}}\n</tool_call>`;

describe('parser slow paths (each used to take seconds)', () => {
  it('a fence followed by blank lines (finishText; 30 newlines took 49.8 s) is prose, and a million are too', () => {
    // Exactly the reproduction: python3 -c "print('I will click.\n```\n' + '\n'*30 + 'done')".
    const out = parse(`I will click.\n\`\`\`\n${'\n'.repeat(30)}done\n`);
    expect(out).toEqual({ reasoning: null, text: 'I will click.\n```\n\ndone', actions: [], errors: [] });
    expect(parse(`I will click.\n\`\`\`\n${'\n'.repeat(1_000_000)}done`).text).toBe('I will click.\n```\n\ndone');
  });

  it("'\\n{' x 50,000 (bare-call scanning; 35.6 s) yields no action and no error", () => {
    const out = parse('\n{'.repeat(50_000));
    expect(out.actions).toEqual([]);
    expect(out.errors).toEqual([]);
  });

  it("'<tool_call>' x 100,000 (closing-tag search from every tag; 21.9 s) is one error naming the cap and the count", () => {
    const out = parse('<tool_call>'.repeat(90_000));
    expect(out.actions).toEqual([]);
    expect(out.errors).toEqual([expect.stringMatching(/the reply has 90000 tool calls, more than the limit of 5 per reply \(limits\.callsPerReply/)]);
  });

  it('<function=...> with many <parameter=a (lazy regexes; 6.8 s) is one call without an action', () => {
    const out = parse(repeat('<parameter=a', 1_000_000, '<tool_call>\n<function=computer_use>\n'));
    expect(out.actions).toEqual([]);
    expect(out.errors).toEqual([expect.stringContaining('tool call 1 (computer_use): "action" is missing')]);
    const names = parse(repeat('<function=a', 1_000_000, '<tool_call>\n'));
    expect(names.errors).toEqual([expect.stringContaining('is not a <function=...> call')]);
  });

  it('a long run of spaces (/[ \\t]+\\n/; 100 KB took 6 s) stays text', () => {
    const out = parse(`a${' '.repeat(1_000_000)}b`);
    expect(out.text).toBe(`a${' '.repeat(1_000_000)}b`);
  });

  it('a point string with a long run of spaces (toNumbers; 100 KB took over 15 s) is not a point', () => {
    const out = parse(call(`{"action": "left_click", "coordinate": "1${' '.repeat(1_000_000)}x"}`));
    expect(out.errors).toEqual([expect.stringContaining('coordinate "1 x" is not a point')]);
  });

  it('pixels with a long run of digits (\\d+\\.?\\d*; 100 KB took 9 s) is not a number', () => {
    const out = parse(call(`{"action": "scroll", "pixels": "${'1'.repeat(1_000_000)}x"}`));
    expect(out.errors).toEqual([expect.stringMatching(/pixels "1+… is not a number/)]);
  });

  it('nested line-start objects (every nested start scanned and parsed again; 100 KB took 5.7 s) are one JSON object', () => {
    const out = parse(`${'\n{"a":'.repeat(90_000)}{}${'}'.repeat(90_000)}`);
    expect(out.actions).toEqual([]);
    expect(out.errors).toEqual([expect.stringContaining('a JSON object that is not a tool call (keys a)')]);
  });

  it('many <complete tags without a > (foreign-format check) are prose', () => {
    expect(parse('<complete'.repeat(100_000)).errors).toEqual([]);
  });

  it('distinct <think> blocks (every piece compared with every other) are all kept, in order', () => {
    const blocks = Array.from({ length: 40_000 }, (_, i) => `<think>step ${i}</think>`).join('');
    const out = parse(blocks);
    expect(out.reasoning?.split('\n\n')).toHaveLength(40_000);
    expect(out.reasoning?.endsWith('step 39999')).toBe(true);
  });

  it('a point nested 400,000 levels deep (show() overflowed the stack and the parser threw) is an error, not a crash', () => {
    const out = parse(call(`{"action": "left_click", "coordinate": ${'['.repeat(400_000)}${']'.repeat(400_000)}}`));
    expect(out.errors).toEqual([expect.stringContaining('coordinate [an array nested too deeply to show] is not a point')]);
  });

  it("the client's live </think> split, fed a million blank lines in 6-character chunks, stays linear", () => {
    const { result, cpuMs } = cpuTimed(() => {
      const splitter = new InlineThinkSplitter(false);
      const events = [];
      for (let i = 0; i < 1_000_000; i += 6) events.push(...splitter.push('\n'.repeat(6)));
      events.push(...splitter.push('hello'), ...splitter.end());
      return events;
    });
    expect(cpuMs).toBeLessThan(BUDGET_MS);
    expect(result.map((e) => (e.type === 'content' ? e.delta : '')).join('')).toBe(`${'\n'.repeat(1_000_002)}hello`);
  });
});
