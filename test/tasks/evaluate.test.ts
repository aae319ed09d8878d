/**
 * Evaluation rules and getters on the local environment (no display needed): OSWorld's FAIL rules, func lists
 * with conj and/or, vm_command_error, cache_file, cloud_file, rule_relativeTime, and what each getter returned.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadCache, MissingDownloadError } from '../../app/tasks/cache';
import { evaluateTask } from '../../app/tasks/evaluate';
import { LocalEnvironment } from '../../app/tasks/local-env';
import { parseTask, type Task } from '../../app/tasks/schema';
import { tempDir } from './helpers';

async function ctx() {
  const env = new LocalEnvironment({ display: ':0', home: await tempDir('eval-home') });
  await env.prepareHome();
  const cache = new DownloadCache(await tempDir('eval-cache'));
  return { env, cache, screen: { width: 1920, height: 1080 }, workDir: await tempDir('eval-work') };
}

const task = (evaluator: Record<string, unknown>, config: unknown[] = []): Task => parseTask(JSON.stringify({ id: 't', instruction: 'do it', config, evaluator }), 't.json');

const echo = (text: string) => ({ type: 'vm_command_line', command: `printf '${text}'`, shell: true });

describe('evaluation', () => {
  it('a last action of FAIL scores 0 on a feasible task even if the check would pass', async () => {
    const t = task({ func: 'exact_match', result: echo('yes'), expected: { type: 'rule', rules: { expected: 'yes' } } });
    expect((await evaluateTask(t, 'DONE', await ctx())).score).toBe(1);
    const failed = await evaluateTask(t, 'FAIL', await ctx());
    expect(failed.score).toBe(0);
    expect(failed.reason).toContain('gave up');
  });

  it('infeasible: 1 only when the last action is FAIL', async () => {
    const t = task({ func: 'infeasible' });
    expect((await evaluateTask(t, 'FAIL', await ctx())).score).toBe(1);
    expect((await evaluateTask(t, 'DONE', await ctx())).score).toBe(0);
    expect((await evaluateTask(t, null, await ctx())).score).toBe(0);
  });

  it('func lists: "and" stops at the first 0, else averages; "or" stops at the first 1, else the max', async () => {
    const rules = (e: string) => ({ type: 'rule', rules: { expected: e } });
    const both = { func: ['exact_match', 'fuzzy_match'], result: [echo('a'), echo('abcd')], expected: [rules('a'), rules('abce')] };
    const and = await evaluateTask(task(both), null, await ctx());
    expect(and.score).toBeCloseTo((1 + 0.75) / 2, 10);
    expect(and.getters.map((g) => [g.role, g.index, g.value])).toEqual([
      ['result', 0, 'a'],
      ['expected', 0, { expected: 'a' }],
      ['result', 1, 'abcd'],
      ['expected', 1, { expected: 'abce' }],
    ]);
    const firstZero = await evaluateTask(task({ ...both, expected: [rules('b'), rules('abcd')] }), null, await ctx());
    expect(firstZero.score).toBe(0);
    expect(firstZero.metrics).toHaveLength(1);
    const or = await evaluateTask(task({ ...both, conj: 'or', expected: [rules('b'), rules('abce')] }), null, await ctx());
    expect(or.score).toBe(0.75);
  });

  it('vm_command_error returns stderr; options reach the metric', async () => {
    const t = task({
      func: 'literal_match',
      result: { type: 'vm_command_error', command: 'echo OOPS >&2', shell: true },
      expected: { type: 'rule', rules: 'oops\n' },
      options: { ignore_case: true },
    });
    expect((await evaluateTask(t, null, await ctx())).score).toBe(1);
  });

  it('cloud_file comes from the cache; a missing one is an error about the cache, not a score', async () => {
    const c = await ctx();
    const url = 'https://example.org/files/gold.txt';
    await c.env.writeFile('/home/user/Desktop/out.txt', Buffer.from('same\n'));
    const t = task({ func: 'compare_text_file', result: { type: 'vm_file', path: '/home/user/Desktop/out.txt', dest: 'out.txt' }, expected: { type: 'cloud_file', path: url, dest: 'gold.txt' } });
    await expect(evaluateTask(t, null, c)).rejects.toThrow(MissingDownloadError);
    await c.cache.put(url, 'same\n');
    expect(path.relative(c.cache.root, c.cache.find(url)!)).toBe('example.org/files/gold.txt');
    expect((await evaluateTask(t, null, c)).score).toBe(1);
  });

  it('cache_file reads from the task work folder; a missing one scores 0', async () => {
    const c = await ctx();
    const t = task({ func: 'file_contains', result: { type: 'cache_file', path: 'notes/a.txt' }, expected: { type: 'rule', rules: { expected: ['hello'] } } });
    const missing = await evaluateTask(t, null, c);
    expect(missing.score).toBe(0);
    expect(missing.reason).toContain('cache_file getter: notes/a.txt');
    await mkdir(path.join(c.workDir, 'notes'), { recursive: true });
    await writeFile(path.join(c.workDir, 'notes/a.txt'), 'hello world');
    expect((await evaluateTask(t, null, c)).score).toBe(1);
  });

  it('cache_file never reads a path out of the work and cache folders', async () => {
    const c = await ctx();
    const t = task({ func: 'file_contains', result: { type: 'cache_file', path: '../../../../etc/hostname' }, expected: { type: 'rule', rules: { expected: [''] } } });
    const result = await evaluateTask(t, null, c).then((r) => r.reason, (e: Error) => e.message);
    expect(result).toContain('leaves the evaluation and cache folders');
  });

  it('rule_relativeTime fills the expected date from now', async () => {
    const c = await ctx();
    const t = task({
      func: 'exact_match',
      result: echo('Sat, Nov 22 2026'),
      expected: { type: 'rule_relativeTime', rules: { relativeTime: { from: 'tomorrow' }, expected: { time: '{DoW}, {Month} {DayD} {Year}' } } },
    });
    const now = () => new Date(2026, 10, 21, 12, 0, 0);
    const r = await evaluateTask(t, null, { ...c, now });
    expect(r.getters[1]!.value).toEqual({ relativeTime: { from: 'tomorrow' }, expected: { time: 'Sun, Nov 22 2026' } });
  });

  it('postconfig runs before the getters', async () => {
    const t = task({
      func: 'exact_match',
      postconfig: [{ type: 'execute', parameters: { command: 'echo saved > ~/Desktop/post.txt', shell: true } }],
      result: { type: 'vm_command_line', command: ['cat', '/home/user/Desktop/post.txt'] },
      expected: { type: 'rule', rules: { expected: 'saved\n' } },
    });
    expect((await evaluateTask(t, null, await ctx())).score).toBe(1);
  });
});
