/**
 * The built renderer that `deskpilot ui` serves, available right after `npm ci`: the first start builds renderer/
 * with Vite's JS API into a cache folder; later starts reuse it as long as every file that went into the bundle is
 * unchanged (the build records its inputs and their hashes, so an edit anywhere in the renderer's import graph -
 * including app/contract.ts or app/host/bridge.ts - triggers a rebuild, and nothing else does).
 *
 * Concurrent starts are safe: each builds into its own temporary folder and renames it into place.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../base/errors';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RENDERER_ROOT = join(PROJECT_ROOT, 'renderer');

interface Manifest {
  dir: string;
  /** Project-relative path -> sha1 of every source file in the bundle (node_modules excluded: see `packages`). */
  inputs: Record<string, string>;
  /** Versions of the packages that shape the output. */
  packages: Record<string, string>;
}

export interface RendererBuild {
  dir: string;
  /** 'cache' (reused), 'built' (just built), or 'prebuilt' (a given folder, e.g. out/renderer). */
  source: 'cache' | 'built' | 'prebuilt';
  ms: number;
}

function sha1(path: string): string | null {
  try {
    return createHash('sha1').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['vite', '@vitejs/plugin-react', 'react', 'react-dom', 'zod']) {
    try {
      const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
      out[name] = pkg.version ?? '?';
    } catch {
      out[name] = 'missing';
    }
  }
  return out;
}

function defaultCacheRoot(): string {
  return join(PROJECT_ROOT, 'node_modules', '.cache', 'deskpilot-ui');
}

function isFresh(manifest: Manifest, cacheRoot: string): boolean {
  const dir = join(cacheRoot, manifest.dir);
  if (!existsSync(join(dir, 'index.html'))) return false;
  if (JSON.stringify(manifest.packages) !== JSON.stringify(packageVersions())) return false;
  return Object.entries(manifest.inputs).every(([file, hash]) => sha1(join(PROJECT_ROOT, file)) === hash);
}

/** Vite's options for the renderer, shared with nothing else so the cache key stays exact. */
async function viteBuild(outDir: string): Promise<string[]> {
  const { build } = await import('vite');
  const react = (await import('@vitejs/plugin-react')).default;
  const result = await build({
    root: RENDERER_ROOT,
    base: './',
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    build: {
      outDir,
      emptyOutDir: true,
      // No inline scripts or styles: the page runs under a strict CSP.
      assetsInlineLimit: 0,
      // One local bundle (React + zod + the UI), loaded from loopback: its size does not matter here.
      chunkSizeWarningLimit: 4000,
      modulePreload: { polyfill: false },
      rollupOptions: {
        input: join(RENDERER_ROOT, 'index.html'),
        onwarn(warning, warn) {
          // zod's comments about esbuild trip Rollup's annotation check: noise for the person starting the UI.
          if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
          warn(warning);
        },
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Array<{ output?: Array<{ type: string; modules?: Record<string, unknown> }> }>;
  // The page, this file (the build options), and the static files copied as they are.
  const files = new Set<string>([join(RENDERER_ROOT, 'index.html'), fileURLToPath(import.meta.url)]);
  const publicDir = join(RENDERER_ROOT, 'public');
  if (existsSync(publicDir)) for (const name of readdirSync(publicDir)) files.add(join(publicDir, name));
  for (const out of outputs) {
    for (const chunk of out.output ?? []) {
      if (chunk.type !== 'chunk') continue;
      for (const id of Object.keys(chunk.modules ?? {})) {
        const path = id.split('?')[0]!;
        if (path.startsWith(PROJECT_ROOT + sep) && !path.includes(`${sep}node_modules${sep}`) && existsSync(path)) files.add(path);
      }
    }
  }
  return [...files];
}

/**
 * The folder to serve. DESKPILOT_RENDERER_DIR forces a prebuilt folder; otherwise the cache is used or rebuilt.
 * Without Vite (a production install), out/renderer from `npm run build` is served if present.
 */
export async function ensureRenderer(options: { cacheRoot?: string; log?: (line: string) => void } = {}): Promise<RendererBuild> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const forced = process.env.DESKPILOT_RENDERER_DIR;
  if (forced) {
    if (!existsSync(join(forced, 'index.html'))) throw new Error(`DESKPILOT_RENDERER_DIR=${forced} has no index.html`);
    return { dir: resolve(forced), source: 'prebuilt', ms: elapsed() };
  }
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const latestPath = join(cacheRoot, 'latest.json');
  try {
    const manifest = JSON.parse(readFileSync(latestPath, 'utf8')) as Manifest;
    if (isFresh(manifest, cacheRoot)) return { dir: join(cacheRoot, manifest.dir), source: 'cache', ms: elapsed() };
  } catch {
    // No cache yet, or a damaged one: build.
  }

  let viteAvailable = true;
  try {
    await import('vite');
  } catch {
    viteAvailable = false;
  }
  if (!viteAvailable) {
    const prebuilt = join(PROJECT_ROOT, 'out', 'renderer');
    if (existsSync(join(prebuilt, 'index.html'))) return { dir: prebuilt, source: 'prebuilt', ms: elapsed() };
    throw new Error('the UI is not built and Vite is not installed to build it; run `npm ci` (with dev dependencies) or `npm run build`');
  }

  options.log?.('Building the UI (first start or the renderer changed)...');
  mkdirSync(cacheRoot, { recursive: true });
  const temp = join(cacheRoot, `building-${randomUUID().slice(0, 8)}`);
  let inputs: string[];
  try {
    inputs = await viteBuild(temp);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw new Error(`building the UI failed: ${errorMessage(error)}`);
  }
  const hashes: Record<string, string> = {};
  for (const file of inputs.sort()) hashes[relative(PROJECT_ROOT, file)] = sha1(file) ?? '';
  const key = createHash('sha1').update(JSON.stringify([hashes, packageVersions()])).digest('hex').slice(0, 16);
  const dirName = `renderer-${key}`;
  const finalDir = join(cacheRoot, dirName);
  if (existsSync(join(finalDir, 'index.html'))) {
    rmSync(temp, { recursive: true, force: true }); // another start built the same inputs meanwhile
  } else {
    rmSync(finalDir, { recursive: true, force: true });
    try {
      renameSync(temp, finalDir);
    } catch (error) {
      if (!existsSync(join(finalDir, 'index.html'))) throw error;
      rmSync(temp, { recursive: true, force: true });
    }
  }
  const manifest: Manifest = { dir: dirName, inputs: hashes, packages: packageVersions() };
  const tempLatest = `${latestPath}.${randomUUID().slice(0, 8)}`;
  writeFileSync(tempLatest, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tempLatest, latestPath);
  return { dir: finalDir, source: 'built', ms: elapsed() };
}
