/**
 * The instruction box and the run controls: Run, Ask (the same text as a question about the target's current
 * screen, components/Ask.tsx), Pause/Resume, Stop, and the run's state at a glance.
 */
import { useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { RUN_OUTCOME_LABELS, RUN_STATE_LABELS } from '../../../app/contract';
import { isActive, type RunView } from '../run-model';
import { useRequest } from '../useDeskpilot';
import { AskPanel, useAsk } from './Ask';
import { TargetPicker } from './TargetPicker';

export const STATE_TEXT: Record<string, string> = { ...RUN_STATE_LABELS, ...RUN_OUTCOME_LABELS };

/** The run's state as a STATE_TEXT key: its outcome once finished. */
export function runStateKey(run: RunView | null): string {
  return run ? (run.finished ? run.finished.outcome : run.state) : 'idle';
}

/** Pause/Resume and Stop (shared by this bar and the compact view); a pause holds before the next action. */
export function useRunControls(run: RunView | null) {
  const request = useRequest();
  const [error, setError] = useState<string | null>(null);
  const [pauseAsked, setPauseAsked] = useState(false);
  const active = isActive(run);
  const paused = pauseAsked || run?.state === 'paused';

  useEffect(() => {
    if (!active) setPauseAsked(false);
  }, [active]);

  const control = async (what: 'run.pause' | 'run.resume' | 'run.stop') => {
    setError(null);
    const answer = await request(what, {});
    if (!answer.ok) setError(answer.error);
    else if (what === 'run.pause') setPauseAsked(true);
    else setPauseAsked(false);
  };
  /** Pause asked for, not yet holding. */
  const pausing = pauseAsked && run?.state !== 'paused' && active;
  return { active, paused, pausing, error, setError, control };
}

export function InstructionBar(props: { run: RunView | null; connected: boolean; shown?: boolean }) {
  const request = useRequest();
  const [instruction, setInstruction] = useState('');
  const [busy, setBusy] = useState(false);
  const { active, paused, pausing, error, setError, control } = useRunControls(props.run);
  const questions = useAsk();
  const asking = questions.asking !== null;

  const start = async (e?: FormEvent) => {
    e?.preventDefault();
    if (active || busy || asking) return;
    setBusy(true);
    setError(null);
    const answer = await request('run.start', { instruction });
    setBusy(false);
    if (!answer.ok) setError(answer.error);
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter runs, Shift+Enter is a new line.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void start();
    }
  };

  const state = runStateKey(props.run);
  const empty = instruction.trim() === '';
  const askRefusal = active
    ? 'A run is going: the agent is changing the screen. Ask when it has finished, or Stop it.'
    : !props.connected
      ? 'Not connected to Deskpilot.'
      : empty
        ? 'Type a question about the screen first.'
        : null;
  return (
    <form className="instruction-bar" onSubmit={(e) => void start(e)}>
      <TargetPicker disabled={active || busy || asking || !props.connected} shown={props.shown ?? true} connected={props.connected} />
      <label htmlFor="instruction">Instruction</label>
      <textarea
        id="instruction"
        rows={2}
        value={instruction}
        placeholder="What should the agent do? Or a question about the screen, then Ask. (Enter runs, Shift+Enter for a new line)"
        onChange={(e) => setInstruction(e.target.value)}
        onKeyDown={onKey}
      />
      <div className="controls">
        <button type="submit" className="primary" disabled={active || busy || asking || !props.connected || empty}>
          Run
        </button>
        {asking ? (
          <button type="button" onClick={() => void questions.cancel()}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            disabled={askRefusal !== null || busy}
            title={askRefusal ?? 'Ask the model this question about the current screen of the target; nothing is done on it'}
            onClick={() => void questions.ask(instruction)}
          >
            Ask
          </button>
        )}
        <button type="button" disabled={!active} onClick={() => void control(paused ? 'run.resume' : 'run.pause')}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="stop" disabled={!active} onClick={() => void control('run.stop')}>
          Stop
        </button>
        <span className={`state state-${state}`} role="status" aria-label="Run state">
          {props.run ? (STATE_TEXT[state] ?? state) : 'No run yet'}
          {pausing ? ' (pausing before the next action)' : ''}
        </span>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <AskPanel state={questions} />
    </form>
  );
}
