/**
 * The renderer's one bridge. Electron's preload exposes an implementation of DeskpilotBridge as `window.deskpilot`
 * (contextBridge; `request` resolves with the host's BridgeResponse); without it we are in the browser UI mode and
 * talk to `deskpilot ui` over its WebSocket. Nothing else in the renderer knows which one it has.
 */
import type { BridgeRequestInput, BridgeRequestName, BridgeResponse, BridgeResult, DeskpilotBridge } from '../../../app/host/bridge';
import { createWebSocketBridge } from './websocket';

declare global {
  interface Window {
    deskpilot?: Partial<DeskpilotBridge>;
  }
}

let bridge: DeskpilotBridge | null = null;

export function getBridge(): DeskpilotBridge {
  if (bridge) return bridge;
  const exposed = window.deskpilot;
  bridge =
    exposed && typeof exposed.request === 'function' && typeof exposed.onEvent === 'function'
      ? (exposed as DeskpilotBridge)
      : createWebSocketBridge();
  return bridge;
}

/** A request whose answer is always a BridgeResponse, whatever the transport did. */
export async function call<N extends BridgeRequestName>(
  target: DeskpilotBridge,
  name: N,
  input: BridgeRequestInput<N>,
): Promise<BridgeResponse<BridgeResult<N>>> {
  try {
    // A transport that broke may resolve with nothing: checked here, so callers always get an envelope.
    const answer: BridgeResponse<BridgeResult<N>> | undefined = await target.request(name, input);
    if (answer && typeof answer === 'object' && 'ok' in answer) return answer;
    return { ok: false, error: `the bridge gave no answer to ${name}` };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
