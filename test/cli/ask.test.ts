/**
 * `deskpilot ask` as a person runs it (the real CLI in a child process) against the fake vLLM server: the image and
 * question reach the model under the profile's system prompt, the answer is printed, bad input is exit code 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAPCURRICULUM_SYSTEM_PROMPT } from '../../app/model/profiles';
import { decodeImages, startFakeVllm, textOf, type FakeVllm, type Script } from '../../testkit/fake-vllm/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'deskpilot-ask-'));
const imageFile = join(scratch, 'screen.png');
let server: FakeVllm | undefined;

beforeAll(async () => {
  const png = await sharp({ create: { width: 640, height: 400, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer();
  writeFileSync(imageFile, png);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/deskpilot.js'), 'ask', ...args], {
      cwd: ROOT,
      env: { ...process.env, XDG_CONFIG_HOME: scratch, XDG_STATE_HOME: scratch, XDG_CACHE_HOME: scratch },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function serve(script: Script) {
  server = await startFakeVllm({ servedModel: 'capcurriculum-test', script });
  return server;
}

describe('deskpilot ask', () => {
  it('sends the CapCurriculum system prompt byte for byte with the image and prints the boxed answer', async () => {
    const vllm = await serve([{ content: '<think> The window shows a blue screen. </think> \\boxed{blue}' }]);
    const out = await cli([`What colour is the screen?`, '--image', imageFile, '--endpoint', vllm.url, '--profile', 'capcurriculum']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('blue\n');
    const body = vllm.chatRequests()[0]!.body;
    expect(body.messages[0]).toEqual({ role: 'system', content: CAPCURRICULUM_SYSTEM_PROMPT });
    expect(CAPCURRICULUM_SYSTEM_PROMPT).toBe(
      'You FIRST think about the reasoning process as an internal monologue and then provide the final answer. The reasoning process MUST BE enclosed within <think> </think> tags. The final answer MUST BE put in \\boxed{}. i.e. <think> reasoning here </think> \\boxed{final answer here}',
    );
    expect(body.tools).toBeUndefined();
    expect(textOf(body)).toContain('What colour is the screen?');
    const [image] = await decodeImages(body);
    expect([image!.width, image!.height]).toEqual([640, 416]);
  });

  it('--json gives answer, reasoning and raw; without a box the whole reply is the answer, with a note', async () => {
    const vllm = await serve([{ content: '<think> Looking. </think> It is blue.' }]);
    const out = await cli(['Colour?', '--image', imageFile, '--endpoint', vllm.url, '--profile', 'capcurriculum', '--json']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({ answer: 'It is blue.', reasoning: 'Looking.', raw: '<think> Looking. </think> It is blue.' });
    expect(json.note).toMatch(/no \\boxed/);
  });

  it('a plain profile prints the whole reply', async () => {
    const vllm = await serve([{ content: 'A blue screen.' }]);
    const out = await cli(['What is shown?', '--image', imageFile, '--endpoint', vllm.url]);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('A blue screen.\n');
  });

  it('bad input is exit code 2 with the reason: a missing image, an image that is none, an empty question', async () => {
    const vllm = await serve([{ content: 'x' }]);
    const missing = await cli(['Q?', '--image', join(scratch, 'nope.png'), '--endpoint', vllm.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.png: cannot read it (ENOENT)');
    const notImage = join(scratch, 'text.png');
    writeFileSync(notImage, 'hello');
    const bad = await cli(['Q?', '--image', notImage, '--endpoint', vllm.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not an image this can read');
    const empty = await cli(['  ', '--image', imageFile, '--endpoint', vllm.url]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the question is empty');
    expect(vllm.chatRequests()).toHaveLength(0);
  });

  it('a server error is exit code 1 with the server message', async () => {
    const vllm = await serve([{ error: { status: 400, message: 'image too large for this model' } }]);
    const out = await cli(['Q?', '--image', imageFile, '--endpoint', vllm.url]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('image too large');
  });
});
