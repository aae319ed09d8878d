/**
 * Evaluation as OSWorld's DesktopEnv.evaluate does it: postconfig steps, then the `infeasible` rule (score 1 only
 * if the last action was FAIL), a last action of FAIL scores 0 for every other task, then getters and metrics with
 * `conj` and/or. Also the static support check that marks a task "unsupported: ..." before anything runs.
 */
import { MissingDownloadError } from './cache';
import { UnsupportedError } from './errors';
import { GetterFileNotFound, isKnownGetter, runGetter, type GetterContext } from './getters';
import { isKnownMetric, METRICS } from './metrics';
import type { GetterConfig, Task } from './schema';
import { runSetup, unsupportedStep, type SetupContext } from './setup';

/** OSWorld's action-history token for the agent's last action. */
export type LastAction = 'FAIL' | 'DONE' | 'WAIT' | 'OTHER' | null;

export interface GetterRecord {
  role: 'result' | 'expected';
  index: number;
  type: string;
  value: unknown;
  error?: string;
}

export interface MetricRecord {
  index: number;
  name: string;
  score: number;
  error?: string;
}

export interface Evaluation {
  score: number;
  /** How the score was decided, in words. */
  reason: string;
  getters: GetterRecord[];
  metrics: MetricRecord[];
}

/** Failures that mean "cannot evaluate here" rather than "the task was not solved". */
function isFatal(error: unknown): boolean {
  return error instanceof UnsupportedError || error instanceof MissingDownloadError;
}

function funcs(task: Task): string[] {
  const f = task.evaluator.func;
  return Array.isArray(f) ? f : [f];
}

function asList<T>(v: T | T[] | undefined | null): Array<T | undefined> {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Why this task cannot be run or scored here, or null. Checks setup steps, metrics and getters. */
export function unsupportedReason(task: Task): string | null {
  const names = funcs(task);
  if (names.length === 0 || names.some((n) => n === '')) return 'draft task: evaluator.func is empty';
  for (const step of [...(task.config ?? []), ...(task.evaluator.postconfig ?? [])]) {
    const why = unsupportedStep(step);
    if (why) return why;
  }
  for (const name of names) if (!isKnownMetric(name)) return `metric ${name}`;
  if (names.length === 1 && names[0] === 'infeasible') return null;
  const getters: GetterConfig[] = [...asList(task.evaluator.result), ...asList(task.evaluator.expected)].filter(
    (g): g is GetterConfig => g !== undefined,
  );
  if (asList(task.evaluator.result).length === 0) return 'evaluator has no result getter';
  for (const g of getters) {
    if (!g.type) return 'getter without a "type"';
    if (!isKnownGetter(g.type)) return `getter ${g.type}`;
  }
  return null;
}

export interface EvaluateContext extends SetupContext {
  workDir: string;
  now?: () => Date;
}

function metricOptions(task: Task, index: number, isList: boolean): Record<string, unknown> {
  const o = task.evaluator.options;
  if (!o) return {};
  if (Array.isArray(o)) return o[index] ?? {};
  return isList ? {} : o;
}

/**
 * Evaluate a task whose agent has finished (`lastAction` is OSWorld's last action_history entry).
 * Throws UnsupportedError for a task that cannot be scored here; other getter/metric failures score 0 and are
 * recorded.
 */
export async function evaluateTask(task: Task, lastAction: LastAction, ctx: EvaluateContext): Promise<Evaluation> {
  const why = unsupportedReason(task);
  if (why) throw new UnsupportedError(why);
  await runSetup(task.evaluator.postconfig, ctx, 'postconfig');
  const names = funcs(task);
  const getters: GetterRecord[] = [];
  const metrics: MetricRecord[] = [];
  const done = (score: number, reason: string): Evaluation => ({ score, reason, getters, metrics });

  if (!Array.isArray(task.evaluator.func) && task.evaluator.func === 'infeasible') {
    return lastAction === 'FAIL'
      ? done(1, 'infeasible task and the agent declared it infeasible (FAIL)')
      : done(0, 'infeasible task but the agent did not declare it infeasible (last action was not FAIL)');
  }
  if (lastAction === 'FAIL') return done(0, 'the agent gave up (last action FAIL) on a feasible task');

  const gctx: GetterContext = { env: ctx.env, cache: ctx.cache, workDir: ctx.workDir, now: ctx.now };
  const isList = Array.isArray(task.evaluator.func);
  const results = asList(task.evaluator.result);
  const expecteds = asList(task.evaluator.expected);
  const conj = task.evaluator.conj ?? 'and';

  const get = async (role: 'result' | 'expected', index: number, config: GetterConfig): Promise<unknown> => {
    try {
      const value = await runGetter(gctx, config);
      getters.push({ role, index, type: config.type ?? '', value });
      return value;
    } catch (error) {
      if (isFatal(error)) throw error;
      getters.push({ role, index, type: config.type ?? '', value: null, error: (error as Error).message });
      throw error;
    }
  };
  const score = async (index: number, name: string, result: unknown, expected: unknown): Promise<number> => {
    const metric = METRICS[name]!;
    try {
      const s = await metric(result, expected, metricOptions(task, index, isList));
      metrics.push({ index, name, score: s });
      return s;
    } catch (error) {
      if (isFatal(error)) throw error;
      // OSWorld would crash here (a metric raising on a None result); we score 0 and say why.
      metrics.push({ index, name, score: 0, error: (error as Error).message });
      return 0;
    }
  };

  if (!isList) {
    let result: unknown;
    try {
      result = await get('result', 0, results[0]!);
    } catch (error) {
      if (isFatal(error)) throw error;
      return done(0, `result getter failed: ${(error as Error).message}`);
    }
    let expected: unknown;
    if (expecteds[0]) {
      try {
        expected = await get('expected', 0, expecteds[0]);
      } catch (error) {
        if (isFatal(error)) throw error;
        return done(0, `expected getter failed: ${(error as Error).message}`);
      }
    }
    const s = await score(0, names[0]!, result, expected ?? undefined);
    return done(s, `${names[0]} scored ${s}`);
  }

  const scores: number[] = [];
  for (const [i, name] of names.entries()) {
    let result: unknown = null;
    try {
      const cfg = results[i];
      if (!cfg) throw new Error(`no result getter for metric ${i} (${name})`);
      result = await get('result', i, cfg);
    } catch (error) {
      if (isFatal(error)) throw error;
      if (conj === 'and') return done(0, `result getter ${i} failed: ${(error as Error).message}`);
      if (!(error instanceof GetterFileNotFound)) result = null;
    }
    let expected: unknown;
    const ecfg = expecteds[i];
    if (ecfg) {
      try {
        expected = await get('expected', i, ecfg);
      } catch (error) {
        if (isFatal(error)) throw error;
        if (conj === 'and') return done(0, `expected getter ${i} failed: ${(error as Error).message}`);
      }
    }
    const s = await score(i, name, result, expected ?? undefined);
    if (conj === 'and' && s === 0) return done(0, `${name} (metric ${i}) scored 0 with conj "and"`);
    if (conj === 'or' && s === 1) return done(1, `${name} (metric ${i}) scored 1 with conj "or"`);
    scores.push(s);
  }
  const total = conj === 'and' ? scores.reduce((a, b) => a + b, 0) / scores.length : Math.max(...scores);
  return done(total, `${conj} of ${names.length} metrics`);
}
