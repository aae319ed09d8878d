/**
 * The shapes a setup step, a getter and a metric have. Their own file so that the registries (setup.ts, getters.ts,
 * metrics.ts) and the app and office modules that register into them (apps/, office/) share them without
 * importing each other (the layer test forbids the cycle).
 */
import type { DownloadCache } from './cache';
import type { Environment } from './environment';
import type { GetterConfig } from './schema';
import type { Size } from '../screen/geometry';

/**
 * OSWorld's `func(result, expected, **options)`, scoring 0..1. Metrics that read files through a library (images,
 * archives, audio, office documents with images, PDFs) return a promise; the evaluator awaits.
 */
export type Metric = (result: unknown, expected: unknown, options: Record<string, unknown>) => number | Promise<number>;

export interface GetterContext {
  env: Environment;
  cache: DownloadCache;
  /** Per-task scratch directory where vm_file / cloud_file copies land. */
  workDir: string;
  now?: () => Date;
}

export type Getter = (ctx: GetterContext, config: GetterConfig) => Promise<unknown>;

export interface SetupContext {
  env: Environment;
  cache: DownloadCache;
  /** Screen size for the {SCREEN_WIDTH} family of placeholders. */
  screen: Size;
  /** Substituted for {CLIENT_PASSWORD}; OSWorld's images use "password". */
  password?: string;
  /** Where relative `upload_file` local paths are resolved (OSWorld: the harness's working directory). */
  localRoot?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Seconds to wait for the window of an `open`ed file. */
  openWaitSeconds?: number;
}

/** A setup step of an app domain (app/tasks/apps/): its parameters as the task gives them. */
export type AppStep = (params: Record<string, unknown>, ctx: SetupContext, where: string) => Promise<void>;
