/**
 * The remaining evaluators of OSWorld's os, multi_apps and vs_code tasks: desktop state through the guest server
 * (terminal text, accessibility tree, wallpaper, a window's size) with local equivalents where this machine has one,
 * desktop shortcuts, a Python test file run against the agent's work, MP3 tags, SQLite queries, and the small
 * text checks of basic_os.py / general.py.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseFile } from 'music-metadata';
import { z } from 'zod';
import { UnsupportedError } from '../errors';
import type { Getter } from '../evaluator-types';
import { GuestEnvironment } from '../guest-env';
import type { Metric } from '../evaluator-types';
import { pyEquals, readText } from '../pyvalues';
import { matchValueToRule } from '../rules';
import { parseAccessibilityTree } from './accessibility';
import { destPath, dict, isFile, list, str } from './util';

/** Getters that read what only the guest server can give; on the local backend they make the task unsupported. */
export const GUEST_ONLY_GETTERS: Record<string, string> = {
  accessibility_tree: 'the accessibility tree (the guest server reads AT-SPI; the local desktop has no AT-SPI bus)',
  vm_wallpaper: "the desktop wallpaper (GNOME's; the local desktop has none)",
};

function guestOnly(name: string, fetchIt: (guest: GuestEnvironment, config: Record<string, unknown>, dest: (d: string) => string) => Promise<unknown>): Getter {
  return async (ctx, config) => {
    if (!(ctx.env instanceof GuestEnvironment)) throw new UnsupportedError(`${name} getter on the local backend: ${GUEST_ONLY_GETTERS[name]}`);
    return fetchIt(ctx.env, config, (d) => destPath(ctx, config.dest, d));
  };
}

const TerminalReply = z.looseObject({ output: z.string().nullish() });
const AccessibilityReply = z.looseObject({ AT: z.string().nullish() });
const SizeReply = z.looseObject({ width: z.number(), height: z.number() });

/**
 * The local desktop's terminal text, as the guest server gives gnome-terminal's (the text of the active terminal,
 * trailing whitespace stripped; null when there is none). The desktop's xterm runs its shell inside an invisible tmux
 * (resources/shims/deskpilot-terminal-shell): the pane used last is the active terminal, read whole (history too),
 * wrapped lines joined. Differences: gnome-terminal's text keeps wrapped lines as the screen shows them.
 */
async function localTerminalText(env: { execute(argv: string[]): Promise<{ status: string; output: string }>; display?: string }): Promise<string | null> {
  const socket = `deskpilot-terminal-${(env.display ?? process.env.DISPLAY ?? '').replace(/^:/, '')}`;
  const panes = await env.execute(['tmux', '-L', socket, 'list-panes', '-a', '-F', '#{window_activity} #{pane_id}']);
  if (panes.status !== 'success') return null;
  const latest = panes.output
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter((parts) => parts.length === 2 && /^%\d+$/.test(parts[1]!))
    .sort((a, b) => Number(b[0]) - Number(a[0]))[0];
  if (!latest) return null;
  const text = await env.execute(['tmux', '-L', socket, 'capture-pane', '-p', '-J', '-S', '-', '-t', latest[1]!]);
  return text.status === 'success' ? text.output.replace(/\s+$/, '') : null;
}

// The guest server's accessibility-tree XML: elements without a namespace, attributes in AT-SPI's.
const AT_STATE = 'uri:deskat:state.at-spi.gnome.org';
const AT_COMPONENT = 'uri:deskat:component.at-spi.gnome.org';

/** The elements below `root` (and `root` itself) with this un-namespaced tag, as ElementTree's `iter(tag)`. */
function iterTag(root: Element, tag: string): Element[] {
  const out: Element[] = [];
  const walk = (el: Element) => {
    if (!el.namespaceURI && el.localName === tag) out.push(el);
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) walk(c as Element);
  };
  walk(root);
  return out;
}

/**
 * Impress's slide pane is shown (slides.py `check_left_panel`): a `split-pane` inside a `panel` inside a
 * `root-pane`, at parent coordinates "(0, 0)", with any `visible` state attribute at all (the reference tests the
 * attribute's presence, not its value). A tree that is not XML raises, as ElementTree does.
 */
export function leftPanelShown(tree: unknown): boolean {
  if (typeof tree !== 'string') throw new TypeError(`check_left_panel: the accessibility tree must be XML text, got ${tree === null ? 'None' : typeof tree}`);
  const root = parseAccessibilityTree(tree, (problem) => new SyntaxError(`check_left_panel: the accessibility tree is not XML: ${problem}`)) as unknown as Element;
  return iterTag(root, 'root-pane').some((pane) =>
    iterTag(pane, 'panel').some((panel) =>
      iterTag(panel, 'split-pane').some((split) => split.getAttributeNS(AT_COMPONENT, 'parentcoord') === '(0, 0)' && !!split.getAttributeNS(AT_STATE, 'visible')),
    ),
  );
}

export const MISC_GETTERS: Record<string, Getter> = {
  vm_terminal_output: async (ctx) => {
    if (ctx.env instanceof GuestEnvironment) {
      const r = await ctx.env.client.request('GET', '/terminal');
      if (!r.ok) return null;
      return TerminalReply.parse(await r.json()).output ?? null;
    }
    return localTerminalText(ctx.env);
  },
  accessibility_tree: guestOnly('accessibility_tree', async (guest) => {
    const r = await guest.client.request('GET', '/accessibility');
    if (!r.ok) return null;
    return AccessibilityReply.parse(await r.json()).AT ?? null;
  }),
  vm_wallpaper: guestOnly('vm_wallpaper', async (guest, _config, dest) => {
    const file = dest('wallpaper.png');
    const r = await guest.client.request('POST', '/wallpaper');
    // As the reference: no wallpaper gives an empty file, which the image metrics score 0.
    await writeFile(file, r.ok ? Buffer.from(await r.arrayBuffer()) : Buffer.alloc(0));
    return file;
  }),
  vm_window_size: async (ctx, config) => {
    const cls = str(config.app_class_name, 'vm_window_size: app_class_name');
    if (ctx.env instanceof GuestEnvironment) {
      const r = await ctx.env.client.request('POST', '/window_size', { form: { app_class_name: cls } });
      if (!r.ok) return null;
      const parsed = SizeReply.safeParse(await r.json());
      return parsed.success ? { width: parsed.data.width, height: parsed.data.height } : null;
    }
    const search = await ctx.env.execute(['xdotool', 'search', '--onlyvisible', '--class', cls]);
    const id = search.status === 'success' ? search.output.split('\n').find(Boolean) : undefined;
    if (!id) return null;
    const geometry = await ctx.env.execute(['xdotool', 'getwindowgeometry', id]);
    const m = /Geometry:\s*(\d+)x(\d+)/.exec(geometry.output);
    return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
  },
  shortcuts_on_desktop: async (ctx) => {
    const tree = await ctx.env.listDirectory('/home/user/Desktop');
    if (!tree || !('children' in tree)) return {};
    const out: Record<string, string> = {};
    for (const child of tree.children) {
      if (!('name' in child) || child.type !== 'file' || !child.name.endsWith('.desktop')) continue;
      const data = await ctx.env.readFile(`/home/user/Desktop/${child.name}`);
      if (data) out[child.name] = data.toString('utf8');
    }
    return out;
  },
  time_diff_range: async (_ctx, config) => config.diff_range_in_minutes ?? null,
};

/** Run the task's test file: import it in python3 and call its test function; its result is the score. */
function runPythonTest(testFile: string, functionName: string): Promise<number> {
  const program = [
    'import importlib.util, os, sys, json',
    'path, name = sys.argv[1], sys.argv[2]',
    'os.chdir(os.path.dirname(path)); sys.path.insert(0, os.path.dirname(path))',
    'spec = importlib.util.spec_from_file_location("deskpilot_task_test", path)',
    'module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)',
    'result = getattr(module, name)()',
    'value = (1.0 if result else 0.0) if isinstance(result, bool) else max(0.0, min(1.0, float(result))) if isinstance(result, (int, float)) else (1.0 if result else 0.0)',
    'print("DESKPILOT_SCORE=" + json.dumps(value))',
  ].join('\n');
  return new Promise((resolve) => {
    const child = spawn('python3', ['-c', program, testFile, functionName], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-10_000)));
    child.once('error', () => resolve(0));
    child.once('close', () => {
      const m = /DESKPILOT_SCORE=([0-9.]+)\s*$/.exec(out);
      resolve(m ? Number(m[1]) : 0);
    });
  });
}

/** mutagen's EasyID3 keys -> ID3v2 frames. */
const EASY_ID3: Record<string, string[]> = {
  title: ['TIT2'],
  artist: ['TPE1'],
  album: ['TALB'],
  albumartist: ['TPE2'],
  composer: ['TCOM'],
  genre: ['TCON'],
  date: ['TDRC', 'TYER'],
  tracknumber: ['TRCK'],
  discnumber: ['TPOS'],
  lyricist: ['TEXT'],
  copyright: ['TCOP'],
  bpm: ['TBPM'],
  organization: ['TPUB'],
  language: ['TLAN'],
  length: ['TLEN'],
};

function stringListLiteral(text: string): string[] {
  // gsettings prints a Python-style list: ['a.desktop', 'b.desktop']
  const t = text.trim();
  if (!/^\[.*\]$/s.test(t)) throw new SyntaxError(`not a list literal: ${t.slice(0, 80)}`);
  return [...t.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '');
}

export const MISC_METRICS: Record<string, Metric> = {
  check_left_panel: (tree) => (leftPanelShown(tree) ? 1 : 0),
  check_python_file_by_test_suite: async (_actual, testFile, options) => {
    if (!isFile(testFile)) return 0;
    return runPythonTest(path.resolve(testFile), String(options.test_function_name ?? 'test'));
  },
  check_mp3_meta: async (file, meta) => {
    if (!isFile(file)) return 0;
    const parsed = await parseFile(file, { skipCovers: true, duration: false });
    const frames = new Map<string, string[]>();
    for (const [format, tags] of Object.entries(parsed.native)) {
      if (!format.startsWith('ID3v2')) continue;
      for (const tag of tags) frames.set(tag.id, [...(frames.get(tag.id) ?? []), String(tag.value)]);
    }
    for (const [key, rule] of Object.entries(dict(meta, 'meta'))) {
      const ids = EASY_ID3[key];
      if (!ids) throw new UnsupportedError(`check_mp3_meta key ${key}`);
      const values = ids.flatMap((id) => frames.get(id) ?? []);
      if (!matchValueToRule(values.length ? values.join(',') : '', dict(rule, `meta.${key}`))) return 0;
    }
    return 1;
  },
  run_sqlite3: async (file, rules) => {
    if (!isFile(file)) return 0;
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(str(dict(rules, 'rules').sql, 'rules.sql')).raw().get() as unknown[] | undefined;
      if (!row) throw new TypeError("'NoneType' object is not subscriptable");
      const v = row[0];
      return Number(v || 0);
    } finally {
      db.close();
    }
  },
  compare_terminal_and_txt: async (txt, terminal) => {
    if (!txt || !terminal || !isFile(txt)) return 0;
    return readText(txt) === terminal ? 1 : 0;
  },
  is_included_all_json_objects: async (gold, result) => {
    if (!isFile(gold) || !isFile(result)) return 0;
    const g = dict(JSON.parse(await readFile(gold, 'utf8')), 'gold');
    const r = dict(JSON.parse(await readFile(result, 'utf8')), 'result');
    return Object.entries(g).every(([k, v]) => Object.hasOwn(r, k) && pyEquals(r[k], v)) ? 1 : 0;
  },
  compare_python_pure_text: async (file, gold) => {
    if (!isFile(file) || !isFile(gold)) return 0;
    const normalize = (text: string) => {
      const lines = text.split(/\r\n|\r|\n/);
      let i = 0;
      while (i < lines.length && i < 3 && /^(#!|# -\*- coding:|# coding:|# coding=)/.test(lines[i]!.trim())) i++;
      return lines
        .slice(i)
        .filter((l) => l.trim())
        .map((l) => l.replace(/\t/g, '    ').trimEnd())
        .join('\n');
    };
    return normalize(await readFile(file, 'utf8')) === normalize(await readFile(gold, 'utf8')) ? 1 : 0;
  },
  compare_time_in_speedtest_results: async (file, timeDiff) => {
    if (!isFile(file)) return 0;
    try {
      const second = (await readFile(file, 'utf8')).split('\n')[1];
      const hhmm = second!.split(',')[1]!.trim().slice(-5);
      const [h, m] = hhmm.split(':').map(Number);
      const now = new Date();
      const diff = Math.abs(h! * 60 + m! - (now.getHours() * 60 + now.getMinutes()));
      return Number.isFinite(diff) && diff < Number.parseInt(String(timeDiff), 10) ? 1 : 0;
    } catch {
      return 0;
    }
  },
  compare_config: async (file, rules) => {
    if (!file || !isFile(file)) return 0;
    return (await readFile(file, 'utf8')).replace(/\r\n?/g, '\n') === dict(rules, 'rules').expected ? 1 : 0;
  },
  compare_answer: (actual, rules) => (actual && pyEquals(actual, dict(rules, 'rules').expected) ? 1 : 0),
  compare_result_files: async (src, tgt) => {
    if (!isFile(src) || !isFile(tgt)) return 0;
    const a = readText(src).trim();
    const b = readText(tgt).trim();
    // Numbers compare within 1e-4, and a number found inside the answer counts (the answer may be a sentence).
    const num = (t: string) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN);
    if (!Number.isNaN(num(b))) {
      if (a.includes(b)) return 1;
      return !Number.isNaN(num(a)) && Math.abs(num(a) - num(b)) < 1e-4 ? 1 : 0;
    }
    return a === b ? 1 : 0;
  },
  check_html_background_image: async (file, rule) => {
    if (!isFile(file)) return 0;
    const want = `background-image: url('${String(dict(rule, 'rule').value)}')`;
    const styles = [...(await readFile(file, 'utf8')).matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1]!);
    return styles.some((css) => css.includes(want)) ? 1 : 0;
  },
  is_utc_0: (output) => (String(output).split('\n')[3]?.endsWith('+0000)') ? 1 : 0),
  check_text_enlarged: (scale) => {
    const v = Number.parseFloat(String(scale));
    if (Number.isNaN(v)) throw new TypeError(`could not convert string to float: ${JSON.stringify(scale)}`);
    return v > 1 ? 1 : 0;
  },
  check_gnome_favorite_apps: (apps, rule) => {
    const got = stringListLiteral(String(apps));
    const want = list(dict(rule, 'rule').expected, 'rule.expected').map(String);
    if (got.length !== want.length) return 0;
    const a = new Set(got);
    const b = new Set(want);
    return a.size === b.size && [...a].every((x) => b.has(x)) ? 1 : 0;
  },
  is_in_vm_clickboard: (config, output) => {
    const expected = dict(config, 'config').expected;
    const text = String(output ?? '');
    return (Array.isArray(expected) ? expected : [expected]).every((e) => text.includes(String(e))) ? 1 : 0;
  },
};

