/**
 * The one hook for the bridge: the connection state, the live run (events reduced as they arrive; the run so far
 * fetched on every (re)connect), and `request` returning the host's BridgeResponse.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { BridgeRequestInput, BridgeRequestName, BridgeResponse, BridgeResult, BridgeStatus } from '../../app/host/bridge';
import { call, getBridge } from './bridge';
import { reduceAll, reduceRun, type RunView } from './run-model';

export type RequestFn = <N extends BridgeRequestName>(name: N, input: BridgeRequestInput<N>) => Promise<BridgeResponse<BridgeResult<N>>>;

export interface Deskpilot {
  status: BridgeStatus;
  run: RunView | null;
  request: RequestFn;
}

export function useDeskpilot(): Deskpilot {
  const bridge = useMemo(getBridge, []);
  const [status, setStatus] = useState<BridgeStatus>({ state: bridge.onStatus ? 'connecting' : 'open' });
  const [run, setRun] = useState<RunView | null>(null);
  const request = useCallback<RequestFn>((name, input) => call(bridge, name, input), [bridge]);

  useEffect(() => {
    const catchUp = () => {
      void call(bridge, 'run.current', {}).then((answer) => {
        if (answer.ok && answer.value) setRun(reduceAll(answer.value.events, answer.value.runId));
      });
    };
    const offEvents = bridge.onEvent((event) => setRun((previous) => reduceRun(previous, event)));
    const offStatus = bridge.onStatus?.((next) => {
      setStatus(next);
      if (next.state === 'open') catchUp();
    });
    if (!bridge.onStatus) catchUp();
    return () => {
      offEvents();
      offStatus?.();
    };
  }, [bridge]);

  return { status, run, request };
}

/** `request` for components below the App (screenshots of past steps, settings, history). */
export const RequestContext = createContext<RequestFn | null>(null);

export function useRequest(): RequestFn {
  const request = useContext(RequestContext);
  if (!request) throw new Error('useRequest() outside <RequestContext.Provider>');
  return request;
}
