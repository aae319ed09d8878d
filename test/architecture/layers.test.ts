/**
 * The layers hold: every import of the real tree follows the table in ./layers.ts and the file graph has no cycle.
 * A second test runs the same checker on a small tree made to break both rules, so this cannot pass by seeing
 * nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allowedImports, checkTree, ENGINE_LAYERS, findCycles, layerOf } from './layers';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['app', 'main', 'renderer/src', 'bench', 'testkit', 'test'];

function sourceFiles(dir: string, out: Map<string, string>): Map<string, string> {
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'fixtures') sourceFiles(rel, out);
    } else if (/\.tsx?$/.test(entry.name)) {
      out.set(rel, readFileSync(path.join(ROOT, rel), 'utf8'));
    }
  }
  return out;
}

describe('the layers', () => {
  const files = new Map<string, string>();
  for (const dir of SCANNED) sourceFiles(dir, files);

  it('every source file belongs to a layer', () => {
    expect([...files.keys()].filter((file) => layerOf(file) === null)).toEqual([]);
    // The scan saw the tree (a wrong root would check nothing).
    expect(files.has('app/agent/loop.ts') && files.has('renderer/src/App.tsx') && files.size > 200).toBe(true);
  });

  it('no import goes against the order, and no file imports one that leads back to it', () => {
    const report = checkTree(files);
    expect(report.violations).toEqual([]);
    expect(report.cycles).toEqual([]);
  });
});

describe('the documentation of the layers', () => {
  it("each app folder's README.md starts by naming its layer and what it may import, as the table says", () => {
    const said: string[] = [];
    const expected: string[] = [];
    for (const layer of ENGINE_LAYERS) {
      for (const folder of layer.paths.filter((p) => p.endsWith('/'))) {
        const allowed = allowedImports(layer.name);
        expected.push(`${folder}README.md: Layer \`${layer.name}\`: may import ${allowed.length > 0 ? `${allowed.join(', ')}.` : 'nothing outside itself'}`);
        let head = '(no README.md)';
        try {
          head = readFileSync(path.join(ROOT, folder, 'README.md'), 'utf8').split('\n').slice(0, 5).find((l) => l.startsWith('Layer ')) ?? '(no Layer line)';
        } catch {
          // reported below
        }
        said.push(`${folder}README.md: ${allowed.length > 0 ? head : head.replace(/ \(.*$/, '')}`);
      }
    }
    expect(said).toEqual(expected);
  });

  it('the README shows the same order', () => {
    const order = ENGINE_LAYERS.map((l) => l.name).join(' -> ');
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(order);
  });
});

describe('the layer checker', () => {
  it('reports an import against the order, a forbidden package, a renderer import of engine code, and a cycle', () => {
    const tree = new Map<string, string>([
      ['app/screen/prepare.ts', "import type { Profile } from '../model/profiles';\nexport const a = 1;"],
      ['app/model/profiles.ts', "import { b } from './tools';\nexport type Profile = {};"],
      // The cycle runs through a dynamic import, as the one the old endpoint.ts hid.
      ['app/model/tools.ts', "export const b = async () => (await import('./profiles')).toString();"],
      ['app/devices/x11/desktop.ts', "import { app } from 'electron';"],
      ['renderer/src/App.tsx', "import { readFileSync } from 'node:fs';\nimport { ModelClient } from '../../app/model/client';"],
      ['app/model/client.ts', "import OpenAI from 'openai';"],
      ['app/agent/loop.ts', "import { x } from './missing';"],
    ]);
    const report = checkTree(tree);
    expect(report.violations.sort()).toEqual(
      [
        'app/screen/prepare.ts (screen) imports app/model/profiles.ts (model): screen may import base, platform',
        'app/devices/x11/desktop.ts (devices) imports electron: only main/ may',
        'renderer/src/App.tsx (renderer) imports node:fs: the renderer may import only react, react-dom, zod, re2js',
        'renderer/src/App.tsx (renderer) imports app/model/client.ts (model): the renderer may import only app/contract.ts, app/host/bridge.ts, app/screen/geometry.ts, app/model/profiles.ts, app/model/check-report.ts, app/policy/default-deny-rules.ts',
        'app/agent/loop.ts (agent) imports ./missing, which is not a file of the tree',
      ].sort(),
    );
    expect(report.cycles).toEqual(['cycle: app/model/profiles.ts -> app/model/tools.ts -> app/model/profiles.ts']);
  });

  it('follows the renderer into the engine files it may import', () => {
    const report = checkTree(
      new Map([
        ['renderer/src/Settings.tsx', "import { PROFILES } from '../../app/model/profiles';"],
        ['app/model/profiles.ts', "import sharp from 'sharp';"],
      ]),
    );
    expect(report.violations).toEqual([
      'app/model/profiles.ts (reached by the renderer) imports sharp: there only react, react-dom, zod, re2js may be imported',
    ]);
  });

  it('lets tasks import runs but not runs import tasks', () => {
    const report = checkTree(
      new Map([
        ['app/tasks/loop-agent.ts', "import { createRunRecorder } from '../runs/recorder';"],
        ['app/runs/recorder.ts', "import { x } from '../tasks/results';"],
        ['app/tasks/results.ts', 'export const x = 1;'],
      ]),
    );
    expect(report.violations).toEqual([
      'app/runs/recorder.ts (runs) imports app/tasks/results.ts (tasks): runs may import base, platform, screen, input, devices, model, policy, agent',
    ]);
    expect(report.cycles).toEqual([]);
  });

  it('finds every cycle, a file importing itself included', () => {
    const cycles = findCycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a', 'd']],
        ['d', ['d']],
        ['e', ['a']],
      ]),
    );
    expect(cycles.map((c) => c.join(' -> ')).sort()).toEqual(['a -> b -> c', 'd']);
  });
});
