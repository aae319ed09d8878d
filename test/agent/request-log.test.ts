/**
 * The run record's requests (app/agent/request-log.ts): images become files of the record, each request keeps only
 * the messages that differ from the one before, and replaying the events gives back every request exactly - also
 * after a damaged line, from the next request written whole.
 */
import { describe, expect, it } from 'vitest';
import { FULL_EVERY, RequestLog, RequestReplay } from '../../app/agent/request-log';
import type { RunEvent } from '../../app/contract';

type ModelInput = Extract<RunEvent, { type: 'model-input' }>;

const image = (n: number) => `data:image/png;base64,${Buffer.from(`pixels of screenshot ${n}`).toString('base64')}`;

/** A growing conversation, as the history sends it: each request is the previous one plus a reply and a result. */
function requests(count: number): Array<Array<Record<string, unknown>>> {
  const messages: Array<Record<string, unknown>> = [
    { role: 'system', content: 'You operate a computer.' },
    { role: 'user', content: [{ type: 'text', text: 'Open the settings.' }, { type: 'image_url', image_url: { url: image(0) } }] },
  ];
  const out = [structuredClone(messages)];
  for (let n = 1; n < count; n++) {
    messages.push({ role: 'assistant', content: `<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [${n}, ${n}]}}\n</tool_call>` });
    messages.push({ role: 'user', content: [{ type: 'text', text: 'Performed.' }, { type: 'image_url', image_url: { url: image(n) } }] });
    out.push(structuredClone(messages));
  }
  return out;
}

/** What the record should hold for a request: each data URL as the run file of its image. */
const asRecorded = (messages: Array<Record<string, unknown>>, files: Map<string, string>) =>
  JSON.parse(JSON.stringify(messages).replace(/data:image\/png;base64,[A-Za-z0-9+/=]+/g, (url) => `data:image/png;run-file=${files.get(url)}`));

function record(count: number) {
  const files = new Map<string, string>();
  const log = new RequestLog((url) => {
    if (!files.has(url)) files.set(url, `step-${String(files.size + 1).padStart(4, '0')}.png`);
    return files.get(url)!;
  });
  const sent = requests(count);
  const events: ModelInput[] = sent.map((messages, i) => ({
    runId: 'r',
    at: i,
    ...(log.event(i + 1, 1, { mode: 'prompt', body: { model: 'm', messages, temperature: 0 } }) as Omit<ModelInput, 'runId' | 'at'>),
  }));
  return { sent, events, files };
}

describe('request log', () => {
  it('stores each request as the messages new since the previous one, images as run files, and replays them exactly', () => {
    const { sent, events, files } = record(12);
    expect(JSON.stringify(events)).not.toContain('base64');
    expect(events.map((e) => e.shared)).toEqual([0, 2, 4, 6, 8, 10, 12, 0, 16, 18, 20, 22]);
    expect(events[FULL_EVERY - 1]!.messages).toHaveLength(sent[FULL_EVERY - 1]!.length);
    expect(events[3]!.body).toEqual({ model: 'm', temperature: 0 });
    const replay = new RequestReplay();
    events.forEach((event, i) => {
      const rebuilt = replay.next(event);
      expect(rebuilt).toMatchObject({ step: i + 1, mode: 'prompt', messages: asRecorded(sent[i]!, files) });
    });
  });

  it('after a lost line, says which requests cannot be rebuilt and starts again at the next whole one', () => {
    const { sent, events, files } = record(12);
    const damaged = events.filter((e) => e.seq !== 3);
    const replay = new RequestReplay();
    const results = damaged.map((event) => replay.next(event));
    expect(results.slice(0, 2).every((r) => 'messages' in r)).toBe(true);
    // Requests 4..7 repeat messages only request 3 held.
    expect(results.slice(2, 6)).toEqual([4, 5, 6, 7].map((step) => ({ missing: `the request of step ${step} repeats messages of an earlier request whose line the record lost` })));
    // Request 8 was written whole; from it on everything is back.
    results.slice(6).forEach((result, i) => expect(result).toMatchObject({ step: 8 + i, messages: asRecorded(sent[7 + i]!, files) }));
  });
});
