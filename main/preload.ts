/**
 * Preload (sandboxed, CommonJS): exposes exactly the DeskpilotBridge of app/host/bridge.ts as `window.deskpilot`.
 * It may only require 'electron', so it validates nothing itself (main does, against the allowlist) and imports
 * the bridge's types only. The renderer never sees ipcRenderer or an IPC event object.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BridgeRequestInput, BridgeRequestName, BridgeResponse, BridgeResult, DeskpilotBridge } from '../app/host/bridge';
import type { RunEvent } from '../app/contract';
import { BRIDGE_GLOBAL, IPC_EVENT, IPC_REQUEST } from './channels';

const bridge: DeskpilotBridge = {
  kind: 'electron',
  /** Resolves with the BridgeResponse envelope `{ ok: true, value }` / `{ ok: false, error }`. */
  request<N extends BridgeRequestName>(name: N, input: BridgeRequestInput<N>): Promise<BridgeResponse<BridgeResult<N>>> {
    return ipcRenderer.invoke(IPC_REQUEST, name, input) as Promise<BridgeResponse<BridgeResult<N>>>;
  },
  onEvent(listener: (event: RunEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('deskpilot.onEvent needs a function');
    const forward = (_event: IpcRendererEvent, payload: RunEvent) => listener(payload);
    ipcRenderer.on(IPC_EVENT, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, forward);
    };
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
