/**
 * Where run settings come from: flags over environment over config file over the command's defaults, and errors
 * that say which source gave the bad value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settingsFromFlags } from '../../app/cli/run-options';
import { MODEL_FROM_SERVER } from '../../app/cli/model-name';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function configFile(values: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'deskpilot-config-')), 'config.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

describe('run settings', () => {
  it('takes the config file over the command defaults, the environment over the file, and flags over both', () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('DESKPILOT_')) delete process.env[key];
    const config = configFile({ endpoint: 'http://gpu:8000/v1', model: 'from-config', approve: 'risky', maxSteps: 12 });

    const fromFile = settingsFromFlags({ config }, { model: MODEL_FROM_SERVER, approve: 'auto' });
    expect(fromFile).toMatchObject({ endpoint: 'http://gpu:8000/v1', model: 'from-config', approve: 'risky', maxSteps: 12 });

    process.env.DESKPILOT_MODEL = 'from-env';
    process.env.DESKPILOT_MAX_STEPS = '7';
    expect(settingsFromFlags({ config }, { model: MODEL_FROM_SERVER })).toMatchObject({ model: 'from-env', maxSteps: 7 });

    expect(settingsFromFlags({ config, model: 'from-flag', maxSteps: 3 })).toMatchObject({ model: 'from-flag', maxSteps: 3 });
  });

  it('falls back to the command default when nothing else gives a value', () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('DESKPILOT_')) delete process.env[key];
    const config = configFile({ endpoint: 'http://gpu:8000/v1' });
    expect(settingsFromFlags({ config }, { model: MODEL_FROM_SERVER, approve: 'auto' })).toMatchObject({
      model: MODEL_FROM_SERVER,
      approve: 'auto',
    });
  });

  it('reads a config file saved with a UTF-8 byte order mark', () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('DESKPILOT_')) delete process.env[key];
    const config = join(mkdtempSync(join(tmpdir(), 'deskpilot-config-')), 'config.json');
    writeFileSync(config, `\uFEFF${JSON.stringify({ endpoint: 'http://gpu:8000/v1', model: 'm', maxSteps: 4 })}`);
    expect(settingsFromFlags({ config })).toMatchObject({ endpoint: 'http://gpu:8000/v1', maxSteps: 4 });
  });

  it('names the source of a bad value and a missing endpoint', () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('DESKPILOT_')) delete process.env[key];
    const config = configFile({ endpoint: 'http://gpu:8000/v1', model: 'm' });
    process.env.DESKPILOT_APPROVE = 'sometimes';
    expect(() => settingsFromFlags({ config })).toThrow(/approve \(from DESKPILOT_APPROVE\)/);
    delete process.env.DESKPILOT_APPROVE;
    expect(() => settingsFromFlags({ config: configFile({ model: 'm' }) })).toThrow(/endpoint is not set: give --endpoint, set DESKPILOT_ENDPOINT/);
  });
});
