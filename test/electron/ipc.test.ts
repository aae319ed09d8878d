import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BRIDGE_EVENT_CHANNEL, BRIDGE_REQUESTS, type BridgeResponse } from '../../app/host/bridge';
import { EngineHost } from '../../app/host/engine-host';
import { MemorySettingsStore } from '../../app/host/settings-store';
import { IPC_EVENT, IPC_REQUEST } from '../../main/channels';
import { dispatchBridgeRequest, registerBridgeIpc, type BridgeHandler, type IpcInvokeEventLike } from '../../main/ipc';
import { allowedOrigins } from '../../main/security';

const ok: BridgeHandler = async (name, input) => ({ ok: true, value: { name, input } });

describe('the request allowlist', () => {
  it('refuses names that are not bridge requests, without running anything', async () => {
    const handler = vi.fn(ok);
    for (const name of ['shell.exec', 'toString', '__proto__', 'constructor', 'hasOwnProperty', '', 'RUN.START', 42, null, undefined, {}]) {
      const answer = await dispatchBridgeRequest(name, {}, handler);
      expect(answer.ok, String(name)).toBe(false);
      expect(!answer.ok && answer.error).toMatch(/not on the bridge allowlist/);
    }
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses invalid input with the field and the reason, without running anything', async () => {
    const handler = vi.fn(ok);
    const cases: Array<[string, unknown, RegExp]> = [
      ['run.start', { instruction: '   ' }, /instruction: type an instruction first/],
      ['run.start', 'open the browser', /invalid input for run.start/],
      ['run.decide', { proposalId: '1.0', decision: { kind: 'run-shell' } }, /decision/],
      ['run.decide', { proposalId: '', decision: { kind: 'approve' } }, /proposalId/],
      ['runs.get', { runId: '../../etc' }, /runId: not a run id/],
      ['settings.save', { maxSteps: 'many' }, /maxSteps/],
      ['settings.save', { endpoint: 'not a url' }, /endpoint: endpoint must be a URL/],
    ];
    for (const [name, input, message] of cases) {
      const answer = await dispatchBridgeRequest(name, input, handler);
      expect(answer.ok, name).toBe(false);
      expect(!answer.ok && answer.error, name).toMatch(message);
    }
    expect(handler).not.toHaveBeenCalled();
  });

  it('passes every allowlisted, valid request on as the renderer sent it', async () => {
    const answer = await dispatchBridgeRequest('settings.save', { endpoint: 'http://gpu-box:8000/v1' }, ok);
    // Not padded with the schema's defaults: the host sees what the browser mode's WebSocket would deliver.
    expect(answer).toEqual({ ok: true, value: { name: 'settings.save', input: { endpoint: 'http://gpu-box:8000/v1' } } });
    // A request without input means {}.
    expect((await dispatchBridgeRequest('run.current', undefined, ok)).ok).toBe(true);
    // Every request of the bridge is reachable (some need fields, but none is refused as unknown).
    for (const name of Object.keys(BRIDGE_REQUESTS)) {
      const answer = await dispatchBridgeRequest(name, {}, ok);
      expect(answer.ok ? '' : answer.error, name).not.toMatch(/allowlist/);
    }
  });

  it('a handler that throws still answers an envelope', async () => {
    const answer = await dispatchBridgeRequest('run.stop', {}, async () => {
      throw new Error('no run is in progress');
    });
    expect(answer).toEqual({ ok: false, error: 'no run is in progress' });
  });

  it('the event channel is the bridge one', () => {
    expect(IPC_EVENT).toBe(BRIDGE_EVENT_CHANNEL);
  });
});

/** ipcMain as main registers on it, with a way to invoke like a renderer would. */
function fakeIpcMain() {
  const handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  return {
    handlers,
    handle: (channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>) => {
      handlers.set(channel, listener);
    },
    removeHandler: (channel: string) => {
      handlers.delete(channel);
    },
    invoke(from: { sender: unknown; url: string | null; parent?: unknown }, ...args: unknown[]) {
      const listener = handlers.get(IPC_REQUEST);
      if (!listener) throw new Error('no handler');
      const senderFrame = from.url === null ? null : { url: from.url, parent: from.parent ?? null };
      return listener({ sender: from.sender, senderFrame }, ...args) as Promise<BridgeResponse>;
    },
  };
}

describe('the IPC channel in main', () => {
  const ours = { id: 'main-window-contents' };
  const stranger = { id: 'some-other-contents' };

  function setUp(handler: BridgeHandler = ok) {
    const ipc = fakeIpcMain();
    const spy = vi.fn(handler);
    const remove = registerBridgeIpc(ipc, { handler: spy, origins: allowedOrigins(), isOwnSender: (s) => s === ours });
    return { ipc, spy, remove };
  }

  it('answers requests from our own page', async () => {
    const { ipc, spy } = setUp();
    const answer = await ipc.invoke({ sender: ours, url: 'app://deskpilot/index.html#compact' }, 'run.pause', {});
    expect(answer).toEqual({ ok: true, value: { name: 'run.pause', input: {} } });
    expect(spy).toHaveBeenCalledOnce();
  });

  it('refuses other windows, subframes, other origins and closed frames', async () => {
    const { ipc, spy } = setUp();
    const refusals: Array<[Parameters<typeof ipc.invoke>[0], RegExp]> = [
      [{ sender: stranger, url: 'app://deskpilot/index.html' }, /not come from a Deskpilot window/],
      [{ sender: ours, url: 'app://deskpilot/index.html', parent: {} }, /subframe/],
      [{ sender: ours, url: 'https://evil.example/' }, /https:\/\/evil.example\/ is not Deskpilot's page/],
      [{ sender: ours, url: 'file:///tmp/page.html' }, /is not Deskpilot's page/],
      [{ sender: ours, url: null }, /subframe|closed frame/],
    ];
    for (const [from, message] of refusals) {
      const answer = await ipc.invoke(from, 'run.stop', {});
      expect(answer.ok).toBe(false);
      expect(!answer.ok && answer.error).toMatch(message);
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('can be removed', () => {
    const { ipc, remove } = setUp();
    remove();
    expect(ipc.handlers.size).toBe(0);
  });

  it('drives the real engine host: settings round trip, API key never in an answer, unknown requests refused', async () => {
    const store = new MemorySettingsStore();
    const host = new EngineHost({
      store,
      runsRoot: mkdtempSync(join(tmpdir(), 'deskpilot-runs-')),
      createDesktop: async () => {
        throw new Error('no desktop in this test');
      },
    });
    const { ipc } = setUp((name, input) => host.handle(name, input));
    const from = { sender: ours, url: 'app://deskpilot/index.html' };
    const saved = await ipc.invoke(from, 'settings.save', {
      endpoint: 'http://gpu-box:8000/v1',
      model: 'Qwen/Qwen3-VL-8B-Instruct',
      apiKey: 'sk-secret-123',
    });
    expect(saved.ok).toBe(true);
    const got = await ipc.invoke(from, 'settings.get', {});
    expect(got.ok && (got.value as { apiKeySet: boolean }).apiKeySet).toBe(true);
    expect(got.ok && (got.value as { settings: { endpoint: string } }).settings.endpoint).toBe('http://gpu-box:8000/v1');
    expect(JSON.stringify([saved, got])).not.toContain('sk-secret-123');
    expect(store.apiKeyFor('http://gpu-box:8000')).toBe('sk-secret-123');
    const refused = await ipc.invoke(from, 'fs.readFile', { path: '/etc/passwd' });
    expect(refused.ok).toBe(false);
    const noRun = await ipc.invoke(from, 'run.stop', {});
    expect(noRun).toEqual({ ok: false, error: 'no run is in progress' });
    await host.close();
  });
});
