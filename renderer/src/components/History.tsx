/**
 * Run history: past run records, newest first (a badge on runs that hold corrections); opening one shows it in the
 * trajectory viewer, with "Export for training" (what `deskpilot export` writes, for that run).
 */
import { useCallback, useEffect, useState } from 'react';
import { TRAINING_FORMATS, type TrainingFormat } from '../../../app/contract';
import type { RunDetails, RunExport, RunListItem } from '../../../app/host/bridge';
import { reduceAll, type RunView } from '../run-model';
import { useRequest } from '../useDeskpilot';
import { Trace } from './Trace';

function when(ms: number): string {
  return ms ? new Date(ms).toLocaleString() : 'unknown time';
}

const FORMAT_LABELS: Record<TrainingFormat, string> = {
  sft: 'SFT: approved and edited steps',
  dpo: 'DPO: pairs from edits and denials with a note',
  osworld: 'OSWorld: a scored task run',
};

function exportedText(result: RunExport): string {
  const kinds = Object.entries(result.counts).filter(([kind]) => kind !== 'partial');
  const total = kinds.reduce((n, [, c]) => n + c, 0);
  return `${total} written${kinds.length ? ` (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')})` : ''} to ${result.dir}`;
}

/** The export form of one run: format, optional filters (as for `deskpilot export --filter`), the result. */
function ExportForTraining(props: { runId: string }) {
  const request = useRequest();
  const [format, setFormat] = useState<TrainingFormat>('sft');
  const [filters, setFilters] = useState('');
  const [redact, setRedact] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RunExport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    const answer = await request('runs.export', { runId: props.runId, format, filters: filters.split(/\s+/).filter(Boolean), redact });
    setBusy(false);
    if (answer.ok) setResult(answer.value);
    else setError(answer.error);
  };
  return (
    <section className="export-training" aria-label="Export for training">
      <label>
        Format{' '}
        <select value={format} onChange={(e) => setFormat(e.target.value as TrainingFormat)}>
          {TRAINING_FORMATS.map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        Filters{' '}
        <input value={filters} placeholder="risk=risky" onChange={(e) => setFilters(e.target.value)} />
      </label>{' '}
      <label>
        <input type="checkbox" checked={redact} onChange={(e) => setRedact(e.target.checked)} /> Blur and replace what the deny rules
        match
      </label>{' '}
      <button type="button" disabled={busy} onClick={() => void run()}>
        Export for training
      </button>
      <p className="dim small">Screenshots may contain personal data: look at what you export before you share it.</p>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {result ? (
        <div role="status">
          <p>{exportedText(result)}</p>
          {result.redacted ? (
            <p className="dim small">
              Redacted {result.redacted.regions} regions on {result.redacted.images} images.
            </p>
          ) : null}
          {Object.keys(result.skipped).length || result.missing.length ? (
            <ul className="problems">
              {Object.entries(result.skipped).map(([reason, n]) => (
                <li key={reason}>
                  not exported: {n} × {reason}
                </li>
              ))}
              {result.missing.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
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
        <ExportForTraining runId={props.details.runId} />
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
                {r.corrections > 0 ? (
                  <span className="pill corrections" title="Actions you denied or edited: training data (open the run to export it)">
                    {r.corrections} {r.corrections === 1 ? 'correction' : 'corrections'}
                  </span>
                ) : null}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
