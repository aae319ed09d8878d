/**
 * The agent loop: observe -> request (streamed) -> parse -> propose -> policy/approval -> perform -> settle ->
 * record, until the model terminates or answers, the step budget runs out, or the person stops it.
 *
 * Everything a shell needs comes out as typed RunEvents (app/contract.ts); the CLI, Electron and the browser UI
 * consume them unchanged. Safety rules kept here:
 * - a reply with any invalid call performs nothing: the parser's errors go back to the model (bounded retries);
 * - stop aborts the model stream, cancels a pending approval, releases held keys and buttons, and no input event is
 *   sent after it;
 * - pause holds before the next action;
 * - the same action proposed on an unchanged screen `loopThreshold` times pauses the run and asks the person;
 * - screen text (settings.ocr): each screenshot is read by OCR in worker threads while the model thinks; a proposal
 *   waits for it at most `ocr.waitMs` (then goes ahead without it, and the record says so). The text names the
 *   control at each proposed point ("Click “Delete account” at ...", risky when it deletes, pays, sends ...), and
 *   text addressed to the agent makes every action need a person while the model can still see that screenshot
 *   (app/policy/screen-risk.ts), in every approval mode.
 */
import { createHash } from 'node:crypto';
import { Aborted, errorMessage } from '../base/errors';
import { newRunId } from '../base/ids';
import { sleep } from '../base/sleep';
import {
  redactSettings,
  type Decision,
  type DenyRule,
  type Proposal,
  type RunEvent,
  type RunEventInit,
  type RunOutcome,
  type RunSettings,
  type RunState,
  type Timings,
} from '../contract';
import { ComputerActionSchema, MobileActionSchema, type AnyAction } from '../base/actions';
import type { ModelEvent } from '../model/client';
import { parseReply, type ParsedCall, type RawMessage } from '../model/parse';
import { getProfile, PROFILES, type Profile } from '../model/profiles';
import { toolsForProfile, type Turn } from '../model/prompt';
import type { FunctionTool } from '../model/tools';
import { ApprovalPolicy, actionKey, summarizeAction, type Approver, type PolicyResult } from '../policy/approval';
import { activeDenyRules } from '../policy/default-deny-rules';
import { classifyRisk, type RiskContext } from '../policy/risk';
import {
  findInjection,
  injectionDenyNote,
  injectionReason,
  InjectionWatch,
  labelRisk,
  needsPersonAfterInjection,
  withScreenReasons,
  type InjectionSighting,
} from '../policy/screen-risk';
import type { WindowProbe } from '../platform/windows';
import type { Recorder } from './recorder';
import { isInsideSpace, modelToGlobal, modelToImage, type Display, type Point } from '../screen/geometry';
import { OcrUnavailable, ScreenReader, type LabelText, type PageText } from '../screen/ocr';
import { frameDifference, prepareImage, type ModelImage } from '../screen/prepare';
import { performOn, type Desktop, type Frame } from '../devices/device';
import { History, type ImageInput } from './history';

/** What the loop needs from a model client (app/model/client.ts ModelClient, or a test double). */
export interface ModelStreamer {
  stream(request: {
    profile: Profile;
    system?: string;
    turns: Turn[];
    tools: FunctionTool[];
    signal?: AbortSignal;
  }): AsyncIterable<ModelEvent>;
}

export interface AgentDeps {
  desktop: Desktop;
  model: ModelStreamer;
  /** Who is asked when the policy wants a person; null for unattended runs (then asking means denying). */
  approver: Approver | null;
  recorder?: Recorder;
  /** Titles of the app's own windows (clicks on them are risky). */
  ownWindowTitles?: string[];
  /** What window a click or keystroke would reach, for the risk classifier (X11: createX11WindowProbe). */
  windows?: WindowProbe;
}

export interface RunResult {
  runId: string;
  outcome: RunOutcome;
  message: string;
  steps: number;
  answer?: string;
  /** The last action the model asked for (OSWorld's FAIL/DONE rules look at it). */
  lastAction: AnyAction | null;
}

/** Pixel-change fraction below which two frames count as the same screen. */
const UNCHANGED = 0.002;
const SETTLE_POLL_MS = 60;
const TIMED_OUT = Symbol('timed out');

type Listener = (event: RunEvent) => void;

/** What the screen text says about one proposal: the label at its point, and a sighting the model can still see. */
interface ScreenSeen {
  label: LabelText | null;
  sighting: InjectionSighting | null;
}

const NOTHING_SEEN: ScreenSeen = { label: null, sighting: null };

export class AgentRun {
  readonly runId: string;
  readonly profile: Profile;
  private stateValue: RunState = 'idle';
  private readonly listeners = new Set<Listener>();
  private readonly abort = new AbortController();
  private pauseWaiters: Array<() => void> = [];
  private pauseRequested = false;
  private readonly policy: ApprovalPolicy;
  private readonly history: History;
  private display: Display | null = null;
  private lastAction: AnyAction | null = null;
  /** The last action actually performed (the risk check looks at it: Enter after shell-like typing). */
  private lastPerformed: AnyAction | null = null;
  /** The built-in deny rules not removed, then the person's own. */
  private readonly denyRules: DenyRule[];
  /** Loop detection: consecutive identical proposals on the same screen. */
  private repeat = { key: '', screen: '', count: 0 };
  /** Screen text: the reader (null when it could not start), the current step's screenshot and its page read. */
  private reader: Promise<ScreenReader | null> | null = null;
  private readerReady: ScreenReader | null = null;
  private readerError = '';
  private readerClosed = false;
  private reading: { step: number; frame: Frame; page: Promise<PageText | null>; waited: PageText | null | undefined } | null =
    null;
  private readonly injections: InjectionWatch;

  constructor(
    readonly instruction: string,
    readonly settings: RunSettings,
    private readonly deps: AgentDeps,
    runId?: string,
  ) {
    this.runId = runId ?? newRunId();
    this.profile = getProfile(settings.profile);
    const device = deps.desktop;
    if (this.profile.tool !== device.tool) {
      const fitting = [...PROFILES.values()].find((p) => p.tool === device.tool)?.id ?? 'one of that tool';
      throw new Error(
        `profile "${this.profile.id}" speaks ${this.profile.tool}, but the device "${device.kind}" speaks ${device.tool}; use a profile such as ${fitting}`,
      );
    }
    this.denyRules = activeDenyRules(settings);
    this.policy = new ApprovalPolicy(settings.approve, deps.approver, {
      denyRules: this.denyRules,
      space: this.profile.coordinates,
    });
    this.history = new History(this.profile);
    // A screenshot stays in the model's view for this many requests (History.render keeps the latest ones).
    this.injections = new InjectionWatch(this.profile.history.images);
  }

  get state(): RunState {
    return this.stateValue;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop now: abort the stream and any pending approval; no input event is sent after this. */
  stop(reason = 'stopped by the person'): void {
    if (this.abort.signal.aborted) return;
    if (this.stateValue !== 'done' && this.stateValue !== 'failed') this.setState('stopping', reason);
    this.abort.abort(new Aborted(reason, 'stop'));
    this.releasePause();
    void this.deps.desktop.releaseAll();
  }

  /** Hold before the next action. */
  pause(): void {
    if (this.isFinished()) return;
    this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.releasePause();
  }

  private releasePause(): void {
    const waiters = this.pauseWaiters;
    this.pauseWaiters = [];
    waiters.forEach((w) => w());
  }

  private isFinished(): boolean {
    return this.stateValue === 'done' || this.stateValue === 'failed';
  }

  private emit(init: RunEventInit): void {
    const event = { ...init, runId: this.runId, at: Date.now() } as RunEvent;
    try {
      this.deps.recorder?.record(event);
    } catch (error) {
      // A full disk must not leave the desktop in a half-done state: stop the run, keep the listeners informed.
      if (!this.abort.signal.aborted) this.stop(`the run record could not be written: ${errorMessage(error)}`);
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed socket) never stops the agent.
      }
    }
  }

  private setState(state: RunState, reason?: string): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit({ type: 'state', state, ...(reason ? { reason } : {}) });
  }

  private checkStopped(): void {
    if (this.abort.signal.aborted) throw this.abort.signal.reason ?? new Aborted('stopped', 'stop');
  }

  private async pauseGate(): Promise<void> {
    while (this.pauseRequested && !this.abort.signal.aborted) {
      this.setState('paused');
      await new Promise<void>((resolve) => this.pauseWaiters.push(resolve));
    }
    this.checkStopped();
    if (this.stateValue === 'paused') this.setState('running');
  }

  /** Run to the end. Never throws: every ending is a RunResult (and a run-finished event). */
  async start(): Promise<RunResult> {
    const settingsForRecord = redactSettings(this.settings) as Record<string, unknown>;
    this.emit({
      type: 'run-started',
      instruction: this.instruction,
      settings: settingsForRecord,
      runDir: this.deps.recorder?.dir ?? '',
    });
    this.setState('running');
    if (this.settings.ocr.enabled) {
      // Started now, ready while the first screenshot is taken and the model thinks (about a second).
      this.reader = ScreenReader.open().then(
        (reader) => (this.readerReady = reader),
        (error: unknown) => {
          this.readerError = errorMessage(error);
          return null;
        },
      );
    }
    let result: RunResult;
    try {
      result = await this.loop();
    } catch (error) {
      const stopped = this.abort.signal.aborted;
      result = {
        runId: this.runId,
        outcome: stopped ? 'stopped' : 'error',
        message: stopped ? errorMessage(this.abort.signal.reason) : errorMessage(error),
        steps: this.stepsTaken,
        lastAction: this.lastAction,
      };
    } finally {
      await this.deps.desktop.releaseAll().catch(() => undefined);
      await this.closeReader();
    }
    this.emit({ type: 'run-finished', outcome: result.outcome, message: result.message, steps: result.steps });
    this.setState(result.outcome === 'error' ? 'failed' : 'done', result.message);
    await this.deps.recorder?.close().catch(() => undefined);
    return result;
  }

  private stepsTaken = 0;

  private finish(outcome: RunOutcome, message: string, extra: Partial<RunResult> = {}): RunResult {
    return { runId: this.runId, outcome, message, steps: this.stepsTaken, lastAction: this.lastAction, ...extra };
  }

  private async loop(): Promise<RunResult> {
    const displays = await this.deps.desktop.displays();
    const display = displays[this.settings.display];
    if (!display) {
      throw new Error(
        `display ${this.settings.display} does not exist; this desktop has ${displays.length} (0..${displays.length - 1})`,
      );
    }
    this.display = display;

    // The first observation; later ones come from the settle after the last action.
    let timings: Timings = {};
    let frame = await this.timed(timings, 'capture', () => this.deps.desktop.capture(display));
    let image = await this.timed(timings, 'prepare', () => prepareImage(frame, this.profile.image));
    // Encoded once per screenshot: the event, the history and the request all share this string.
    let imageInput: ImageInput = { mime: image.mime, base64: image.data.toString('base64') };

    for (let step = 1; step <= this.settings.maxSteps; step++) {
      this.checkStopped();
      this.stepsTaken = step;
      this.observe(step, display, frame, image, imageInput);
      this.startReading(step, frame);
      const screenHash = createHash('sha1').update(image.data).digest('hex');
      if (step === 1) this.history.start(this.instruction, imageInput);

      const reply = await this.requestValidReply(step, image, timings);
      if (!reply) {
        return this.finish('error', `the model gave ${this.settings.maxInvalidReplies + 1} invalid replies in a row`);
      }

      const outcome = await this.act(step, reply, image, frame, screenHash, timings);
      if (outcome.end) {
        this.emit({ type: 'timings', step, timings });
        return outcome.end;
      }
      frame = outcome.frame ?? (await this.timed(timings, 'capture', () => this.deps.desktop.capture(display)));
      const next = await this.timed(timings, 'prepare', () => prepareImage(frame, this.profile.image));
      this.emit({ type: 'timings', step, timings });
      timings = {};
      const nextInput = { mime: next.mime, base64: next.data.toString('base64') };
      this.history.addResults(outcome.results, nextInput);
      image = next;
      imageInput = nextInput;
    }
    return this.finish('max-steps', `stopped after the maximum of ${this.settings.maxSteps} steps without finishing`);
  }

  private observe(step: number, display: Display, frame: Frame, image: ModelImage, input: ImageInput): void {
    const file = this.deps.recorder?.saveImage(step, image.data, image.mime) ?? '';
    this.emit({
      type: 'observation',
      step,
      display,
      image: { mime: image.mime, width: image.width, height: image.height, file, base64: input.base64 },
      source: { width: frame.width, height: frame.height },
    });
  }

  private async timed<T>(timings: Timings, phase: keyof Timings, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + (performance.now() - started);
    }
  }

  /** Ask the model until it gives a reply whose calls are all valid (or the retry budget runs out). */
  private async requestValidReply(
    step: number,
    image: ModelImage,
    timings: Timings,
  ): Promise<{ calls: ParsedCall[]; reasoning: string | null; text: string } | null> {
    const tools = toolsForProfile(this.profile, { width: image.width, height: image.height });
    const base = this.profile.systemPrompt;
    const system = this.settings.systemPrompt ? `${base}\n\n${this.settings.systemPrompt}` : base;
    for (let attempt = 1; attempt <= this.settings.maxInvalidReplies + 1; attempt++) {
      this.checkStopped();
      this.emit({ type: 'model-request', step, attempt });
      const done = await this.timed(timings, 'model', () =>
        this.streamOnce(step, { profile: this.profile, system, turns: this.history.render(), tools }),
      );
      const parsed = parseReply(done.message, this.profile, { imageSize: { width: image.width, height: image.height } });
      this.emit({
        type: 'model-reply',
        step,
        reasoning: parsed.reasoning,
        text: parsed.text,
        calls: parsed.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments as Record<string, unknown> })),
        errors: parsed.errors,
        raw: done.message as unknown as Record<string, unknown>,
        latencyMs: done.latencyMs,
        ...(done.usage ? { usage: done.usage as unknown as Record<string, unknown> } : {}),
      });
      const problems = [...parsed.errors];
      if (parsed.calls.length === 0 && problems.length === 0) {
        problems.push('the reply contains no tool call');
      }
      const foreign = parsed.calls.find((c) => c.name !== this.profile.tool);
      if (foreign) problems.push(`the tool "${foreign.name}" is not available here; use ${this.profile.tool}`);
      if (problems.length === 0) {
        this.history.addReply({
          reasoning: parsed.reasoning,
          text: parsed.text,
          calls: parsed.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments as Record<string, unknown> })),
        });
        return parsed;
      }
      // A rejected reply goes back as the text the model wrote (no structured calls: nothing of it was performed,
      // so no tool results follow it), then the errors. Only its start: a reply refused for its size must not fill
      // the model's context in the next request.
      this.history.addReply({
        reasoning: parsed.reasoning === null ? null : shortened(parsed.reasoning),
        text: shortened(rawReplyText(done.message)),
        calls: [],
      });

      const message =
        `Your last reply was not performed: ${problems.join('; ')}. ` +
        `Reply with one or more <tool_call> blocks calling ${this.profile.tool} with valid arguments.`;
      this.emit({ type: 'feedback', step, message });
      this.history.addFeedback(message);
    }
    return null;
  }

  private async streamOnce(
    step: number,
    request: { profile: Profile; system: string; turns: Turn[]; tools: FunctionTool[] },
  ): Promise<Extract<ModelEvent, { type: 'done' }>> {
    for await (const event of this.deps.model.stream({ ...request, signal: this.abort.signal })) {
      this.checkStopped();
      switch (event.type) {
        case 'reasoning':
          this.emit({ type: 'reasoning-delta', step, delta: event.delta });
          break;
        case 'content':
          this.emit({ type: 'content-delta', step, delta: event.delta });
          break;
        case 'retry':
          this.emit({ type: 'model-retry', step, attempt: event.attempt, error: event.error });
          break;
        case 'note':
          this.emit({ type: 'notice', step, message: event.message });
          break;
        case 'mode':
          this.emit({ type: 'notice', step, message: event.reason });
          break;
        case 'done':
          return event;
        default:
          break;
      }
    }
    this.checkStopped();
    throw new Error('the model stream ended without a reply');
  }

  /** Propose, decide and perform the calls of one valid reply, in order. */
  private async act(
    step: number,
    reply: { calls: ParsedCall[]; reasoning: string | null; text: string },
    image: ModelImage,
    frame: Frame,
    screenHash: string,
    timings: Timings,
  ): Promise<{ end?: RunResult; frame?: Frame; results: Array<{ callId: string; name: string; text: string }> }> {
    const display = this.display!;
    const calls = reply.calls;
    const modelText = [reply.reasoning ?? '', reply.text].filter(Boolean).join('\n');
    const results: Array<{ callId: string; name: string; text: string }> = [];
    let lastFrame: Frame | undefined;
    let skipRest: string | null = null;

    for (const [index, call] of calls.entries()) {
      if (skipRest) {
        results.push({ callId: call.id, name: call.name, text: skipRest });
        continue;
      }
      let action = call.arguments as AnyAction;
      this.lastAction = action;

      if (action.action === 'terminate') {
        const ok = action.status === 'success';
        return {
          results,
          end: this.finish(ok ? 'success' : 'failure', ok ? 'the model reports the task done' : 'the model gave up'),
        };
      }
      if (action.action === 'answer') {
        this.emit({ type: 'answer', step, text: action.text });
        return { results, end: this.finish('answered', action.text, { answer: action.text }) };
      }

      const riskContext = await this.riskContext(action, modelText, image);
      let seen = await this.timed(timings, 'ocr', () => this.screenSeen(step, action, image, frame));
      let proposal = this.propose(step, index, call.id, action, image, riskContext, seen);
      this.emit({ type: 'proposal', proposal });

      // Loop detection: the same action, proposed again on a screen that did not change.
      const key = actionKey(action);
      if (key === this.repeat.key && screenHash === this.repeat.screen) this.repeat.count++;
      else this.repeat = { key, screen: screenHash, count: 1 };
      const looping = this.repeat.count >= this.settings.loopThreshold;
      if (looping) {
        this.emit({ type: 'loop-detected', step, repeats: this.repeat.count, summary: proposal.summary });
        if (!this.deps.approver) {
          return {
            results,
            end: this.finish(
              'error',
              `loop: "${proposal.summary}" proposed ${this.repeat.count} times on an unchanged screen`,
            ),
          };
        }
      }

      await this.pauseGate();
      const decided = await this.timed(timings, 'approval', () => this.decide(proposal, looping, riskContext, seen.sighting));
      this.emit({ type: 'decision', proposalId: proposal.id, decision: decided.decision, by: decided.by });
      const decision = decided.decision;

      if (decision.kind === 'stop') {
        this.stop('stopped at the approval prompt');
        this.checkStopped();
      }
      if (decision.kind === 'deny') {
        const note = decision.note.trim();
        results.push({
          callId: call.id,
          name: call.name,
          text: `The user denied this action; it was not performed.${note ? ` Note from the user: ${note}` : ''}`,
        });
        skipRest = 'Not performed: an earlier action in this reply was denied.';
        this.repeat = { key: '', screen: '', count: 0 };
        continue;
      }
      if (decision.kind === 'edit') {
        // The policy validated the edit with the same schemas as a model reply; parse again for the type.
        const schema = this.profile.tool === 'computer_use' ? ComputerActionSchema : MobileActionSchema;
        action = schema.parse(decided.edited?.action ?? decision.action);
        this.lastAction = action;
        seen = await this.timed(timings, 'ocr', () => this.screenSeen(step, action, image, frame));
        proposal = this.propose(step, index, call.id, action, image, riskContext, seen);
      }
      if (looping) this.repeat = { key: '', screen: '', count: 0 };

      // Perform. After a stop nothing is sent: checkStopped() right before, and the desktop gets the signal.
      await this.pauseGate();
      this.checkStopped();
      let resultText: string;
      try {
        const performed = await this.timed(timings, 'act', () =>
          performOn(
            this.deps.desktop,
            action,
            { display, space: this.profile.coordinates, imageSize: { width: image.width, height: image.height } },
            this.abort.signal,
          ),
        );
        this.emit({
          type: 'action',
          proposalId: proposal.id,
          action: action as Record<string, unknown> & { action: string },
          ...(performed.screen ? { screen: performed.screen } : {}),
          ...(performed.screen2 ? { screen2: performed.screen2 } : {}),
          ok: true,
        });
        this.lastPerformed = action;
        resultText =
          decision.kind === 'edit'
            ? `The user changed this action; performed instead: ${JSON.stringify(action)}`
            : 'Performed.';
      } catch (error) {
        this.checkStopped();
        const message = errorMessage(error);
        this.emit({
          type: 'action',
          proposalId: proposal.id,
          action: action as Record<string, unknown> & { action: string },
          ok: false,
          error: message,
        });
        resultText = `The action failed: ${message}`;
        skipRest = 'Not performed: an earlier action in this reply failed.';
      }
      results.push({ callId: call.id, name: call.name, text: resultText });
      lastFrame = await this.timed(timings, 'settle', () => this.settle(display, action));
    }
    return { results, ...(lastFrame ? { frame: lastFrame } : {}) };
  }

  /** What the classifier knows about this action: the instruction, the model's words, and the windows it reaches. */
  private async riskContext(action: AnyAction, modelText: string, image: ModelImage): Promise<RiskContext> {
    const context: RiskContext = {
      instruction: this.instruction,
      ownWindowTitles: this.deps.ownWindowTitles ?? [],
      modelText,
      imageSize: { width: image.width, height: image.height },
      ...(this.lastPerformed ? { previousAction: this.lastPerformed } : {}),
    };
    const probe = this.deps.windows;
    if (!probe) return context;
    const [focused, atPoint] = await Promise.all([
      probe.focused().catch(() => undefined),
      'coordinate' in action && action.coordinate
        ? probe
            .atPoint(
              modelToGlobal({ x: action.coordinate[0], y: action.coordinate[1] }, this.profile.coordinates, this.display!, {
                width: image.width,
                height: image.height,
              }),
            )
            .catch(() => undefined)
        : Promise.resolve(undefined),
    ]);
    return { ...context, ...(focused ? { focusedWindow: focused } : {}), ...(atPoint ? { windowAtPoint: atPoint } : {}) };
  }

  private propose(
    step: number,
    index: number,
    callId: string,
    action: AnyAction,
    image: ModelImage,
    riskContext: RiskContext,
    seen: ScreenSeen = NOTHING_SEEN,
  ): Proposal {
    const display = this.display!;
    const imageSize = { width: image.width, height: image.height };
    let screen: Point | undefined;
    let imagePoint: Point | undefined;
    if ('coordinate' in action && action.coordinate) {
      const point = { x: action.coordinate[0], y: action.coordinate[1] };
      if (!isInsideSpace(point, this.profile.coordinates, imageSize)) {
        throw new Error(`coordinate ${JSON.stringify(action.coordinate)} is outside the model's space`);
      }
      screen = modelToGlobal(point, this.profile.coordinates, display, imageSize);
      imagePoint = modelToImage(point, this.profile.coordinates, imageSize, imageSize);
    }
    // A swipe's end point, mapped by the same mapper (the parser checked it is inside the model's space).
    const screen2 =
      'coordinate2' in action
        ? modelToGlobal({ x: action.coordinate2[0], y: action.coordinate2[1] }, this.profile.coordinates, display, imageSize)
        : undefined;
    const label = seen.label?.text;
    const screenReasons = [
      labelRisk(action, label),
      seen.sighting && needsPersonAfterInjection(action) ? injectionReason(seen.sighting, step) : null,
    ].filter((reason): reason is string => reason !== null);
    const risk = withScreenReasons(classifyRisk(action, riskContext, this.denyRules), screenReasons);
    return {
      id: `${step}.${index}`,
      step,
      index,
      callId,
      tool: this.profile.tool,
      action: action as Record<string, unknown> & { action: string },
      summary: summarizeAction(action, screen, screen2, label),
      ...(seen.label ? { target: { label: seen.label.text, source: 'ocr' as const, box: seen.label.box } } : {}),
      ...(screen ? { screen } : {}),
      ...(imagePoint ? { imagePoint } : {}),
      risk,
    };
  }

  private async decide(
    proposal: Proposal,
    looping: boolean,
    context: RiskContext,
    sighting: InjectionSighting | null,
  ): Promise<PolicyResult> {
    // After text addressed to the agent, a person decides whatever the mode (a deny rule still denies first).
    const steered = sighting !== null && proposal.risk.level !== 'blocked' && needsPersonAfterInjection(proposal.action);
    const forceAsk = looping || steered;
    const passive = proposal.action.action === 'wait';
    if (passive && !forceAsk) return { decision: { kind: 'approve' }, by: 'policy' };
    this.setState('awaiting-approval');
    this.emit({ type: 'approval-requested', proposal });
    try {
      if (steered && !this.deps.approver) {
        return { decision: { kind: 'deny', note: injectionDenyNote(sighting, proposal.step) }, by: 'policy' };
      }
      if (forceAsk) return await this.policy.askPerson(proposal, this.abort.signal, context);
      return await this.policy.decide(proposal, this.abort.signal, context);
    } finally {
      if (!this.abort.signal.aborted) this.setState('running');
    }
  }

  // ------------------------------------------------------------------------------------------------ screen text

  /** Start reading the step's screenshot (in the reader's worker thread: the loop goes on to ask the model). */
  private startReading(step: number, frame: Frame): void {
    if (!this.reader) return;
    const started = performance.now();
    const page = this.reader
      .then((reader) => {
        if (!reader) throw new OcrUnavailable(this.readerError);
        return reader.readPage(frame);
      })
      .then(
        (text) => {
          const injection = findInjection(text.text);
          if (injection) this.injections.record({ step, text: injection });
          this.emitScreenText({
            step,
            status: 'read',
            ms: performance.now() - started,
            lines: text.lines.length,
            ...(injection ? { injection } : {}),
          });
          return text;
        },
        (error: unknown) => {
          this.emitScreenText({ step, status: 'unavailable', error: errorMessage(error) });
          return null;
        },
      );
    this.reading = { step, frame, page, waited: undefined };
  }

  /**
   * What the screen text says about one action: the label at its point (read now, from a crop: tens of ms) and
   * a sighting of text addressed to the agent (the step's page read, awaited once per step). Each waits at most
   * `ocr.waitMs`; Stop ends the wait at once.
   */
  private async screenSeen(step: number, action: AnyAction, image: ModelImage, frame: Frame): Promise<ScreenSeen> {
    const reading = this.reading;
    if (!this.reader || !reading || reading.step !== step) return NOTHING_SEEN;
    const { waitMs } = this.settings.ocr;
    // Scrolls are summarised and judged without a label; every other action with a point gets one.
    const point =
      'coordinate' in action && action.coordinate && action.action !== 'scroll' && action.action !== 'hscroll'
        ? modelToGlobal({ x: action.coordinate[0], y: action.coordinate[1] }, this.profile.coordinates, this.display!, {
            width: image.width,
            height: image.height,
          })
        : null;
    const label = point
      ? this.reader.then((reader) => reader?.readLabel(frame, point) ?? null).catch(() => null)
      : Promise.resolve(null);
    const [page, labelText] = await Promise.all([
      reading.waited !== undefined ? reading.waited : this.within(reading.page, waitMs),
      this.within(label, waitMs),
    ]);
    if (reading.waited === undefined) {
      reading.waited = page === TIMED_OUT ? null : page;
      if (page === TIMED_OUT) {
        this.emitScreenText({
          step,
          status: 'unavailable',
          error: `the screen text was not read within ${waitMs} ms; the step's actions went ahead without it`,
        });
      }
    }
    return {
      label: labelText === TIMED_OUT ? null : labelText,
      sighting: needsPersonAfterInjection(action) ? this.injections.activeAt(step) : null,
    };
  }

  /** The promise's value, or TIMED_OUT after `ms`. Throws the stop's Aborted as soon as the run is stopped. */
  private async within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    const signal = this.abort.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMED_OUT), ms);
          onAbort = () => resolve(TIMED_OUT);
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      this.checkStopped();
    }
  }

  private emitScreenText(event: Omit<Extract<RunEventInit, { type: 'screen-text' }>, 'type'>): void {
    // A read that ends after the run does not write into a closed record.
    if (!this.readerClosed) this.emit({ type: 'screen-text', ...event });
  }

  /** Stop the OCR threads; a reader still starting is closed once it is up (a stopped run does not wait for it). */
  private async closeReader(): Promise<void> {
    this.readerClosed = true;
    if (this.readerReady) await this.readerReady.close();
    else void this.reader?.then((reader) => reader?.close());
  }

  /**
   * Wait until the screen stops changing (or the cap), instead of a fixed sleep. Returns the last frame, which
   * becomes the next observation, so settling costs no extra capture.
   */
  private async settle(display: Display, action: AnyAction): Promise<Frame> {
    const { enabled, quietMs, maxMs } = this.settings.settle;
    const capture = () => this.deps.desktop.capture(display);
    if (!enabled || action.action === 'wait') return capture();
    const started = performance.now();
    let previous = await capture();
    let quietSince = performance.now();
    while (performance.now() - started < maxMs) {
      this.checkStopped();
      if (performance.now() - quietSince >= quietMs) break;
      await sleep(SETTLE_POLL_MS, this.abort.signal);
      const current = await capture();
      if (frameDifference(previous, current) > UNCHANGED) quietSince = performance.now();
      previous = current;
    }
    return previous;
  }
}

/** How much of a rejected reply goes back to the model. */
const REJECTED_REPLY_CHARS = 4000;

function shortened(text: string): string {
  if (text.length <= REJECTED_REPLY_CHARS) return text;
  return `${text.slice(0, REJECTED_REPLY_CHARS)}\n[... ${text.length - REJECTED_REPLY_CHARS} more characters not repeated]`;
}

/** What the model wrote, as text: the content, or the raw tool calls when the server parsed them out. */
function rawReplyText(message: RawMessage): string {
  const content =
    typeof message.content === 'string'
      ? message.content
      : (message.content ?? []).map((part) => part.text ?? '').join('');
  const calls = (message.tool_calls ?? []).map((call) => {
    const args = typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments);
    return `<tool_call>\n{"name": ${JSON.stringify(call.function.name ?? '')}, "arguments": ${args}}\n</tool_call>`;
  });
  return [content, ...calls].filter((t) => t.trim() !== '').join('\n');
}


