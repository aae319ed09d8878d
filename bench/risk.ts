/**
 * The risk check on adversarial inputs of about 1 MB each (testkit/adversarial/inputs.ts): the time to classify
 * one action, per input and the worst of all, with the built-in deny rules applied. No X display needed.
 *
 * Run: npx tsx bench/risk.ts [--size BYTES] [--runs N]   (also part of `npm run bench`)
 */
import { pathToFileURL } from 'node:url';
import { activeDenyRules } from '../app/policy/default-deny-rules';
import { classifyRisk } from '../app/policy/risk';
import { adversarialCases, type AdversarialCase } from '../testkit/adversarial/inputs';

export interface RiskFigure {
  name: string;
  chars: number;
  /** Slowest of the runs, ms. */
  worstMs: number;
  level: string;
}

/** The size of the largest model- or screen-controlled input of a case. */
function inputChars(c: AdversarialCase): number {
  const previous = c.context.previousAction;
  return Math.max(
    'text' in c.action ? c.action.text.length : 0,
    previous && 'text' in previous ? previous.text.length : 0,
    c.context.screenText?.length ?? 0,
    c.context.modelText?.length ?? 0,
    c.context.focusedWindow?.title?.length ?? 0,
    c.context.focusedWindow?.className?.length ?? 0,
  );
}

export function measureRisk(size = 1 << 20, runs = 3): RiskFigure[] {
  const builtIn = activeDenyRules({ denyRules: [], removedDefaultDenyRules: [] });
  const figures: RiskFigure[] = [];
  for (const c of adversarialCases(size)) {
    const rules = [...builtIn, ...(c.rules ?? [])];
    const chars = inputChars(c);
    classifyRisk(c.action, c.context, rules); // compile the rules outside the timing
    let worstMs = 0;
    let level = '';
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      level = classifyRisk(c.action, c.context, rules).level;
      worstMs = Math.max(worstMs, performance.now() - started);
    }
    figures.push({ name: c.name, chars, worstMs, level });
  }
  return figures;
}

export function riskTable(figures: RiskFigure[]): string {
  const worst = figures.reduce((a, b) => (b.worstMs > a.worstMs ? b : a));
  const rows = figures.map((f) => `| ${f.name} | ${f.chars} | ${f.worstMs.toFixed(1)} | ${f.level} |`);
  return (
    `| input | chars | ms | level |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n` +
    `Worst case: ${worst.worstMs.toFixed(1)} ms (${worst.name}).`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const option = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    return at >= 0 ? Number(argv[at + 1]) || fallback : fallback;
  };
  process.stdout.write(`Risk check per action on adversarial inputs (bench/risk.ts)\n${riskTable(measureRisk(option('--size', 1 << 20), option('--runs', 3)))}\n`);
}
