/**
 * What the app evaluators share: reading rule objects the way the reference indexes them, and copying a file out of
 * the task's desktop into the evaluation folder.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GetterContext } from '../evaluator-types';

export type Dict = Record<string, unknown>;

/** A rule or config object; anything else is the task's mistake, named. */
export function dict(value: unknown, what: string): Dict {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${what} must be an object`);
  return value as Dict;
}

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be a list`);
  return value;
}

export function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  return value;
}

export function isFile(p: unknown): p is string {
  return typeof p === 'string' && p !== '' && existsSync(p) && statSync(p).isFile();
}

/** Where a getter's `dest` lands: inside the evaluation folder, never outside it. */
export function destPath(ctx: GetterContext, dest: unknown, fallback: string): string {
  const name = typeof dest === 'string' && dest ? dest : fallback;
  const file = path.resolve(ctx.workDir, name);
  if (!file.startsWith(path.resolve(ctx.workDir) + path.sep)) throw new Error(`getter dest escapes the work directory: ${name}`);
  return file;
}

/** Copy a file of the desktop to `dest` in the evaluation folder; null when the desktop has no such file. */
export async function copyOut(ctx: GetterContext, source: string, dest: string): Promise<string | null> {
  const data = await ctx.env.readFile(source);
  if (data === null) return null;
  await mkdir(path.dirname(dest), { recursive: true });
  await writeFile(dest, data);
  return dest;
}

/** Python's truthiness of a JSON value. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}
