/**
 * A bounded fuzz of the parser: a fixed seed, a few thousand replies mutated from the corpus in test/fixtures
 * (pieces inserted, slices duplicated, deleted and spliced in from other replies, runs of tags, fences, braces,
 * newlines and `<parameter=` repeated), each parsed exactly as `deskpilot parse` does, with these invariants:
 * it never throws; every error is a non-empty string; no more calls than the profile's cap; every call validates
 * against its tool's schema and lies in the profile's space; and it stays within a budget of CPU time per input
 * that is generous (many times what the benchmark shows, so a loaded machine cannot make it flaky) yet far below
 * what any super-linear path takes on inputs this long. The same seed gives the same inputs, so a failure names
 * the input to replay.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandOutput } from '../../app/cli/parse';
import { ComputerActionSchema, MobileActionSchema, ZoomInArgsSchema } from '../../app/base/actions';
import { getProfile, ProfileSchema, type Profile } from '../../app/model/profiles';
import { PIECES, prng } from '../../testkit/adversarial/replies';

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = ['../fixtures/model-replies', '../fixtures/replies'].flatMap((dir) =>
  readdirSync(join(here, dir))
    .filter((f) => f !== 'README.md' && !f.endsWith('.expect.json'))
    .sort()
    .map((f) => readFileSync(join(here, dir, f), 'utf8')),
);

const SEED = 20_240_901;
const INPUTS = 3000;
/** CPU budget per input: a fixed allowance plus a per-character one (the bench shows well under 0.1 µs per character). */
const BUDGET_MS = 250;
const BUDGET_MS_PER_CHAR = 0.005;

const zoom = ProfileSchema.parse({
  ...getProfile('qwen3-vl-thinking'),
  id: 'zoom-cap-2',
  extraTools: ['image_zoom_in_tool'],
  limits: { callsPerReply: 2, replyBytes: 1024 * 1024 },
});
const PROFILES: Profile[] = [getProfile('qwen3-vl'), getProfile('qwen3-vl-mobile'), getProfile('qwen2.5-vl'), getProfile('qwen3-vl:grid=999'), zoom];

/** One random mutation of `text`. */
function mutate(text: string, random: () => number): string {
  const at = () => Math.floor(random() * (text.length + 1));
  const piece = () => PIECES[Math.floor(random() * PIECES.length)] ?? '';
  const [a, b] = [at(), at()].sort((x, y) => x - y) as [number, number];
  switch (Math.floor(random() * 6)) {
    case 0: // insert a piece
      return text.slice(0, a) + piece() + text.slice(a);
    case 1: // duplicate a slice
      return text.slice(0, b) + text.slice(a, b) + text.slice(b);
    case 2: // delete a slice
      return text.slice(0, a) + text.slice(b);
    case 3: {
      // splice in a slice of another reply
      const other = CORPUS[Math.floor(random() * CORPUS.length)] ?? '';
      const from = Math.floor(random() * other.length);
      return text.slice(0, a) + other.slice(from, from + Math.floor(random() * 400)) + text.slice(b);
    }
    case 4: {
      // a long run of one piece: where super-linear paths show
      const run = piece().repeat(200 + Math.floor(random() * 3000));
      return text.slice(0, a) + run.slice(0, 40_000) + text.slice(a);
    }
    default: // swap a piece in for a slice
      return text.slice(0, a) + piece() + text.slice(b);
  }
}

function inSpace(point: unknown, profile: Profile): boolean {
  if (!Array.isArray(point) || point.length !== 2) return false;
  const [x, y] = point as number[];
  if (!Number.isFinite(x) || !Number.isFinite(y) || (x ?? -1) < 0 || (y ?? -1) < 0) return false;
  return profile.coordinates.kind === 'absolute' || ((x ?? 0) <= profile.coordinates.size && (y ?? 0) <= profile.coordinates.size);
}

/** What is wrong with one parse result, or nothing. */
function problems(out: ReturnType<typeof parseCommandOutput>, profile: Profile): string[] {
  const found: string[] = [];
  if (typeof out.text !== 'string') found.push('text is not a string');
  if (out.reasoning !== null && typeof out.reasoning !== 'string') found.push('reasoning is neither null nor a string');
  for (const error of out.errors) if (typeof error !== 'string' || error.trim() === '') found.push(`an empty error: ${JSON.stringify(error)}`);
  if (out.actions.length > profile.limits.callsPerReply) found.push(`${out.actions.length} calls, over the cap of ${profile.limits.callsPerReply}`);
  for (const action of out.actions) {
    const schema = action.name === 'computer_use' ? ComputerActionSchema : action.name === 'mobile_use' ? MobileActionSchema : action.name === 'image_zoom_in_tool' ? ZoomInArgsSchema : null;
    if (!schema) found.push(`a call of an unknown tool ${action.name}`);
    else if (!schema.safeParse(action.arguments).success) found.push(`a call that does not validate: ${JSON.stringify(action).slice(0, 200)}`);
    const offered: string[] = [profile.tool, ...profile.extraTools];
    if (!offered.includes(action.name)) found.push(`a call of ${action.name}, which ${profile.id} does not offer`);
    for (const field of ['coordinate', 'coordinate2'] as const) {
      const point = action.arguments[field];
      if (point !== undefined && !inSpace(point, profile)) found.push(`${field} ${JSON.stringify(point)} outside ${profile.id}'s space`);
    }
  }
  return found;
}

describe('parser fuzz (fixed seed)', () => {
  it(`keeps every invariant on ${INPUTS} mutated corpus replies, each within its CPU budget`, () => {
    expect(CORPUS.length).toBeGreaterThan(100);
    const random = prng(SEED);
    const screen = { width: 1920, height: 1080 };
    const failures: string[] = [];
    let calls = 0;
    let withErrors = 0;
    let longest = 0;
    for (let n = 0; n < INPUTS && failures.length < 10; n++) {
      let text = CORPUS[Math.floor(random() * CORPUS.length)] ?? '';
      const rounds = 1 + Math.floor(random() * 8);
      for (let r = 0; r < rounds; r++) text = mutate(text, random);
      const profile = PROFILES[n % PROFILES.length]!;
      longest = Math.max(longest, text.length);
      const where = `input ${n} (seed ${SEED}, ${text.length} chars, profile ${profile.id}): ${JSON.stringify(text.slice(0, 120))}`;
      const start = process.cpuUsage();
      let out: ReturnType<typeof parseCommandOutput>;
      try {
        out = parseCommandOutput(text, profile, screen);
      } catch (error) {
        failures.push(`${where} threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        continue;
      }
      const used = process.cpuUsage(start);
      const cpuMs = (used.user + used.system) / 1000;
      const budget = BUDGET_MS + BUDGET_MS_PER_CHAR * text.length;
      if (cpuMs > budget) failures.push(`${where} took ${cpuMs.toFixed(0)} ms of CPU, over its budget of ${budget.toFixed(0)} ms`);
      for (const problem of problems(out, profile)) failures.push(`${where}: ${problem}`);
      calls += out.actions.length;
      if (out.errors.length > 0) withErrors++;
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    // The mutations must reach both sides: replies that still perform calls, and replies that are refused.
    expect(calls).toBeGreaterThan(200);
    expect(withErrors).toBeGreaterThan(200);
    expect(longest).toBeGreaterThan(20_000);
  });
});
