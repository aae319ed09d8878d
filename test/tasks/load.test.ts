import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unsupportedReason } from '../../app/tasks/evaluate';
import { loadTasks, TaskFileError } from '../../app/tasks/schema';
import { EXAMPLES, FIXTURES, taskPath, tempDir } from './helpers';

describe('reading OSWorld task files', () => {
  it('reads the published index and every task file it lists, keeping unknown fields', async () => {
    const { tasks, problems } = await loadTasks(path.join(FIXTURES, 'test_fixtures.json'));
    expect(problems).toEqual([]);
    expect(tasks).toHaveLength(43);
    expect(new Set(tasks.map((t) => t.domain))).toEqual(new Set(['os', 'vs_code', 'multi_apps']));
    const vsix = tasks.find((t) => t.id === '0512bb38-d531-4acf-9e7e-0add90816068')!;
    expect(vsix.task.trajectory).toBe('trajectories/');
    expect(vsix.task.evaluator.expected).toMatchObject({ type: 'rule', rules: { type: 'contain' } });
  });

  it('reads all 369 published task files of test_all.json as valid (a list of sources too)', async () => {
    const { tasks, problems } = await loadTasks(path.join(FIXTURES, 'test_all.json'), { examplesDir: EXAMPLES });
    expect(problems).toEqual([]);
    expect(tasks).toHaveLength(369);
    const listed = tasks.find((t) => t.id === 'ea98c5d7-3cf9-4f9b-8ad3-366b58e0fcae')!;
    expect(listed.task.source).toHaveLength(2);
  });

  it('filters by domain, and reads a single task file with its folder as the domain', async () => {
    const { tasks } = await loadTasks(path.join(FIXTURES, 'test_fixtures.json'), { domains: ['vs_code'] });
    expect(tasks.map((t) => t.domain)).toEqual(Array(6).fill('vs_code'));
    const one = await loadTasks(taskPath('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82'));
    expect(one.tasks).toMatchObject([{ domain: 'os', id: '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82' }]);
  });

  it('reports malformed task files with their path and the field at fault, and goes on with the others', async () => {
    const dir = await tempDir('malformed');
    await mkdir(path.join(dir, 'examples', 'os'), { recursive: true });
    const good = await import('node:fs/promises').then((fs) => fs.readFile(taskPath('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82'), 'utf8'));
    const files: Record<string, string> = {
      good: good.replace('7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82', 'good'),
      'bad-json': '{"id": "bad-json", "instruction": ',
      'no-instruction': JSON.stringify({ id: 'no-instruction', evaluator: { func: 'exact_match' } }),
      'bad-command': JSON.stringify({ id: 'bad-command', instruction: 'x', config: [{ type: 'execute', parameters: { command: 42 } }], evaluator: { func: 'infeasible' } }),
      'bad-func': JSON.stringify({ id: 'bad-func', instruction: 'x', evaluator: { func: 7 } }),
    };
    for (const [id, text] of Object.entries(files)) await writeFile(path.join(dir, 'examples', 'os', `${id}.json`), text);
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ os: [...Object.keys(files), 'missing'] }));

    const { tasks, problems } = await loadTasks(path.join(dir, 'index.json'));
    expect(tasks.map((t) => t.id)).toEqual(['good']);
    const byId = Object.fromEntries(problems.map((p) => [p.id, p.message]));
    const file = (id: string) => path.join(dir, 'examples', 'os', `${id}.json`);
    expect(byId['bad-json']).toContain(`${file('bad-json')}: not valid JSON`);
    expect(byId['no-instruction']).toMatch(new RegExp(`^${file('no-instruction')}: instruction: `));
    expect(byId['bad-command']).toContain(`${file('bad-command')}: config[0].parameters.command:`);
    expect(byId['bad-func']).toContain('evaluator.func:');
    expect(byId['missing']).toContain(`${file('missing')}: cannot read (ENOENT)`);
  });

  it('refuses an index file that is itself malformed, naming the field', async () => {
    const dir = await tempDir('badindex');
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ os: ['a', 3] }));
    await expect(loadTasks(path.join(dir, 'index.json'))).rejects.toThrow(TaskFileError);
    await expect(loadTasks(path.join(dir, 'index.json'))).rejects.toThrow(/index\.json: os\[1\]: must be a task id \(a string\), got a number \(3\)/);
  });

  it('loads nothing outside the examples folder: ids and domains must be plain names, links out are refused', async () => {
    const dir = await tempDir('escape');
    const good = (await readFile(taskPath('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82'), 'utf8')).replace('7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82', 'good');
    await mkdir(path.join(dir, 'outside'), { recursive: true });
    await mkdir(path.join(dir, 'data', 'examples', 'os'), { recursive: true });
    // The file the report reached: <dir>/outside/secret.json, two levels up from examples/os.
    await writeFile(path.join(dir, 'outside', 'secret.json'), good.replace('"good"', '"secret"'));
    await writeFile(path.join(dir, 'data', 'examples', 'os', 'good.json'), good);
    await symlink(path.join(dir, 'outside', 'secret.json'), path.join(dir, 'data', 'examples', 'os', 'linked.json'));
    const index = path.join(dir, 'data', 'index.json');
    await writeFile(index, JSON.stringify({ os: ['good', '../../outside/secret', '/etc/passwd', 'linked'], '../outside': ['secret'] }));

    const { tasks, problems } = await loadTasks(index);
    expect(tasks.map((t) => t.id)).toEqual(['good']);
    expect(problems.map((p) => p.message)).toEqual([
      `${index}: os[1]: "../../outside/secret" is not a task id (letters, digits, "_", "-" and "." only, like OSWorld's UUIDs); it was skipped`,
      `${index}: os[2]: "/etc/passwd" is not a task id (letters, digits, "_", "-" and "." only, like OSWorld's UUIDs); it was skipped`,
      `${path.join(dir, 'data', 'examples', 'os', 'linked.json')}: links to ${path.join(dir, 'outside', 'secret.json')}, outside ${path.join(dir, 'data', 'examples')}; it was skipped`,
      `${index}: domain "../outside" is not a folder name (letters, digits, "_", "-" and "." only); its tasks were skipped`,
    ]);
  });

  it('says what a union field takes and what it got, instead of "Invalid input"', async () => {
    const dir = await tempDir('unions');
    const task = (fields: Record<string, unknown>) => JSON.stringify({ id: 't', instruction: 'x', evaluator: { func: 'infeasible' }, ...fields });
    const cases: Array<[string, string, string]> = [
      ['command', task({ config: [{ type: 'execute', parameters: { command: 42 } }] }), 'config[0].parameters.command: must be a string or a list of strings, got a number (42)'],
      ['command-item', task({ config: [{ type: 'launch', parameters: { command: ['ls', 3] } }] }), 'config[0].parameters.command[1]: must be a string, got a number (3)'],
      ['no-command', task({ config: [{ type: 'execute', parameters: {} }] }), 'config[0].parameters.command: is required (a string or a list of strings)'],
      ['func', task({ evaluator: { func: 7 } }), 'evaluator.func: must be a metric name or a list of metric names, got a number (7)'],
      ['no-func', task({ evaluator: {} }), 'evaluator.func: is required (a metric name or a list of metric names)'],
      ['result', task({ evaluator: { func: 'exact_match', result: 'vm_file' } }), 'evaluator.result: must be a getter object or a list of them, got a string ("vm_file")'],
      ['instruction', task({ instruction: ['a'] }), 'instruction: must be a string, got a list'],
    ];
    for (const [name, text, message] of cases) {
      await writeFile(path.join(dir, `${name}.json`), text);
      await expect(loadTasks(path.join(dir, `${name}.json`)), name).rejects.toThrow(`${path.join(dir, `${name}.json`)}: ${message}`);
    }
  });

  it('reads task, index and files saved with a UTF-8 byte order mark', async () => {
    const dir = await tempDir('bom');
    await mkdir(path.join(dir, 'examples', 'os'), { recursive: true });
    const good = (await readFile(taskPath('os', '7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82'), 'utf8')).replace('7688b85f-87a4-4e4a-b2f8-f3d6c3f29b82', 'good');
    await writeFile(path.join(dir, 'examples', 'os', 'good.json'), `\uFEFF${good}`);
    await writeFile(path.join(dir, 'index.json'), `\uFEFF${JSON.stringify({ os: ['good'] })}`);
    expect(await loadTasks(path.join(dir, 'index.json'))).toMatchObject({ tasks: [{ id: 'good' }], problems: [] });
    expect((await loadTasks(path.join(dir, 'examples', 'os', 'good.json'))).tasks).toHaveLength(1);
  });

  it('tells an index from a task, and words the error for what the file is', async () => {
    const dir = await tempDir('kind');
    const write = async (name: string, value: unknown) => {
      await writeFile(path.join(dir, name), JSON.stringify(value));
      return path.join(dir, name);
    };
    const index = await write('index.json', { os: 't1' });
    await expect(loadTasks(index)).rejects.toThrow(
      `${index}: os: must be a list of task ids, got a string ("t1") (an index file maps each domain to a list of task ids: {"os": ["id", ...]})`,
    );
    const task = await write('task.json', { id: 't1', instruction: 'x' });
    await expect(loadTasks(task)).rejects.toThrow(`${task}: evaluator: is required (an object)`);
    const list = await write('list.json', ['t1']);
    await expect(loadTasks(list)).rejects.toThrow(`${list}: must be a task (an object with "id", "instruction" and "evaluator") or an index ({"domain": ["task id", ...]}), got a list`);
  });

  it('marks what cannot run here as unsupported, naming the step, getter or metric', async () => {
    const { tasks } = await loadTasks(path.join(FIXTURES, 'test_fixtures.json'), { examplesDir: EXAMPLES });
    const reason = (id: string) => unsupportedReason(tasks.find((t) => t.id.startsWith(id))!.task);
    expect(reason('4d2b519e')).toBe('draft task: evaluator.func is empty');
    expect(reason('0b35aee5')).toBe('getter calc_insensitive_md5');
    expect(reason('3ce045a0')).toBeNull(); // check_text_enlarged (apps/misc.ts)
    expect(reason('7688b85f')).toBeNull();
    expect(reason('a462a795')).toBeNull(); // infeasible
    expect(unsupportedReason({ id: 'x', instruction: 'x', config: [{ type: 'login', parameters: {} }], evaluator: { func: 'exact_match' } })).toBe(
      'login step (needs a web account login)',
    );
    const supported = tasks.filter((t) => unsupportedReason(t.task) === null);
    // 43 - 4 drafts - 0b35aee5 (calc_insensitive_md5); vm_terminal_output is known (the local backend refuses it: tasks check)
    expect(supported.length).toBe(38);
  });
});
