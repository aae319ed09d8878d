/**
 * The IPC allowlist in main: one request channel whose first argument names a request of app/host/bridge.ts
 * BRIDGE_REQUESTS; anything else is refused, and the input is parsed with that request's zod schema before the
 * host sees it. Only our own windows, showing our own origin, may call it. Answers are BridgeResponse envelopes.
 */
import { errorMessage } from '../app/base/errors';
import { BRIDGE_REQUESTS, type BridgeRequestName, type BridgeResponse } from '../app/host/bridge';
import { isAllowedUrl } from './security';
import { IPC_REQUEST } from './channels';

/** Executes a request whose name and input main has already validated (the engine host's handle()). The input is
 * the one the renderer sent, known to satisfy the request's schema. */
export type BridgeHandler = (name: BridgeRequestName, input: unknown) => Promise<BridgeResponse>;

export function isBridgeRequestName(name: unknown): name is BridgeRequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(BRIDGE_REQUESTS, name);
}


/** Validates one request and runs it: unknown names and invalid inputs never reach the handler, and a handler that
 * throws still answers an envelope. */
export async function dispatchBridgeRequest(name: unknown, input: unknown, handler: BridgeHandler): Promise<BridgeResponse> {
  if (!isBridgeRequestName(name)) {
    const shown = typeof name === 'string' ? `"${name.slice(0, 80)}"` : typeof name;
    return { ok: false, error: `unknown request ${shown}: not on the bridge allowlist` };
  }
  const parsed = BRIDGE_REQUESTS[name].input.safeParse(input === undefined ? {} : input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    });
    return { ok: false, error: `invalid input for ${name}: ${issues.join('; ')}`, issues };
  }
  try {
    // Forwarded as sent (the host parses it again): the same input the browser mode's WebSocket delivers, so both
    // shells get identical host behaviour - e.g. a partial settings.save is not padded with the schema's defaults.
    return await handler(name, input === undefined ? {} : input);
  } catch (error) {
    return { ok: false, error: errorMessage(error, 'the request failed') };
  }
}

/** What main knows about the caller of an IPC request. */
export interface IpcCaller {
  /** URL of the frame that sent it (null when the frame has gone). */
  frameUrl: string | null | undefined;
  /** Whether the frame is the top frame of its page (subframes are never trusted). */
  isTopFrame: boolean;
  /** Whether the sending WebContents belongs to one of Deskpilot's windows. */
  ownWindow: boolean;
}

export function checkCaller(caller: IpcCaller, origins: readonly string[]): string | null {
  if (!caller.ownWindow) return 'request refused: it does not come from a Deskpilot window';
  if (!caller.isTopFrame) return 'request refused: it comes from a subframe';
  if (!isAllowedUrl(caller.frameUrl, origins)) return `request refused: ${caller.frameUrl ?? 'a closed frame'} is not Deskpilot's page`;
  return null;
}

/** The parts of ipcMain and of an invoke event this module uses (Electron's satisfy them). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}
export interface IpcInvokeEventLike {
  sender: unknown;
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcOptions {
  handler: BridgeHandler;
  origins: readonly string[];
  /** Whether `sender` (a WebContents) is one of our windows'. */
  isOwnSender(sender: unknown): boolean;
}

/** Registers the one request channel; returns a function that removes it. */
export function registerBridgeIpc(ipcMain: IpcMainLike, options: IpcOptions): () => void {
  ipcMain.handle(IPC_REQUEST, async (event, name, input) => {
    const frame = event.senderFrame;
    const refused = checkCaller(
      { frameUrl: frame?.url, isTopFrame: frame !== null && !frame.parent, ownWindow: options.isOwnSender(event.sender) },
      options.origins,
    );
    if (refused) return { ok: false, error: refused } satisfies BridgeResponse;
    return dispatchBridgeRequest(name, input, options.handler);
  });
  return () => ipcMain.removeHandler(IPC_REQUEST);
}
