/**
 * OSWorld task files and index files, read as published. Schemas keep unknown fields (tasks carry `proxy`,
 * `fixed_ip`, `hint`... that we pass through untouched); a malformed file is reported with its path, the field at
 * fault and what was expected there, and loading goes on with the other tasks. Files saved with a UTF-8 byte order
 * mark (some Windows editors add one) are read as if it were not there.
 *
 * An index names task files by domain and id (`<examples>/<domain>/<id>.json`), so both must be plain names: an
 * id such as "../../outside/secret" is refused, and the file's real path must stay inside the examples folder.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** What a JSON value is, in the words an error message uses ("got a number"). */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value} (${String(value)})`;
}

/** A union whose error says what it takes ("must be a string or a list of strings, got a number"). */
function oneOf<const T extends readonly [z.ZodType, z.ZodType, ...z.ZodType[]]>(expected: string, options: T) {
  return z.union(options, {
    error: (issue) => (issue.input === undefined ? `is required (${expected})` : `must be ${expected}, got ${kindOf(issue.input)}`),
  });
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

/** Messages for the plain type errors of the task and index schemas, in the same words as oneOf's. */
const taskIssueMessage: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'invalid_type') return undefined;
  const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
  return issue.input === undefined ? `is required (${expected})` : `must be ${expected}, got ${kindOf(issue.input)}`;
};

/** OSWorld passes `shell` to Python as is, so a task's "shell": "true" means true (a non-empty string is truthy). */
const ShellSchema = z.union([z.boolean(), z.string()]).transform((v) => (typeof v === 'string' ? v !== '' : v)).optional();

const CommandSchema = oneOf('a string or a list of strings', [z.string(), z.array(z.string())]);

/** Parameters of the step types we run; other step types are checked only for shape. */
export const StepParamSchemas = {
  execute: z.looseObject({
    command: CommandSchema,
    shell: ShellSchema,
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    until: z
      .looseObject({ returncode: z.number().optional(), stdout: z.string().optional(), stderr: z.string().optional() })
      .optional(),
  }),
  launch: z.looseObject({ command: CommandSchema, shell: ShellSchema }),
  open: z.looseObject({ path: z.string().min(1) }),
  download: z.looseObject({
    files: z.array(z.looseObject({ url: z.string().min(1), path: z.string().min(1) })).min(1),
  }),
  upload_file: z.looseObject({
    files: z.array(z.looseObject({ local_path: z.string().min(1), path: z.string().min(1) })).min(1),
  }),
  sleep: z.looseObject({ seconds: z.number().nonnegative() }),
  activate_window: z.looseObject({
    window_name: z.string().min(1),
    strict: z.boolean().optional(),
    by_class: z.boolean().optional(),
  }),
  close_window: z.looseObject({
    window_name: z.string().min(1),
    strict: z.boolean().optional(),
    by_class: z.boolean().optional(),
  }),
} as const;
// `command` is OSWorld's older name for `execute`.
export const STEP_ALIASES: Record<string, keyof typeof StepParamSchemas> = { command: 'execute' };

export const StepSchema = z.looseObject({
  type: z.string().min(1),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type Step = z.infer<typeof StepSchema>;

/** A getter config: `type` plus getter-specific fields. Drafts carry `{}`; the support check reports that. */
export const GetterSchema = z.looseObject({ type: z.string().optional() });
export type GetterConfig = z.infer<typeof GetterSchema>;

const GetterOrList = oneOf('a getter object or a list of them', [GetterSchema, z.array(GetterSchema)]);

export const EvaluatorSchema = z.looseObject({
  func: oneOf('a metric name or a list of metric names', [z.string(), z.array(z.string())]),
  conj: z.enum(['and', 'or']).optional(),
  result: GetterOrList.optional(),
  expected: oneOf('a getter object, a list of them, or null', [GetterSchema, z.array(GetterSchema), z.null()]).optional(),
  options: oneOf('an object of options or a list of them', [z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))]).optional(),
  postconfig: z.array(StepSchema).optional(),
});
export type Evaluator = z.infer<typeof EvaluatorSchema>;

export const TaskSchema = z.looseObject({
  id: z.string().min(1),
  instruction: z.string(),
  snapshot: z.string().optional(),
  // Where the task came from: a URL, or a list of them (published vs_code/ea98c5d7... has a list).
  source: z.union([z.string(), z.array(z.string())]).optional(),
  config: z.array(StepSchema).optional(),
  related_apps: z.array(z.string()).optional(),
  evaluator: EvaluatorSchema,
});
export type Task = z.infer<typeof TaskSchema>;

const TaskIdSchema = z.string({ error: (issue) => `must be a task id (a string), got ${kindOf(issue.input)}` }).min(1, 'must be a task id, not empty');
export const IndexSchema = z.record(z.string(), z.array(TaskIdSchema, { error: (issue) => `must be a list of task ids, got ${kindOf(issue.input)}` }));
export type TaskIndex = z.infer<typeof IndexSchema>;

/** Domains and ids name folders and files: letters, digits, "_", "-" and "." (not first), as OSWorld's UUIDs do. */
const SAFE_NAME = /^[\w-][\w.-]{0,199}$/;

/** A task read from disk, with where it came from. */
export interface LoadedTask {
  domain: string;
  id: string;
  file: string;
  task: Task;
}

/** A file that could not be used: path plus the field at fault (or the JSON error). */
export interface LoadProblem {
  file: string;
  domain?: string;
  id?: string;
  message: string;
}

export class TaskFileError extends Error {
  override name = 'TaskFileError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

function fieldPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of p) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(top level)';
}

/**
 * `field: message` per issue. A union where one option got further than the type check (a list was expected and
 * given, but an item is wrong) reports that option's own issue ("command[1]: must be a string, got a number").
 */
function issueLines(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const deeper = issue.errors.find((option) => option.some((inner) => inner.path.length > 0));
      if (deeper) return issueLines(deeper, at);
    }
    return [`${fieldPath(at)}: ${issue.message}`];
  });
}

function describe(error: z.ZodError): string {
  return issueLines(error.issues).join('; ');
}

/** JSON text without the UTF-8 byte order mark an editor may have put in front of it. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Validate the parameters of steps whose type we know, so a bad step names its field (config[2].parameters.command). */
function checkSteps(steps: Step[] | undefined, where: string): string[] {
  const problems: string[] = [];
  (steps ?? []).forEach((step, i) => {
    const kind = STEP_ALIASES[step.type] ?? step.type;
    const schema = (StepParamSchemas as Record<string, z.ZodType>)[kind];
    if (!schema) return;
    const parsed = schema.safeParse(step.parameters ?? {}, { error: taskIssueMessage });
    if (!parsed.success) {
      for (const line of issueLines(parsed.error.issues)) problems.push(`${where}[${i}].parameters.${line}`);
    }
  });
  return problems;
}

/** Parse a task from JSON text; throws TaskFileError naming the file and field. */
export function parseTask(text: string, file: string): Task {
  return taskFromJson(parseJson(text, file), file);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(withoutBom(text));
  } catch (error) {
    throw new TaskFileError(file, `not valid JSON (${(error as Error).message})`);
  }
}

function taskFromJson(raw: unknown, file: string): Task {
  const parsed = TaskSchema.safeParse(raw, { error: taskIssueMessage });
  if (!parsed.success) throw new TaskFileError(file, describe(parsed.error));
  const task = parsed.data;
  const stepProblems = [...checkSteps(task.config, 'config'), ...checkSteps(task.evaluator.postconfig, 'evaluator.postconfig')];
  if (stepProblems.length) throw new TaskFileError(file, stepProblems.join('; '));
  return task;
}

/** The real path of `file` when it lies outside the real `dir` (a link out of it), else null (missing files too). */
function linkedOutside(file: string, dir: string): string | null {
  let real: string;
  let root: string;
  try {
    real = realpathSync(file);
    root = realpathSync(dir);
  } catch {
    return null;
  }
  return real.startsWith(root + path.sep) ? null : real;
}

export async function loadTaskFile(file: string): Promise<Task> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TaskFileError(file, `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseTask(text, file);
}

/** Fields only a task has; an object with none of them is read as an index (`{domain: [ids]}`). */
const TASK_FIELDS = ['id', 'instruction', 'evaluator', 'config', 'snapshot', 'related_apps'];

/** Is this JSON an index rather than a task? Decides which file's errors a malformed one gets. */
export function looksLikeIndex(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !TASK_FIELDS.some((field) => field in raw);
}

export interface LoadOptions {
  /** Directory holding `<domain>/<id>.json`; default: `examples` next to the index file. */
  examplesDir?: string;
  /** Only these domains. */
  domains?: string[];
}

export interface LoadResult {
  tasks: LoadedTask[];
  problems: LoadProblem[];
}

/**
 * Load a task file or an index file. A single task's domain is its parent directory's name (as in OSWorld's
 * `examples/<domain>/<id>.json`). Problems are collected, never thrown, except when the top file itself is unusable.
 */
export async function loadTasks(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TaskFileError(file, `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const raw = parseJson(text, file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TaskFileError(
      file,
      `must be a task (an object with "id", "instruction" and "evaluator") or an index ({"domain": ["task id", ...]}), got ${kindOf(raw)}`,
    );
  }
  if (!looksLikeIndex(raw)) {
    const task = taskFromJson(raw, file);
    const domain = path.basename(path.dirname(path.resolve(file)));
    if (options.domains?.length && !options.domains.includes(domain)) return { tasks: [], problems: [] };
    return { tasks: [{ domain, id: task.id, file, task }], problems: [] };
  }
  const index = IndexSchema.safeParse(raw, { error: taskIssueMessage });
  if (!index.success) {
    throw new TaskFileError(file, `${describe(index.error)} (an index file maps each domain to a list of task ids: {"os": ["id", ...]})`);
  }
  const examplesDir = options.examplesDir ?? path.join(path.dirname(file), 'examples');
  const tasks: LoadedTask[] = [];
  const problems: LoadProblem[] = [];
  for (const [domain, ids] of Object.entries(index.data)) {
    if (options.domains?.length && !options.domains.includes(domain)) continue;
    if (!SAFE_NAME.test(domain)) {
      problems.push({ file, domain, message: `${file}: domain ${JSON.stringify(domain)} is not a folder name (letters, digits, "_", "-" and "." only); its tasks were skipped` });
      continue;
    }
    for (const [i, id] of ids.entries()) {
      if (!SAFE_NAME.test(id)) {
        problems.push({ file, domain, id, message: `${file}: ${domain}[${i}]: ${JSON.stringify(id)} is not a task id (letters, digits, "_", "-" and "." only, like OSWorld's UUIDs); it was skipped` });
        continue;
      }
      const taskFile = path.join(examplesDir, domain, `${id}.json`);
      const escape = linkedOutside(taskFile, examplesDir);
      if (escape) {
        problems.push({ file: taskFile, domain, id, message: `${taskFile}: links to ${escape}, outside ${examplesDir}; it was skipped` });
        continue;
      }
      try {
        const task = await loadTaskFile(taskFile);
        if (task.id !== id) {
          problems.push({ file: taskFile, domain, id, message: `${taskFile}: id: file says "${task.id}", index says "${id}"` });
          continue;
        }
        tasks.push({ domain, id, file: taskFile, task });
      } catch (error) {
        problems.push({ file: taskFile, domain, id, message: (error as Error).message });
      }
    }
  }
  return { tasks, problems };
}
