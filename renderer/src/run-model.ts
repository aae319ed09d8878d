/**
 * Run events -> what the UI shows: one entry per step with its screenshot, reasoning, text and proposals with their
 * decisions and results. A pure reducer, used for the live run and for past runs in the trajectory viewer alike.
 */
import type { Decision, ImageRef, Proposal, RunEvent, RunOutcome, RunState } from '../../app/contract';

export interface ProposalView {
  proposal: Proposal;
  awaiting: boolean;
  decision?: Decision;
  decidedBy?: string;
  result?: { ok: boolean; error?: string; note?: string; action: Record<string, unknown> };
}

/** One image_zoom_in_tool call of a step, as the engine reported it (the `zoom` RunEvent's own facts). */
export type ZoomView = Omit<Extract<RunEvent, { type: 'zoom' }>, 'type' | 'runId' | 'at' | 'step'>;

export interface StepView {
  step: number;
  image?: ImageRef;
  reasoning: string;
  text: string;
  /** The model is answering (between request and reply). */
  streaming: boolean;
  attempt: number;
  notes: Array<{ kind: 'feedback' | 'retry' | 'error' | 'loop' | 'notice'; text: string }>;
  proposals: ProposalView[];
  /** The zooms the model made before it acted, in order (answered with a crop, or refused with the reason). */
  zooms: ZoomView[];
  /** The reasoning of the step's earlier rounds (before the model saw its zooms' crops). */
  earlierReasoning: string;
  answer?: string;
  latencyMs?: number;
}

export interface RunView {
  runId: string;
  instruction: string;
  /** The profile id the run used (its coordinate space is needed to edit a point). */
  profile?: string;
  state: RunState;
  stateReason?: string;
  steps: StepView[];
  finished?: { outcome: RunOutcome; message: string; steps: number };
}

export function emptyRun(runId: string, instruction = ''): RunView {
  return { runId, instruction, state: 'idle', steps: [] };
}

function newStep(step: number): StepView {
  return { step, reasoning: '', text: '', streaming: false, attempt: 1, notes: [], proposals: [], zooms: [], earlierReasoning: '' };
}

/** Copy-on-write update of one step (created when missing). */
function withStep(view: RunView, step: number, update: (s: StepView) => StepView): RunView {
  const index = view.steps.findIndex((s) => s.step === step);
  const steps = view.steps.slice();
  if (index === -1) steps.push(update(newStep(step)));
  else steps[index] = update(steps[index]!);
  return { ...view, steps };
}

function withProposal(view: RunView, proposalId: string, update: (p: ProposalView) => ProposalView): RunView {
  const step = Number(proposalId.split('.')[0]);
  return withStep(view, step, (s) => ({
    ...s,
    proposals: s.proposals.map((p) => (p.proposal.id === proposalId ? update(p) : p)),
  }));
}

export function reduceRun(current: RunView | null, event: RunEvent): RunView {
  let view = current && current.runId === event.runId ? current : emptyRun(event.runId);
  switch (event.type) {
    case 'run-started':
      return {
        ...view,
        instruction: event.instruction,
        ...(typeof event.settings.profile === 'string' ? { profile: event.settings.profile } : {}),
      };
    case 'state':
      return { ...view, state: event.state, ...(event.reason ? { stateReason: event.reason } : {}) };
    case 'observation':
      return withStep(view, event.step, (s) => ({ ...s, image: event.image }));
    case 'model-request':
      return withStep(view, event.step, (s) => ({
        ...s,
        streaming: true,
        attempt: event.attempt,
        // A new attempt (after an invalid reply) streams afresh; the reason is kept in the notes.
        ...(event.attempt > 1 ? { reasoning: '', text: '' } : {}),
        // A new round (after zooms): what the model thought before it saw the crops stays readable.
        ...((event.round ?? 1) > 1 && event.attempt === 1 && s.reasoning
          ? { earlierReasoning: `${s.earlierReasoning}${s.reasoning}\n\n`, reasoning: '', text: '' }
          : {}),
      }));
    case 'reasoning-delta':
      return withStep(view, event.step, (s) => ({ ...s, reasoning: s.reasoning + event.delta }));
    case 'content-delta':
      return withStep(view, event.step, (s) => ({ ...s, text: s.text + event.delta }));
    case 'model-reply':
      return withStep(view, event.step, (s) => ({
        ...s,
        streaming: false,
        reasoning: event.reasoning ?? s.reasoning,
        text: event.text,
        latencyMs: event.latencyMs,
      }));
    case 'model-retry':
      return withStep(view, event.step, (s) => ({
        ...s,
        notes: [...s.notes, { kind: 'retry', text: `Model request failed (${event.error}); retrying (attempt ${event.attempt}).` }],
      }));
    case 'feedback':
      return withStep(view, event.step, (s) => ({ ...s, notes: [...s.notes, { kind: 'feedback', text: event.message }] }));
    case 'notice':
      return withStep(view, event.step, (s) => ({ ...s, notes: [...s.notes, { kind: 'notice', text: event.message }] }));
    case 'loop-detected':
      return withStep(view, event.step, (s) => ({
        ...s,
        notes: [
          ...s.notes,
          { kind: 'loop', text: `The same action was proposed ${event.repeats} times on an unchanged screen: ${event.summary}.` },
        ],
      }));
    case 'proposal':
      return withStep(view, event.proposal.step, (s) => {
        const exists = s.proposals.some((p) => p.proposal.id === event.proposal.id);
        return {
          ...s,
          proposals: exists
            ? s.proposals.map((p) => (p.proposal.id === event.proposal.id ? { ...p, proposal: event.proposal } : p))
            : [...s.proposals, { proposal: event.proposal, awaiting: false }],
        };
      });
    case 'approval-requested':
      view = withStep(view, event.proposal.step, (s) =>
        s.proposals.some((p) => p.proposal.id === event.proposal.id)
          ? s
          : { ...s, proposals: [...s.proposals, { proposal: event.proposal, awaiting: false }] },
      );
      return withProposal(view, event.proposal.id, (p) => ({ ...p, awaiting: true }));
    case 'decision':
      return withProposal(view, event.proposalId, (p) => ({ ...p, awaiting: false, decision: event.decision, decidedBy: event.by }));
    case 'action':
      return withProposal(view, event.proposalId, (p) => ({
        ...p,
        result: { ok: event.ok, action: event.action, ...(event.error ? { error: event.error } : {}), ...(event.note ? { note: event.note } : {}) },
      }));
    case 'answer':
      return withStep(view, event.step, (s) => ({ ...s, answer: event.text }));
    case 'zoom': {
      const { type: _type, runId: _runId, at: _at, step, ...zoom } = event;
      return withStep(view, step, (s) => ({ ...s, zooms: [...s.zooms, zoom] }));
    }
    case 'run-finished': {
      // Nothing waits any more once the run has ended.
      const steps = view.steps.map((s) => ({
        ...s,
        streaming: false,
        proposals: s.proposals.map((p) => ({ ...p, awaiting: false })),
      }));
      return { ...view, steps, finished: { outcome: event.outcome, message: event.message, steps: event.steps } };
    }
    default:
      return view;
  }
}

export function reduceAll(events: RunEvent[], runId?: string): RunView | null {
  let view: RunView | null = runId ? emptyRun(runId) : null;
  for (const event of events) view = reduceRun(view, event);
  return view;
}

export function isActive(view: RunView | null): boolean {
  return !!view && !view.finished && view.state !== 'done' && view.state !== 'failed' && view.state !== 'idle';
}
