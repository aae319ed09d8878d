/**
 * Runs the risk check over the adversarial corpus in its own process and prints one JSON line per input as it
 * finishes (`{"name", "level"}`), so test/policy/adversarial.test.ts can stop it and name the input if one hangs.
 *
 *   node --import tsx test/policy/adversarial-worker.ts [size]
 */
import { activeDenyRules } from '../../app/policy/default-deny-rules';
import { classifyRisk } from '../../app/policy/risk';
import { parseWindowProps } from '../../app/platform/x11/windows';
import { adversarialCases, adversarialXpropOutputs } from '../../testkit/adversarial/inputs';

const size = Number(process.argv[2]) || 1 << 20;
const builtIn = activeDenyRules({ denyRules: [], removedDefaultDenyRules: [] });
for (const c of adversarialCases(size)) {
  process.stdout.write(`${JSON.stringify({ started: c.name })}\n`);
  const risk = classifyRisk(c.action, c.context, [...builtIn, ...(c.rules ?? [])]);
  process.stdout.write(`${JSON.stringify({ name: c.name, level: risk.level })}\n`);
}
for (const { name, output } of adversarialXpropOutputs(size)) {
  process.stdout.write(`${JSON.stringify({ started: name })}\n`);
  const window = parseWindowProps(output);
  process.stdout.write(`${JSON.stringify({ name, level: window.className ?? '' })}\n`);
}
