/**
 * What a prefix-caching server (vLLM, SGLang) must prefill for each request of a run: the request's tokens minus
 * the longest prefix it shares with the request before it. Computed from the request bodies the client really sent
 * (recorded by the fake vLLM server), for `npm run bench -- --only prefill` and the history test.
 *
 * Token counts are estimates, said here once: an image counts what Qwen3-VL's processor makes of it,
 * (width / 32) x (height / 32) visual tokens for the smart-resized size (the factor of the profile: 32 = patch 16 x
 * merge 2); text counts its UTF-8 bytes / 4 (a usual average for English and JSON with a BPE tokenizer). Each message
 * is rendered roughly as Qwen's chat template does (`<|im_start|>role`, tool calls as `<tool_call>` text, tools in the
 * system turn), which is enough to see where two requests stop sharing a prefix: text is compared character by
 * character, images by their bytes.
 */
import { AgentRun } from '../app/agent/loop';
import { OMITTED_SCREENSHOT } from '../app/agent/history';
import { RunSettingsSchema } from '../app/contract';
import { ModelClient } from '../app/model/client';
import { getProfile } from '../app/model/profiles';
import { smartResize } from '../app/screen/smart-resize';
import { FakeDesktop } from './fake-desktop';
import { startFakeVllm } from './fake-vllm/server';

type Item = { kind: 'text'; text: string } | { kind: 'image'; url: string; tokens: number };

/** Text tokens, estimated: UTF-8 bytes / 4. */
export function textTokens(text: string): number {
  return Buffer.byteLength(text) / 4;
}

/** Visual tokens of a PNG data URL: its size (from the IHDR chunk) in `factor` x `factor` blocks. */
export function imageTokens(url: string, factor = 32): number {
  const base64 = url.slice(url.indexOf(',') + 1);
  const head = Buffer.from(base64.slice(0, 64), 'base64');
  if (head.toString('latin1', 1, 4) !== 'PNG') throw new Error('the prefill count reads PNG images only');
  const width = head.readUInt32BE(16);
  const height = head.readUInt32BE(20);
  return (width / factor) * (height / factor);
}

/** A request body -> its items in prompt order (adjacent text joined). */
export function requestItems(body: { messages: any[]; tools?: unknown[] }, factor = 32): Item[] {
  const items: Item[] = [];
  const text = (t: string) => {
    const last = items[items.length - 1];
    if (last?.kind === 'text') last.text += t;
    else items.push({ kind: 'text', text: t });
  };
  body.messages.forEach((message, i) => {
    text(`<|im_start|>${message.role === 'tool' ? 'user\n<tool_response>' : message.role}\n`);
    const content = message.content;
    if (typeof content === 'string') text(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text') text(part.text);
        else if (part.type === 'image_url') {
          text('<|vision_start|>');
          items.push({ kind: 'image', url: part.image_url.url, tokens: imageTokens(part.image_url.url, factor) });
          text('<|vision_end|>');
        }
      }
    }
    for (const call of message.tool_calls ?? []) {
      text(`\n<tool_call>\n{"name": "${call.function.name}", "arguments": ${call.function.arguments}}\n</tool_call>`);
    }
    // The chat template puts the tools into the system turn.
    if (i === 0 && body.tools) text(`\n# Tools\n${JSON.stringify(body.tools)}`);
    text(`${message.role === 'tool' ? '\n</tool_response>' : ''}<|im_end|>\n`);
  });
  return items;
}

function tokensOf(items: Item[]): number {
  return items.reduce((sum, item) => sum + (item.kind === 'text' ? textTokens(item.text) : item.tokens), 0);
}

/** Tokens of the longest common prefix of two requests: text char by char, images by identity. */
export function commonPrefixTokens(a: Item[], b: Item[]): number {
  let tokens = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind === 'image' && y.kind === 'image') {
      if (x.url !== y.url) return tokens;
      tokens += x.tokens;
      continue;
    }
    if (x.kind !== 'text' || y.kind !== 'text') return tokens;
    let n = 0;
    while (n < x.text.length && n < y.text.length && x.text[n] === y.text[n]) n++;
    tokens += textTokens(x.text.slice(0, n));
    if (n < x.text.length || n < y.text.length) return tokens;
  }
  return tokens;
}

export interface PrefillStep {
  /** Tokens of the whole request. */
  total: number;
  /** Tokens not shared with the request before it: what the server prefills. */
  prefill: number;
  images: number;
}

export function prefillSteps(bodies: Array<{ messages: any[]; tools?: unknown[] }>, factor = 32): PrefillStep[] {
  let previous: Item[] = [];
  return bodies.map((body) => {
    const items = requestItems(body, factor);
    const total = tokensOf(items);
    const step = { total, prefill: total - commonPrefixTokens(previous, items), images: items.filter((i) => i.kind === 'image').length };
    previous = items;
    return step;
  });
}

/**
 * Today's scheme before batched dropping, for comparison: the same requests with only the latest `keep` images
 * sent and every older one replaced by the omitted-screenshot line, step by step (a one-image sliding window).
 */
export function slidingWindow<T extends { messages: any[] }>(body: T, keep: number): T {
  let images = 0;
  for (const message of body.messages) {
    if (Array.isArray(message.content)) images += message.content.filter((p: { type: string }) => p.type === 'image_url').length;
  }
  let seen = 0;
  const messages = body.messages.map((message) => {
    if (!Array.isArray(message.content)) return message;
    const content = message.content.map((part: { type: string }) =>
      part.type === 'image_url' && seen++ < images - keep ? { type: 'text', text: OMITTED_SCREENSHOT } : part,
    );
    return { ...message, content };
  });
  return { ...body, messages };
}

export interface PrefillRun {
  steps: number;
  screen: { width: number; height: number };
  /** Visual tokens of one screenshot. */
  screenshotTokens: number;
  /** The history as the engine keeps it. */
  current: PrefillStep[];
  /** The same run with a one-image sliding window (reference). */
  slidingWindow: PrefillStep[];
}

export interface PrefillSummary {
  averagePrefill: number;
  /** averagePrefill / screenshotTokens. */
  perScreenshot: number;
  maxImages: number;
}

export function summarize(steps: PrefillStep[], screenshotTokens: number): PrefillSummary {
  const averagePrefill = steps.reduce((sum, s) => sum + s.prefill, 0) / steps.length;
  return { averagePrefill, perScreenshot: averagePrefill / screenshotTokens, maxImages: Math.max(...steps.map((s) => s.images)) };
}

/**
 * A run of `steps` requests (clicks, then terminate) by the real AgentRun and ModelClient against the fake vLLM
 * server, on a fake desktop of `screen` size whose picture changes after every action; no X display needed.
 */
export async function measurePrefill(options: { steps?: number; screen?: { width: number; height: number }; profile?: string } = {}): Promise<PrefillRun> {
  const steps = options.steps ?? 13;
  const screen = options.screen ?? { width: 1920, height: 1080 };
  const profile = getProfile(options.profile ?? 'qwen3-vl');
  const server = await startFakeVllm({
    servedModel: 'prefill-bench',
    toolParser: true,
    script: (_body, ctx) =>
      ctx.index + 1 >= steps
        ? { toolCalls: [{ name: 'computer_use', arguments: { action: 'terminate', status: 'success' } }] }
        : { content: `Step ${ctx.index + 1}: the next button.`, toolCalls: [{ name: 'computer_use', arguments: { action: 'left_click', coordinate: [100 + ctx.index * 50, 500] } }] },
  });
  try {
    const settings = RunSettingsSchema.parse({
      endpoint: server.url,
      model: 'prefill-bench',
      profile: profile.id,
      approve: 'auto',
      maxSteps: steps,
      settle: { enabled: false, quietMs: 0, maxMs: 0 },
      ocr: { enabled: false },
    });
    const run = new AgentRun('Press the buttons one after the other, then finish.', settings, {
      desktop: new FakeDesktop(screen),
      model: new ModelClient({ endpoint: server.url, model: settings.model }),
      approver: null,
    });
    const result = await run.start();
    if (result.outcome !== 'success') throw new Error(`the prefill run ended ${result.outcome}: ${result.message}`);
    const bodies = server.chatRequests().map((r) => r.body as { messages: any[]; tools?: unknown[] });
    const factor = profile.image.factor;
    const sent = smartResize(screen, profile.image);
    return {
      steps: bodies.length,
      screen,
      screenshotTokens: (sent.width / factor) * (sent.height / factor),
      current: prefillSteps(bodies, factor),
      slidingWindow: prefillSteps(bodies.map((b) => slidingWindow(b, profile.history.images)), factor),
    };
  } finally {
    await server.close();
  }
}
