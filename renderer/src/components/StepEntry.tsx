/**
 * One step of a run: the screenshot the model saw (its zoomed-into regions boxed), its reasoning (streaming,
 * collapsible), the crops it zoomed into, its text, its actions.
 */
import { memo, useState } from 'react';
import type { CoordinateSpace } from '../../../app/screen/geometry';
import type { StepView } from '../run-model';
import { ActionCard, type DecideFn } from './ActionCard';
import { Screenshot } from './Screenshot';
import { ZoomList, zoomBoxes } from './Zooms';

/** Memoised: while one step streams, the others (and their screenshots) are not rendered again. */
export const StepEntry = memo(function StepEntry(props: {
  runId: string;
  step: StepView;
  live: boolean;
  space?: CoordinateSpace;
  onDecide?: DecideFn;
}) {
  const { step } = props;
  const [reasoningOpen, setReasoningOpen] = useState(true);
  const numbered = step.proposals.length > 1;
  const markers = step.proposals.flatMap((p, i) =>
    p.proposal.imagePoint
      ? [
          {
            point: p.proposal.imagePoint,
            ...(p.proposal.imagePoint2 ? { point2: p.proposal.imagePoint2 } : {}),
            label: numbered ? `${i + 1}: ${p.proposal.summary}` : p.proposal.summary,
          },
        ]
      : [],
  );
  const headingId = `step-${props.runId}-${step.step}`;
  return (
    <section className="step" aria-labelledby={headingId}>
      <h3 id={headingId} className="step-head">
        Step {step.step}
        {step.streaming ? <span className="pill live">model is answering</span> : null}
        {step.latencyMs !== undefined ? <span className="dim small"> {(step.latencyMs / 1000).toFixed(1)} s</span> : null}
      </h3>
      {step.image ? (
        <Screenshot
          runId={props.runId}
          image={step.image}
          markers={markers}
          boxes={zoomBoxes(step)}
          caption={`Screenshot the model saw at step ${step.step}`}
        />
      ) : null}

      {step.earlierReasoning || step.reasoning ? (
        <details className="reasoning" open={reasoningOpen} onToggle={(e) => setReasoningOpen((e.target as HTMLDetailsElement).open)}>
          <summary>Reasoning{step.streaming ? ' (streaming)' : ''}</summary>
          <div className="reasoning-text" aria-label={`Reasoning, step ${step.step}`} aria-live="off">
            {step.earlierReasoning}
            {step.reasoning}
          </div>
        </details>
      ) : step.streaming ? (
        <p className="dim">Waiting for the model...</p>
      ) : null}

      <ZoomList runId={props.runId} step={step} />

      {step.text.trim() ? (
        <div className="model-text" aria-label={`Model text, step ${step.step}`}>
          {step.text}
        </div>
      ) : null}

      {step.notes.map((n, i) => (
        <p key={i} className={`note note-${n.kind}`}>
          {n.text}
        </p>
      ))}

      {step.proposals.map((p, i) => (
        <ActionCard
          key={p.proposal.id}
          runId={props.runId}
          view={p}
          {...(step.image ? { image: step.image } : {})}
          live={props.live}
          {...(props.space ? { space: props.space } : {})}
          {...(props.onDecide ? { onDecide: props.onDecide } : {})}
          {...(numbered ? { number: i + 1 } : {})}
        />
      ))}

      {step.answer ? (
        <div className="answer" role="status">
          <strong>Answer:</strong> {step.answer}
        </div>
      ) : null}
    </section>
  );
});
