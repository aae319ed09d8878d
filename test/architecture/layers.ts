/**
 * THE layer table of the code base, and the checker that holds every import to it (test/architecture/layers.test.ts
 * runs it on the real tree; the README's "How it is built" and each app folder's README.md say the same and the
 * test checks that they do).
 *
 * Engine layers, lowest first: a file may import its own layer and the layers before it, never one after it, and
 * the file graph has no cycle. Type-only imports count like any other: a type is still a dependency, and a
 * "type-only" edge upward is how a lower layer starts to know a higher one.
 *
 * Shells sit on top: main/ may import the engine up to host, the renderer only the plain-data files listed below
 * (it runs in a sandboxed page: no Node), bench/ and test/ the engine and testkit/, testkit/ the engine. Nothing in
 * app/ imports a shell. Node built-ins and packages may be imported anywhere except by the renderer and the engine
 * files it imports (only RENDERER_PACKAGES there); `electron` only by main/.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export interface Layer {
  name: string;
  /** Folders (ending in "/") and single files (a file entry wins over its folder). */
  paths: string[];
  what: string;
}

/** The engine, lowest first. */
export const ENGINE_LAYERS: readonly Layer[] = [
  {
    name: 'base',
    paths: ['app/base/', 'app/contract.ts', 'app/patterns.ts', 'app/settings.ts'],
    what: 'errors, abort, sleep, ids, shapes, the action table; the contract every shell shares; settings resolution',
  },
  {
    name: 'platform',
    paths: ['app/platform/'],
    what: 'OS adapters: X11 tools and window probe, the nut-js loader, the process reaper',
  },
  { name: 'screen', paths: ['app/screen/'], what: 'displays, capture, THE coordinate mapper, smart resize and encoding, OCR' },
  { name: 'input', paths: ['app/input/'], what: 'the computer_use performer on nut-js: keys, exact typing, scrolling' },
  { name: 'devices', paths: ['app/devices/'], what: 'the device interface the loop drives, and one folder per device' },
  { name: 'model', paths: ['app/model/'], what: 'tool schemas, profiles, prompts, the reply parser, the client, the endpoint check' },
  { name: 'policy', paths: ['app/policy/'], what: 'risk classification, deny rules, approval modes' },
  { name: 'agent', paths: ['app/agent/'], what: 'the loop and its parts: run control, history, settle, loop detection, screen reading' },
  { name: 'runs', paths: ['app/runs/'], what: 'the run recorder, HTML report, replay' },
  // After runs: the task agent writes a run record. runs never imports tasks.
  { name: 'tasks', paths: ['app/tasks/'], what: 'the OSWorld-style task runner' },
  { name: 'host', paths: ['app/host/'], what: 'the typed UI bridge and the engine host behind it, the WebSocket server, page serving' },
  { name: 'cli', paths: ['app/cli/'], what: 'the deskpilot command' },
];

export const SHELLS: readonly Layer[] = [
  { name: 'main', paths: ['main/'], what: 'the Electron main process and preload' },
  { name: 'renderer', paths: ['renderer/'], what: 'the React UI' },
  { name: 'testkit', paths: ['testkit/'], what: 'stand-ins shared by tests and benchmarks' },
  { name: 'bench', paths: ['bench/'], what: 'npm run bench' },
  { name: 'test', paths: ['test/'], what: 'the tests' },
];

const ENGINE = ENGINE_LAYERS.map((l) => l.name);

/** What each shell may import, besides itself. */
const SHELL_IMPORTS: Record<string, readonly string[]> = {
  main: ENGINE.slice(0, ENGINE.indexOf('host') + 1),
  renderer: [],
  testkit: ENGINE,
  bench: [...ENGINE, 'testkit'],
  // Tests also test the shells.
  test: [...ENGINE, 'testkit', 'main', 'renderer', 'bench'],
};

/** The engine files the renderer imports: plain data, no Node. Their own imports must be renderer-safe too. */
export const RENDERER_APP_FILES: readonly string[] = [
  'app/contract.ts',
  'app/host/bridge.ts',
  'app/screen/geometry.ts',
  'app/model/profiles.ts',
  'app/model/check-report.ts',
  'app/policy/default-deny-rules.ts',
];

/** The only packages the renderer, and the engine files it reaches, may import. */
export const RENDERER_PACKAGES: readonly string[] = ['react', 'react-dom', 'zod', 're2js'];

/** The layers a layer may import, itself excluded. */
export function allowedImports(layer: string): readonly string[] {
  const rank = ENGINE.indexOf(layer);
  if (rank >= 0) return ENGINE.slice(0, rank);
  return SHELL_IMPORTS[layer] ?? [];
}

/** The layer of a repository path (forward slashes), or null for files outside every layer (config files). */
export function layerOf(file: string): string | null {
  let best: { name: string; length: number } | null = null;
  for (const layer of [...ENGINE_LAYERS, ...SHELLS]) {
    for (const p of layer.paths) {
      const hit = p.endsWith('/') ? file.startsWith(p) : file === p;
      // The longest matching entry wins (a file listed on its own over its folder).
      if (hit && (!best || p.length > best.length)) best = { name: layer.name, length: p.length };
    }
  }
  return best?.name ?? null;
}

/** Every module specifier a source file names: static, `export ... from`, `import type`, dynamic `import()`. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

const BUILTINS = new Set(builtinModules);

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(packageName(specifier));
}

/** A relative specifier -> the file it names among `files`, or null. */
function resolve(from: string, specifier: string, files: ReadonlyMap<string, string>): string | null {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    if (files.has(candidate)) return candidate;
  }
  return null;
}

export interface Report {
  /** "a.ts (screen) imports b.ts (model): screen may import base, platform", one per edge against the order. */
  violations: string[];
  /** "cycle: a.ts -> b.ts -> a.ts", one per strongly connected group of files. */
  cycles: string[];
}

/**
 * Check a tree: `files` maps repository paths (forward slashes) to their source. Relative imports are resolved
 * among these files; an import of a file not given is reported (the checker never passes a graph it cannot see).
 */
export function checkTree(files: ReadonlyMap<string, string>): Report {
  const violations: string[] = [];
  const graph = new Map<string, string[]>();
  const rendererReach = new Set<string>();

  for (const [file, source] of files) {
    const layer = layerOf(file);
    const edges: string[] = [];
    graph.set(file, edges);
    if (!layer) continue;
    const allowed = allowedImports(layer);
    for (const specifier of importsOf(source)) {
      if (!specifier.startsWith('.')) {
        if (specifier === 'electron' && layer !== 'main' && layer !== 'test') {
          violations.push(`${file} (${layer}) imports electron: only main/ may`);
        }
        if (layer === 'renderer' && (isBuiltin(specifier) || !RENDERER_PACKAGES.includes(packageName(specifier)))) {
          violations.push(`${file} (renderer) imports ${specifier}: the renderer may import only ${RENDERER_PACKAGES.join(', ')}`);
        }
        continue;
      }
      const target = resolve(file, specifier, files);
      if (!target) {
        // Style sheets and root config files (electron.vite.config.ts) are outside the layers; a missing source
        // file inside them is not.
        const named = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        if (!/\.(css|json|html|svg|png)$/.test(specifier) && layerOf(named) !== null) {
          violations.push(`${file} (${layer}) imports ${specifier}, which is not a file of the tree`);
        }
        continue;
      }
      edges.push(target);
      const targetLayer = layerOf(target);
      if (!targetLayer || targetLayer === layer) continue;
      if (layer === 'renderer') {
        if (!RENDERER_APP_FILES.includes(target)) {
          violations.push(`${file} (renderer) imports ${target} (${targetLayer}): the renderer may import only ${RENDERER_APP_FILES.join(', ')}`);
        } else rendererReach.add(target);
        continue;
      }
      if (!allowed.includes(targetLayer)) {
        const may = allowed.length > 0 ? `${layer} may import ${allowed.join(', ')}` : `${layer} may import nothing outside itself`;
        violations.push(`${file} (${layer}) imports ${target} (${targetLayer}): ${may}`);
      }
    }
  }

  // What the renderer reaches through the files it may import must be renderer-safe too.
  const queue = [...rendererReach];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const specifier of importsOf(files.get(file) ?? '')) {
      if (!specifier.startsWith('.')) {
        if (isBuiltin(specifier) || !RENDERER_PACKAGES.includes(packageName(specifier))) {
          violations.push(`${file} (reached by the renderer) imports ${specifier}: there only ${RENDERER_PACKAGES.join(', ')} may be imported`);
        }
        continue;
      }
      const target = resolve(file, specifier, files);
      if (target && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }

  return { violations, cycles: findCycles(graph).map((cycle) => `cycle: ${[...cycle, cycle[0]].join(' -> ')}`) };
}

/**
 * Tarjan's strongly connected components over the file graph: each component of more than one file (or a file
 * importing itself) is a cycle, returned as one path through it. Iterative, so a deep graph cannot overflow.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];

  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && (graph.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(cyclePath(component, graph));
      }
    }
  }
  return components;
}

/** One cycle through a strongly connected component, as a readable path (breadth-first back to the start). */
function cyclePath(component: string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const pathBack = [node];
        while (pathBack[0] !== start) pathBack.unshift(previous.get(pathBack[0]!)!);
        return pathBack;
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start];
}
