/**
 * "Ask": a question about the current screen of the run target, answered by the model (the host's `ask` request,
 * app/agent/ask.ts, as `deskpilot ask`). The hook holds the one question in flight (busy, Cancel) and its answer or
 * error; the panel shows the answer, the note when it is not in the profile's form (no \boxed{}), and the reasoning.
 */
import { useCallback, useState } from 'react';
import type { AskAnswer } from '../../../app/host/bridge';
import { useRequest } from '../useDeskpilot';

export interface AskState {
  asking: string | null;
  answer: AskAnswer | null;
  error: { question: string; message: string } | null;
  ask(question: string): Promise<void>;
  cancel(): Promise<void>;
  dismiss(): void;
}

export function useAsk(): AskState {
  const request = useRequest();
  const [asking, setAsking] = useState<string | null>(null);
  const [answer, setAnswer] = useState<AskAnswer | null>(null);
  const [error, setError] = useState<AskState['error']>(null);

  const ask = useCallback(
    async (question: string) => {
      setAsking(question);
      setAnswer(null);
      setError(null);
      const reply = await request('ask', { question });
      setAsking(null);
      if (reply.ok) setAnswer(reply.value);
      else setError({ question, message: reply.error });
    },
    [request],
  );
  const cancel = useCallback(async () => {
    const reply = await request('ask.cancel', {});
    // The `ask` request answers "cancelled" itself; only a failed cancel is worth saying here.
    if (!reply.ok) setError({ question: asking ?? '', message: `The question could not be cancelled: ${reply.error}` });
  }, [request, asking]);
  const dismiss = useCallback(() => {
    setAnswer(null);
    setError(null);
  }, []);
  return { asking, answer, error, ask, cancel, dismiss };
}

export function AskPanel(props: { state: AskState }) {
  const { asking, answer, error, dismiss } = props.state;
  if (asking !== null) {
    return (
      <section className="ask-panel" aria-label="Question about the screen" aria-busy="true">
        <p className="ask-question">
          <strong>Asking:</strong> {asking}
        </p>
        <p className="dim" role="status">
          The model is looking at the screen...
        </p>
      </section>
    );
  }
  if (error) {
    return (
      <section className="ask-panel" aria-label="Question about the screen">
        <p className="ask-question">
          <strong>Asked:</strong> {error.question}
        </p>
        <p role="alert" className="error">
          No answer: {error.message}
        </p>
        <button type="button" onClick={dismiss}>
          Dismiss
        </button>
      </section>
    );
  }
  if (!answer) return null;
  return (
    <section className="ask-panel" aria-label="Question about the screen">
      <p className="ask-question">
        <strong>Asked:</strong> {answer.question} <span className="dim small">about {answer.about}, {answer.model} ({answer.profile})</span>
      </p>
      <div className="answer" role="status" aria-label="Answer">
        <strong>Answer:</strong> <span className="ask-answer">{answer.answer}</span>
      </div>
      {answer.note ? <p className="note note-notice">{answer.note}</p> : null}
      {answer.reasoning ? (
        <details className="reasoning">
          <summary>Reasoning</summary>
          <div className="reasoning-text" aria-label="Reasoning of the answer">
            {answer.reasoning}
          </div>
        </details>
      ) : null}
      <button type="button" onClick={dismiss}>
        Dismiss
      </button>
    </section>
  );
}
