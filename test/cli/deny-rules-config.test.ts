/**
 * A deny rule that cannot be used is refused where settings enter the engine: `deskpilot run` with such a rule in
 * its config file exits 2 before anything runs, naming the rule (its place in the file) and the problem; a rule
 * that only a backtracking engine would hang on is accepted, since RE2 matches it in linear time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settingsFromFlags } from '../../app/cli/run-options';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function configFile(values: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'deskpilot-config-')), 'config.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

const base = { endpoint: 'http://127.0.0.1:9/v1', model: 'm' };

describe('deny rules from the config file', () => {
  it('deskpilot run exits 2 naming the rule and the problem, before it touches the desktop or the model', () => {
    const config = configFile({
      ...base,
      denyRules: [
        { match: 'text', pattern: 'rm\\s+-rf', reason: 'fine' },
        { match: 'text', pattern: '(', reason: 'broken' },
      ],
    });
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: '' };
    for (const key of Object.keys(env)) if (key.startsWith('DESKPILOT_')) delete env[key];
    const result = spawnSync(process.execPath, ['bin/deskpilot.js', 'run', 'do something', '--config', config], { encoding: 'utf8', env, timeout: 60_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`denyRules[1].pattern (from config file ${config}): the pattern "(" cannot be used: not a valid regular expression: missing closing )`);
  });

  it('the settings are refused with every bad rule named; a ReDoS-shaped rule and removed built-in ids are taken', () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('DESKPILOT_')) delete process.env[key];
    const bad = configFile({
      ...base,
      denyRules: [
        { match: 'text', pattern: '(a)\\1', reason: 'backreference' },
        { match: 'keys', pattern: '(?!ctrl)', reason: 'lookahead' },
        { match: 'summary', pattern: 'x', reason: '' },
      ],
    });
    expect(() => settingsFromFlags({ config: bad })).toThrow(/denyRules\[0\]\.pattern .*backreferences[\s\S]*denyRules\[1\]\.pattern .*lookahead[\s\S]*denyRules\[2\]\.reason .*say why the rule exists/);

    const good = configFile({ ...base, denyRules: [{ match: 'text', pattern: '^(a+)+$', reason: 'only a' }], removedDefaultDenyRules: ['fork-bomb'] });
    expect(settingsFromFlags({ config: good })).toMatchObject({
      denyRules: [{ match: 'text', pattern: '^(a+)+$', reason: 'only a' }],
      removedDefaultDenyRules: ['fork-bomb'],
    });
  });
});
