/**
 * One proposed action, as a person sees it: where it lands (mapped by screen/geometry.ts), what is there (the
 * screen text), how risky it is and why (app/policy), and who decides it - the approval policy, or a person
 * whatever the mode when the run is looping or text on the screen addressed the agent.
 */
import type { AnyAction } from '../base/actions';
import type { DenyRule, Proposal } from '../contract';
import type { WindowProbe } from '../platform/windows';
import { summarizeAction, type ApprovalPolicy, type PolicyResult } from '../policy/approval';
import { classifyRisk, type RiskContext } from '../policy/risk';
import {
  injectionDenyNote,
  injectionReason,
  labelRisk,
  needsPersonAfterInjection,
  withScreenReasons,
  type InjectionSighting,
} from '../policy/screen-risk';
import { isInsideSpace, modelToGlobal, modelToImage, type CoordinateSpace, type Display, type Point, type Size } from '../screen/geometry';
import type { RunControl } from './run-control';
import { NOTHING_SEEN, type ScreenSeen } from './screen-reading';

/** Where the step's actions point: the display, the model's space, and the image the model saw. */
export interface StepTarget {
  display: Display;
  space: CoordinateSpace;
  imageSize: Size;
}

/** A model point -> the global screen point. */
export function toScreen(target: StepTarget, coordinate: readonly [number, number]): Point {
  return modelToGlobal({ x: coordinate[0], y: coordinate[1] }, target.space, target.display, target.imageSize);
}

/** What the classifier knows about an action: the run's context, and the windows it reaches (when a probe is given). */
export async function riskContextFor(
  action: AnyAction,
  context: RiskContext,
  target: StepTarget,
  probe: WindowProbe | undefined,
): Promise<RiskContext> {
  if (!probe) return context;
  const [focused, atPoint] = await Promise.all([
    probe.focused().catch(() => undefined),
    'coordinate' in action && action.coordinate
      ? probe.atPoint(toScreen(target, action.coordinate)).catch(() => undefined)
      : Promise.resolve(undefined),
  ]);
  return { ...context, ...(focused ? { focusedWindow: focused } : {}), ...(atPoint ? { windowAtPoint: atPoint } : {}) };
}

export interface ProposalInput {
  step: number;
  index: number;
  callId: string;
  tool: string;
  action: AnyAction;
  target: StepTarget;
  riskContext: RiskContext;
  denyRules: readonly DenyRule[];
  seen?: ScreenSeen;
}

export function buildProposal(input: ProposalInput): Proposal {
  const { step, index, action, target } = input;
  const seen = input.seen ?? NOTHING_SEEN;
  let screen: Point | undefined;
  let imagePoint: Point | undefined;
  if ('coordinate' in action && action.coordinate) {
    const point = { x: action.coordinate[0], y: action.coordinate[1] };
    if (!isInsideSpace(point, target.space, target.imageSize)) {
      throw new Error(`coordinate ${JSON.stringify(action.coordinate)} is outside the model's space`);
    }
    screen = modelToGlobal(point, target.space, target.display, target.imageSize);
    imagePoint = modelToImage(point, target.space, target.imageSize, target.imageSize);
  }
  // A swipe's end point, mapped by the same mapper (the parser checked it is inside the model's space).
  const screen2 = 'coordinate2' in action ? toScreen(target, action.coordinate2) : undefined;
  const imagePoint2 =
    'coordinate2' in action
      ? modelToImage({ x: action.coordinate2[0], y: action.coordinate2[1] }, target.space, target.imageSize, target.imageSize)
      : undefined;
  const label = seen.label?.text;
  const screenReasons = [
    labelRisk(action, label),
    seen.sighting && needsPersonAfterInjection(action) ? injectionReason(seen.sighting, step) : null,
  ].filter((reason): reason is string => reason !== null);
  const risk = withScreenReasons(classifyRisk(action, input.riskContext, input.denyRules), screenReasons);
  return {
    id: `${step}.${index}`,
    step,
    index,
    callId: input.callId,
    tool: input.tool,
    action: action as Record<string, unknown> & { action: string },
    summary: summarizeAction(action, screen, screen2, label),
    ...(seen.label ? { target: { label: seen.label.text, source: 'ocr' as const, box: seen.label.box } } : {}),
    ...(screen ? { screen } : {}),
    ...(imagePoint ? { imagePoint } : {}),
    ...(imagePoint2 ? { imagePoint2 } : {}),
    risk,
  };
}

/**
 * Who decides: `wait` goes ahead unasked; a looping run, or an action after text addressed to the agent, asks a
 * person whatever the mode (a deny rule still denies first; unattended, such an action is refused); everything
 * else follows the approval policy.
 */
export async function decideProposal(
  proposal: Proposal,
  options: { looping: boolean; context: RiskContext; sighting: InjectionSighting | null; attended: boolean },
  policy: ApprovalPolicy,
  control: RunControl,
): Promise<PolicyResult> {
  const { looping, context, sighting } = options;
  const steered = sighting !== null && proposal.risk.level !== 'blocked' && needsPersonAfterInjection(proposal.action);
  const forceAsk = looping || steered;
  const passive = proposal.action.action === 'wait';
  if (passive && !forceAsk) return { decision: { kind: 'approve' }, by: 'policy' };
  control.setState('awaiting-approval');
  control.emit({ type: 'approval-requested', proposal });
  try {
    if (steered && !options.attended) {
      return { decision: { kind: 'deny', note: injectionDenyNote(sighting, proposal.step) }, by: 'policy' };
    }
    if (forceAsk) return await policy.askPerson(proposal, control.signal, context);
    return await policy.decide(proposal, control.signal, context);
  } finally {
    if (!control.stopped) control.setState('running');
  }
}
