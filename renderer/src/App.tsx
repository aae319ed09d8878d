/** The Deskpilot UI: Run (instruction, controls, live trace), History, Settings. Works from 360px wide up. */
import { useCallback, useEffect, useState } from 'react';
import type { Decision } from '../../app/contract';
import { CompactView, useCompactHash } from './components/CompactView';
import { History } from './components/History';
import { InstructionBar } from './components/InstructionBar';
import { Settings } from './components/Settings';
import { Trace } from './components/Trace';
import { RequestContext, useDeskpilot } from './useDeskpilot';

const TABS = ['Run', 'History', 'Settings'] as const;
type Tab = (typeof TABS)[number];

export function App() {
  const { status, run, request } = useDeskpilot();
  const [tab, setTab] = useState<Tab>('Run');
  const decide = useCallback((proposalId: string, decision: Decision) => request('run.decide', { proposalId, decision }), [request]);
  const awaiting = run?.steps.some((s) => s.proposals.some((p) => p.awaiting)) ?? false;

  // A background tab or a side panel still says when the agent is waiting for the person.
  useEffect(() => {
    document.title = awaiting ? 'Approval needed - Deskpilot' : 'Deskpilot';
  }, [awaiting]);

  // `#compact`: the small always-on-top window the desktop app shows during a run.
  const compact = useCompactHash();
  if (compact) {
    return (
      <RequestContext.Provider value={request}>
        <CompactView status={status} run={run} onDecide={decide} />
      </RequestContext.Provider>
    );
  }

  return (
    <RequestContext.Provider value={request}>
      <div className="app">
        <header className="topbar">
          <h1>Deskpilot</h1>
          <nav aria-label="Views" className="tabs" role="tablist">
            {TABS.map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                id={`tab-${t}`}
                className="tab"
                aria-selected={tab === t}
                aria-controls={`panel-${t}`}
                onClick={() => setTab(t)}
                onKeyDown={(e) => {
                  // Arrow keys move between the views, as in any tab list.
                  if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
                  const next = TABS[(TABS.indexOf(t) + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
                  setTab(next);
                  document.getElementById(`tab-${next}`)?.focus();
                }}
              >
                {t}
                {t === 'Run' && awaiting && tab !== 'Run' ? <span className="dot" aria-label="(approval needed)" /> : null}
              </button>
            ))}
          </nav>
        </header>
        {status.state !== 'open' ? (
          <p className={`connection ${status.state}`} role="alert">
            {status.state === 'closed' ? status.message : 'Connecting to Deskpilot...'}
          </p>
        ) : null}
        <main>
          <div hidden={tab !== 'Run'} role="tabpanel" id="panel-Run" aria-labelledby="tab-Run">
            <InstructionBar run={run} connected={status.state === 'open'} shown={tab === 'Run'} />
            {run ? (
              <Trace run={run} live onDecide={decide} />
            ) : (
              <p className="dim empty">Type an instruction and press Run. Each action the model proposes is shown here before it happens.</p>
            )}
          </div>
          {tab === 'History' ? (
            <div role="tabpanel" id="panel-History" aria-labelledby="tab-History">
              <History refreshKey={run?.finished ? run.runId : ''} />
            </div>
          ) : null}
          {tab === 'Settings' ? (
            <div role="tabpanel" id="panel-Settings" aria-labelledby="tab-Settings">
              <Settings />
            </div>
          ) : null}
        </main>
      </div>
    </RequestContext.Provider>
  );
}
