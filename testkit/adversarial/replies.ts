/**
 * Generated model replies that used to make the parser (or the client's stream assembly) super-linear, and
 * mixed/random ones, at any size. Shared by the parser benchmark (bench/parse.ts), the per-path regression tests
 * (test/model/parse-slow-paths.test.ts) and the stop test (test/agent/adversarial-replies.test.ts).
 *
 * Each `text` is what `deskpilot parse` would read on stdin (raw content, or a chat-completion JSON); `repeat`
 * builds a text of about `size` characters from a repeated piece.
 */

export interface AdversarialReply {
  name: string;
  /** What made it slow before (the function and why), for the benchmark table. */
  slowPath: string;
  text: string;
}

/** `piece` repeated until the text is about `size` characters long, between `head` and `tail`. */
export function repeat(piece: string, size: number, head = '', tail = ''): string {
  const count = Math.max(1, Math.floor((size - head.length - tail.length) / piece.length));
  return head + piece.repeat(count) + tail;
}

/** A small deterministic PRNG (mulberry32), so generated corpora and fuzz runs are the same every time. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The pieces replies are built from: tags, fences, braces, quotes, newlines and the parameters of the XML form. */
export const PIECES = [
  '<tool_call>',
  '</tool_call>',
  '<think>',
  '</think>',
  '<thinking>',
  '</thought>',
  '```',
  '```json\n',
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  ':',
  ',',
  '\n',
  '\n\n\n',
  ' ',
  '\t',
  '<function=computer_use>',
  '</function>',
  '<parameter=action>',
  '<parameter=coordinate>',
  '</parameter>',
  '<parameter=a',
  'left_click',
  '[500, 300]',
  '{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [500, 300]}}',
  '"name": "computer_use"',
  'Thought: ',
  'Action: ',
  'Action: click(start_box=',
  '<complete',
  'pyautogui.click(',
  '\u0000',
  '<|im_end|>',
  'word ',
  '1',
  'ctrl+',
];

/** Random pieces (see PIECES) concatenated to about `size` characters. */
export function randomReply(size: number, seed: number): string {
  const random = prng(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const piece = PIECES[Math.floor(random() * PIECES.length)] ?? '';
    parts.push(piece);
    length += piece.length;
  }
  return parts.join('');
}

/** A repeat count of at least 1. */
const times = (n: number): number => Math.max(1, Math.floor(n));

const CALL = (args: string) => `<tool_call>\n{"name": "computer_use", "arguments": ${args}}\n</tool_call>`;

/** Every known slow path at about `size` characters, then random mixtures of the pieces. */
export function adversarialReplies(size: number): AdversarialReply[] {
  const replies: AdversarialReply[] = [
    {
      name: 'fence + blank lines',
      slowPath: 'finishText: the empty-fence regex backtracked exponentially over blank lines',
      text: repeat('\n', size, 'I will click.\n```\n', 'done'),
    },
    {
      name: "'\\n{' repeated",
      slowPath: 'takeBareCalls: scanJsonEnd restarted at every line-start brace',
      text: repeat('\n{', size),
    },
    {
      name: "'<tool_call>' repeated",
      slowPath: 'takeToolCalls: indexOf of the closing tag from every opening tag',
      text: repeat('<tool_call>', size),
    },
    {
      name: "'<function=...>' + '<parameter=a' repeated",
      slowPath: 'xmlFunctionValues: lazy regexes rescanned to the end from every <parameter=',
      text: repeat('<parameter=a', size, '<tool_call>\n<function=computer_use>\n'),
    },
    {
      name: "'<function=a' repeated",
      slowPath: 'xmlFunctionValues: the function-name regex rescanned to the end from every <function=',
      text: repeat('<function=a', size, '<tool_call>\n'),
    },
    {
      name: 'long run of spaces',
      slowPath: 'finishText: /[ \\t]+\\n/ rescanned the run from every space',
      text: repeat(' ', size, 'a', 'b'),
    },
    {
      name: "'<complete' repeated",
      slowPath: 'detectForeignFormat: /<complete\\b[^>]*>/ scanned to the end from every <complete',
      text: repeat('<complete', size),
    },
    {
      name: 'distinct <think> blocks',
      slowPath: 'joinReasoning: every piece compared with every kept piece',
      text: Array.from({ length: times(size / 24) }, (_, i) => `<think>step ${i}</think>`).join(''),
    },
    {
      name: 'point with a long run of spaces',
      slowPath: 'toNumbers: a lazy group followed by \\s* backtracked over the run',
      text: CALL(`{"action": "left_click", "coordinate": "1${' '.repeat(times(size - 120))}x"}`),
    },
    {
      name: 'pixels with a long run of digits',
      slowPath: 'toNumber: \\d+\\.?\\d* split the digits every way',
      text: CALL(`{"action": "scroll", "pixels": "${'1'.repeat(times(size - 120))}x"}`),
    },
    {
      name: 'keys with many pluses',
      slowPath: 'normaliseKeys',
      text: CALL(`{"action": "key", "keys": "${'a+'.repeat(times((size - 120) / 2))}a"}`),
    },
    {
      name: 'many valid calls',
      slowPath: 'no cap on calls per reply: every call was validated and performed',
      text: repeat(`${CALL('{"action": "wait", "time": 1}')}\n`, size),
    },
    {
      name: 'nested line-start objects',
      slowPath: 'takeBareCalls: every nested candidate scanned and parsed again',
      text: repeat('\n{"a":', size / 2) + '{}' + '}'.repeat(times(size / 12)),
    },
    {
      name: 'leading Thought with many lines',
      slowPath: 'takeLeadingThought',
      text: repeat('more thinking\n', size, 'Thought: ', CALL('{"action": "wait", "time": 1}')),
    },
    {
      name: 'fence line inside a call body',
      slowPath: 'stripFences',
      text: CALL(`{"action": "type", "text": "x"}\n\`\`\`${'a'.repeat(times(size - 120))}!`),
    },
    {
      name: 'deeply nested point',
      slowPath: 'show/canonical: recursion on nesting (stack overflow)',
      text: CALL(`{"action": "left_click", "coordinate": ${'['.repeat(times((size - 120) / 2))}${']'.repeat(times((size - 120) / 2))}}`),
    },
    {
      name: 'UI-TARS argument names with spaces',
      slowPath: 'detectForeignFormat',
      text: repeat('start_box   ', size),
    },
    {
      name: 'unclosed <think> then calls',
      slowPath: 'takeTagged',
      text: repeat('<think>x', size),
    },
    {
      name: 'chat completion with 1 MB content and duplicated reasoning',
      slowPath: 'readReplyInput / joinReasoning',
      text: JSON.stringify({
        choices: [
          {
            message: {
              role: 'assistant',
              content: repeat('\n{', size / 3),
              reasoning: repeat('think ', size / 3),
              reasoning_content: repeat('think ', size / 3),
            },
          },
        ],
      }),
    },
    {
      name: 'server tool_calls with fenced arguments',
      slowPath: 'decodeArguments / canonical',
      text: JSON.stringify({
        choices: [
          {
            message: {
              role: 'assistant',
              content: repeat(`${CALL('{"action": "wait", "time": 1}')}\n`, size / 2),
              tool_calls: [{ id: 'a', type: 'function', function: { name: 'computer_use', arguments: `\`\`\`json\n{"action": "type", "text": "${'y'.repeat(times(size / 2))}"}\n\`\`\`` } }],
            },
          },
        ],
      }),
    },
  ];
  for (const seed of [1, 2, 3]) {
    replies.push({ name: `random pieces (seed ${seed})`, slowPath: 'mixed', text: randomReply(size, seed) });
  }
  return replies;
}
