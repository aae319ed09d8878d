/** The engine host and its parts, for the shells (browser UI mode, Electron main). */
export { EngineHost, HostError, type EngineHostOptions } from './engine-host';
export { JsonSettingsStore, MemorySettingsStore, defaultUiSettingsFile, type SettingsStore } from './settings-store';
export { UiApprover, type DecideOutcome } from './ui-approver';
export { listRuns, getRun, readRunImage } from './runs';
export { ensureRenderer, RENDERER_ROOT, type RendererBuild } from './renderer-build';
export { startUiServer, BRIDGE_PATH, type UiServer, type UiServerOptions } from './ws-server';
export { wireRun, type WireRunOptions } from './wiring';
