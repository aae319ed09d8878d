/** Run history: past run records, newest first; opening one shows it in the trajectory viewer. */
import { useCallback, useEffect, useState } from 'react';
import type { RunDetails, RunListItem } from '../../../app/host/bridge';
import { reduceAll, type RunView } from '../run-model';
import { useRequest } from '../useDeskpilot';
import { Trace } from './Trace';

function when(ms: number): string {
  return ms ? new Date(ms).toLocaleString() : 'unknown time';
}

export function TrajectoryViewer(props: { details: RunDetails; onBack: () => void }) {
  const view: RunView | null = reduceAll(props.details.events, props.details.runId);
  return (
    <div className="viewer">
      <div className="viewer-head">
        <button type="button" onClick={props.onBack}>
          Back to history
        </button>
        <h2>{view?.instruction || props.details.runId}</h2>
        <p className="dim small">{props.details.dir}</p>
      </div>
      {props.details.problems.length ? (
        <ul className="problems" aria-label="Problems with this record">
          {props.details.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      {view ? <Trace run={view} live={false} /> : <p>This run recorded no events.</p>}
    </div>
  );
}

export function History(props: { refreshKey: string }) {
  const request = useRequest();
  const [runs, setRuns] = useState<RunListItem[] | null>(null);
  const [open, setOpen] = useState<RunDetails | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    void request('runs.list', {}).then((answer) => {
      if (answer.ok) setRuns(answer.value);
      else setError(answer.error);
    });
  }, [request]);

  useEffect(load, [load, props.refreshKey]);

  const openRun = async (runId: string) => {
    setError(null);
    const answer = await request('runs.get', { runId });
    if (answer.ok) setOpen(answer.value);
    else setError(answer.error);
  };

  if (open) return <TrajectoryViewer details={open} onBack={() => setOpen(null)} />;
  return (
    <div className="history">
      <div className="history-head">
        <h2>Past runs</h2>
        <button type="button" onClick={load}>
          Refresh
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {runs === null ? <p className="dim">Loading...</p> : runs.length === 0 ? <p className="dim">No runs recorded yet.</p> : null}
      <ul className="run-list">
        {runs?.map((r) => (
          <li key={r.runId}>
            <button type="button" className="run-item" onClick={() => void openRun(r.runId)}>
              <span className="run-instruction">{r.instruction || r.runId}</span>
              <span className="run-meta">
                <span className={`pill outcome-${r.outcome ?? 'unfinished'}`}>{r.outcome ?? 'unfinished'}</span> {r.steps}{' '}
                {r.steps === 1 ? 'step' : 'steps'} · {when(r.startedAt)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
