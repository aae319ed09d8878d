/**
 * Wiring one run: the model client, the run record and the AgentRun, the same way for every shell (`deskpilot run`
 * in the terminal, the engine host behind the UIs). Who approves and which desktop is used stay the caller's choice.
 */
import type { RunSettings } from '../contract';
import { AgentRun, type ModelStreamer } from '../agent/loop';
import { newRunId } from '../base/ids';
import type { Desktop } from '../devices/device';
import { ModelClient } from '../model/client';
import type { EndpointMemory } from '../model/endpoint-memory';
import type { Approver } from '../policy/approval';
import type { WindowProbe } from '../platform/windows';
import { createRunRecorder, type Recorder } from '../runs/recorder';

export interface WireRunOptions {
  instruction: string;
  /** Complete settings (model resolved); the API key, if any, is used for the model and never recorded. */
  settings: RunSettings;
  desktop: Desktop;
  approver: Approver | null;
  /** The run record goes to `<runsRoot>/<runId>`, or exactly to `out`. */
  runsRoot?: string;
  out?: string;
  /** Default: the OpenAI-SDK client of app/model/client.ts for settings.endpoint. */
  model?: ModelStreamer;
  ownWindowTitles?: string[];
  /** What window an action reaches, for the risk classifier (X11: createX11WindowProbe). */
  windows?: WindowProbe;
  /** What the default client remembers about servers between runs (the shells pass one; tests need not). */
  endpointMemory?: EndpointMemory;
}

/** The default model client for settings (a run's, or a question's in the engine host). */
export function modelClientFor(settings: RunSettings, endpointMemory?: EndpointMemory): ModelClient {
  return new ModelClient({
    endpoint: settings.endpoint,
    model: settings.model,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(endpointMemory ? { memory: endpointMemory } : {}),
  });
}

export function wireRun(options: WireRunOptions): { run: AgentRun; recorder: Recorder } {
  const { settings } = options;
  const model = options.model ?? modelClientFor(settings, options.endpointMemory);
  const runId = newRunId();
  const recorder = createRunRecorder({
    runId,
    settings,
    ...(options.out ? { dir: options.out } : options.runsRoot ? { root: options.runsRoot } : {}),
  });
  try {
    const run = new AgentRun(
      options.instruction,
      settings,
      {
        desktop: options.desktop,
        model,
        approver: options.approver,
        recorder,
        ownWindowTitles: options.ownWindowTitles ?? [],
        ...(options.windows ? { windows: options.windows } : {}),
      },
      runId,
    );
    return { run, recorder };
  } catch (error) {
    // A run that cannot start (e.g. a phone profile) leaves no open record behind.
    void recorder.close().catch(() => undefined);
    throw error;
  }
}
