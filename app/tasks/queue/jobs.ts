/**
 * What a queued run is in Redis: one BullMQ job per task, and a small run record beside BullMQ's keys.
 *
 *   job id            <run>/<domain>/<id> (each part URI-encoded: BullMQ refuses ":" in ids). The same run enqueued
 *                     twice names the same jobs, and BullMQ adds a job whose id exists as nothing.
 *   job data          JobData below: the task file's text, the run's settings WITHOUT the API key, the results
 *                     layout, the screen size and the number of attempts. Everything a worker needs and nothing
 *                     only the enqueuing machine has (no paths, no key).
 *   job return value  the attempt's outcome and the list of its result files (transfer.ts).
 *   deskpilot:run:<run>        the run's settings fingerprint and layout (JSON), so `tasks follow` knows the run
 *                              and a second `tasks run` with other settings under the same name is refused
 *   deskpilot:run:<run>:tasks  the run's tasks ("domain/id"), a set: the union of every enqueue of the run
 *
 * Everything read back from Redis is parsed with zod: another machine wrote it.
 */
import { z } from 'zod';
import { RunSettingsSchema, type RunSettings } from '../../contract';
import { KEY_PREFIX } from './connection';

/** Run names are folder-safe and readable in Redis: letters, digits, ".", "_" and "-". */
export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export class QueueDataError extends Error {
  override name = 'QueueDataError';
}

/** A run's settings as they travel: everything but the API key, which each worker brings itself. */
export const JobSettingsSchema = RunSettingsSchema.omit({ apiKey: true });
export type JobSettings = z.infer<typeof JobSettingsSchema>;

export function jobSettings(settings: RunSettings): JobSettings {
  const { apiKey: _key, ...rest } = settings;
  return JobSettingsSchema.parse(rest);
}

export const LayoutSchema = z.object({ model: z.string().min(1), actionSpace: z.string().min(1), observation: z.string().min(1) });
export type QueueLayout = z.infer<typeof LayoutSchema>;

/** One attempt as the job's data remembers it (for the reason of a task that no attempt finished). */
const AttemptSchema = z.object({ attempt: z.number().int(), worker: z.string(), result: z.string().nullable() });

export const JobDataSchema = z.object({
  run: z.string().regex(RUN_NAME),
  domain: z.string().min(1),
  id: z.string().min(1),
  /** The task file as published (its text: setup steps and evaluator run exactly as written). */
  taskText: z.string().min(2).max(4_000_000),
  settings: JobSettingsSchema,
  layout: LayoutSchema,
  screen: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
  attempts: z.number().int().min(1).max(20),
  history: z.array(AttemptSchema).default([]),
});
export type JobData = z.infer<typeof JobDataSchema>;

export function jobId(run: string, domain: string, id: string): string {
  return [run, encodeURIComponent(domain), encodeURIComponent(id)].join('/');
}

export function parseJobData(data: unknown, where: string): JobData {
  const parsed = JobDataSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new QueueDataError(`job ${where}: invalid data at ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'} (enqueued by another Deskpilot version?)`);
  }
  return parsed.data;
}

export const runKey = (run: string) => `${KEY_PREFIX}:run:${run}`;
export const runTasksKey = (run: string) => `${KEY_PREFIX}:run:${run}:tasks`;

export const RunInfoSchema = z.object({
  run: z.string().regex(RUN_NAME),
  layout: LayoutSchema,
  /** What must match for a second enqueue under the same name (all settings but the endpoint, which workers may override). */
  fingerprint: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;

export function runFingerprint(data: Pick<JobData, 'settings' | 'layout' | 'screen' | 'attempts'>): Record<string, unknown> {
  const { endpoint: _endpoint, ...settings } = data.settings;
  return { settings, layout: data.layout, screen: data.screen, attempts: data.attempts };
}

/** The keys whose values differ between two fingerprints ("settings.maxSteps", "attempts", ...). */
export function fingerprintDifferences(a: Record<string, unknown>, b: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key];
    const y = b[key];
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      out.push(...fingerprintDifferences(x as Record<string, unknown>, y as Record<string, unknown>, `${prefix}${key}.`));
    } else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${prefix}${key}`);
  }
  return out;
}

/** "domain/id" as the run's task set holds it; both parts are folder names (no "/"). */
export const taskKey = (domain: string, id: string) => `${domain}/${id}`;

export function parseTaskKey(key: string): { domain: string; id: string } {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) throw new QueueDataError(`run task "${key}" is not domain/id`);
  return { domain: key.slice(0, slash), id: key.slice(slash + 1) };
}
