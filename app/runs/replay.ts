/**
 * Replay: the actions a recorded run really performed, in order, with what is needed to perform them again -
 * the model's coordinates, the model's coordinate space, the display and the size of the image the model saw.
 * Coordinates are re-mapped at perform time with app/screen/geometry.ts, so a replay can target another display.
 */
import { z } from 'zod';
import { DenyRuleSchema, type DenyRule, type RunEvent } from '../contract';
import { activeDenyRules } from '../policy/default-deny-rules';
import { ComputerActionSchema, MobileActionSchema, type ComputerAction, type MobileAction } from '../base/actions';
import { getProfile } from '../model/profiles';
import type { CoordinateSpace, Display, Point, Size } from '../screen/geometry';
import { summarizeAction } from '../policy/describe';
import { readRun } from './recorder';

export interface ReplayStep {
  step: number;
  proposalId: string;
  tool: string;
  action: ComputerAction | MobileAction;
  /** The display the action was performed on when recorded. */
  display: Display;
  space: CoordinateSpace;
  /** Size of the image the model was sent at that step (absolute coordinates are relative to it). */
  imageSize: Size;
  summary: string;
  /** The global screen point the recorded run acted on. */
  recordedScreen?: Point;
}

export interface LoadedReplay {
  plan: ReplayStep[];
  /** The deny rules the recorded run applied (built-in ones it had not removed, then its own): a replay keeps them. */
  denyRules: DenyRule[];
  /** Problems with the record plus actions that cannot be replayed (and were left out), one sentence each. */
  problems: string[];
}

type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/** Read a run folder into a replay plan; only actions that succeeded are replayed. */
export function loadReplay(dir: string): LoadedReplay {
  const record = readRun(dir);
  const problems = [...record.problems];
  const profileId = record.settings?.profile;
  if (typeof profileId !== 'string') {
    throw new Error(`cannot replay ${record.dir}: settings.json does not say which model profile the run used`);
  }
  const space = getProfile(profileId).coordinates;

  const proposals = new Map<string, EventOf<'proposal'>['proposal']>();
  const observations = new Map<number, EventOf<'observation'>>();
  const plan: ReplayStep[] = [];
  for (const event of record.events) {
    if (event.type === 'observation') observations.set(event.step, event);
    if (event.type === 'proposal') proposals.set(event.proposal.id, event.proposal);
    if (event.type !== 'action' || !event.ok) continue;

    const proposal = proposals.get(event.proposalId);
    const step = proposal?.step ?? Number.parseInt(event.proposalId, 10);
    const observation = observations.get(step);
    if (!observation) {
      problems.push(`action ${event.proposalId} was left out: no screenshot of step ${step} is recorded`);
      continue;
    }
    const tool = proposal?.tool ?? 'computer_use';
    const parsed = (tool === 'mobile_use' ? MobileActionSchema : ComputerActionSchema).safeParse(event.action);
    if (!parsed.success) {
      problems.push(`action ${event.proposalId} was left out: ${parsed.error.issues[0]?.message ?? 'not a valid action'}`);
      continue;
    }
    plan.push({
      step,
      proposalId: event.proposalId,
      tool,
      action: parsed.data,
      display: observation.display,
      space,
      imageSize: { width: observation.image.width, height: observation.image.height },
      summary: summarizeAction(parsed.data, event.screen, event.screen2),
      ...(event.screen ? { recordedScreen: event.screen } : {}),
    });
  }
  const settings = DenyRuleSettingsSchema.safeParse(record.settings ?? {});
  if (!settings.success) problems.push('settings.json holds unreadable deny rules; only the built-in ones apply');
  const denyRules = activeDenyRules(settings.success ? settings.data : { denyRules: [], removedDefaultDenyRules: [] });
  return { plan, problems, denyRules };
}

/** The deny-rule fields of a recorded run's settings (older records have neither). */
const DenyRuleSettingsSchema = z.object({
  denyRules: z.array(DenyRuleSchema).default([]),
  removedDefaultDenyRules: z.array(z.string()).default([]),
});

/** What replay would do, in order. */
export function replayPlan(dir: string): ReplayStep[] {
  return loadReplay(dir).plan;
}
