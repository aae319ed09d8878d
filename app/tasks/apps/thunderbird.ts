/**
 * Thunderbird as OSWorld evaluates it (desktop_env/evaluators/metrics/thunderbird.py): prefs.js lines
 * `user_pref("key", value);` against {expect, unexpect} rules, msgFilterRules.dat filters against records, and mbox
 * folder files compared message by message.
 */
import { readFile } from 'node:fs/promises';
import type { Metric } from '../evaluator-types';
import { pyEquals } from '../pyvalues';
import { matchValueToRule } from '../rules';
import { dict, isFile, list, type Dict } from './util';

const PREF_LINE = /^user_pref\("((?:[^"]|\\")+)", (.+)\);$/;

/** Lines as Python iterates a text file: each with its newline. */
function lines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((l) => l !== '');
}

/** _match_record: every key of the pattern is in the item with an equal value. */
function matchRecord(pattern: Dict, item: Dict): boolean {
  return Object.entries(pattern).every(([k, v]) => Object.hasOwn(item, k) && pyEquals(item[k], v));
}

const unescape = (v: string) => v.replaceAll('\\"', '"').replaceAll('\\\\', '\\');
// A filter condition: "AND (subject,contains,word)", "OR (from,is,"x")" or "ALL".
const CONDITION = /\b(?:AND|OR) \((?:[\w ]+),(?:[\w ']+),(?:"(?:(?:[^"]|")+)"|(?:[^)]+))\)|\bALL\b/g;

export const THUNDERBIRD_METRICS: Record<string, Metric> = {
  check_thunderbird_prefs: async (file, rule) => {
    if (!isFile(file)) return 0;
    const r = dict(rule, 'rule');
    const expect = dict(r.expect ?? {}, 'rule.expect');
    const unexpect = dict(r.unexpect ?? {}, 'rule.unexpect');
    const met = new Map(Object.keys(expect).map((k) => [k, false]));
    let clean = true;
    for (const line of lines(await readFile(file, 'utf8'))) {
      const m = PREF_LINE.exec(line.trim());
      if (!m) continue;
      const key = m[1]!;
      const value: unknown = JSON.parse(m[2]!);
      if (Object.hasOwn(expect, key)) met.set(key, matchValueToRule(value, dict(expect[key], `rule.expect.${key}`)));
      else if (Object.hasOwn(unexpect, key) && matchValueToRule(value, dict(unexpect[key], `rule.unexpect.${key}`))) clean = false;
    }
    return [...met.values()].every(Boolean) && clean ? 1 : 0;
  },
  check_thunderbird_filter: async (file, rules) => {
    if (!isFile(file)) return 0;
    const r = dict(rules, 'rules');
    const filters: Dict[] = [];
    let current: Dict = {};
    for (const l of lines(await readFile(file, 'utf8'))) {
      const field = (prefix: string) => unescape(l.slice(prefix.length + 1, -2));
      if (l.startsWith('name=')) current = { name: field('name=') };
      else if (l.startsWith('enabled=')) current.enabled = field('enabled=');
      else if (l.startsWith('type=')) current.type = field('type=');
      else if (l.startsWith('action=')) current.action = field('action=');
      else if (l.startsWith('actionValue=')) current.actionValue = field('actionValue=');
      else if (l.startsWith('condition=')) {
        current.condition = field('condition=').match(CONDITION) ?? [];
        filters.push(current);
      }
    }
    const expect = list(r.expect ?? [], 'rules.expect').map((x) => dict(x, 'expect rule'));
    const unexpect = list(r.unexpect ?? [], 'rules.unexpect').map((x) => dict(x, 'unexpect rule'));
    const met = expect.map((p) => filters.some((f) => matchRecord(p, f)));
    const clean = !filters.some((f) => unexpect.some((p) => matchRecord(p, f)));
    return met.every(Boolean) && clean ? 1 : 0;
  },
  check_thunderbird_folder: async (result, reference, options) => {
    const normalize = (msg: string) => {
      let m = msg;
      if (options.ignore_status) m = m.replace(/X-Mozilla-Status\d?:[\s\d]+/g, '');
      if (options.ignore_keys) m = m.replace(/(X-Mozilla-Keys:[^\n]*?)\n(MIME-Version)/g, '$2');
      return m.trim();
    };
    const read = async (file: string) => {
      const data = (await readFile(file, 'utf8')).trim();
      let messages: string[] = [];
      for (const mail of data.split('FROM - ')) {
        if (!mail.trim()) continue;
        if ((options.remove_deleted ?? true) && /X-Mozilla-Status: 000[89]/.test(mail)) continue;
        messages.push(`FROM - ${normalize(mail)}`);
      }
      if (options.remove_duplicate ?? true) messages = [...new Set(messages)];
      return messages.sort().join('\n');
    };
    const preds = Array.isArray(reference) ? list(result, 'result') : [result];
    const golds = Array.isArray(reference) ? reference : [reference];
    for (let i = 0; i < Math.min(preds.length, golds.length); i++) {
      const pred = preds[i];
      const gold = golds[i];
      if (!isFile(pred) || !isFile(gold)) return 0;
      if ((await read(pred)) !== (await read(gold))) return 0;
    }
    return 1;
  },
};

