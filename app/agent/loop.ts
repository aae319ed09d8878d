/**
 * The agent loop: observe -> request (streamed) -> parse -> propose -> policy/approval -> perform -> settle ->
 * record, until the model terminates or answers, the step budget runs out, or the person stops it. This file keeps
 * the run's outline; its parts are run-control.ts (state, events, stop, pause), conversation.ts (history, requests,
 * reply checks), proposal.ts (mapping, risk, who decides), screen-reading.ts (OCR), loop-detection.ts, settle.ts.
 *
 * The loop drives any device (app/devices) in the tool the device speaks: the profile's tool must be the device's.
 * Everything a shell needs comes out as typed RunEvents (app/contract.ts); the CLI, Electron and the browser UI
 * consume them unchanged. Safety rules kept here:
 * - a reply with any invalid call performs nothing: the parser's errors go back to the model (bounded retries);
 * - stop aborts the model stream, cancels a pending approval, releases held keys and buttons, and no input event is
 *   sent after it;
 * - pause holds before the next action (and before each zoom);
 * - zoom calls (image_zoom_in_tool, agent/zoom.ts) are answered inside the step with a crop of the full-resolution
 *   capture, at most `limits.zoomsPerStep` per step; they are no action, ask for no approval and take no step. A
 *   reply that zooms performs none of its other calls: they were chosen before the model saw the crop;
 * - the same action proposed on an unchanged screen `loopThreshold` times pauses the run and asks the person;
 * - screen text (settings.ocr): each screenshot is read by OCR in worker threads while the model thinks; a proposal
 *   waits for it at most `ocr.waitMs` (then goes ahead without it, and the record says so). The text names the
 *   control at each proposed point ("Click “Delete account” at ...", risky when it deletes, pays, sends ...), and
 *   text addressed to the agent makes every action need a person while the model can still see that screenshot
 *   (app/policy/screen-risk.ts), in every approval mode.
 */
import { createHash } from 'node:crypto';
import { ComputerActionSchema, MobileActionSchema, type AnyAction } from '../base/actions';
import { errorMessage } from '../base/errors';
import { newRunId } from '../base/ids';
import { redactSettings, type DenyRule, type RunEvent, type RunOutcome, type RunSettings, type RunState, type Timings } from '../contract';
import { performOn, type Desktop, type Frame } from '../devices/device';
import { finalAnswer } from '../model/answer';
import { PROFILES, profileForSettings, type Profile } from '../model/profiles';
import type { WindowProbe } from '../platform/windows';
import { ApprovalPolicy, actionKey, type Approver } from '../policy/approval';
import { activeDenyRules } from '../policy/default-deny-rules';
import type { Display } from '../screen/geometry';
import { prepareImage, type ModelImage } from '../screen/prepare';
import { Conversation, type ModelStreamer, type ValidReply } from './conversation';
import { requestsInView, type ImageInput, type ToolResult } from './history';
import { LoopDetector } from './loop-detection';
import { buildProposal, decideProposal, riskContextFor, toScreen, type StepTarget } from './proposal';
import type { Recorder } from './recorder';
import { RunControl, timed } from './run-control';
import { ScreenReading, type ScreenSeen } from './screen-reading';
import { settle } from './settle';
import { answerZoom, isZoomCall, NOT_PERFORMED_BESIDE_ZOOM, refusedZoom, screenshotSource, zoomLimitError, type ZoomEvent } from './zoom';

export type { ModelStreamer };

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

type CallResult = ToolResult;

export class AgentRun {
  readonly runId: string;
  readonly profile: Profile;
  private readonly control: RunControl;
  private readonly policy: ApprovalPolicy;
  private readonly conversation: Conversation;
  private readonly screenText: ScreenReading;
  private readonly loops: LoopDetector;
  /** The built-in deny rules not removed, then the person's own. */
  private readonly denyRules: DenyRule[];
  private lastAction: AnyAction | null = null;
  /** The last action actually performed (the risk check looks at it: Enter after shell-like typing). */
  private lastPerformed: AnyAction | null = null;
  private stepsTaken = 0;

  constructor(
    readonly instruction: string,
    readonly settings: RunSettings,
    private readonly deps: AgentDeps,
    runId?: string,
  ) {
    this.runId = runId ?? newRunId();
    this.profile = profileForSettings(settings);
    const device = deps.desktop;
    if (this.profile.tool !== device.tool) {
      const fitting = [...PROFILES.values()].find((p) => p.tool === device.tool)?.id ?? 'one of that tool';
      throw new Error(
        `profile "${this.profile.id}" speaks ${this.profile.tool}, but the device "${device.kind}" speaks ${device.tool}; use a profile such as ${fitting}`,
      );
    }
    this.control = new RunControl(this.runId, deps.recorder, () => void deps.desktop.releaseAll());
    this.denyRules = activeDenyRules(settings);
    this.policy = new ApprovalPolicy(settings.approve, deps.approver, {
      denyRules: this.denyRules,
      space: this.profile.coordinates,
    });
    this.conversation = new Conversation(this.profile, settings, deps.model, this.control);
    // A screenshot stays in the model's view for this many requests (the history keeps the latest ones).
    this.screenText = new ScreenReading(settings.ocr, requestsInView(this.profile), this.control);
    this.loops = new LoopDetector(settings.loopThreshold);
  }

  get state(): RunState {
    return this.control.state;
  }

  on(listener: (event: RunEvent) => void): () => void {
    return this.control.on(listener);
  }

  /** Stop now: abort the stream and any pending approval; no input event is sent after this. */
  stop(reason = 'stopped by the person'): void {
    this.control.stop(reason);
  }

  /** Hold before the next action. */
  pause(): void {
    this.control.pause();
  }

  resume(): void {
    this.control.resume();
  }

  /** Run to the end. Never throws: every ending is a RunResult (and a run-finished event). */
  async start(): Promise<RunResult> {
    const control = this.control;
    control.emit({
      type: 'run-started',
      instruction: this.instruction,
      settings: redactSettings(this.settings) as Record<string, unknown>,
      profile: this.profile as unknown as Record<string, unknown>,
      runDir: this.deps.recorder?.dir ?? '',
    });
    control.setState('running');
    // Started now, ready while the first screenshot is taken and the model thinks (about a second).
    this.screenText.open();
    let result: RunResult;
    try {
      result = await this.loop();
    } catch (error) {
      const stopped = control.stopped;
      result = {
        runId: this.runId,
        outcome: stopped ? 'stopped' : 'error',
        message: stopped ? errorMessage(control.signal.reason) : errorMessage(error),
        steps: this.stepsTaken,
        lastAction: this.lastAction,
      };
    } finally {
      await this.deps.desktop.releaseAll().catch(() => undefined);
      await this.screenText.close();
    }
    control.emit({ type: 'run-finished', outcome: result.outcome, message: result.message, steps: result.steps });
    control.setState(result.outcome === 'error' ? 'failed' : 'done', result.message);
    await this.deps.recorder?.close().catch(() => undefined);
    return result;
  }

  private finish(outcome: RunOutcome, message: string, extra: Partial<RunResult> = {}): RunResult {
    return { runId: this.runId, outcome, message, steps: this.stepsTaken, lastAction: this.lastAction, ...extra };
  }

  private async loop(): Promise<RunResult> {
    const desktop = this.deps.desktop;
    const displays = await desktop.displays();
    const display = displays[this.settings.display];
    if (!display) {
      throw new Error(
        `display ${this.settings.display} does not exist; this desktop has ${displays.length} (0..${displays.length - 1})`,
      );
    }

    // The first observation; later ones come from the settle after the last action.
    let timings: Timings = {};
    let frame = await timed(timings, 'capture', () => desktop.capture(display));
    let image = await timed(timings, 'prepare', () => prepareImage(frame, this.profile.image));
    // Encoded once per screenshot: the event, the history and the request all share this string.
    let imageInput: ImageInput = this.modelInput(1, frame, image);

    for (let step = 1; step <= this.settings.maxSteps; step++) {
      this.control.checkStopped();
      this.stepsTaken = step;
      // The display the frame shows: a phone turned since the start reports its new orientation there.
      const shown = frame.display;
      this.observe(step, shown, frame, image, imageInput);
      this.screenText.startReading(step, frame);
      const screenHash = createHash('sha1').update(image.data).digest('hex');
      if (step === 1) this.conversation.start(this.instruction, imageInput);
      const imageSize = { width: image.width, height: image.height };
      const target: StepTarget = { display: shown, space: this.profile.coordinates, imageSize };

      const asked = await this.conversation.ask(step, target.imageSize, timings);
      const { reply, error } = await this.answerZooms(step, asked, target, timings);
      if (!reply) {
        return this.finish('error', error ?? `the model gave ${this.settings.maxInvalidReplies + 1} invalid replies in a row`);
      }

      if (reply.calls.length === 0) {
        // Only a profile whose replies without a call are its final answer gets here (replyWithoutCall: answer).
        const found = finalAnswer(reply.text, this.profile);
        this.control.emit({ type: 'answer', step, text: found.answer, ...(found.note ? { note: found.note } : {}) });
        this.control.emit({ type: 'timings', step, timings });
        return this.finish('answered', found.answer, { answer: found.answer });
      }
      const outcome = await this.act(step, reply, target, frame, screenHash, timings);
      if (outcome.end) {
        this.control.emit({ type: 'timings', step, timings });
        return outcome.end;
      }
      frame = outcome.frame ?? (await timed(timings, 'capture', () => desktop.capture(display)));
      const next = await timed(timings, 'prepare', () => prepareImage(frame, this.profile.image));
      this.control.emit({ type: 'timings', step, timings });
      timings = {};
      const nextInput = this.modelInput(step + 1, frame, next);
      this.conversation.addResults(outcome.results, nextInput);
      image = next;
      imageInput = nextInput;
    }
    return this.finish('max-steps', `stopped after the maximum of ${this.settings.maxSteps} steps without finishing`);
  }

  /** A screenshot as the history takes it: encoded once, with its capture kept while the model can zoom into it. */
  private modelInput(step: number, frame: Frame, image: ModelImage): ImageInput {
    const input: ImageInput = { mime: image.mime, base64: image.data.toString('base64') };
    if (!this.profile.extraTools.includes('image_zoom_in_tool')) return input;
    return { ...input, source: screenshotSource(step, frame, { width: image.width, height: image.height }) };
  }

  /**
   * Answer the reply's zooms and ask again, until a reply without zooms (the one the step acts on). Zooms past
   * `limits.zoomsPerStep` are refused; replies in which no zoom could be answered count as invalid replies, so the
   * rounds end within the retry budget.
   */
  private async answerZooms(
    step: number,
    first: ValidReply | null,
    target: StepTarget,
    timings: Timings,
  ): Promise<{ reply: ValidReply | null; error?: string }> {
    const control = this.control;
    const limit = this.profile.limits.zoomsPerStep;
    let reply = first;
    let zooms = 0;
    let round = 1;
    let fruitless = 0;
    while (reply && reply.calls.some(isZoomCall)) {
      const visible = this.conversation.visibleImages();
      const answered: Array<{ result: CallResult; event: ZoomEvent | null }> = [];
      for (const call of reply.calls) {
        // Pause holds and stop ends the step here too: zooms are quick, but a step may have several rounds.
        await control.pauseGate();
        if (!isZoomCall(call)) {
          answered.push({ result: { callId: call.id, name: call.name, text: NOT_PERFORMED_BESIDE_ZOOM }, event: null });
        } else if (zooms >= limit) {
          answered.push(refusedZoom(call, step, zoomLimitError(limit)));
        } else {
          const zoom = await timed(timings, 'prepare', () => answerZoom(call, { step, profile: this.profile, visible, recorder: this.deps.recorder }));
          // Only answered zooms count towards the limit; refused ones are bounded as fruitless replies below.
          if (zoom.result.image) zooms++;
          answered.push(zoom);
        }
      }
      control.checkStopped();
      const indices = this.conversation.addResults(answered.map((a) => a.result), null);
      answered.forEach(({ event }, i) => {
        if (!event) return;
        control.emit(event.crop ? { ...event, crop: { ...event.crop, index: indices[i] ?? -1 } } : event);
      });
      if (answered.some((a) => a.result.image)) fruitless = 0;
      else if (++fruitless > this.settings.maxInvalidReplies) {
        return { reply: null, error: `the model asked ${fruitless} times in a row for zooms that could not be answered` };
      }
      round++;
      reply = await this.conversation.ask(step, target.imageSize, timings, round);
    }
    return { reply };
  }

  private observe(step: number, display: Display, frame: Frame, image: ModelImage, input: ImageInput): void {
    const file = this.deps.recorder?.saveImage(step, image.data, image.mime) ?? '';
    this.control.emit({
      type: 'observation',
      step,
      display,
      image: { mime: image.mime, width: image.width, height: image.height, file, base64: input.base64 },
      source: { width: frame.width, height: frame.height },
    });
  }

  /** Propose, decide and perform the calls of one valid reply, in order. */
  private async act(
    step: number,
    reply: ValidReply,
    target: StepTarget,
    frame: Frame,
    screenHash: string,
    timings: Timings,
  ): Promise<{ end?: RunResult; frame?: Frame; results: CallResult[] }> {
    const control = this.control;
    const modelText = [reply.reasoning ?? '', reply.text].filter(Boolean).join('\n');
    const results: CallResult[] = [];
    const mapPoint = (coordinate: readonly [number, number]) => toScreen(target, coordinate);
    let lastFrame: Frame | undefined;
    let skipRest: string | null = null;

    for (const [index, call] of reply.calls.entries()) {
      if (skipRest) {
        results.push({ callId: call.id, name: call.name, text: skipRest });
        continue;
      }
      let action = call.arguments as AnyAction;
      this.lastAction = action;

      if (action.action === 'terminate') {
        const ok = action.status === 'success';
        return { results, end: this.finish(ok ? 'success' : 'failure', ok ? 'the model reports the task done' : 'the model gave up') };
      }
      if (action.action === 'answer') {
        // The answer where the profile puts it (the last \boxed{} for CapCurriculum-style models).
        const found = finalAnswer(action.text, this.profile);
        const shown = found.answer === action.text ? {} : { raw: action.text };
        control.emit({ type: 'answer', step, text: found.answer, ...shown, ...(found.note ? { note: found.note } : {}) });
        return { results, end: this.finish('answered', found.answer, { answer: found.answer }) };
      }

      const riskContext = await riskContextFor(
        action,
        {
          instruction: this.instruction,
          ownWindowTitles: this.deps.ownWindowTitles ?? [],
          modelText,
          imageSize: target.imageSize,
          ...(this.lastPerformed ? { previousAction: this.lastPerformed } : {}),
        },
        target,
        this.deps.windows,
      );
      const tool = this.profile.tool;
      const propose = (seenNow: ScreenSeen) =>
        buildProposal({ step, index, callId: call.id, tool, action, target, riskContext, denyRules: this.denyRules, seen: seenNow });
      let seen = await timed(timings, 'ocr', () => this.screenText.seen(step, action, frame, mapPoint));
      let proposal = propose(seen);
      control.emit({ type: 'proposal', proposal });

      // Loop detection: the same action, proposed again on a screen that did not change.
      const { looping, repeats } = this.loops.see(actionKey(action), screenHash);
      if (looping) {
        control.emit({ type: 'loop-detected', step, repeats, summary: proposal.summary });
        if (!this.deps.approver) {
          return { results, end: this.finish('error', `loop: "${proposal.summary}" proposed ${repeats} times on an unchanged screen`) };
        }
      }

      await control.pauseGate();
      const attended = this.deps.approver !== null;
      const decided = await timed(timings, 'approval', () =>
        decideProposal(proposal, { looping, context: riskContext, sighting: seen.sighting, attended }, this.policy, control),
      );
      control.emit({ type: 'decision', proposalId: proposal.id, decision: decided.decision, by: decided.by });
      const decision = decided.decision;

      if (decision.kind === 'stop') {
        control.stop('stopped at the approval prompt');
        control.checkStopped();
      }
      if (decision.kind === 'deny') {
        const note = decision.note.trim();
        results.push({
          callId: call.id,
          name: call.name,
          text: `The user denied this action; it was not performed.${note ? ` Note from the user: ${note}` : ''}`,
        });
        skipRest = 'Not performed: an earlier action in this reply was denied.';
        this.loops.reset();
        continue;
      }
      if (decision.kind === 'edit') {
        // The policy validated the edit with the same schemas as a model reply; parse again for the type.
        const schema = this.profile.tool === 'computer_use' ? ComputerActionSchema : MobileActionSchema;
        action = schema.parse(decided.edited?.action ?? decision.action);
        this.lastAction = action;
        seen = await timed(timings, 'ocr', () => this.screenText.seen(step, action, frame, mapPoint));
        proposal = propose(seen);
      }
      if (looping) this.loops.reset();

      // Perform. After a stop nothing is sent: checkStopped() right before, and the desktop gets the signal.
      await control.pauseGate();
      control.checkStopped();
      let resultText: string;
      try {
        const performed = await timed(timings, 'act', () => performOn(this.deps.desktop, action, target, control.signal));
        control.emit({
          type: 'action',
          proposalId: proposal.id,
          action: action as Record<string, unknown> & { action: string },
          ...(performed.screen ? { screen: performed.screen } : {}),
          ...(performed.screen2 ? { screen2: performed.screen2 } : {}),
          ok: true,
          ...(performed.note ? { note: performed.note } : {}),
        });
        this.lastPerformed = action;
        resultText = decision.kind === 'edit' ? `The user changed this action; performed instead: ${JSON.stringify(action)}` : 'Performed.';
        if (performed.warning) resultText += ` Note: ${performed.warning}.`;
      } catch (error) {
        control.checkStopped();
        const message = errorMessage(error);
        control.emit({
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
      const capture = () => this.deps.desktop.capture(target.display);
      lastFrame = await timed(timings, 'settle', () => settle(capture, this.settings.settle, action, control));
    }
    return { results, ...(lastFrame ? { frame: lastFrame } : {}) };
  }
}
