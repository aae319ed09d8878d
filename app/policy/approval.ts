/**
 * Approval: which proposals a person must see, and what happens to their answer. The policy holds the approval
 * mode, the run's "approve all identical actions" memory, and the deny rules (for re-checking edits); it asks the
 * Approver (terminal prompt, UI over IPC or WebSocket) only when the mode and the proposal's risk require it.
 *
 * - blocked (a deny rule matched): denied with the rule's reason as the note, in every mode, never shown as approvable;
 * - an action the person approved "for all identical actions": approved without asking again;
 * - `auto`: everything else approved; `risky`: safe ones approved, risky ones asked; `ask`: everything asked.
 */
import { DecisionSchema, type ApprovalMode, type Decision, type DenyRule, type Proposal, type Risk } from '../contract';
import { ComputerActionSchema, MobileActionSchema, type ComputerAction, type MobileAction } from '../base/actions';
import { isInsideSpace, type CoordinateSpace, type Size } from '../screen/geometry';
import { activeDenyRules } from './default-deny-rules';
import { actionKey, summarizeAction } from './describe';
import { classifyRisk, compileDenyRules, type RiskContext } from './risk';

export { actionKey, summarizeAction, normalizeCombo } from './describe';

export interface Approver {
  decide(proposal: Proposal, signal: AbortSignal): Promise<Decision>;
  /** Told why the person's last answer could not be used (e.g. an invalid edit) just before they are asked again. */
  refused?(proposal: Proposal, message: string): void;
}

export type DecidedBy = 'person' | 'policy' | 'rule' | 'approve-all';

export interface PolicyResult {
  decision: Decision;
  by: DecidedBy;
  /** Set when the person edited the action: the validated action (model coordinates), its new risk and summary. */
  edited?: { action: ComputerAction | MobileAction; risk: Risk; summary: string };
}

export interface ApprovalPolicyOptions {
  /** Every deny rule of the run (activeDenyRules(settings)): an edited action is classified again against them.
      Default: the built-in rules. */
  denyRules?: readonly DenyRule[];
  /** The model's coordinate space: edited points outside it (the grid, or the screenshot's pixels) are refused. */
  space?: CoordinateSpace;
}

/** Safety net against an approver that keeps sending unusable edits (a bug, not a person). */
const MAX_REFUSALS = 10;

export class ApprovalPolicy {
  private readonly approvedAll = new Set<string>();
  private readonly denyRules: readonly DenyRule[];
  private readonly space: CoordinateSpace | undefined;

  constructor(
    public mode: ApprovalMode,
    private readonly approver: Approver | null,
    options: ApprovalPolicyOptions = {},
  ) {
    this.denyRules = options.denyRules ?? activeDenyRules({ denyRules: [], removedDefaultDenyRules: [] });
    compileDenyRules(this.denyRules); // fail at start-up, not at the first edit
    this.space = options.space;
  }

  /** Forget every "approve all identical actions" answer (a new run). */
  reset(): void {
    this.approvedAll.clear();
  }

  /**
   * Decide one proposal. `context` is used to classify an edited action again (defaults to no context).
   * When `signal` aborts while waiting for the person, the result is `stop`.
   */
  async decide(proposal: Proposal, signal: AbortSignal, context?: RiskContext): Promise<PolicyResult> {
    if (proposal.risk.level === 'blocked') {
      const note = proposal.risk.reasons.join(' ') || 'Blocked by a deny rule.';
      return { decision: { kind: 'deny', note }, by: 'rule' };
    }
    if (this.approvedAll.has(actionKey(proposal.action))) {
      return { decision: { kind: 'approve' }, by: 'approve-all' };
    }
    if (this.mode === 'auto' || (this.mode === 'risky' && proposal.risk.level === 'safe')) {
      return { decision: { kind: 'approve' }, by: 'policy' };
    }
    if (!this.approver) {
      const note = `This action needs a person's approval (approval mode "${this.mode}") and no one is there to give it.`;
      return { decision: { kind: 'deny', note }, by: 'policy' };
    }
    return this.ask(this.approver, proposal, signal, context ?? { instruction: '' });
  }

  /**
   * Ask the person whatever the mode says (the loop uses it when it detects a repeat loop). Without an approver the
   * proposal is denied.
   */
  async askPerson(proposal: Proposal, signal: AbortSignal, context?: RiskContext): Promise<PolicyResult> {
    if (!this.approver) {
      return { decision: { kind: 'deny', note: 'This action needs a person and no one is there.' }, by: 'policy' };
    }
    return this.ask(this.approver, proposal, signal, context ?? { instruction: '' });
  }

  private async ask(approver: Approver, proposal: Proposal, signal: AbortSignal, context: RiskContext): Promise<PolicyResult> {
    for (let refusals = 0; ; refusals++) {
      if (refusals >= MAX_REFUSALS) {
        throw new Error(`the approver sent ${MAX_REFUSALS} unusable answers in a row for proposal ${proposal.id}`);
      }
      const answer = await untilAborted(approver.decide(proposal, signal), signal);
      if (answer === null) return { decision: { kind: 'stop' }, by: 'policy' };

      const parsed = DecisionSchema.safeParse(answer);
      if (!parsed.success) {
        approver.refused?.(proposal, `The answer was not a valid decision: ${parsed.error.issues[0]?.message ?? 'unknown shape'}.`);
        continue;
      }
      const decision = parsed.data;
      if (decision.kind === 'approve-all') this.approvedAll.add(actionKey(proposal.action));
      if (decision.kind !== 'edit') return { decision, by: 'person' };

      const checked = this.checkEdit(proposal, decision.action, context);
      if (typeof checked === 'string') {
        approver.refused?.(proposal, checked);
        continue;
      }
      return { decision: { kind: 'edit', action: checked.action }, by: 'person', edited: checked };
    }
  }

  /** Validate an edited action like a model's (same schemas, same space) and classify it again. */
  private checkEdit(
    proposal: Proposal,
    edited: unknown,
    context: RiskContext,
  ): { action: ComputerAction | MobileAction; risk: Risk; summary: string } | string {
    const schema = proposal.tool === 'mobile_use' ? MobileActionSchema : ComputerActionSchema;
    const result = schema.safeParse(edited);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
      return `The edited action is not a valid ${proposal.tool} action${where}: ${issue?.message ?? 'invalid'}. Nothing was performed.`;
    }
    const action = result.data;
    const outside = this.space ? pointOutside(action, this.space, context.imageSize) : null;
    if (outside) return `${outside} Nothing was performed.`;
    const risk = classifyRisk(action, context, this.denyRules);
    if (risk.level === 'blocked') {
      return `The edited action is blocked: ${risk.reasons.join(' ')} Nothing was performed.`;
    }
    return { action, risk, summary: summarizeAction(action) };
  }
}

/**
 * Why a point of `action` lies outside the model's space (a grid, or the pixels of the screenshot for absolute
 * profiles, whose size the loop passes in the risk context), or null when every point is inside.
 */
function pointOutside(action: ComputerAction | MobileAction, space: CoordinateSpace, imageSize: Size | undefined): string | null {
  for (const field of ['coordinate', 'coordinate2'] as const) {
    const point = (action as Partial<Record<typeof field, [number, number]>>)[field];
    if (!point) continue;
    if (space.kind === 'grid') {
      if (!isInsideSpace({ x: point[0], y: point[1] }, space, undefined)) {
        return `The edited ${field} (${point[0]}, ${point[1]}) is outside the model's 0..${space.size} grid.`;
      }
    } else if (!imageSize) {
      // No screenshot size to check against: only what no screenshot has.
      if (point[0] < 0 || point[1] < 0) return `The edited ${field} (${point[0]}, ${point[1]}) is outside the screenshot.`;
    } else if (!isInsideSpace({ x: point[0], y: point[1] }, space, imageSize)) {
      return `The edited ${field} (${point[0]}, ${point[1]}) is outside the ${imageSize.width}x${imageSize.height} screenshot the model saw (absolute pixel coordinates).`;
    }
  }
  return null;
}

/** The promise's value, or null as soon as the signal aborts (the approver's own rejection is then ignored). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(null);
  }
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = (): void => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) resolve(null);
        else reject(error);
      },
    );
  });
}
