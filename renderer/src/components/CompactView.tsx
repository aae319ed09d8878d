/**
 * The compact view (the page opened with `#compact`): a small always-on-top window during a run with the run state,
 * the current step, what the model is saying now, the open question with Approve / Deny (and its note), and
 * Pause / Stop. Its header is the frameless window's drag handle.
 */
import { useEffect, useState } from 'react';
import type { BridgeStatus } from '../../../app/host/bridge';
import type { RunView } from '../run-model';
import type { DecideFn } from './ActionCard';
import { CompactLatest } from './CompactLatest';
import { CompactQuestion } from './CompactQuestion';
import { STATE_TEXT, runStateKey, useRunControls } from './InstructionBar';

const COMPACT_HASH = '#compact';
/** The full bar's words, one shortened to fit beside the step number and the buttons. */
const STATE_WORDS: Record<string, string> = { ...STATE_TEXT, 'awaiting-approval': 'Needs your approval' };

/** True while the page's hash is `#compact` (followed live: the hash can change without a reload). */
export function useCompactHash(): boolean {
  const [compact, setCompact] = useState(() => window.location.hash === COMPACT_HASH);
  useEffect(() => {
    const follow = () => setCompact(window.location.hash === COMPACT_HASH);
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return compact;
}

export function CompactView(props: { status: BridgeStatus; run: RunView | null; onDecide: DecideFn }) {
  const { run } = props;
  const controls = useRunControls(run);
  const step = run?.steps.at(-1);
  const state = runStateKey(run);
  // The open question anywhere in the run (normally in the last step); else the last step's latest proposal.
  const awaiting = run?.steps.flatMap((s) => s.proposals).find((p) => p.awaiting);
  const shown = awaiting ?? step?.proposals.at(-1);
  // "1 of 2" when the model proposed several actions in one step.
  const siblings = shown ? (run?.steps.find((s) => s.step === shown.proposal.step)?.proposals ?? []) : [];
  const position = siblings.length > 1 && shown ? { index: siblings.indexOf(shown) + 1, total: siblings.length } : undefined;

  return (
    <div className="compact">
      <header className="compact-head">
        <h1 className="compact-step">{run ? (step ? `Step ${step.step}` : 'Starting') : 'Deskpilot'}</h1>
        <span className={`state state-${controls.pausing ? 'paused' : state}`} role="status" aria-label="Run state">
          {!run ? 'No run' : controls.pausing ? 'Pausing...' : (STATE_WORDS[state] ?? state)}
        </span>
        <div className="compact-controls">
          <button type="button" disabled={!controls.active} onClick={() => void controls.control(controls.paused ? 'run.resume' : 'run.pause')}>
            {controls.paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="stop" disabled={!controls.active} onClick={() => void controls.control('run.stop')}>
            Stop
          </button>
        </div>
      </header>
      <div className="compact-body">
        {props.status.state !== 'open' ? (
          <p className={`connection ${props.status.state}`} role="alert">
            {props.status.state === 'closed' ? props.status.message : 'Connecting to Deskpilot...'}
          </p>
        ) : !run ? (
          <p className="dim compact-empty">No run yet. Start one in the Deskpilot window; its current step shows here.</p>
        ) : (
          <>
            <CompactLatest run={run} />
            {shown ? (
              <CompactQuestion
                key={shown.proposal.id}
                view={shown}
                live={!run.finished}
                onDecide={props.onDecide}
                {...(position ? { position } : {})}
              />
            ) : null}
          </>
        )}
        {controls.error ? (
          <p role="alert" className="error compact-line">
            {controls.error}
          </p>
        ) : null}
      </div>
    </div>
  );
}
