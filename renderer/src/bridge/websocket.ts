/**
 * The bridge over a WebSocket (browser UI mode): requests as { id, name, input }, answers as { id, response },
 * run events as { event }. The page's own origin serves the socket; its token travels in the HttpOnly cookie the
 * page answer set (and in the URL's ?token when present). Reconnects after a drop; requests made while
 * disconnected wait for the connection, and ones in flight when it drops answer with an error.
 */
import {
  RunEventSchema,
  type BridgeRequestInput,
  type BridgeRequestName,
  type BridgeResponse,
  type BridgeResult,
  type BridgeStatus,
  type DeskpilotBridge,
} from '../../../app/host/bridge';
import type { RunEvent } from '../../../app/contract';

export function createWebSocketBridge(location: Location = window.location): DeskpilotBridge {
  const token = new URLSearchParams(location.search).get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const eventListeners = new Set<(event: RunEvent) => void>();
  const statusListeners = new Set<(status: BridgeStatus) => void>();
  const inFlight = new Map<number, (response: BridgeResponse) => void>();
  let queue: string[] = [];
  let socket: WebSocket | null = null;
  let status: BridgeStatus = { state: 'connecting' };
  let nextId = 1;
  let retryMs = 500;
  let everOpened = false;

  const setStatus = (next: BridgeStatus) => {
    status = next;
    statusListeners.forEach((l) => l(next));
  };

  const connect = () => {
    setStatus({ state: 'connecting' });
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      everOpened = true;
      retryMs = 500;
      setStatus({ state: 'open' });
      const pending = queue;
      queue = [];
      pending.forEach((frame) => ws.send(frame));
    };
    ws.onmessage = (message) => {
      let data: unknown;
      try {
        data = JSON.parse(String(message.data));
      } catch {
        return;
      }
      const frame = data as { id?: unknown; response?: BridgeResponse; event?: unknown };
      if (frame.event !== undefined) {
        const parsed = RunEventSchema.safeParse(frame.event);
        if (parsed.success) eventListeners.forEach((l) => l(parsed.data));
        return;
      }
      if (typeof frame.id === 'number' && frame.response) {
        const resolve = inFlight.get(frame.id);
        inFlight.delete(frame.id);
        resolve?.(frame.response);
      }
    };
    ws.onclose = (close) => {
      socket = null;
      for (const [id, resolve] of inFlight) {
        inFlight.delete(id);
        resolve({ ok: false, error: 'the connection to Deskpilot was lost before it answered; try again' });
      }
      const message = everOpened
        ? `Disconnected from Deskpilot${close.reason ? ` (${close.reason})` : ''}; reconnecting... If \`deskpilot ui\` was restarted, open the new URL it printed.`
        : 'Deskpilot refused the connection or is not running. Open the full URL that `deskpilot ui` printed (with ?token=...).';
      setStatus({ state: 'closed', message });
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 8000);
    };
  };
  connect();

  return {
    kind: 'websocket',
    request<N extends BridgeRequestName>(name: N, input: BridgeRequestInput<N>): Promise<BridgeResponse<BridgeResult<N>>> {
      const id = nextId++;
      const frame = JSON.stringify({ id, name, input });
      return new Promise((resolve) => {
        // The host answers request `name` with its declared result (app/host/engine-host.ts types each handler).
        inFlight.set(id, (response) => resolve(response as BridgeResponse<BridgeResult<N>>));
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame);
        else queue.push(frame);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
  };
}
