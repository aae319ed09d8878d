/**
 * The engine host without a browser: what every shell (Electron IPC, the WebSocket server) relies on. Requests are
 * validated per channel, settings layer and validate, the API key never leaves, approvals resolve through
 * `run.decide` (a refused edit is explained and the question stays open), a denial's note reaches the model, and
 * past runs are read from the runs folder without ever leaving it.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeResponse, CurrentRun, RunExport, RunListItem, SettingsView } from '../../app/host/bridge';
import type { RunEvent } from '../../app/contract';
import type { EndpointReport } from '../../app/model/check-report';
import { EngineHost } from '../../app/host/engine-host';
import { JsonSettingsStore, MemorySettingsStore } from '../../app/host/settings-store';
import { startFakeVllm, textOf, type FakeVllm, type Reply } from '../../testkit/fake-vllm/server';
import { FakeDesktop } from '../../testkit/fake-desktop';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const call = (args: Record<string, unknown>): Reply => ({ content: '', toolCalls: [{ name: 'computer_use', arguments: args }] });

async function setup(script: Reply[], overrides: Record<string, unknown> = {}) {
  const model = await startFakeVllm({ servedModel: 'stand-in', toolParser: true, script });
  const desktop = new FakeDesktop({ width: 1000, height: 800 });
  const runsRoot = mkdtempSync(join(tmpdir(), 'deskpilot-host-runs-'));
  const exportsRoot = mkdtempSync(join(tmpdir(), 'deskpilot-host-exports-'));
  const host = new EngineHost({
    store: new MemorySettingsStore(),
    runsRoot,
    exportsRoot,
    createDesktop: async () => desktop,
    overrides: { endpoint: model.url, settle: { enabled: false, quietMs: 0, maxMs: 0 }, ...overrides },
  });
  const events: RunEvent[] = [];
  host.onEvent((e) => events.push(e));
  cleanups.push(async () => {
    await host.close();
    await model.close();
  });
  const until = async (predicate: (e: RunEvent) => boolean, what: string): Promise<RunEvent> => {
    for (let i = 0; i < 400; i++) {
      const found = events.find(predicate);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${what} event; got ${events.map((e) => e.type).join(', ')}`);
  };
  const ok = async <T>(name: string, input: unknown): Promise<T> => {
    const answer = await host.handle(name, input);
    if (!answer.ok) throw new Error(`${name} failed: ${answer.error}`);
    return answer.value as T;
  };
  return { host, model, desktop, runsRoot, exportsRoot, events, until, ok };
}

const asked = (id: string) => (e: RunEvent) => e.type === 'approval-requested' && e.proposal.id === id;

describe('EngineHost', () => {
  it('refuses unknown channels and invalid input with messages that name the field', async () => {
    const { host } = await setup([]);
    expect(await host.handle('fs.read', {})).toMatchObject({ ok: false, error: expect.stringContaining('unknown request "fs.read"') });
    expect(await host.handle('__proto__', {})).toMatchObject({ ok: false });
    const bad = (await host.handle('run.decide', { proposalId: '', decision: { kind: 'approve' } })) as Extract<BridgeResponse, { ok: false }>;
    expect(bad.issues?.[0]).toMatch(/^proposalId: /);
    expect(await host.handle('runs.image', { runId: 'x', file: '../../etc/passwd' })).toMatchObject({ ok: false, error: expect.stringContaining('not a step image') });
  });

  it('layers settings (base < stored < flags), validates saves, and never returns or stores the API key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deskpilot-host-cfg-'));
    const file = join(dir, 'ui-settings.json');
    const store = new JsonSettingsStore(file, { 'http://stored:8000': 'sk-from-flag' });
    store.write({ endpoint: 'http://stored:8000/v1', maxSteps: 7, apiKey: 'must-not-be-written' });
    const host = new EngineHost({
      store,
      runsRoot: dir,
      createDesktop: async () => new FakeDesktop(),
      baseSettings: { endpoint: 'http://base:8000/v1', approve: 'risky', maxSteps: 3 },
      overrides: { model: 'from-flag', endpoint: undefined },
    });
    cleanups.push(() => host.close());
    const view = (await host.handle('settings.get', {})) as { ok: true; value: SettingsView };
    expect(view.value.draft).toMatchObject({ endpoint: 'http://stored:8000/v1', approve: 'risky', maxSteps: 7, model: 'from-flag' });
    expect(view.value.apiKeySet).toBe(true);
    expect(JSON.stringify(view)).not.toContain('sk-from-flag');
    expect(readFileSync(file, 'utf8')).not.toContain('must-not-be-written');

    const refused = await host.handle('settings.save', { endpoint: 'nope', maxSteps: 0 });
    expect(refused).toMatchObject({ ok: false, issues: [expect.stringMatching(/^endpoint: endpoint must be a URL/), expect.stringMatching(/^maxSteps: /)] });
    expect(JSON.parse(readFileSync(file, 'utf8')).endpoint).toBe('http://stored:8000/v1');

    const saved = (await host.handle('settings.save', { endpoint: 'http://new:8000/v1', apiKey: 'sk-new' })) as { ok: true; value: SettingsView };
    expect(saved.value.settings).toMatchObject({ endpoint: 'http://new:8000/v1', maxSteps: 7 });
    expect(store.apiKeyFor('http://new:8000')).toBe('sk-new');
    expect(readFileSync(file, 'utf8')).not.toContain('sk-new');
    await host.handle('settings.save', { apiKey: null });
    expect(store.apiKeyFor('http://new:8000')).toBeUndefined();
    expect(store.apiKeyFor('http://stored:8000')).toBe('sk-from-flag');
  });

  it('runs with approvals from run.decide: approve performs, a refused edit is explained, deny sends the note', async () => {
    const { model, desktop, until, ok, host, events } = await setup(
      [call({ action: 'left_click', coordinate: [500, 500] }), call({ action: 'left_click', coordinate: [100, 100] }), call({ action: 'key', keys: ['ctrl', 'w'] }), call({ action: 'terminate', status: 'success' })],
      { model: undefined },
    );
    // No model set: the server's only model is used.
    const { runId } = await ok<{ runId: string }>('run.start', { instruction: 'do things' });
    expect(await host.handle('run.start', { instruction: 'another' })).toMatchObject({ ok: false, error: expect.stringContaining('already in progress') });

    await until(asked('1.0'), 'first approval');
    const observation = events.find((e) => e.type === 'observation');
    expect(observation?.type === 'observation' && observation.image.base64?.length).toBeGreaterThan(100);
    const current = await ok<CurrentRun>('run.current', {});
    expect(current.runId).toBe(runId);
    const kept = current.events.find((e) => e.type === 'observation');
    expect(kept?.type === 'observation' && kept.image.base64).toBeUndefined(); // no megabytes for a reconnecting UI

    await ok('run.decide', { proposalId: '1.0', decision: { kind: 'approve' } });
    await until((e) => e.type === 'action' && e.proposalId === '1.0', 'first action');
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'left_click', coordinate: [500, 500] }]);

    await until(asked('2.0'), 'second approval');
    const refused = await host.handle('run.decide', { proposalId: '2.0', decision: { kind: 'edit', action: { action: 'left_click', coordinate: [5000, 1] } } });
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('outside the model') });
    expect(await host.handle('run.decide', { proposalId: '9.9', decision: { kind: 'approve' } })).toMatchObject({
      ok: false,
      error: 'action 9.9 is not waiting for approval (waiting: 2.0)',
    });
    await ok('run.decide', { proposalId: '2.0', decision: { kind: 'edit', action: { action: 'left_click', coordinate: [200, 300] } } });
    await until((e) => e.type === 'action' && e.proposalId === '2.0', 'edited action');
    expect(desktop.performed.at(-1)?.action).toEqual({ action: 'left_click', coordinate: [200, 300] });

    await until(asked('3.0'), 'third approval');
    await ok('run.decide', { proposalId: '3.0', decision: { kind: 'deny', note: 'Never close the window.' } });
    await until((e) => e.type === 'run-finished', 'run end');
    expect(desktop.performed).toHaveLength(2);
    expect(textOf(model.chatRequests()[3]!.body)).toContain('Note from the user: Never close the window.');
    expect(model.chatRequests()[0]!.body.model).toBe('stand-in');
  });

  it('stop at the approval prompt ends the run; nothing more is performed', async () => {
    const { desktop, until, ok, host } = await setup([call({ action: 'type', text: 'secret' })], { model: 'stand-in' });
    await ok('run.start', { instruction: 'type' });
    await until(asked('1.0'), 'approval');
    await ok('run.stop', {});
    const finished = await until((e) => e.type === 'run-finished', 'run end');
    expect(finished).toMatchObject({ outcome: 'stopped' });
    expect(desktop.performed).toEqual([]);
    expect(await host.handle('run.stop', {})).toMatchObject({ ok: false, error: 'no run is in progress' });
  });

  it('lists past runs and reads their events and images, never outside the runs folder', async () => {
    const { until, ok, host, runsRoot } = await setup([call({ action: 'terminate', status: 'success' })], { model: 'stand-in' });
    const { runId } = await ok<{ runId: string }>('run.start', { instruction: 'finish at once' });
    await until((e) => e.type === 'run-finished', 'run end');
    await host.idle();
    const list = await ok<RunListItem[]>('runs.list', {});
    expect(list).toEqual([expect.objectContaining({ runId, instruction: 'finish at once', outcome: 'success', steps: 1 })]);
    const details = await ok<{ events: RunEvent[] }>('runs.get', { runId });
    expect(details.events.map((e) => e.type)).toContain('observation');
    const image = await ok<{ mime: string; base64: string }>('runs.image', { runId, file: 'step-0001.png' });
    expect(image.mime).toBe('image/png');
    expect(Buffer.from(image.base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(await host.handle('runs.get', { runId: '..' })).toMatchObject({ ok: false, error: '".." is not a run id' });
    expect(await host.handle('runs.get', { runId: 'nope' })).toMatchObject({ ok: false, error: expect.stringContaining('there is no run "nope"') });
    expect(existsSync(join(runsRoot, runId, 'events.jsonl'))).toBe(true);
  });

  it('History: a run with corrections has a badge count, and exports for training into a folder of its own', async () => {
    const { until, ok, host, exportsRoot } = await setup(
      [call({ action: 'left_click', coordinate: [500, 500] }), call({ action: 'key', keys: ['ctrl', 'w'] }), call({ action: 'terminate', status: 'success' })],
      { model: 'stand-in' },
    );
    const { runId } = await ok<{ runId: string }>('run.start', { instruction: 'close nothing' });
    await until(asked('1.0'), 'first approval');
    await ok('run.decide', { proposalId: '1.0', decision: { kind: 'edit', action: { action: 'left_click', coordinate: [200, 300] } } });
    await until(asked('2.0'), 'second approval');
    await ok('run.decide', { proposalId: '2.0', decision: { kind: 'deny', note: 'Never close the window.' } });
    await until((e) => e.type === 'run-finished', 'run end');
    await host.idle();

    expect(await ok<RunListItem[]>('runs.list', {})).toEqual([expect.objectContaining({ runId, corrections: 2 })]);
    const sft = await ok<RunExport>('runs.export', { runId, format: 'sft' });
    expect(sft).toMatchObject({ dir: join(exportsRoot, `${runId}-sft`), counts: { edited: 1, approved: 1 }, skipped: { 'step: denied by the person': 1 } });
    const lines = readFileSync(join(sft.dir, 'sft.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].messages.at(-1).content).toContain('"coordinate": [200, 300]');
    // The denial is answered by the terminate on the same screen: one pair each.
    expect(await ok<RunExport>('runs.export', { runId, format: 'dpo' })).toMatchObject({ counts: { edited: 1, denied: 1 } });
    // Again: a new folder, never over the last export; redacted this time (the flat test screen has no text to hide).
    expect(await ok<RunExport>('runs.export', { runId, format: 'sft', redact: true })).toMatchObject({
      dir: join(exportsRoot, `${runId}-sft-2`),
      redacted: { images: 0, regions: 0 },
    });
    expect(await host.handle('runs.export', { runId, format: 'sft', filters: ['colour=red'] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('unknown key "colour"'),
    });
    expect(await host.handle('runs.export', { runId, format: 'csv' })).toMatchObject({ ok: false, error: expect.stringContaining('format') });
  });

  it('two viewers pressing Run at once start one run', async () => {
    const { host, until } = await setup([call({ action: 'terminate', status: 'success' })], { model: undefined });
    const answers = await Promise.all([host.handle('run.start', { instruction: 'one' }), host.handle('run.start', { instruction: 'two' })]);
    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    expect(answers.find((a) => !a.ok)).toMatchObject({ error: expect.stringContaining('already in progress') });
    await until((e) => e.type === 'run-finished', 'run end');
  });

  it('a run with incomplete settings is refused with what to fix', async () => {
    const host = new EngineHost({ store: new MemorySettingsStore(), runsRoot: tmpdir(), createDesktop: async () => new FakeDesktop() });
    cleanups.push(() => host.close());
    expect(await host.handle('run.start', { instruction: 'x' })).toMatchObject({
      ok: false,
      error: 'the settings are incomplete - open Settings: endpoint: endpoint is required',
    });
  });
});

describe('EngineHost and the API key', () => {
  const authOf = (server: FakeVllm) => server.requests.map((r) => r.headers.authorization ?? null);
  /** No key: no header, or the placeholder the OpenAI SDK sends when it has no key (app/model/client.ts). */
  const noKey = (header: string | null) => header === null;

  it('"Check endpoint" with zooms per step: the probe offers image_zoom_in_tool and the report counts the zooms', async () => {
    const { host, model } = await setup([call({ action: 'terminate', status: 'success' })]);
    const offersZoom = () => model.chatRequests().some((r) => JSON.stringify(r.body).includes('image_zoom_in_tool'));
    const plain = (await host.handle('endpoint.check', { endpoint: model.url })) as { ok: true; value: EndpointReport };
    expect(plain.value.grounding.zooms).toBeUndefined();
    expect(offersZoom()).toBe(false);
    const zoomed = (await host.handle('endpoint.check', { endpoint: model.url, zoom: 2 })) as { ok: true; value: EndpointReport };
    expect(zoomed.value.grounding).toMatchObject({ profile: 'qwen3-vl:zoom=2', zooms: 0 });
    expect(offersZoom()).toBe(true);
    const bad = await host.handle('endpoint.check', { endpoint: model.url, zoom: 0 });
    expect(bad).toMatchObject({ ok: false });
  });

  it('sends a key only to the origin it was entered for: endpoint check, model list and runs', async () => {
    const own = await startFakeVllm({ servedModel: 'stand-in', toolParser: true, apiKey: 'sk-own', script: [call({ action: 'terminate', status: 'success' })] });
    const other = await startFakeVllm({ servedModel: 'stand-in', toolParser: true, script: [call({ action: 'terminate', status: 'success' })] });
    const store = new MemorySettingsStore();
    const host = new EngineHost({
      store,
      runsRoot: mkdtempSync(join(tmpdir(), 'deskpilot-host-runs-')),
      createDesktop: async () => new FakeDesktop({ width: 1000, height: 800 }),
      overrides: { settle: { enabled: false, quietMs: 0, maxMs: 0 }, approve: 'auto' },
    });
    cleanups.push(async () => {
      await host.close();
      await own.close();
      await other.close();
    });
    const ownOrigin = new URL(own.url).origin;
    const otherOrigin = new URL(other.url).origin;

    const saved = (await host.handle('settings.save', { endpoint: own.url, apiKey: 'sk-own' })) as { ok: true; value: SettingsView };
    expect(saved.value).toMatchObject({ apiKeySet: true, apiKeyOrigin: ownOrigin, apiKeyOrigins: [ownOrigin] });

    // "Check endpoint" on another server (a preset, say) with no key typed: that server gets no key.
    const checked = await host.handle('endpoint.check', { endpoint: other.url });
    expect(checked.ok).toBe(true);
    expect(other.requests.length).toBeGreaterThan(0);
    expect(authOf(other).every(noKey)).toBe(true);
    // Its own server gets it.
    await host.handle('endpoint.check', { endpoint: own.url });
    expect(authOf(own).length).toBeGreaterThan(0);
    expect(authOf(own).every((a) => a === 'Bearer sk-own')).toBe(true);

    // Settings switched to the other server: the view says no key is stored for it, and a run sends none.
    const switched = (await host.handle('settings.save', { endpoint: other.url })) as { ok: true; value: SettingsView };
    expect(switched.value).toMatchObject({ apiKeySet: false, apiKeyOrigin: otherOrigin, apiKeyOrigins: [ownOrigin] });
    const before = other.requests.length;
    const started = await host.handle('run.start', { instruction: 'finish' });
    expect(started.ok).toBe(true);
    await host.idle();
    expect(other.chatRequests().length).toBeGreaterThan(0);
    expect(authOf(other).slice(before).every(noKey)).toBe(true);

    // Back on its own server, the run has the key (the server refuses requests without it).
    await host.handle('settings.save', { endpoint: own.url });
    const ownChats = own.chatRequests().length;
    expect((await host.handle('run.start', { instruction: 'finish' })).ok).toBe(true);
    await host.idle();
    expect(own.chatRequests().length).toBeGreaterThan(ownChats);
    expect(own.chatRequests().at(-1)!.headers.authorization).toBe('Bearer sk-own');
    expect(own.chatRequests().at(-1)!.status).toBe(200);
  });

  it('a key given at start belongs to the endpoint the host starts with, and only to it', async () => {
    const store = new MemorySettingsStore({ endpoint: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1' });
    const host = new EngineHost({
      store,
      runsRoot: mkdtempSync(join(tmpdir(), 'deskpilot-host-runs-')),
      createDesktop: async () => new FakeDesktop(),
      overrides: { endpoint: 'http://gpu-box:8000/v1' },
      apiKey: 'sk-flag',
    });
    cleanups.push(() => host.close());
    expect(store.apiKeyOrigins()).toEqual(['http://gpu-box:8000']);
    expect(host.problems).toEqual([]);

    const unbound = new EngineHost({ store: new MemorySettingsStore(), runsRoot: tmpdir(), createDesktop: async () => new FakeDesktop(), apiKey: 'sk-flag' });
    cleanups.push(() => unbound.close());
    expect(unbound.problems).toEqual([expect.stringMatching(/not kept: no endpoint/)]);
  });

  it('refuses a deny rule RE2 cannot take, naming the rule, and saves one that only a backtracking engine would hang on', async () => {
    const { host } = await setup([]);
    const refused = (await host.handle('settings.save', { denyRules: [{ match: 'text', pattern: '(', reason: 'broken' }] })) as Extract<BridgeResponse, { ok: false }>;
    expect(refused.ok).toBe(false);
    expect(refused.issues).toEqual([expect.stringMatching(/^denyRules\.0\.pattern: the pattern "\(" cannot be used: not a valid regular expression: missing closing \)/)]);
    const saved = await host.handle('settings.save', { denyRules: [{ match: 'text', pattern: '^(a+)+$', reason: 'catastrophic for backtracking' }], removedDefaultDenyRules: ['fork-bomb'] });
    expect(saved).toMatchObject({ ok: true, value: { settings: { removedDefaultDenyRules: ['fork-bomb'] } } });
  });
});

describe('EngineHost runs and the risk check', () => {
  it('auto mode never performs a built-in deny-listed command; the model is told why', async () => {
    const { ok, desktop, model, until } = await setup([call({ action: 'type', text: "r''m -rf ~" }), call({ action: 'terminate', status: 'failure' })], { approve: 'auto', model: 'stand-in' });
    await ok('run.start', { instruction: 'clean up' });
    const decision = await until((e) => e.type === 'decision', 'decision');
    expect(decision).toMatchObject({ by: 'rule', decision: { kind: 'deny', note: expect.stringContaining('built-in rule rm-home-or-root') } });
    await until((e) => e.type === 'run-finished', 'run end');
    expect(desktop.performed).toEqual([]);
    expect(textOf(model.chatRequests()[1]!.body)).toContain('built-in rule rm-home-or-root');
  });

  it('risky mode asks before Enter that follows shell-like typing, wherever it is typed', async () => {
    const { ok, until, desktop } = await setup(
      [call({ action: 'type', text: 'ls -la ~' }), call({ action: 'key', keys: ['Return'] }), call({ action: 'terminate', status: 'success' })],
      { approve: 'risky', model: 'stand-in' },
    );
    await ok('run.start', { instruction: 'list files' });
    await until(asked('1.0'), 'approval of the typing');
    await ok('run.decide', { proposalId: '1.0', decision: { kind: 'approve' } });
    const enter = await until(asked('2.0'), 'approval of Enter');
    expect(enter.type === 'approval-requested' && enter.proposal.risk).toEqual({
      level: 'risky',
      reasons: ['Presses Enter right after typing text that looks like a shell command (“ls -la ~”), which would run it.'],
    });
    await ok('run.decide', { proposalId: '2.0', decision: { kind: 'deny', note: 'no' } });
    await until((e) => e.type === 'run-finished', 'run end');
    expect(desktop.performed.map((p) => p.action.action)).toEqual(['type']);
  });

  it('absolute coordinates (qwen2.5-vl): an edit outside the screenshot is refused and asked again, and the run goes on', async () => {
    const { ok, host, until, desktop, events } = await setup(
      [call({ action: 'left_click', coordinate: [100, 100] }), call({ action: 'terminate', status: 'success' })],
      { profile: 'qwen2.5-vl', model: 'stand-in' },
    );
    await ok('run.start', { instruction: 'click' });
    await until(asked('1.0'), 'approval');
    const observation = events.find((e) => e.type === 'observation');
    const { width, height } = observation?.type === 'observation' ? observation.image : { width: 0, height: 0 };
    const refused = await host.handle('run.decide', { proposalId: '1.0', decision: { kind: 'edit', action: { action: 'left_click', coordinate: [width + 50, 10] } } });
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining(`is outside the ${width}x${height} screenshot the model saw`) });
    await ok('run.decide', { proposalId: '1.0', decision: { kind: 'edit', action: { action: 'left_click', coordinate: [width, height] } } });
    await until((e) => e.type === 'run-finished', 'run end');
    expect(events.find((e) => e.type === 'run-finished')).toMatchObject({ outcome: 'success' });
    expect(desktop.performed.map((p) => p.action)).toEqual([{ action: 'left_click', coordinate: [width, height] }]);
  });
});

