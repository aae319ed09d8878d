/**
 * One proposed action: what it will do, where (a crop of the screenshot with the point marked), and why it is or is
 * not risky. While it waits for the person: Approve, Deny (sends the note), Edit (the action as JSON, checked again
 * by the engine), and the "Note to the model" field.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { BridgeResponse } from '../../../app/host/bridge';
import type { Decision, ImageRef } from '../../../app/contract';
import { imageToModel, modelToImage, type CoordinateSpace } from '../../../app/screen/geometry';
import type { ProposalView } from '../run-model';
import { PointZoom, useImageSrc } from './Screenshot';

export type DecideFn = (proposalId: string, decision: Decision) => Promise<BridgeResponse>;

export const RISK_LABEL = { safe: 'Safe', risky: 'Risky', blocked: 'Blocked' } as const;

/** A risky action's Approve is not the inviting green one: approving it should be a deliberate act. */
export function approveClass(level: keyof typeof RISK_LABEL): string {
  return level === 'safe' ? 'approve' : 'approve-risky';
}

/**
 * Answering one proposal (shared by the action card and the compact view): the note to the model, which Deny
 * sends; busy while the host answers; the host's refusal as `error`. `send` resolves true when it was accepted.
 */
export function useDecision(proposalId: string, onDecide?: DecideFn) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = useCallback(
    async (decision: Decision): Promise<boolean> => {
      if (!onDecide) return false;
      setBusy(true);
      setError(null);
      const answer = await onDecide(proposalId, decision);
      setBusy(false);
      if (!answer.ok) setError(answer.error);
      return answer.ok;
    },
    [proposalId, onDecide],
  );
  const deny = useCallback(() => send({ kind: 'deny', note }), [send, note]);
  return { note, setNote, error, setError, busy, send, deny };
}

export function decisionText(view: ProposalView): string | null {
  const d = view.decision;
  if (!d) return null;
  const who = view.decidedBy === 'person' ? 'by you' : view.decidedBy === 'approve-all' ? '(approved all like it)' : `by ${view.decidedBy}`;
  switch (d.kind) {
    case 'approve':
      return `Approved ${who}`;
    case 'approve-all':
      return `Approved ${who}, with every identical action`;
    case 'deny':
      return `Denied ${who}${d.note ? ` - note to the model: "${d.note}"` : ''}`;
    case 'edit':
      return `Edited ${who}: ${JSON.stringify(d.action)}`;
    case 'stop':
      return 'Stopped here';
  }
}

/** The edited action's `coordinate`, if the JSON holds one. */
function coordinateOf(json: string): [number, number] | null {
  try {
    const value = JSON.parse(json) as { coordinate?: unknown };
    const c = value.coordinate;
    const [x, y] = Array.isArray(c) && c.length === 2 ? (c as unknown[]) : [];
    return typeof x === 'number' && typeof y === 'number' ? [x, y] : null;
  } catch {
    return null;
  }
}

/**
 * Pick a new point for the action by clicking the screenshot; the click is turned into the model's coordinates by
 * the engine's mapper (imageToModel) and written into the edited JSON.
 */
function PointPicker(props: { runId: string; image: ImageRef; space: CoordinateSpace; edited: string; onPick: (point: [number, number]) => void }) {
  const { src } = useImageSrc(props.runId, props.image);
  const size = { width: props.image.width, height: props.image.height };
  const current = coordinateOf(props.edited);
  const marker = current ? modelToImage({ x: current[0], y: current[1] }, props.space, size, size) : null;
  if (!src) return null;
  return (
    <div className="picker">
      <p className="hint">Click the screenshot to choose a new point (or edit the JSON below).</p>
      <div className="screenshot-frame">
        <img
          src={src}
          width={size.width}
          height={size.height}
          alt="Pick a new point: click where the action should happen"
          onClick={(e) => {
            const box = e.currentTarget.getBoundingClientRect();
            const onImage = { x: ((e.clientX - box.left) / box.width) * size.width, y: ((e.clientY - box.top) / box.height) * size.height };
            const model = imageToModel(onImage, props.space, size, size);
            props.onPick([model.x, model.y]);
          }}
        />
        {marker ? (
          <span
            className="marker"
            aria-hidden="true"
            style={{ left: `${(marker.x / size.width) * 100}%`, top: `${(marker.y / size.height) * 100}%` }}
          />
        ) : null}
      </div>
    </div>
  );
}

export function ActionCard(props: {
  runId: string;
  view: ProposalView;
  image?: ImageRef;
  /** The model's coordinate space (from the run's profile): enables picking a new point on the screenshot. */
  space?: CoordinateSpace;
  live: boolean;
  onDecide?: DecideFn;
  number?: number;
}) {
  const { proposal, awaiting } = props.view;
  const { note, setNote, error, setError, busy, send: sendDecision, deny } = useDecision(proposal.id, props.onDecide);
  const [editing, setEditing] = useState(false);
  const [edited, setEdited] = useState(() => JSON.stringify(proposal.action, null, 1));
  const cardRef = useRef<HTMLElement>(null);
  const ids = useId();
  const canDecide = props.live && awaiting && !!props.onDecide;

  // Bring the question into view; take focus only when the person is not typing somewhere.
  useEffect(() => {
    if (!canDecide) return;
    cardRef.current?.scrollIntoView({ block: 'nearest' });
    const active = document.activeElement;
    const typing = active instanceof HTMLTextAreaElement || active instanceof HTMLInputElement;
    if (!typing) cardRef.current?.focus({ preventScroll: true });
  }, [canDecide]);

  const send = async (decision: Decision) => {
    if (await sendDecision(decision)) setEditing(false);
  };

  const sendEdit = () => {
    let action: unknown;
    try {
      action = JSON.parse(edited);
    } catch (e) {
      setError(`The edited action is not JSON: ${(e as Error).message}`);
      return;
    }
    if (!action || typeof action !== 'object' || Array.isArray(action) || typeof (action as { action?: unknown }).action !== 'string') {
      setError('The edited action must be a JSON object with an "action" field, like the original.');
      return;
    }
    void send({ kind: 'edit', action: action as Record<string, unknown> & { action: string } });
  };

  const risk = proposal.risk;
  const status = decisionText(props.view);
  const result = props.view.result;
  return (
    <article
      ref={cardRef}
      tabIndex={-1}
      className={`card risk-${risk.level}${awaiting ? ' awaiting' : ''}`}
      aria-label={`Proposed action${props.number ? ` ${props.number}` : ''}: ${proposal.summary}`}
    >
      <header className="card-head">
        <span className={`badge badge-${risk.level}`}>{RISK_LABEL[risk.level]}</span>
        <h4 className="card-title">
          {props.number ? <span className="card-number">{props.number}</span> : null}
          {proposal.summary}
        </h4>
      </header>

      <div className="card-body">
        {proposal.imagePoint && props.image ? (
          <PointZoom
            runId={props.runId}
            image={props.image}
            point={proposal.imagePoint}
            label={`Where: ${proposal.screen ? `screen point (${proposal.screen.x}, ${proposal.screen.y})` : 'the marked point'}`}
          />
        ) : null}
        <div className="card-facts">
          {proposal.screen ? (
            <p>
              <span className="dim">Where:</span> screen ({proposal.screen.x}, {proposal.screen.y})
            </p>
          ) : null}
          <div className="risk-why">
            {risk.level === 'safe' ? (
              <p>Not risky: the policy found nothing here that needs extra care.</p>
            ) : (
              <ul aria-label="Why it is risky">
                {risk.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            )}
          </div>
          <details className="raw">
            <summary>Arguments</summary>
            <pre>{JSON.stringify(proposal.action, null, 1)}</pre>
          </details>
        </div>
      </div>

      {canDecide ? (
        <div className="decide">
          <label htmlFor={`${ids}-note`}>Note to the model</label>
          <textarea
            id={`${ids}-note`}
            rows={2}
            value={note}
            placeholder="Optional; sent with Deny"
            onChange={(e) => setNote(e.target.value)}
          />
          {editing ? (
            <div className="edit">
              {props.image && props.space && 'coordinate' in proposal.action ? (
                <PointPicker
                  runId={props.runId}
                  image={props.image}
                  space={props.space}
                  edited={edited}
                  onPick={(point) => {
                    let base: Record<string, unknown> = proposal.action;
                    try {
                      base = JSON.parse(edited) as Record<string, unknown>;
                    } catch {
                      // Unparsable JSON: start again from the proposed action.
                    }
                    setEdited(JSON.stringify({ ...base, coordinate: point }, null, 1));
                    setError(null);
                  }}
                />
              ) : null}
              <label htmlFor={`${ids}-edit`}>Edited action (JSON)</label>
              <textarea id={`${ids}-edit`} rows={4} className="mono" value={edited} onChange={(e) => setEdited(e.target.value)} />
              <div className="buttons">
                <button type="button" className="primary" disabled={busy} onClick={sendEdit}>
                  Perform edited action
                </button>
                <button type="button" disabled={busy} onClick={() => setEditing(false)}>
                  Cancel edit
                </button>
              </div>
            </div>
          ) : null}
          <div className="buttons">
            <button
              type="button"
              className={approveClass(risk.level)}
              disabled={busy || risk.level === 'blocked'}
              onClick={() => void send({ kind: 'approve' })}
            >
              Approve
            </button>
            <button type="button" className="deny" disabled={busy} onClick={() => void deny()}>
              Deny
            </button>
            <button type="button" disabled={busy || editing} onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="subtle" disabled={busy || risk.level === 'blocked'} onClick={() => void send({ kind: 'approve-all' })}>
              Approve all like this
            </button>
          </div>
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {status || result ? (
        <p className="card-status" role="status">
          {status}
          {result ? (result.ok ? ` · performed${result.note ? ` (${result.note})` : ''}` : ` · failed: ${result.error ?? 'unknown error'}`) : ''}
        </p>
      ) : props.live && !awaiting ? (
        <p className="card-status dim">Deciding...</p>
      ) : null}
    </article>
  );
}
