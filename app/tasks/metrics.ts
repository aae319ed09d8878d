/**
 * OSWorld's metrics that need no office or image library, with OSWorld's semantics (including its quirks, e.g.
 * check_direct_json_object turning single quotes into double quotes). A metric gets the result getter's value,
 * the expected getter's value (undefined when the task has none) and the task's `options`.
 * A metric that is not here makes the task unsupported.
 */
import { existsSync, statSync } from 'node:fs';
import { UnsupportedError } from './errors';
import { fuzzRatio, pyEquals, pyIn, pyRegex, pyStr, readText, sequenceRatio } from './pyvalues';
import { matchValueToRule } from './rules';
import { CHROME_METRICS } from './apps/chrome';
import { IMAGE_METRICS } from './apps/images';
import { VLC_METRICS } from './apps/vlc';
import { THUNDERBIRD_METRICS } from './apps/thunderbird';
import { archiveMetrics } from './apps/archives';
import { MISC_METRICS } from './apps/misc';
import { ACCESSIBILITY_METRICS } from './apps/accessibility';
import { AUDIO_METRICS } from './apps/audio';
import { VIDEO_METRICS } from './apps/video';

export { matchValueToRule };

import { OFFICE_METRICS } from './office';

import type { Metric } from './evaluator-types';

export type { Metric };

type Dict = Record<string, unknown>;

function dict(value: unknown, what: string): Dict {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${what} must be an object`);
  return value as Dict;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isFile(p: unknown): p is string {
  return typeof p === 'string' && p !== '' && existsSync(p) && statSync(p).isFile();
}

function matchRecord(pattern: Dict, item: Dict): boolean {
  return Object.entries(pattern).every(([k, v]) => Object.hasOwn(item, k) && pyEquals(item[k], v));
}

/** csv.DictReader: the first row names the fields; values are strings. */
export function readCsvRecords(text: string): Dict[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
      i++;
      continue;
    } else field += ch;
    fieldStarted = true;
    i++;
  }
  if (fieldStarted || field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0] === ''));
  const [header, ...body] = nonEmpty;
  if (!header) return [];
  return body.map((r) => {
    const rec: Dict = {};
    header.forEach((h, idx) => (rec[h] = r[idx] ?? null));
    return rec;
  });
}

function loadJsonFile(file: string): unknown {
  return JSON.parse(readText(file));
}

export const METRICS: Record<string, Metric> = {
  exact_match: (result, rules) => (pyEquals(result, dict(rules, 'rules').expected) ? 1 : 0),

  check_include_exclude: (result, rules) => {
    if (result === null || result === undefined) return 0;
    const r = dict(rules, 'rules');
    const include = list(r.include);
    const exclude = list(r.exclude);
    return include.every((x) => pyIn(x, result)) && exclude.every((x) => !pyIn(x, result)) ? 1 : 0;
  },

  is_in_list: (result, rules) => (pyIn(dict(rules, 'rules').expected, result) ? 1 : 0),

  match_in_list: (result, rules) => (pyIn(result, dict(rules, 'rules').expected) ? 1 : 0),

  literal_match: (result, expected, options) => {
    const type = options.type ?? 'str';
    const ignoreCase = options.ignore_case === true;
    const norm = (v: unknown) => (ignoreCase ? pyStr(v).toLowerCase() : pyStr(v));
    if (type === 'str') return norm(result) === norm(expected) ? 1 : 0;
    if (type === 'list') {
      if (!Array.isArray(result) || !Array.isArray(expected) || result.length !== expected.length) return 0;
      return result.every((v, i) => norm(v) === norm(expected[i])) ? 1 : 0;
    }
    throw new UnsupportedError(`literal_match type "${String(type)}"`);
  },

  fuzzy_match: (result, rules) => fuzzRatio(pyStr(result), pyStr(dict(rules, 'rules').expected)),

  check_list: (result, rules) => {
    if (!isFile(result)) return 0;
    const r = dict(rules, 'rules');
    const expect = list(r.expect).map((p) => pyRegex(String(p)));
    const unexpect = list(r.unexpect).map((p) => pyRegex(String(p)));
    const seen = expect.map(() => false);
    let clean = true;
    // Python iterates lines with their newline.
    const lines = readText(result).split(/(?<=\n)/).filter((l) => l !== '');
    for (const line of lines) {
      expect.forEach((re, i) => (seen[i] = seen[i] || re.test(line)));
      clean = clean && unexpect.every((re) => !re.test(line));
    }
    return seen.every(Boolean) && clean ? 1 : 0;
  },

  check_csv: (result, rules) => {
    if (!isFile(result)) return 0;
    const r = dict(rules, 'rules');
    const expect = list(r.expect).map((x) => dict(x, 'expect rule'));
    const unexpect = list(r.unexpect).map((x) => dict(x, 'unexpect rule'));
    const seen = expect.map(() => false);
    let clean = true;
    for (const rec of readCsvRecords(readText(result))) {
      expect.forEach((p, i) => (seen[i] = seen[i] || matchRecord(p, rec)));
      clean = clean && !unexpect.some((p) => matchRecord(p, rec));
    }
    return seen.every(Boolean) && clean ? 1 : 0;
  },

  check_json: (result, rules, options) => {
    if (options.is_yaml) throw new UnsupportedError('check_json with is_yaml (no YAML reader)');
    if (!isFile(result)) return 0;
    const data = loadJsonFile(result);
    const r = dict(rules, 'rules');
    const walk = (keys: unknown[]): { found: boolean; value: unknown } => {
      let value: unknown = data;
      for (const k of keys) {
        if (value && typeof value === 'object' && Object.hasOwn(value as object, String(k))) {
          value = (value as Dict)[String(k)];
        } else return { found: false, value: undefined };
      }
      return { found: true, value };
    };
    for (const rule of list(r.expect).map((x) => dict(x, 'expect rule'))) {
      const { found, value } = walk(list(rule.key));
      if (!found || !matchValueToRule(value, rule)) return 0;
    }
    for (const rule of list(r.unexpect).map((x) => dict(x, 'unexpect rule'))) {
      const { found, value } = walk(list(rule.key));
      if (found && value !== null && matchValueToRule(value, rule)) return 0;
    }
    return 1;
  },

  check_direct_json_object: (result, rules) => {
    let value = result;
    if (typeof value === 'string') value = JSON.parse(value.trim().replace(/'/g, '"'));
    if (value === null || value === undefined) return 0;
    const obj = dict(value, 'result');
    const r = dict(rules, 'rules');
    const expected = dict(r.expected, 'rules.expected');
    if (!r.expect_in_result) {
      for (const [key, want] of Object.entries(expected)) {
        if (expected.ignore_list_order) {
          const sort = (v: unknown) => [...list(v)].map(pyStr).sort();
          if (!pyEquals(sort(want), sort(obj[key]))) return 0;
        } else if (!pyEquals(want, obj[key] ?? null)) return 0;
      }
      return 1;
    }
    for (const [key, want] of Object.entries(expected)) {
      const got = obj[key];
      if (Array.isArray(want)) {
        const ok = want.some((w) => (Array.isArray(got) && pyIn(w, got)) || (typeof got === 'string' && pyEquals(w, got)));
        if (!ok) return 0;
      } else if (typeof want === 'string') {
        if (!pyIn(want, got)) return 0;
      } else return 0;
    }
    return 1;
  },

  check_json_settings: (actual, expected) => {
    if (!isFile(actual)) return 0;
    let data: unknown;
    try {
      data = loadJsonFile(actual);
    } catch {
      return 0;
    }
    const want = dict(dict(expected, 'expected').expected, 'expected.expected');
    const obj = dict(data, 'settings');
    return Object.entries(want).every(([k, v]) => Object.hasOwn(obj, k) && pyEquals(obj[k], v)) ? 1 : 0;
  },

  check_json_keybindings: (actual, expected) => {
    if (!isFile(actual)) return 0;
    const text = readText(actual);
    // VS Code writes a comment line first; OSWorld retries without the first line.
    let data: unknown = null;
    for (const candidate of [text, text.slice(text.indexOf('\n') + 1)]) {
      try {
        data = JSON.parse(candidate);
      } catch {
        data = null;
      }
      if (Array.isArray(data)) break;
    }
    if (!Array.isArray(data)) return 0;
    return pyIn(dict(expected, 'expected').expected, data) ? 1 : 0;
  },

  compare_text_file: (actual, expected, options) => {
    if (!actual) return 0;
    if (!isFile(actual) || !isFile(expected)) return 0;
    let a = readText(actual);
    let e = readText(expected);
    if (options.ignore_blanks) {
      const squash = (s: string) => s.replace(/[\t\n]/g, ' ').trim().replace(/\s+/g, ' ');
      a = squash(a);
      e = squash(e);
    }
    if (options.ignore_case) {
      a = a.toLowerCase();
      e = e.toLowerCase();
    }
    return a === e ? 1 : 0;
  },

  diff_text_file: (result, expected) => {
    if (!isFile(result) || !isFile(expected)) return 0;
    const lines = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));
    return sequenceRatio(lines(readText(result)), lines(readText(expected)));
  },

  file_contains: (file, config) => {
    if (!isFile(file)) return 0;
    const text = readText(file);
    return list(dict(config, 'config').expected).every((t) => typeof t === 'string' && text.includes(t)) ? 1 : 0;
  },

  check_line_number: (file, lineNumber) => {
    if (!isFile(file)) return 0;
    const time = /([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)/;
    const count = readText(file)
      .split(/(?<=\n)/)
      .filter((l) => l !== '' && time.test(l)).length;
    return count === Number.parseInt(pyStr(dict(lineNumber, 'rules').expected), 10) ? 1 : 0;
  },

  check_moved_jpgs: (directoryList, rule) => {
    const tree = dict(directoryList, 'directory listing');
    const moved = list(tree.children).map((n) => String(dict(n, 'entry').name));
    const expected = list(dict(rule, 'rule').expected).map(String);
    if (moved.length !== expected.length) return 0;
    const a = new Set(moved);
    const b = new Set(expected);
    return a.size === b.size && [...a].every((x) => b.has(x)) ? 1 : 0;
  },

  is_extension_installed: (actual, rules) => {
    const r = dict(rules, 'rules');
    if (r.type === 'contain') return pyIn(r.expected, actual) ? 1 : 0;
    if (r.type === 'not_contain') return pyIn(r.expected, actual) ? 0 : 1;
    throw new UnsupportedError(`is_extension_installed rule type "${pyStr(r.type)}"`);
  },

  // The app domains (app/tasks/apps/), one registry per app.
  ...CHROME_METRICS,
  ...IMAGE_METRICS,
  ...VLC_METRICS,
  ...THUNDERBIRD_METRICS,
  ...archiveMetrics((name) => METRICS[name]),
  ...MISC_METRICS,
  ...ACCESSIBILITY_METRICS,
  ...VIDEO_METRICS,
  ...AUDIO_METRICS,

  // Office documents (app/tasks/office/).
  ...OFFICE_METRICS,
};

/** `infeasible` is decided from the agent's last action, not by a metric function. */
export const SPECIAL_METRICS = new Set(['infeasible']);

export function isKnownMetric(name: string): boolean {
  return name in METRICS || SPECIAL_METRICS.has(name);
}
