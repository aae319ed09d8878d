/**
 * OSWorld's rule matching (_match_value_to_rule): {method, ref} against a value, shared by check_json, the
 * Thunderbird prefs check and the MP3 tag check.
 */
import { UnsupportedError } from './errors';
import { pyEquals, pyRegex, pyStr } from './pyvalues';

type Dict = Record<string, unknown>;

/** OSWorld's _match_value_to_rule: {method, ref}. */
export function matchValueToRule(value: unknown, rule: Dict): boolean {
  const method = String(rule.method ?? '');
  const ref = rule.ref;
  if (method.startsWith('re')) {
    const flags = method
      .split('.')
      .slice(1)
      .map((f) => ({ I: 'i', IGNORECASE: 'i', M: 'm', MULTILINE: 'm', S: 's', DOTALL: 's' })[f] ?? '')
      .join('');
    return pyRegex(String(ref), flags).test(pyStr(value));
  }
  const cmp = (a: unknown, b: unknown): number => {
    if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
    return Number(a) - Number(b);
  };
  switch (method) {
    case 'eq':
      return pyEquals(value, ref);
    case 'ne':
      return !pyEquals(value, ref);
    case 'le':
      return cmp(value, ref) <= 0;
    case 'lt':
      return cmp(value, ref) < 0;
    case 'ge':
      return cmp(value, ref) >= 0;
    case 'gt':
      return cmp(value, ref) > 0;
  }
  if (method.startsWith('approx:')) {
    const threshold = Number(method.split(':')[1]);
    const v = Number(value);
    return Number.isFinite(v) && Math.abs(v - Number(ref)) <= threshold;
  }
  throw new UnsupportedError(`rule method "${method}"`);
}
