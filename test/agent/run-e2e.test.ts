/**
 * End to end: `deskpilot run --approve auto` on a real X desktop (Xvfb + Chromium fixture page) against the fake
 * vLLM server. The stand-in model finds a coloured target in the screenshot it was actually sent and clicks it -
 * proving capture -> resize -> encode -> model coordinates -> mapping -> click - then clicks the text area, types a
 * note with non-ASCII characters, and terminates. Both server modes: raw `<tool_call>` text with inline `</think>`,
 * and hermes-parsed `tool_calls` with a `reasoning` field, streamed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImages, startFakeVllm, type FakeVllmOptions, type Reply } from '../../testkit/fake-vllm/server';
import { gridCentre, startFixtureDesktop, type FixtureDesktop } from '../../testkit/fixture-desktop/desktop';
import { colourGridPoint } from '../../testkit/fixture-desktop/locate-colour';

const NOTE = 'Merci, ça marche – 東京 ✓';
const TARGET_COLOUR = { r: 255, g: 0, b: 204 };

let desktop: FixtureDesktop;

beforeAll(async () => {
  desktop = await startFixtureDesktop({ width: 1920, height: 1080, terminal: false });
}, 60_000);

afterAll(async () => {
  await desktop?.stop();
});


function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/deskpilot.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runScenario(serverOptions: FakeVllmOptions, thinking: boolean) {
  await desktop.clear();
  const rects = await desktop.rects();
  // Somewhere new each time, so nothing but the screenshot can tell the model where it is.
  await desktop.moveTarget({ x: 1230 + Math.round(Math.random() * 300), y: 620 + Math.round(Math.random() * 200), width: 90, height: 60 }, 'rgb(255, 0, 204)');
  const textarea = rects.textarea;
  const textareaGrid = gridCentre(textarea, { width: 1920, height: 1080 });
  const seen: { width: number; height: number }[] = [];
  const reasoning = (text: string) => (thinking ? { reasoning: text } : {});

  const server = await startFakeVllm({
    servedModel: 'stand-in',
    ...serverOptions,
    script: async (body, ctx): Promise<Reply> => {
      const images = await decodeImages(body);
      const latest = images.at(-1)!;
      seen.push({ width: latest.width, height: latest.height });
      switch (ctx.index) {
        case 0: {
          const point = await colourGridPoint(latest.data, TARGET_COLOUR);
          return {
            ...reasoning('The pink target is visible; I will click its centre.'),
            content: `<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [${point[0]}, ${point[1]}]}}\n</tool_call>`,
          };
        }
        case 1:
          return {
            ...reasoning('Now the text area.'),
            content: `<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [${textareaGrid[0]}, ${textareaGrid[1]}]}}\n</tool_call>`,
          };
        case 2:
          return {
            ...reasoning('Type the note.'),
            content: `<tool_call>\n${JSON.stringify({ name: 'computer_use', arguments: { action: 'type', text: NOTE } })}\n</tool_call>`,
          };
        default:
          return {
            ...reasoning('Done.'),
            content: '<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate", "status": "success"}}\n</tool_call>',
          };
      }
    },
  });
  const out = join(mkdtempSync(join(tmpdir(), 'deskpilot-e2e-')), 'record');
  try {
    const result = await runCli(
      ['run', 'Click the pink target, then write the note in the text area.', '--endpoint', server.url.replace(/\/v1$/, ''),
        '--model', 'stand-in', '--approve', 'auto', '--out', out, '--profile', thinking ? 'qwen3-vl-thinking' : 'qwen3-vl'],
      { DISPLAY: desktop.display.display },
    );
    return { result, out, seen, server };
  } finally {
    await server.close();
  }
}

describe('deskpilot run on a real desktop', () => {
  for (const [name, options] of [
    ['raw <tool_call> text with inline </think>', { toolParser: false, reasoning: 'inline' }],
    ['hermes-parsed tool_calls with a reasoning field', { toolParser: true, reasoning: 'reasoning' }],
  ] as const) {
    it(`clicks what the model found in the image it was sent, types exactly, exits 0 (${name})`, async () => {
      const { result, out, seen } = await runScenario({ ...options, chunkChars: 12 }, true);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      // The model was sent a smart-resized 1920x1080 screen: 1920x1088 (multiples of 32).
      expect(seen[0]).toEqual({ width: 1920, height: 1088 });
      const events = await desktop.events();
      expect(events.some((e) => e.type === 'click' && e.target === 'target')).toBe(true);
      expect(await desktop.waitForTextarea(NOTE)).toBe(NOTE);
      expect(result.stdout).toContain('The pink target is visible');
      // The endpoint was given without /v1: the person is told, in the terminal and in the record.
      expect(result.stdout).toMatch(/note: The endpoint \S+ lacks \/v1; the server answers at \S+\/v1, so that is used\./);
      expect(existsSync(join(out, 'events.jsonl'))).toBe(true);
      expect(readFileSync(join(out, 'events.jsonl'), 'utf8')).toContain('"type":"notice"');
      const last = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').at(-1)!;
      expect(JSON.parse(last)).toMatchObject({ type: 'state', state: 'done' });
    });
  }
});
