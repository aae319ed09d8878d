/**
 * The options `tasks setup`, `tasks evaluate` and `tasks run` share: where tasks run (backend, guest server, stand-in
 * home), the download cache, and the warning for setup commands run as root. Apart from tasks.ts and tasks-run.ts so
 * that neither imports the other.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DownloadCache, defaultCacheDir } from '../tasks/cache';
import { UsageError } from './errors';

export interface EnvFlags {
  backend: string;
  server?: string;
  display?: string;
  home?: string;
  cache?: string;
  fetch?: boolean;
  password: string;
}

export function addEnvOptions(command: Command): Command {
  return command
    .addOption(new Option('--backend <kind>', 'where tasks run: local (this machine, X display) or osworld (guest server)').choices(['local', 'osworld']).default('local'))
    .option('--server <url>', 'OSWorld guest server, e.g. http://192.168.122.10:5000 (with --backend osworld)')
    .option('--home <dir>', 'directory standing in for /home/user on the local backend (env DESKPILOT_TASK_HOME)')
    .option('--cache <dir>', `offline download cache, laid out <cache>/<host>/<path> (default ${defaultCacheDir()})`)
    .option('--fetch', 'download files missing from the cache (default: offline; a missing file is an error)')
    .option('--password <pw>', 'substituted for {CLIENT_PASSWORD}', 'password');
}

export function cacheFrom(flags: EnvFlags): DownloadCache {
  return new DownloadCache(path.resolve(flags.cache ?? process.env.DESKPILOT_TASK_CACHE ?? defaultCacheDir()), { fetchMissing: flags.fetch === true });
}

export function homeFrom(flags: Pick<EnvFlags, 'home'>): string | undefined {
  const home = flags.home ?? process.env.DESKPILOT_TASK_HOME;
  return home ? path.resolve(home) : undefined;
}

/**
 * Task setups install packages, change login shells and kill processes: on the local backend they act on this
 * machine for real. Say so when that machine is run as root.
 */
export function warnIfRootLocal(flags: EnvFlags): void {
  if (flags.backend === 'local' && process.getuid?.() === 0) {
    process.stderr.write(
      'deskpilot: warning: running task setup commands as root on this machine (they may install packages, change shells, kill processes); use a throwaway machine, container or VM, or --backend osworld\n',
    );
  }
}

export function positiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive whole number (got "${value}")`);
  return Number(value);
}
