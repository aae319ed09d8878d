/**
 * Training data from supervised runs: real runs of the engine (fake vLLM over HTTP, desktop double, run recorder)
 * in which a person at the terminal approver approves, denies with a note and edits, then `deskpilot export`. The SFT context of each step
 * must be the request the server received for it, byte for byte, with the same image bytes; the assistant turn the
 * one the model wrote (as the next request sends it back), with the person's action in place of an edited one; the
 * preference pairs the right sides. Old, killed and OSWorld records too.
 */
import { spawnSync } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRun } from '../../app/agent/loop';
import { RunSettingsSchema, type Decision } from '../../app/contract';
import { ModelClient } from '../../app/model/client';
import { TerminalApprover } from '../../app/cli/terminal-approver';
import { createRunRecorder } from '../../app/runs/recorder';
import { exportTrainingData, parseFilter, type ExportFormat, type RedactOptions } from '../../app/tasks/training-export';
import { startFakeVllm, type FakeVllm, type FakeVllmOptions, type Reply } from '../../testkit/fake-vllm/server';
import { FakeDesktop } from '../../testkit/fake-desktop';
import type { Frame } from '../../app/devices/device';
import type { Display } from '../../app/screen/geometry';
import { ScreenReader } from '../../app/screen/ocr';
import sharp from 'sharp';

const INSTRUCTION = 'Open the settings, then finish.';
const NOTE = 'Not that one: the gear icon is at the top right.';
const click = (x: number, y: number): Reply => ({
  content: 'Action: click it',
  toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [x, y] } }],
});
const terminate: Reply = { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] };

/** The person at the terminal (app/cli/terminal-approver.ts), answering from piped input: y, n + note, e + JSON. */
function terminalApprover(answers: Decision[]): TerminalApprover {
  const lines = answers.flatMap((answer): string[] => {
    if (answer.kind === 'approve') return ['y'];
    if (answer.kind === 'deny') return ['n', answer.note];
    if (answer.kind === 'edit') return ['e', JSON.stringify(answer.action)];
    throw new Error(`no terminal answer for ${answer.kind}`);
  });
  const transcript = new PassThrough();
  transcript.resume();
  return new TerminalApprover(Readable.from(lines.map((line) => `${line}\n`)), transcript);
}

const servers: FakeVllm[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Steps: 1 approved, 2 denied with a note, 3 approved, 4 edited, 5 terminate. */
const SCRIPT: Reply[] = [click(100, 100), click(200, 200), click(300, 300), click(400, 400), terminate];
const ANSWERS: Decision[] = [
  { kind: 'approve' },
  { kind: 'deny', note: NOTE },
  { kind: 'approve' },
  { kind: 'edit', action: { action: 'left_click', coordinate: [450, 460] } },
];

/** A screen with three lines of text on it: a card number, a name, and a line holding the word "secret". */
class TextDesktop extends FakeDesktop {
  override async capture(display: Display): Promise<Frame> {
    const { width, height } = display.bounds;
    const text = (y: number, words: string) => `<text x="40" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="30" fill="black">${words}</text>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text(200, 'Card 4111 2222 3333')}${text(350, 'Jane Doe')}${text(500, 'Nothing secret here')}</svg>`;
    const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { display, width, height, channels: 3, data, capturedAt: Date.now(), method: 'fake' };
  }
}

async function supervisedRun(options: {
  server: Omit<FakeVllmOptions, 'script'>;
  profile?: string;
  script?: Reply[];
  answers?: Decision[];
  approve?: 'ask' | 'auto';
  desktop?: FakeDesktop;
  instruction?: string;
  settings?: Record<string, unknown>;
}) {
  const server = await startFakeVllm({ servedModel: 'qwen3-vl-test', ...options.server, script: options.script ?? SCRIPT });
  servers.push(server);
  const settings = RunSettingsSchema.parse({
    endpoint: server.url,
    model: 'qwen3-vl-test',
    approve: options.approve ?? 'ask',
    profile: options.profile ?? 'qwen3-vl',
    maxSteps: 10,
    settle: { enabled: false, quietMs: 0, maxMs: 0 },
    ...options.settings,
  });
  const dir = join(mkdtempSync(join(tmpdir(), 'deskpilot-train-')), 'run');
  const run = new AgentRun(options.instruction ?? INSTRUCTION, settings, {
    desktop: options.desktop ?? new FakeDesktop(),
    model: new ModelClient({ endpoint: settings.endpoint, model: settings.model, retryDelayMs: 10, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) }),
    approver: terminalApprover(options.answers ?? ANSWERS),
    recorder: createRunRecorder({ dir, runId: 'train-run', settings }),
  }, 'train-run');
  const result = await run.start();
  // The requests the server answered, in order: request k is what the model saw at step k.
  const received = server.chatRequests().filter((r) => r.status === 200).map((r) => r.body as { messages: any[]; tools?: unknown[] });
  return { dir, result, received };
}

async function exported(inputs: string[], format: ExportFormat, filters: string[] = [], redact?: RedactOptions) {
  const out = join(mkdtempSync(join(tmpdir(), 'deskpilot-export-')), 'data');
  const summary = await exportTrainingData({ inputs, format, out, filters: filters.map(parseFilter), ...(redact ? { redact } : {}) });
  const read = (file: string) =>
    readFileSync(join(out, file), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);
  return { out, summary, read };
}

/** A received prompt-mode request as text turns: text as sent, each image as <image>; and the images' bytes. */
function asSent(body: { messages: any[] }): { messages: Array<{ role: string; content: string }>; images: Buffer[] } {
  const images: Buffer[] = [];
  const messages = body.messages.map((m) => {
    const content =
      typeof m.content === 'string'
        ? m.content
        : (m.content as any[])
            .map((part) => {
              if (part.type === 'text') return part.text as string;
              images.push(Buffer.from(String(part.image_url.url).split(',')[1]!, 'base64'));
              return '<image>';
            })
            .join('');
    return { role: m.role as string, content };
  });
  return { messages, images };
}

const lastAssistant = (body: { messages: any[] }): string => body.messages.filter((m) => m.role === 'assistant').at(-1).content;
const placeholders = (messages: Array<{ content: string }>) => messages.reduce((n, m) => n + m.content.split('<image>').length - 1, 0);

describe('deskpilot export', () => {
  it('sft: each approved or edited step is the request the server received, the reply the model wrote, the edit in place', async () => {
    const { dir, result, received } = await supervisedRun({ server: { toolParser: false } });
    expect(result.outcome).toBe('success');
    expect(received).toHaveLength(5);
    const { out, summary, read } = await exported([dir], 'sft');
    expect(summary.counts).toEqual({ approved: 3, edited: 1 });
    expect(summary.skipped).toEqual({ 'step: denied by the person': 1 });
    const lines = read('sft.jsonl');
    // Steps 1, 3, 4 (edited) and 5 (terminate); step 2 was denied.
    const steps = [1, 3, 4, 5];
    expect(lines).toHaveLength(steps.length);
    lines.forEach((line, i) => {
      const sent = asSent(received[steps[i]! - 1]!);
      const context = line.messages.slice(0, -1);
      expect(JSON.stringify(context)).toBe(JSON.stringify(sent.messages));
      expect(line.images).toHaveLength(placeholders(line.messages));
      expect(line.images.map((file: string) => readFileSync(join(out, file)))).toEqual(sent.images);
      // LLaMA-Factory's sharegpt reader wants user and assistant turns in turn after the system prompt.
      expect(line.messages.map((m: { role: string }) => m.role).join(' ')).toMatch(/^system( user assistant)+$/);
    });
    // The assistant turn as the model wrote it: the next request sends the same text back in its history.
    expect(lines[0]!.messages.at(-1)).toEqual({ role: 'assistant', content: lastAssistant(received[1]!) });
    expect(lines[1]!.messages.at(-1)!.content).toBe(lastAssistant(received[3]!));
    // The edited step: the person's action instead of the model's, nothing else changed.
    const proposed = lastAssistant(received[4]!);
    expect(proposed).toContain('"coordinate": [400, 400]');
    expect(lines[2]!.messages.at(-1)!.content).toBe(proposed.replace('[400, 400]', '[450, 460]'));
    expect(lines[3]!.messages.at(-1)!.content).toBe(
      '<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate", "status": "success"}}\n</tool_call>',
    );
    // LLaMA-Factory finds the file through dataset_info.json in the same folder.
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8'));
    expect(info.deskpilot_sft).toMatchObject({ file_name: 'sft.jsonl', formatting: 'sharegpt', columns: { messages: 'messages', images: 'images' } });
  });

  it('never writes the API key: the record and every exported file hold no trace of it', async () => {
    const key = 'sk-deskpilot-export-test-0123456789';
    const { dir, result } = await supervisedRun({ server: { toolParser: false, apiKey: key }, settings: { apiKey: key } });
    expect(result.outcome).toBe('success'); // the key was used: the server refuses requests without it
    const leaks = (root: string): string[] => {
      const found = spawnSync('grep', ['-rlF', key, root], { encoding: 'utf8' });
      return found.stdout.split('\n').filter(Boolean);
    };
    expect(leaks(dir)).toEqual([]);
    for (const format of ['sft', 'dpo'] as const) {
      const { out, summary } = await exported([dir], format);
      expect(Object.values(summary.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(leaks(out)).toEqual([]);
    }
  });

  it('dpo: the edit over the proposal, and for the noted denial the next accepted reply over the denied one', async () => {
    const { dir, received } = await supervisedRun({ server: { toolParser: false } });
    const { summary, read } = await exported([dir], 'dpo');
    expect(summary.counts).toEqual({ denied: 1, edited: 1 });
    expect(summary.skipped).toEqual({});
    const [denied, edited] = read('dpo.jsonl');
    const [deniedLf, editedLf] = read('dpo-sharegpt.jsonl');

    // Step 2 denied: prompt = its request; rejected = its reply; chosen = step 3's reply (same screen, nothing done).
    expect(JSON.stringify(denied!.messages.slice(0, -1))).toBe(JSON.stringify(asSent(received[1]!).messages));
    expect(denied!.rejected_response).toBe(lastAssistant(received[2]!));
    expect(denied!.rejected_response).toContain('[200, 200]');
    expect(denied!.messages.at(-1)).toEqual({ role: 'assistant', content: lastAssistant(received[3]!) });
    expect(denied!.messages.at(-1).content).toContain('[300, 300]');
    // Step 4 edited: chosen = with the person's action, rejected = as proposed.
    expect(JSON.stringify(edited!.messages.slice(0, -1))).toBe(JSON.stringify(asSent(received[3]!).messages));
    expect(edited!.rejected_response).toBe(lastAssistant(received[4]!));
    expect(edited!.messages.at(-1).content).toBe(lastAssistant(received[4]!).replace('[400, 400]', '[450, 460]'));

    // The LLaMA-Factory file holds the same pairs: prompt-only messages, chosen and rejected turns.
    expect(deniedLf).toEqual({ messages: denied!.messages.slice(0, -1), chosen: denied!.messages.at(-1), rejected: { role: 'assistant', content: denied!.rejected_response }, images: denied!.images });
    expect(editedLf!.chosen.content).toContain('[450, 460]');
    for (const pair of [denied!, edited!]) expect(pair.images).toHaveLength(placeholders(pair.messages));
    // Its ranking reader wants the prompt to end with the user's turn.
    for (const pair of [deniedLf!, editedLf!]) expect(pair.messages.map((m: { role: string }) => m.role).join(' ')).toMatch(/^system( user assistant)* user$/);
  });

  it('a denial without a note, or after an action of the same reply was performed, gives no pair', async () => {
    const twoClicks: Reply = { toolCalls: [click(10, 10).toolCalls![0]!, click(20, 20).toolCalls![0]!] };
    const { dir } = await supervisedRun({
      server: { toolParser: false },
      script: [click(100, 100), twoClicks, click(300, 300), terminate],
      answers: [{ kind: 'deny', note: '' }, { kind: 'approve' }, { kind: 'deny', note: NOTE }, { kind: 'approve' }],
    });
    const { summary } = await exported([dir], 'dpo');
    expect(summary.counts).toEqual({});
    expect(summary.skipped).toEqual({
      'step: denied without a note': 1,
      'step: denied after an earlier action of the same reply was performed': 1,
    });
  });

  it('a native-mode run exports the same system prompt, tool text and replies as the prompt mode sends', async () => {
    const prompt = await supervisedRun({ server: { toolParser: false } });
    const native = await supervisedRun({ server: { toolParser: true } });
    expect(native.received[0]!.tools).toBeDefined();
    const a = (await exported([prompt.dir], 'sft')).read('sft.jsonl');
    const b = (await exported([native.dir], 'sft')).read('sft.jsonl');
    expect(b).toHaveLength(a.length);
    // The chat template puts the tools into the system prompt: exactly what prompt mode sent.
    expect(b[0]!.messages[0]).toEqual({ role: 'system', content: prompt.received[0]!.messages[0].content });
    expect(b.map((line) => line.messages.at(-1))).toEqual(a.map((line) => line.messages.at(-1)));
    // Tool results become one <tool_response> user turn; its screenshot (sent after it) joins it.
    expect(b[1]!.messages[3]).toEqual({ role: 'user', content: '<tool_response>\nPerformed.\n</tool_response><image>' });
    for (const line of b) {
      expect(line.images).toHaveLength(placeholders(line.messages));
      expect(line.messages.map((m: { role: string }) => m.role).join(' ')).toMatch(/^system( user assistant)+$/);
    }
  });

  it('writes the reasoning in <think> for a thinking profile', async () => {
    const { dir } = await supervisedRun({
      server: { toolParser: true, reasoning: 'reasoning' },
      profile: 'qwen3-vl-thinking',
      script: [{ ...click(100, 100), reasoning: 'The gear icon is at the top.' }, { ...terminate, reasoning: 'Done.' }],
      approve: 'auto',
    });
    const lines = (await exported([dir], 'sft')).read('sft.jsonl');
    expect(lines[0]!.messages.at(-1).content).toBe(
      '<think>\nThe gear icon is at the top.\n</think>\n\nAction: click it\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [100, 100]}}\n</tool_call>',
    );
  });

  it('an old record without requests exports its steps with the instruction and screenshot, and says what is missing', async () => {
    const { dir } = await supervisedRun({ server: { toolParser: false } });
    const old = join(mkdtempSync(join(tmpdir(), 'deskpilot-old-')), 'run');
    cpSync(dir, old, { recursive: true });
    const events = readFileSync(join(old, 'events.jsonl'), 'utf8').split('\n').filter((l) => l && !l.includes('"type":"model-input"'));
    writeFileSync(join(old, 'events.jsonl'), `${events.join('\n')}\n`);
    const { out, summary, read } = await exported([old], 'sft');
    expect(summary.counts).toEqual({ approved: 3, edited: 1, partial: 4 });
    expect(summary.missing.join('\n')).toMatch(/no model-input events .* without the system prompt, tools or history/);
    const [first] = read('sft.jsonl');
    expect(first!.messages[0]).toEqual({ role: 'user', content: `${INSTRUCTION}<image>` });
    expect(first!.images).toEqual(['images/train-run/step-0001.png']);
    expect(readFileSync(join(out, first!.images[0]))).toEqual(readFileSync(join(old, 'step-0001.png')));
    expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')).missing.join('\n')).toContain('no model-input events');
  });

  it('a record that lost a request line exports the steps it can still rebuild and names the ones it cannot', async () => {
    const { dir } = await supervisedRun({ server: { toolParser: false } });
    const damaged = join(mkdtempSync(join(tmpdir(), 'deskpilot-damaged-')), 'run');
    cpSync(dir, damaged, { recursive: true });
    const lines = readFileSync(join(damaged, 'events.jsonl'), 'utf8').split('\n');
    // The request of step 3 is garbled: step 3 has no request, and step 4's repeats messages only that one held.
    const at = lines.findIndex((l) => l.includes('"type":"model-input"') && l.includes('"step":3,'));
    lines[at] = lines[at]!.slice(0, 40);
    writeFileSync(join(damaged, 'events.jsonl'), lines.join('\n'));
    const { summary, read } = await exported([damaged], 'sft');
    expect(summary.counts).toEqual({ approved: 1 });
    expect(summary.skipped['step: the request the model saw could not be rebuilt']).toBe(3);
    const missing = summary.missing.join('\n');
    expect(missing).toContain('step 3: the record lost the request of this step');
    expect(missing).toContain('the request of step 4 repeats messages of an earlier request whose line the record lost');
    expect(read('sft.jsonl')[0]!.messages).toHaveLength(3);
  });

  it('a killed run exports its complete steps only', async () => {
    const { dir } = await supervisedRun({ server: { toolParser: false } });
    const killed = join(mkdtempSync(join(tmpdir(), 'deskpilot-killed-')), 'run');
    cpSync(dir, killed, { recursive: true });
    const lines = readFileSync(join(killed, 'events.jsonl'), 'utf8').split('\n');
    // Killed after the edit of step 4 was decided, before it was performed, in the middle of writing a line.
    const cut = lines.findIndex((l) => l.includes('"type":"decision"') && l.includes('"proposalId":"4.0"'));
    writeFileSync(join(killed, 'events.jsonl'), `${lines.slice(0, cut + 1).join('\n')}\n{"runId":"train-run","at":1,"ty`);
    const sft = await exported([killed], 'sft');
    expect(sft.summary.counts).toEqual({ approved: 2 });
    expect(sft.summary.skipped).toMatchObject({ 'step: the run ended before the action was performed': 1 });
    expect(sft.summary.missing.join('\n')).toContain('the last line is incomplete');
    const dpo = await exported([killed], 'dpo');
    expect(dpo.summary.counts).toEqual({ denied: 1 });
  });

  it('osworld: scored task runs with their score per sample; filters by score, outcome and risk', async () => {
    const { dir } = await supervisedRun({ server: { toolParser: false }, approve: 'auto', script: [click(100, 100), terminate] });
    const results = mkdtempSync(join(tmpdir(), 'deskpilot-osworld-'));
    const task = (domain: string, id: string, record: Record<string, unknown>) => {
      const taskDir = join(results, 'pyautogui', 'screenshot', 'qwen3-vl-test', domain, id);
      mkdirSync(taskDir, { recursive: true });
      cpSync(dir, join(taskDir, 'deskpilot-run'), { recursive: true });
      writeFileSync(join(taskDir, 'deskpilot-task.json'), JSON.stringify(record));
      return taskDir;
    };
    const base = { reason: 'ok', agentStatus: 'done', steps: 2, startedAt: '2026-12-01T10:00:00Z', finishedAt: '2026-12-01T10:01:00Z' };
    task('chrome', 'good', { domain: 'chrome', id: 'good', status: 'scored', score: 1, ...base });
    task('gimp', 'bad', { domain: 'gimp', id: 'bad', status: 'scored', score: 0, ...base });
    const broken = task('vlc', 'broken', { domain: 'vlc', id: 'broken', status: 'scored', score: 'high' });

    const all = await exported([results], 'osworld');
    expect(all.summary.runs).toBe(2);
    expect(all.summary.skipped['run is not a scored OSWorld task run']).toBe(1);
    expect(all.summary.missing.join('\n')).toContain(`${join(broken, 'deskpilot-task.json')} is not a task record`);
    const lines = all.read('osworld.jsonl');
    expect(lines.map((l) => [l.task, l.score])).toEqual([['chrome/good', 1], ['chrome/good', 1], ['gimp/bad', 0], ['gimp/bad', 0]]);
    for (const line of lines) for (const file of line.images) expect(readFileSync(join(all.out, file)).length).toBeGreaterThan(0);

    expect((await exported([results], 'osworld', ['score>=1'])).read('osworld.jsonl').map((l) => l.task)).toEqual(['chrome/good', 'chrome/good']);
    expect((await exported([results], 'osworld', ['outcome=failure'])).summary.runs).toBe(0);
    expect((await exported([results], 'sft', ['risk=risky'])).summary.counts).toEqual({});
    expect(() => parseFilter('colour=red')).toThrow(/unknown key "colour"; filters are outcome=/);
    expect(() => parseFilter('since=yesterday')).toThrow(/"yesterday" is not a date/);
  });

  it('redaction: boxes, pattern matches read on the screenshots and the deny rules\' text blurred; matches in the text replaced', async () => {
    const { dir } = await supervisedRun({
      server: { toolParser: false },
      desktop: new TextDesktop(),
      instruction: 'Pay with the card 4111 2222 3333.',
      settings: { ocr: { enabled: false }, denyRules: [{ match: 'text', pattern: 'secret', reason: 'private' }] },
      script: [click(100, 100), terminate],
      approve: 'auto',
    });
    const { out, summary, read } = await exported([dir], 'sft', [], { patterns: ['\\d{4} \\d{4} \\d{4}'], denyRules: true, boxes: [{ x: 30, y: 310, width: 300, height: 60 }] });
    const lines = read('sft.jsonl');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('4111');
    expect(text).toContain('Pay with the card [redacted].');
    for (const line of lines) expect(line.images).toHaveLength(placeholders(line.messages));
    // The screen did not change, so both steps sent the same image (stored once): the card line, the "secret" line
    // and the box.
    expect(summary.redacted).toEqual({ images: 1, regions: 3 });

    const file = lines[0]!.images[0] as string;
    const pixels = async (path: string) => (await sharp(readFileSync(path)).removeAlpha().raw().toBuffer({ resolveWithObject: true })).data;
    const [before, after] = await Promise.all([pixels(join(dir, 'step-0001.png')), pixels(join(out, file))]);
    const differs = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) if (before[(y * 1280 + x) * 3 + c] !== after[(y * 1280 + x) * 3 + c]) return true;
      return false;
    };
    expect(differs(40, 170, 400, 210)).toBe(true); // the card number
    expect(differs(40, 470, 400, 510)).toBe(true); // the deny rule's word
    expect(differs(30, 310, 330, 370)).toBe(true); // the box over the name
    expect(differs(0, 600, 1280, 800)).toBe(false); // nothing else
    // Read again: none of the three can be read any more.
    const reader = await ScreenReader.open();
    try {
      const frame = { display: { id: 0, name: 'x', bounds: { x: 0, y: 0, width: 1280, height: 800 }, scaleFactor: 1, primary: true }, width: 1280, height: 800, channels: 3 as const, data: after, capturedAt: 0, method: 'x' };
      const page = await reader.readPage(frame);
      expect(page.text).not.toMatch(/4111|secret|Jane|Doe/i);
    } finally {
      await reader.close();
    }
    await expect(exportTrainingData({ inputs: [dir], format: 'sft', dryRun: true, redact: { patterns: ['(a)\\1'] } })).rejects.toThrow(/the redaction pattern ".+" cannot be used: backreferences/);
  }, 60_000);

  it('the command prints counts per kind on --dry-run, and refuses an --out folder that holds something', async () => {
    const { dir } = await supervisedRun({ server: { toolParser: false } });
    const cli = (args: string[]) => spawnSync(process.execPath, ['bin/deskpilot.js', 'export', ...args], { encoding: 'utf8' });
    const dry = cli([dir, '--format', 'dpo', '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toContain('dpo: 2 pairs (1 denied, 1 edited) from 1 run');
    const bad = cli([dir, '--format', 'sft', '--out', join(dir)]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--out .* must be a new or empty folder/);
    const box = cli([dir, '--format', 'sft', '--dry-run', '--redact-box', '1,2,3']);
    expect(box.status).toBe(2);
    expect(box.stderr).toContain('--redact-box "1,2,3" is not a box: write x,y,width,height');
  });
});
