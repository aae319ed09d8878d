/**
 * The engine host: everything behind the bridge (bridge.ts). It executes the bridge's requests against the
 * engine - settings, the current run and its approvals, questions about the screen (`ask`, one at a time and never
 * during a run), endpoint checks, past runs, displays and phones - and
 * broadcasts the run's events. A run drives the device its `device` setting names: this desktop (createDesktop,
 * opened once and kept) or a phone over adb (opened for the run, devices/android). Both shells use it unchanged: the browser UI mode (app/host/ws-server.ts) and Electron's main
 * process (ipcMain.handle(name, (_, input) => host.handle(name, input)) for every name in BRIDGE_REQUESTS, and
 * host.onEvent(e => webContents.send(BRIDGE_EVENT_CHANNEL, e))).
 *
 * Conventions every shell relies on:
 * - handle() never throws: it answers a BridgeResponse ({ ok: true, value } or { ok: false, error, issues? });
 * - input is validated here with the channel's zod schema; unknown channels are refused;
 * - events reach listeners with screenshots and zoom crops inline (base64); the copies kept for `run.current` have none
 *   (the UI loads them with `runs.image`), so a reconnecting UI does not receive megabytes at once;
 * - the API key is never part of an answer or an event, and goes only to endpoints of the origin it was entered for
 *   (a run, the model list, "Check endpoint": each looks the key up by its endpoint's origin).
 */
import { z } from 'zod';
import {
  BRIDGE_REQUESTS,
  type BridgeRequestName,
  type BridgeRequestParsed,
  type BridgeResponse,
  type BridgeResult,
  type AskAnswer,
  type CurrentRun,
  type SettingsView,
} from './bridge';
import { askAboutImage, type AskResult } from '../agent/ask';
import { captureDeviceScreen } from '../devices/open';
import type { Frame } from '../devices/device';
import { getProfile, type Profile } from '../model/profiles';
import { RunSettingsSchema, defaultProfileFor, endpointOrigin, parseDeviceSpec, type DeviceList, type RunEvent, type RunSettings, type RunState } from '../contract';
import type { AgentRun, ModelStreamer } from '../agent/loop';
import { errorMessage } from '../base/errors';
import { defaultExportsRoot } from '../settings';
import type { AdbRunOptions } from '../devices/android/adb';
import { openAndroidPhone } from '../devices/android/device';
import type { Desktop } from '../devices/device';
import { listPhoneInfo } from '../devices/list';
import { diagnoseEndpoint, type EndpointReport } from '../model/check';
import type { EndpointMemory } from '../model/endpoint-memory';
import { listServedModels } from '../model/endpoint-url';
import type { WindowProbe } from '../platform/windows';
import type { Display } from '../screen/geometry';
import { exportRun, getRun, listRuns, readRunImage } from './runs';
import type { SettingsStore } from './settings-store';
import { UiApprover } from './ui-approver';
import { modelClientFor, wireRun } from './wiring';

export interface EngineHostOptions {
  store: SettingsStore;
  /** Folder of run records (app/settings.ts defaultRunsRoot()). */
  runsRoot: string;
  /** Where "Export for training" writes (default: app/settings.ts defaultExportsRoot()). */
  exportsRoot?: string;
  /** Created on first need and kept: one process drives one desktop. */
  createDesktop: () => Promise<Desktop>;
  /** Values under the stored ones (config file, environment). */
  baseSettings?: Record<string, unknown>;
  /** Values over the stored ones for this session (explicit command-line flags). */
  overrides?: Record<string, unknown>;
  /** An API key given on the command line or in the environment: kept (in the store) for the origin of the
      endpoint the host starts with, and for no other. */
  apiKey?: string;
  /** Default: the OpenAI-SDK client of app/model/client.ts. */
  createModel?: (settings: RunSettings) => ModelStreamer;
  /** Titles of the shell's own windows (clicking them is risky). */
  ownWindowTitles?: string[];
  /** What window an action reaches, for the risk classifier (X11: createX11WindowProbe(DISPLAY)). */
  windows?: WindowProbe;
  /** What the default client remembers about servers between runs (app/model/endpoint-memory.ts). */
  endpointMemory?: EndpointMemory;
  /** How adb is run for phone targets (its binary and environment: ADB_SERVER_SOCKET, ...); default this process's. */
  adb?: AdbRunOptions;
}

/** The settings a UI may save: a run's settings with the model optional (then the server's only model is used). */
const SaveableSettingsSchema = RunSettingsSchema.omit({ apiKey: true }).extend({ model: z.string().min(1).optional() });

/** Each request's handler: its parsed input (and the raw one) -> exactly the answer the bridge declares for it. */
type Handlers = {
  [N in BridgeRequestName]: (input: BridgeRequestParsed<N>, raw: Record<string, unknown>) => Promise<BridgeResult<N>> | BridgeResult<N>;
};

/** `path: message` lines; a missing value reads "is required" rather than zod's type message. */
export function issueLines(error: z.ZodError, input: Record<string, unknown>): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && path !== '' && input[String(issue.path[0])] === undefined;
    return `${path || 'input'}: ${missing ? `${path} is required` : issue.message}`;
  });
}

/** Strip inline screenshots and zoom crops from an event (kept copies, `run.current`). */
function withoutImageData(event: RunEvent): RunEvent {
  if (event.type === 'observation' && event.image.base64 !== undefined) {
    const { base64: _dropped, ...image } = event.image;
    return { ...event, image };
  }
  if (event.type === 'zoom' && event.crop?.base64 !== undefined) {
    const { base64: _dropped, ...crop } = event.crop;
    return { ...event, crop };
  }
  return event;
}

export class EngineHost {
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private draft: Record<string, unknown>;
  private desktopPromise: Promise<Desktop> | null = null;
  private run: AgentRun | null = null;
  private runEvents: RunEvent[] = [];
  private approver: UiApprover | null = null;
  private finished: Promise<unknown> | null = null;
  private starting = false;
  /** The question being asked (`ask`), to cancel it; one at a time. */
  private asking: AbortController | null = null;
  private readonly handlers: Handlers;
  /** Start-up problems a shell should print (never values). */
  readonly problems: string[] = [];

  constructor(private readonly options: EngineHostOptions) {
    // A flag not given is undefined: it must not hide the stored value below it.
    this.draft = cleanDraft({
      ...cleanDraft(options.baseSettings ?? {}),
      ...cleanDraft(options.store.read()),
      ...cleanDraft(options.overrides ?? {}),
    });
    if (options.apiKey) {
      const origin = this.draftOrigin();
      if (origin) options.store.setApiKey(origin, options.apiKey);
      else this.problems.push('the API key given at start was not kept: no endpoint was set to bind it to; enter it in Settings');
    }
    this.handlers = {
      'run.start': (i) => this.startRun(i.instruction),
      'run.decide': (i) => this.decide(i.proposalId, i.decision),
      'run.pause': () => this.control('pause'),
      'run.resume': () => this.control('resume'),
      'run.stop': () => this.control('stop'),
      'run.current': () => this.current(),
      'settings.get': () => this.settingsView(),
      // Only the fields the UI sent: the schema's defaults must not overwrite stored values.
      'settings.save': (i, raw) => this.saveSettings(pick(i, raw)),
      'endpoint.check': (i) => this.checkEndpoint(i),
      'runs.list': () => listRuns(this.options.runsRoot),
      'runs.get': (i) => getRun(this.options.runsRoot, i.runId),
      'runs.image': (i) => readRunImage(this.options.runsRoot, i.runId, i.file),
      'runs.export': (i) =>
        exportRun(this.options.runsRoot, this.options.exportsRoot ?? defaultExportsRoot(), i.runId, i),
      'displays.list': () => this.displays(),
      'devices.list': () => this.devices(),
      ask: (i) => this.ask(i.question),
      'ask.cancel': () => this.cancelAsk(),
    };
  }

  /** Execute one bridge request. Never throws. */
  async handle(name: string, input: unknown): Promise<BridgeResponse> {
    if (!Object.hasOwn(BRIDGE_REQUESTS, name)) {
      return { ok: false, error: `unknown request "${name}"; the bridge allows ${Object.keys(BRIDGE_REQUESTS).join(', ')}` };
    }
    const channel = name as BridgeRequestName;
    const parsed = BRIDGE_REQUESTS[channel].input.safeParse(input ?? {});
    if (!parsed.success) {
      const issues = issueLines(parsed.error, (input && typeof input === 'object' ? input : {}) as Record<string, unknown>);
      return { ok: false, error: `${channel}: ${issues.join('; ')}`, issues };
    }
    try {
      const raw = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
      // parsed.data is this channel's input (the union of the handlers' parameters is not spelt out here).
      const handler = this.handlers[channel] as (input: unknown, raw: Record<string, unknown>) => unknown;
      const value = await handler(parsed.data, raw);
      return { ok: true, value: value ?? null };
    } catch (error) {
      if (error instanceof HostError) return { ok: false, error: error.message, ...(error.issues ? { issues: error.issues } : {}) };
      return { ok: false, error: errorMessage(error) };
    }
  }

  onEvent(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop the run (if any) and the question being asked, wait for the run to end, and release the desktop. */
  async close(): Promise<void> {
    this.run?.stop('the host is shutting down');
    this.asking?.abort();
    await this.finished?.catch(() => undefined);
    const desktop = await this.desktopPromise?.catch(() => null);
    await desktop?.close().catch(() => undefined);
  }

  /** Resolves when the current run (if any) has ended. */
  async idle(): Promise<void> {
    await this.finished?.catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------------ settings

  private validated(draft: Record<string, unknown>): { settings: z.infer<typeof SaveableSettingsSchema> } | { issues: string[] } {
    // No profile set: the one for the device (a phone's mobile_use model), as app/settings.ts does for the CLI.
    const result = SaveableSettingsSchema.safeParse(draft.profile === undefined ? { ...draft, profile: defaultProfileFor(draft.device) } : draft);
    return result.success ? { settings: result.data } : { issues: issueLines(result.error, draft) };
  }

  /** The origin of the endpoint in the current settings, which the stored key (if any) belongs to. */
  private draftOrigin(draft: Record<string, unknown> = this.draft): string | null {
    return typeof draft.endpoint === 'string' ? endpointOrigin(draft.endpoint) : null;
  }

  /** The key entered for the origin of `endpoint`, and no other. */
  private apiKeyFor(endpoint: string): string | undefined {
    const origin = endpointOrigin(endpoint);
    return origin ? this.options.store.apiKeyFor(origin) : undefined;
  }

  private settingsView(): SettingsView {
    const checked = this.validated(this.draft);
    const origin = this.draftOrigin();
    return {
      settings: 'settings' in checked ? { ...checked.settings, model: checked.settings.model ?? '' } : null,
      draft: { ...this.draft },
      apiKeySet: origin !== null && this.options.store.apiKeyFor(origin) !== undefined,
      apiKeyOrigin: origin,
      apiKeyOrigins: this.options.store.apiKeyOrigins(),
      apiKeyStorage: this.options.store.apiKeyStorage,
    };
  }

  private saveSettings(input: BridgeRequestParsed<'settings.save'>): SettingsView {
    const { apiKey, ...values } = input;
    const next = cleanDraft({ ...this.draft, ...values });
    const checked = this.validated(next);
    if ('issues' in checked) {
      throw new HostError(`settings not saved: ${checked.issues.join('; ')}`, checked.issues);
    }
    // A key given with the settings belongs to the endpoint saved with it; null forgets that endpoint's key.
    const origin = this.draftOrigin(next);
    if (apiKey && !origin) {
      const issue = `apiKey: the endpoint ${String(next.endpoint)} is not an http(s) URL, so there is no server to keep the key for`;
      throw new HostError(`settings not saved: ${issue}`, [issue]);
    }
    this.options.store.write(next);
    this.draft = next;
    if (origin && apiKey === null) this.options.store.setApiKey(origin, null);
    else if (origin && apiKey) this.options.store.setApiKey(origin, apiKey);
    return this.settingsView();
  }

  private async checkEndpoint(input: {
    endpoint: string;
    model?: string;
    apiKey?: string;
    profile?: string;
    zoom?: boolean | number | undefined;
  }): Promise<EndpointReport> {
    // A key typed in the form is meant for the endpoint typed with it; otherwise only that origin's stored key.
    const apiKey = input.apiKey || this.apiKeyFor(input.endpoint);
    return diagnoseEndpoint({
      endpoint: input.endpoint,
      ...(input.model ? { model: input.model } : {}),
      ...(input.profile ? { profile: input.profile } : {}),
      ...(input.zoom ? { zoom: input.zoom } : {}),
      ...(apiKey ? { apiKey } : {}),
      timeoutMs: 10_000,
    });
  }

  // ------------------------------------------------------------------------------------------------ the run

  private desktop(): Promise<Desktop> {
    this.desktopPromise ??= this.options.createDesktop().catch((error: unknown) => {
      this.desktopPromise = null;
      throw new Error(`the desktop could not be opened: ${errorMessage(error)}`);
    });
    return this.desktopPromise;
  }

  private async displays(): Promise<Display[]> {
    return (await this.desktop()).displays();
  }

  /** This desktop's displays (or why they cannot be listed) and the phones adb sees. */
  private async devices(): Promise<DeviceList> {
    const desktop = this.displays().then(
      (displays): DeviceList['desktop'] => ({
        spec: 'local',
        displays: displays.map((d) => ({ id: d.id, name: d.name, width: d.bounds.width, height: d.bounds.height, primary: d.primary })),
      }),
      (error: unknown): DeviceList['desktop'] => ({ spec: 'local', displays: [], error: errorMessage(error) }),
    );
    const [d, phones] = await Promise.all([desktop, listPhoneInfo(this.options.adb ?? {})]);
    return { desktop: d, ...phones };
  }

  private isActive(): boolean {
    return this.run !== null && this.run.state !== 'done' && this.run.state !== 'failed';
  }

  private async startRun(instruction: string): Promise<{ runId: string }> {
    // Two viewers may press Run at once: the second waits for nothing and is refused.
    if (this.isActive() || this.starting) throw new HostError('a run is already in progress; stop it before starting another');
    if (this.asking) throw new HostError('a question about the screen is being answered; wait for its answer (or Cancel it), then Run');
    this.starting = true;
    try {
      return await this.startRunNow(instruction);
    } finally {
      this.starting = false;
    }
  }

  /** The settings a run or a question uses: validated, the endpoint's own key, the model (the server's only one when unset). */
  private async resolvedSettings(): Promise<RunSettings> {
    const checked = this.validated(this.draft);
    if ('issues' in checked) {
      throw new HostError(`the settings are incomplete - open Settings: ${checked.issues.join('; ')}`, checked.issues);
    }
    const apiKey = this.apiKeyFor(checked.settings.endpoint);
    let model = checked.settings.model;
    if (!model) {
      const served = await listServedModels(checked.settings.endpoint, apiKey).catch((error: unknown) => {
        throw new HostError(`no model is set and the server's model list could not be read: ${errorMessage(error)}`);
      });
      if (served.length !== 1) {
        throw new HostError(
          served.length === 0
            ? 'no model is set and the server lists none; set the model in Settings'
            : `no model is set and the server serves several (${served.join(', ')}); choose one in Settings`,
        );
      }
      model = served[0]!;
    }
    return { ...checked.settings, model, ...(apiKey ? { apiKey } : {}) };
  }

  private async startRunNow(instruction: string): Promise<{ runId: string }> {
    const settings = await this.resolvedSettings();
    // This desktop (kept), or the phone the setting names, opened for this run (an error says which phones there are).
    const target = parseDeviceSpec(settings.device);
    let desktop: Desktop;
    let windows = this.options.windows;
    if (target.kind === 'android') {
      const phone = await openAndroidPhone({ ...this.options.adb, ...(target.serial ? { serial: target.serial } : {}) }).catch((error: unknown) => {
        throw new HostError(`the phone could not be opened: ${errorMessage(error)}`);
      });
      desktop = phone;
      windows = phone.windowProbe();
    } else desktop = await this.desktop();
    const approver = new UiApprover();
    let run: AgentRun;
    try {
      ({ run } = wireRun({
        instruction,
        settings,
        desktop,
        approver,
        runsRoot: this.options.runsRoot,
        ...(this.options.createModel ? { model: this.options.createModel(settings) } : {}),
        ownWindowTitles: this.options.ownWindowTitles ?? [],
        ...(windows ? { windows } : {}),
        ...(this.options.endpointMemory ? { endpointMemory: this.options.endpointMemory } : {}),
      }));
    } catch (error) {
      throw new HostError(errorMessage(error));
    }
    const runId = run.runId;
    this.run = run;
    this.approver = approver;
    this.runEvents = [];
    run.on((event) => {
      this.runEvents.push(withoutImageData(event));
      if (event.type === 'decision') approver.settle(event.proposalId);
      if (event.type === 'run-finished') approver.settleAll();
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // One broken viewer never stops the run or the other viewers.
        }
      }
    });
    this.finished = run.start().finally(async () => {
      approver.settleAll();
      // A phone is opened per run; this desktop is kept for the next one.
      if (target.kind === 'android') await desktop.close().catch(() => undefined);
    });
    return { runId };
  }

  // ------------------------------------------------------------------------------------------------ questions

  /** Ask the model about the current screen of the run target (app/agent/ask.ts), under the saved profile. */
  private async ask(question: string): Promise<AskAnswer> {
    if (this.isActive() || this.starting) {
      throw new HostError('a run is going: ask when it has finished (or Stop it), since the agent is changing the screen the question would be about');
    }
    if (this.asking) throw new HostError('a question is already being answered; wait for its answer or Cancel it');
    const controller = new AbortController();
    this.asking = controller;
    try {
      if (typeof this.draft.endpoint !== 'string') {
        throw new HostError('no model endpoint is set, so there is no model to ask: open Settings and enter your model server (e.g. http://localhost:8000/v1)');
      }
      const settings = await this.resolvedSettings();
      let profile: Profile;
      try {
        profile = getProfile(settings.profile);
      } catch (error) {
        throw new HostError(`the profile in Settings cannot be used: ${errorMessage(error)}`);
      }
      const { image, about } = await this.captureTarget(settings).catch((error: unknown) => {
        throw error instanceof HostError ? error : new HostError(`the screen could not be captured: ${errorMessage(error)}`);
      });
      if (controller.signal.aborted) throw new HostError('cancelled: the question was not sent');
      const model = this.options.createModel?.(settings) ?? modelClientFor(settings, this.options.endpointMemory);
      let result: AskResult;
      try {
        result = await askAboutImage(model, {
          profile,
          image,
          question,
          signal: controller.signal,
          ...(settings.systemPrompt ? { systemPrompt: settings.systemPrompt } : {}),
        });
      } catch (error) {
        if (controller.signal.aborted) throw new HostError('cancelled: the model\'s answer was not waited for');
        throw new HostError(`the model could not answer: ${errorMessage(error)}`);
      }
      return {
        question,
        answer: result.answer,
        reasoning: result.reasoning,
        raw: result.raw,
        ...(result.note ? { note: result.note } : {}),
        about,
        profile: profile.id,
        model: settings.model,
        image: result.image,
      };
    } finally {
      this.asking = null;
    }
  }

  private cancelAsk(): { cancelled: boolean } {
    if (!this.asking) return { cancelled: false };
    this.asking.abort();
    return { cancelled: true };
  }

  /** The current screen of the run target: this desktop's display as a run would pick it, or the phone's screen. */
  private async captureTarget(settings: RunSettings): Promise<{ image: Frame; about: string }> {
    if (parseDeviceSpec(settings.device).kind === 'android') {
      const image = await captureDeviceScreen(settings.device, this.options.adb ? { adb: this.options.adb } : {}).catch((error: unknown) => {
        throw new HostError(`the phone's screen could not be captured: ${errorMessage(error)}`);
      });
      return { image, about: `the phone ${settings.device} (${image.width}x${image.height})` };
    }
    const desktop = await this.desktop();
    const displays = await desktop.displays();
    const display = displays[settings.display];
    if (!display) {
      throw new HostError(`display ${settings.display} does not exist; this desktop has ${displays.length} (0..${displays.length - 1}): change it in Settings`);
    }
    const image = await desktop.capture(display);
    return { image, about: `this desktop, display ${settings.display} (${image.width}x${image.height})` };
  }

  private async decide(proposalId: string, decision: BridgeRequestParsed<'run.decide'>['decision']): Promise<BridgeResult<'run.decide'>> {
    if (!this.run || !this.approver || !this.isActive()) throw new HostError('no run is in progress');
    const outcome = await this.approver.answer(proposalId, decision);
    if (!outcome.ok) throw new HostError(outcome.error);
    return { proposalId, kind: decision.kind };
  }

  private control(what: 'pause' | 'resume' | 'stop'): { state: RunState } {
    if (!this.run || !this.isActive()) throw new HostError('no run is in progress');
    if (what === 'pause') this.run.pause();
    else if (what === 'resume') this.run.resume();
    else this.run.stop('stopped by the person');
    return { state: this.run.state };
  }

  private current(): CurrentRun | null {
    if (!this.run) return null;
    return { runId: this.run.runId, state: this.run.state, instruction: this.run.instruction, events: [...this.runEvents] };
  }
}

/** An error meant for the person, with field issues when it is about settings. */
export class HostError extends Error {
  constructor(
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
  }
}

/** The parsed values of the keys the sender actually gave. */
function pick<T extends object>(parsed: T, raw: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => Object.hasOwn(raw, key))) as T;
}

/** Drop unset values (empty strings, undefined) and the API key from a settings draft. */
function cleanDraft(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key === 'apiKey' || value === undefined || value === null) continue;
    if (typeof value === 'string' && value.trim() === '') continue;
    out[key] = value;
  }
  return out;
}
