/**
 * OSWorld's getters that need no special application: what the metric compares. Files are copied out of the
 * environment into a per-task work directory (OSWorld's `cache/<task id>/`), and metrics get their local paths.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnsupportedError } from './errors';
import { OFFICE_GETTERS } from './office';
import type { GetterConfig } from './schema';
import { CHROME_GETTERS } from './apps/chrome';
import { IMAGE_GETTERS } from './apps/images';
import { VLC_GETTERS } from './apps/vlc';
import { VSCODE_GETTERS } from './apps/vscode';
import { MISC_GETTERS } from './apps/misc';

import type { Getter, GetterContext } from './evaluator-types';

export type { Getter, GetterContext };

export class GetterFileNotFound extends Error {
  override name = 'GetterFileNotFound';
}


type Dict = Record<string, unknown>;

function str(config: Dict, key: string, getter: string): string {
  const v = config[key];
  if (typeof v !== 'string' || !v) throw new Error(`${getter} getter: "${key}" must be a non-empty string`);
  return v;
}

function command(config: Dict, getter: string): string | string[] {
  const c = config.command;
  if (typeof c === 'string' || (Array.isArray(c) && c.every((x) => typeof x === 'string'))) return c as string | string[];
  throw new Error(`${getter} getter: "command" must be a string or a list of strings`);
}

function safeDest(workDir: string, dest: string): string {
  const file = path.resolve(workDir, dest);
  if (!file.startsWith(path.resolve(workDir) + path.sep)) throw new Error(`getter dest escapes the work directory: ${dest}`);
  return file;
}

/** vm_file and cloud_file share OSWorld's multi/gives handling. */
async function fetchFiles(
  ctx: GetterContext,
  config: Dict,
  getter: string,
  fetchOne: (source: string, dest: string) => Promise<string | null>,
): Promise<unknown> {
  const multi = config.multi === true;
  const sources = multi ? [config.path].flat() : [config.path];
  const dests = multi ? [config.dest].flat() : [config.dest];
  const gives = new Set(multi && Array.isArray(config.gives) ? (config.gives as number[]) : [0]);
  await mkdir(ctx.workDir, { recursive: true });
  const out: Array<string | null> = [];
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    const dest = dests[i];
    if (typeof source !== 'string' || typeof dest !== 'string') throw new Error(`${getter} getter: "path" and "dest" must be strings (or lists with "multi")`);
    const local = await fetchOne(source, safeDest(ctx.workDir, dest));
    if (gives.has(i)) out.push(local);
  }
  return out.length === 1 ? out[0] : out;
}

function relativeDay(name: string, now: Date): Date {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const add = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
  const weekday = (day.getDay() + 6) % 7; // Python: Monday = 0
  const nextMonth = (n: number) => new Date(day.getFullYear() + (day.getMonth() === 11 ? 1 : 0), (day.getMonth() + 1) % 12, n);
  switch (name) {
    case 'tomorrow':
      return add(day, 1);
    case 'this month':
      return day;
    case '5th next month':
      return nextMonth(5);
    case '10th next month':
      return nextMonth(10);
    case '11th next month':
      return nextMonth(11);
    case 'this Saturday':
      return add(day, 5 - weekday);
    case 'this Sunday':
      return add(day, 6 - weekday);
    case 'next Monday':
      return add(day, 6 - weekday + 1);
    case 'first monday four months later': {
      const year = day.getFullYear() + (day.getMonth() + 1 >= 9 ? 1 : 0);
      const month = ((day.getMonth() + 1 + 4) % 12) - 1;
      const first = new Date(year, month < 0 ? 11 : month, 1);
      const wd = (first.getDay() + 6) % 7;
      return add(first, (6 - wd + 1) % 7);
    }
  }
  throw new UnsupportedError(`rule_relativeTime "${name}"`);
}

function formatDay(format: string, d: Date): string {
  const dow = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][(d.getDay() + 6) % 7]!;
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const m = months[d.getMonth()]!;
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return format
    .replace('{DoW}', dow)
    .replace('{Month}', m.slice(0, 3))
    .replace('{DayD}', String(d.getDate()))
    .replace('{Year}', String(d.getFullYear()))
    .replace('{Month0D}', two(d.getMonth() + 1))
    .replace('{month}', m.toLowerCase())
    .replace('{MonthFull}', m)
    .replace('{Day0D}', two(d.getDate()));
}

export const GETTERS: Record<string, Getter> = {
  vm_command_line: async (ctx, config) => {
    const r = await ctx.env.execute(command(config, 'vm_command_line'), { shell: config.shell === true });
    return r.status === 'success' ? r.output : null;
  },
  vm_command_error: async (ctx, config) => {
    const r = await ctx.env.execute(command(config, 'vm_command_error'), { shell: config.shell === true });
    return r.status === 'success' ? r.error : null;
  },
  vm_file: (ctx, config) =>
    fetchFiles(ctx, config, 'vm_file', async (source, dest) => {
      const data = await ctx.env.readFile(source);
      if (data === null) return null;
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, data);
      return dest;
    }),
  cloud_file: (ctx, config) =>
    fetchFiles(ctx, config, 'cloud_file', async (url, dest) => {
      const local = await ctx.cache.localPath(url);
      await mkdir(path.dirname(dest), { recursive: true });
      await copyFile(local, dest);
      return dest;
    }),
  cache_file: async (ctx, config) => {
    const rel = str(config, 'path', 'cache_file');
    // The task names a file inside the evaluation folder or the download cache, never a path out of them.
    const inside = (root: string): string | null => {
      const full = path.resolve(root, rel);
      return full.startsWith(path.resolve(root) + path.sep) ? full : null;
    };
    const inWork = inside(ctx.workDir);
    const inCache = inside(ctx.cache.root);
    if (!inWork || !inCache) throw new Error(`cache_file getter: path ${JSON.stringify(rel)} leaves the evaluation and cache folders`);
    if (existsSync(inWork)) return inWork;
    if (existsSync(inCache)) return inCache;
    throw new GetterFileNotFound(`cache_file getter: ${rel} is neither in ${ctx.workDir} nor in ${ctx.cache.root}`);
  },
  rule: async (_ctx, config) => config.rules,
  rule_relativeTime: async (ctx, config) => {
    const rules = structuredClone(config.rules) as Dict;
    const rel = rules.relativeTime as Dict | undefined;
    const expected = rules.expected as Dict | undefined;
    if (!rel || !expected) throw new Error('rule_relativeTime getter: rules.relativeTime and rules.expected are required');
    const now = (ctx.now ?? (() => new Date()))();
    if (!('to' in rel)) {
      expected.time = formatDay(String(expected.time), relativeDay(String(rel.from), now));
    } else {
      expected.from = formatDay(String(expected.from), relativeDay(String(rel.from), now));
      expected.to = formatDay(String(expected.to), relativeDay(String(rel.to), now));
    }
    return rules;
  },
  list_directory: async (ctx, config) => ctx.env.listDirectory(str(config, 'path', 'list_directory')),
  vm_screen_size: async (ctx) => ctx.env.screenSize(),

  // The app domains (app/tasks/apps/), one registry per app.
  ...CHROME_GETTERS,
  ...IMAGE_GETTERS,
  ...VLC_GETTERS,
  ...VSCODE_GETTERS,
  ...MISC_GETTERS,

  // Office documents (app/tasks/office/).
  ...OFFICE_GETTERS,
};

export function isKnownGetter(type: string): boolean {
  return type in GETTERS;
}

export async function runGetter(ctx: GetterContext, config: GetterConfig): Promise<unknown> {
  const type = config.type;
  if (!type) throw new UnsupportedError('getter without a "type"');
  const getter = GETTERS[type];
  if (!getter) throw new UnsupportedError(`getter ${type}`);
  return getter(ctx, config);
}
