/**
 * IPC channel names shared by main and the preload. No imports on purpose: the sandboxed preload bundles this file
 * and may only require 'electron'.
 */

/** The one request channel: `invoke(IPC_REQUEST, name, input)`; main checks `name` against BRIDGE_REQUESTS. */
export const IPC_REQUEST = 'deskpilot:request';
/** Run events pushed from main to the windows (same name as app/host/bridge.ts BRIDGE_EVENT_CHANNEL). */
export const IPC_EVENT = 'run.event';
/** Name of the global the preload exposes in the renderer: `window.deskpilot`. */
export const BRIDGE_GLOBAL = 'deskpilot';
