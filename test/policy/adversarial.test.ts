/**
 * Nothing the model, a page or the screen controls can make the risk check hang: every input of the adversarial
 * corpus (about 1 MB each: testkit/adversarial/inputs.ts) is classified, with the right level, within a budget
 * that linear matching meets hundreds of times over and the quadratic or exponential behaviour it replaced (80,000
 * newlines took 8 s; `^(a+)+$` on 36 "a"s and "!" never finished) cannot. The check runs in a child process, so a
 * hang is stopped and named rather than freezing the test run. Window titles, which any program chooses, are read
 * from xprop output in the same process. Figures are in `npm run bench` (bench/risk.ts).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { adversarialCases, adversarialXpropOutputs } from '../../testkit/adversarial/inputs';

/** Per input; the slowest takes well under a second on a loaded 2-core machine. */
const BUDGET_MS = 20_000;

it('classifies every adversarial input within the budget, with the expected level', async () => {
  const worker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./adversarial-worker.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const levels = new Map<string, string>();
  let current = '(starting)';
  let stderr = '';
  worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        worker.kill('SIGKILL');
        reject(new Error(`the risk check did not finish "${current}" within ${BUDGET_MS / 1000} s`));
      }, BUDGET_MS);
    };
    arm();
    let buffer = '';
    worker.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, newline)) as { started?: string; name?: string; level?: string };
        buffer = buffer.slice(newline + 1);
        if (message.started) current = message.started;
        if (message.name) levels.set(message.name, message.level!);
        arm();
      }
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`the risk check process exited with ${code} during "${current}": ${stderr}`));
    });
  });
  const cases = adversarialCases();
  expect([...levels.keys()]).toEqual([...cases.map((c) => c.name), ...adversarialXpropOutputs().map((c) => c.name)]);
  for (const c of cases) if (c.expected) expect({ name: c.name, level: levels.get(c.name) }).toEqual({ name: c.name, level: c.expected });
}, 180_000);
