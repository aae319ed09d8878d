/**
 * Run the fake vLLM server on its own:
 *   npx tsx testkit/fake-vllm/main.ts --port 8000 [--no-tool-parser] [--reasoning inline] [--served-model NAME]
 *     [--script FILE.json] [--error-shape old|new] [--max-model-len N] [--chunk-delay MS] [--no-images]
 *     [--api-key KEY]
 * A JSON script is a list of replies given in order (the last repeats): [{"reasoning": "...", "content": "...",
 * "toolCalls": [{"name": "computer_use", "arguments": {...}}]}, {"error": {"status": 503, "message": "..."}}].
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { startFakeVllm, type ReasoningForm, type Reply } from './server';

const ReplySchema = z.object({
  reasoning: z.string().optional(),
  content: z.string().optional(),
  toolCalls: z
    .array(z.object({ name: z.string(), arguments: z.union([z.record(z.string(), z.unknown()), z.string()]) }))
    .optional(),
  error: z
    .object({ status: z.number().int(), message: z.string(), type: z.string().optional(), retryAfter: z.number().optional() })
    .optional(),
  streamError: z.object({ message: z.string(), afterChunks: z.number().int().optional() }).optional(),
  finishReason: z.enum(['stop', 'length', 'tool_calls']).optional(),
  chunkDelayMs: z.number().optional(),
});
const ScriptSchema = z.array(ReplySchema);

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const program = new Command()
  .name('fake-vllm')
  .description('A protocol-faithful fake of vLLM serving a Qwen3-VL model (no GPU, scripted replies).')
  .option('--port <n>', 'port to listen on', int, 8000)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--served-model <name>', 'the served model name', 'Qwen/Qwen3-VL-8B-Instruct')
  .option('--no-tool-parser', 'behave as vLLM without --enable-auto-tool-choice --tool-call-parser hermes')
  .option('--reasoning <form>', 'reasoning | reasoning_content | both | inline | none', 'none')
  .option('--error-shape <shape>', 'old | new', 'new')
  .option('--max-model-len <n>', 'context length', int, 32768)
  .option('--chunk-delay <ms>', 'milliseconds between streamed chunks', int, 0)
  .option('--no-images', 'refuse images (a text-only model)')
  .option('--api-key <key>', 'require this bearer token')
  .option('--script <file>', 'JSON list of replies, given in order');
program.parse();
const o = program.opts<{
  port: number;
  host: string;
  servedModel: string;
  toolParser: boolean;
  reasoning: string;
  errorShape: string;
  maxModelLen: number;
  chunkDelay: number;
  images: boolean;
  apiKey?: string;
  script?: string;
}>();

const reasoning = z.enum(['reasoning', 'reasoning_content', 'both', 'inline', 'none']).safeParse(o.reasoning);
if (!reasoning.success) program.error(`--reasoning must be reasoning, reasoning_content, both, inline or none, not "${o.reasoning}"`);
if (o.errorShape !== 'old' && o.errorShape !== 'new') program.error(`--error-shape must be old or new, not "${o.errorShape}"`);

let script: Reply[] | undefined;
if (o.script) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(o.script, 'utf8'));
  } catch (error) {
    program.error(`cannot read the script ${o.script}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = ScriptSchema.safeParse(raw);
  if (!parsed.success) program.error(`the script ${o.script} is not a list of replies: ${z.prettifyError(parsed.error)}`);
  script = parsed.data as Reply[];
}

const fake = await startFakeVllm({
  port: o.port,
  host: o.host,
  servedModel: o.servedModel,
  toolParser: o.toolParser,
  reasoning: reasoning.data as ReasoningForm,
  errorShape: o.errorShape as 'old' | 'new',
  maxModelLen: o.maxModelLen,
  chunkDelayMs: o.chunkDelay,
  acceptImages: o.images,
  apiKey: o.apiKey,
  script,
});
process.stdout.write(
  `fake vLLM serving "${o.servedModel}" at ${fake.url}/v1 (tool parser ${o.toolParser ? 'hermes' : 'off'}, reasoning ${o.reasoning})\n`,
);
const stop = () => void fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
