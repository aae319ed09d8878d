/**
 * A run as one self-contained HTML page: every screenshot inlined as a data URL with the acted-on point marked,
 * the model's reasoning and text, the proposals with their risk, the decisions, the actions with their screen
 * points, and timings per phase. No scripts and no external URLs (a Content-Security-Policy forbids both), so it
 * opens offline and nothing the model wrote can run in it: every piece of recorded text is escaped.
 */
import { readFileSync } from 'node:fs';
import { PHASES, type ImageRef, type Proposal, type RunEvent, type Timings } from '../contract';
import { getProfile } from '../model/profiles';
import { globalToImage, modelToImage, type CoordinateSpace, type Point } from '../screen/geometry';
import { findRunFile, isRecordedImageMime, readRun, type RunRecord } from './recorder';

type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

interface StepView {
  step: number;
  observation?: EventOf<'observation'>;
  requests: number;
  retries: EventOf<'model-retry'>[];
  reasoningDeltas: string;
  reply?: EventOf<'model-reply'>;
  feedback: string[];
  notices: string[];
  screenText?: EventOf<'screen-text'>;
  proposals: Proposal[];
  decisions: Map<string, EventOf<'decision'>>;
  actions: Map<string, EventOf<'action'>>;
  answer?: string;
  loops: EventOf<'loop-detected'>[];
  /** image_zoom_in_tool calls answered (or refused) in the step. */
  zooms: EventOf<'zoom'>[];
  timings?: Timings;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function fmtPoint(p: Point | undefined): string {
  return p ? `(${Math.round(p.x)}, ${Math.round(p.y)})` : '–';
}

/** Group the flat event list by step; decisions and actions are tied to their step through the proposal id. */
function groupSteps(events: RunEvent[]): StepView[] {
  const steps = new Map<number, StepView>();
  const view = (step: number): StepView => {
    let s = steps.get(step);
    if (!s) {
      s = { step, requests: 0, retries: [], reasoningDeltas: '', feedback: [], notices: [], proposals: [], decisions: new Map(), actions: new Map(), loops: [], zooms: [] };
      steps.set(step, s);
    }
    return s;
  };
  const stepOfProposal = new Map<string, number>();
  const stepFromId = (id: string): number => stepOfProposal.get(id) ?? (Number.parseInt(id, 10) || 0);
  for (const event of events) {
    switch (event.type) {
      case 'observation':
        view(event.step).observation ??= event;
        break;
      case 'model-request':
        view(event.step).requests++;
        break;
      case 'model-retry':
        view(event.step).retries.push(event);
        break;
      case 'reasoning-delta':
        view(event.step).reasoningDeltas += event.delta;
        break;
      case 'model-reply':
        view(event.step).reply = event;
        break;
      case 'feedback':
        view(event.step).feedback.push(event.message);
        break;
      case 'notice':
        view(event.step).notices.push(event.message);
        break;
      case 'screen-text':
        view(event.step).screenText = event;
        break;
      case 'proposal':
        stepOfProposal.set(event.proposal.id, event.proposal.step);
        if (!view(event.proposal.step).proposals.some((p) => p.id === event.proposal.id)) {
          view(event.proposal.step).proposals.push(event.proposal);
        }
        break;
      case 'decision':
        view(stepFromId(event.proposalId)).decisions.set(event.proposalId, event);
        break;
      case 'action':
        view(stepFromId(event.proposalId)).actions.set(event.proposalId, event);
        break;
      case 'answer':
        view(event.step).answer = event.text;
        break;
      case 'loop-detected':
        view(event.step).loops.push(event);
        break;
      case 'zoom':
        view(event.step).zooms.push(event);
        break;
      case 'timings':
        view(event.step).timings = { ...view(event.step).timings, ...event.timings };
        break;
      default:
        break;
    }
  }
  return [...steps.values()].sort((a, b) => a.step - b.step);
}

function spaceOf(record: RunRecord): CoordinateSpace | null {
  const profile = record.settings?.profile;
  try {
    return getProfile(typeof profile === 'string' ? profile : undefined).coordinates;
  } catch {
    return null;
  }
}

/**
 * Where to draw a proposal's marker on the step's image: the point actually acted on when known (the action's
 * screen point, mapped back onto the image), else the proposal's image point, else its model coordinate.
 */
function markerPoint(step: StepView, proposal: Proposal, space: CoordinateSpace | null): Point | null {
  const obs = step.observation;
  if (!obs) return null;
  const size = { width: obs.image.width, height: obs.image.height };
  const action = step.actions.get(proposal.id);
  if (action?.ok && action.screen) return globalToImage(action.screen, obs.display, size);
  if (proposal.imagePoint) return proposal.imagePoint;
  const coordinate = proposal.action.coordinate;
  if (space && Array.isArray(coordinate) && typeof coordinate[0] === 'number' && typeof coordinate[1] === 'number') {
    return modelToImage({ x: coordinate[0], y: coordinate[1] }, space, size, size);
  }
  return null;
}

/** Where a swipe ends on the step's image: the end point acted on when known, else the proposal's. */
function markerEnd(step: StepView, proposal: Proposal): Point | null {
  const obs = step.observation;
  if (!obs) return null;
  const action = step.actions.get(proposal.id);
  if (action?.ok && action.screen2) return globalToImage(action.screen2, obs.display, { width: obs.image.width, height: obs.image.height });
  return proposal.imagePoint2 ?? null;
}

/**
 * The step's image as a data: URL, or why it cannot be shown. events.jsonl is not trusted: the file must be a plain
 * name inside the run folder (recorder.ts findRunFile) and the type one the recorder writes.
 */
function imageDataUrl(dir: string, image: ImageRef): { url: string } | { problem: string } {
  if (!isRecordedImageMime(image.mime)) return { problem: `The screenshot has the type "${image.mime}", which is not an image type a run records.` };
  const found = findRunFile(dir, image.file);
  if (found.kind === 'missing') return { problem: `The screenshot ${image.file} is missing from the run folder.` };
  if (found.kind === 'refused') return { problem: `The screenshot is not shown: ${found.reason}.` };
  return { url: `data:${image.mime.toLowerCase()};base64,${readFileSync(found.path).toString('base64')}` };
}

function renderScreenshot(dir: string, step: StepView, space: CoordinateSpace | null): string {
  const obs = step.observation;
  if (!obs) return '<p class="muted">No screenshot was recorded for this step.</p>';
  const image = imageDataUrl(dir, obs.image);
  if ('problem' in image) return `<p class="problem">${escapeHtml(image.problem)}</p>`;
  const url = escapeHtml(image.url);
  const { width, height } = obs.image;
  const r = Math.max(8, Math.round(Math.max(width, height) * 0.016));
  const markers = step.proposals
    .map((proposal, i) => {
      const point = markerPoint(step, proposal, space);
      if (!point) return '';
      const performed = step.actions.get(proposal.id)?.ok === true;
      const cls = performed ? 'mark done' : 'mark skipped';
      const x = point.x.toFixed(1);
      const y = point.y.toFixed(1);
      const end = markerEnd(step, proposal);
      // A swipe: an arrow from where it starts to where it ends.
      const swipe = end
        ? `<line class="swipe" x1="${x}" y1="${y}" x2="${end.x.toFixed(1)}" y2="${end.y.toFixed(1)}" stroke-width="${(r / 2).toFixed(1)}" marker-end="url(#arrow-${step.step})"/>`
        : '';
      return (
        `<g class="${cls}">${swipe}<circle cx="${x}" cy="${y}" r="${r}"/>` +
        `<line x1="${(point.x - r * 1.8).toFixed(1)}" y1="${y}" x2="${(point.x + r * 1.8).toFixed(1)}" y2="${y}"/>` +
        `<line x1="${x}" y1="${(point.y - r * 1.8).toFixed(1)}" x2="${x}" y2="${(point.y + r * 1.8).toFixed(1)}"/>` +
        `<text x="${(point.x + r * 1.4).toFixed(1)}" y="${(point.y - r * 1.2).toFixed(1)}" font-size="${r * 1.8}">${i + 1}</text></g>`
      );
    })
    .join('');
  // The regions the model zoomed into on this screenshot, numbered as in the step's Zooms.
  const boxes = step.zooms
    .map((zoom, i) => {
      if (!zoom.on || zoom.on.step !== step.step) return '';
      const { x, y, width: w, height: h } = zoom.on.box;
      return (
        `<g class="zoom"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}"/>` +
        `<text x="${x.toFixed(1)}" y="${(y - r * 0.4).toFixed(1)}" font-size="${r * 1.6}">Z${i + 1}</text></g>`
      );
    })
    .join('');
  return (
    `<figure><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Screenshot of step ${step.step}">` +
    `<defs><marker id="arrow-${step.step}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse">` +
    `<path d="M0 0L10 5L0 10z" fill="#e0245e"/></marker></defs>` +
    `<image href="${url}" width="${width}" height="${height}"/>${boxes}${markers}</svg>` +
    `<figcaption>${width}×${height} sent to the model (captured ${obs.source.width}×${obs.source.height} on ` +
    `${escapeHtml(obs.display.name)} at ${fmtPoint(obs.display.bounds)}, scale ${obs.display.scaleFactor})</figcaption></figure>`
  );
}

/** The step's zooms: each crop as the model was sent it, with its box (drawn on the screenshot as Z1, Z2, ...). */
function renderZooms(dir: string, step: StepView): string {
  if (step.zooms.length === 0) return '';
  const items = step.zooms.map((zoom, i) => {
    const what = `Z${i + 1}: [${zoom.bbox.join(', ')}] of image ${zoom.imageIndex}${zoom.label ? ` (${escapeHtml(zoom.label)})` : ''}`;
    if (!zoom.ok || !zoom.crop) return `<li><span class="bad">${what}: not done</span> – ${escapeHtml(zoom.error ?? 'no crop')}</li>`;
    const image = imageDataUrl(dir, zoom.crop);
    const shown =
      'problem' in image
        ? `<p class="problem">${escapeHtml(image.problem)}</p>`
        : `<img class="crop" src="${escapeHtml(image.url)}" width="${zoom.crop.width}" height="${zoom.crop.height}" alt="Zoom ${i + 1} of step ${step.step}">`;
    const screen = zoom.screen ? ` · screen ${fmtPoint(zoom.screen)} ${Math.round(zoom.screen.width)}×${Math.round(zoom.screen.height)}` : '';
    return `<li>${what}${screen} · sent ${zoom.crop.width}×${zoom.crop.height}${shown}</li>`;
  });
  return `<h3>Zooms</h3><ul class="zooms">${items.join('')}</ul>`;
}

function pre(text: string, cls = ''): string {
  return `<pre${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</pre>`;
}

function renderDecision(decision: EventOf<'decision'> | undefined): string {
  if (!decision) return '<span class="muted">no decision recorded</span>';
  const d = decision.decision;
  const by = `<span class="muted">by ${escapeHtml(decision.by)}</span>`;
  switch (d.kind) {
    case 'approve':
      return `<span class="ok">approved</span> ${by}`;
    case 'approve-all':
      return `<span class="ok">approved, with all identical actions</span> ${by}`;
    case 'deny':
      return `<span class="bad">denied</span> ${by}${d.note ? `<div class="note">Note to the model: ${escapeHtml(d.note)}</div>` : ''}`;
    case 'edit':
      return `<span class="warn">edited</span> ${by}<div class="note">Performed instead: <code>${escapeHtml(JSON.stringify(d.action))}</code></div>`;
    case 'stop':
      return `<span class="bad">stopped the run</span> ${by}`;
  }
}

function renderAction(action: EventOf<'action'> | undefined): string {
  if (!action) return '<span class="muted">not performed</span>';
  if (!action.ok) return `<span class="bad">failed</span>: ${escapeHtml(action.error ?? 'unknown error')}`;
  const second = action.screen2 ? `, second point ${fmtPoint(action.screen2)}` : '';
  const note = action.note ? ` <span class="muted">(${escapeHtml(action.note)})</span>` : '';
  return `<span class="ok">performed</span>${action.screen ? ` at ${fmtPoint(action.screen)}` : ''}${second}${note}`;
}

function renderProposals(step: StepView): string {
  if (step.proposals.length === 0) return '';
  const rows = step.proposals
    .map((p, i) => {
      const risk =
        p.risk.level === 'safe'
          ? '<span class="ok">safe</span>'
          : `<span class="${p.risk.level === 'blocked' ? 'bad' : 'warn'}">${p.risk.level}</span><ul>${p.risk.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`;
      return (
        `<tr><td>${i + 1}</td><td>${escapeHtml(p.summary)}<div class="muted"><code>${escapeHtml(JSON.stringify(p.action))}</code></div></td>` +
        `<td>${risk}</td><td>${renderDecision(step.decisions.get(p.id))}</td><td>${renderAction(step.actions.get(p.id))}</td></tr>`
      );
    })
    .join('');
  return `<table class="actions"><thead><tr><th>#</th><th>Action</th><th>Risk</th><th>Decision</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderTimings(timings: Timings | undefined): string {
  if (!timings) return '';
  const cells = PHASES.map((phase) => `<td><span class="muted">${phase}</span> ${fmtMs(timings[phase])}</td>`).join('');
  return `<table class="timings"><tr>${cells}</tr></table>`;
}

function renderStep(dir: string, step: StepView, space: CoordinateSpace | null): string {
  const parts: string[] = [`<section class="step" id="step-${step.step}"><h2>Step ${step.step}</h2>`];
  parts.push(renderTimings(step.timings));
  parts.push('<div class="cols"><div class="shot">', renderScreenshot(dir, step, space), '</div><div class="talk">');
  const reasoning = step.reply?.reasoning ?? (step.reasoningDeltas || null);
  if (reasoning) parts.push('<h3>Reasoning</h3>', pre(reasoning, 'reasoning'));
  if (step.reply?.text) parts.push('<h3>Text</h3>', pre(step.reply.text));
  if (step.reply && step.reply.calls.length > 0) {
    parts.push('<h3>Tool calls</h3>', pre(step.reply.calls.map((c) => `${c.name} ${JSON.stringify(c.arguments)}`).join('\n')));
  }
  if (step.reply) {
    const usage = step.reply.usage ? ` · usage ${escapeHtml(JSON.stringify(step.reply.usage))}` : '';
    parts.push(`<p class="muted">Model latency ${fmtMs(step.reply.latencyMs)}${usage}</p>`);
  } else if (step.requests > 0) {
    parts.push('<p class="problem">The model had not replied when the record ends.</p>');
  }
  parts.push(renderZooms(dir, step));
  for (const error of step.reply?.errors ?? []) parts.push(`<p class="problem">Reply error: ${escapeHtml(error)}</p>`);
  for (const retry of step.retries) parts.push(`<p class="warn">Retry ${retry.attempt}: ${escapeHtml(retry.error)}</p>`);
  for (const message of step.notices) parts.push(`<p class="muted">Note: ${escapeHtml(message)}</p>`);
  const seen = step.screenText;
  if (seen?.status === 'unavailable') {
    parts.push(`<p class="muted">Screen text unavailable${seen.error ? ` (${escapeHtml(seen.error)})` : ''}: actions were described by their coordinates only.</p>`);
  } else if (seen?.injection) {
    parts.push(`<p class="warn">The screen showed text addressed to the agent: “${escapeHtml(seen.injection)}”.</p>`);
  }
  for (const message of step.feedback) parts.push(`<p class="warn">Feedback to the model: ${escapeHtml(message)}</p>`);
  for (const loop of step.loops) {
    parts.push(`<p class="warn">Loop detected: “${escapeHtml(loop.summary)}” proposed ${loop.repeats} times on an unchanged screen.</p>`);
  }
  if (step.answer !== undefined) parts.push('<h3>Answer</h3>', pre(step.answer));
  parts.push('</div></div>', renderProposals(step), '</section>');
  return parts.join('');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header,section{background:#fff;margin:16px auto;max-width:1400px;padding:16px 20px;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:0 0 8px}h3{font-size:13px;margin:12px 0 4px;text-transform:uppercase;color:#556}
.instruction{font-size:16px;padding:8px 12px;background:#eef3ff;border-left:4px solid #3a6df0;white-space:pre-wrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:10px 0}dt{color:#667}dd{margin:0}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px}
figure{margin:0}svg{width:100%;height:auto;border:1px solid #ccd;display:block}figcaption{color:#667;font-size:12px}
.mark circle{fill:none;stroke-width:5}.mark line{stroke-width:2.5}.mark text{font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:4px}
.mark.done circle,.mark.done line{stroke:#e0245e}.mark.done text{fill:#e0245e}
.mark.skipped circle,.mark.skipped line{stroke:#778;stroke-dasharray:6 4}.mark.skipped text{fill:#778}
.zoom rect{fill:none;stroke:#f0a020;stroke-width:4}.zoom text{fill:#f0a020;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:4px}
.zooms{padding-left:18px}.crop{display:block;max-width:100%;height:auto;border:1px solid #ccd;margin:4px 0}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f9;padding:8px;border-radius:4px;margin:0;max-height:480px;overflow:auto}
pre.reasoning{background:#fbf8ef}
table{border-collapse:collapse;width:100%;margin-top:10px}td,th{border-top:1px solid #e3e5ea;padding:6px 8px;text-align:left;vertical-align:top}
table.timings td{border:0;padding:2px 10px 2px 0;width:auto}table.timings{width:auto;margin:0 0 8px}
ul{margin:4px 0 0;padding-left:18px}code{font-size:12px;word-break:break-all}
.ok{color:#17803d;font-weight:600}.bad{color:#c4122f;font-weight:600}.warn{color:#a15c00;font-weight:600}
.muted{color:#778;font-weight:normal}.note{margin-top:4px}.problem{color:#c4122f}
.outcome{display:inline-block;padding:2px 10px;border-radius:12px;background:#e7e9ee;font-weight:600}
.outcome.success,.outcome.answered{background:#d9f2e1;color:#17803d}.outcome.error,.outcome.failure{background:#fbdde2;color:#c4122f}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
`;

/** Render the run in `dir` as a self-contained HTML document. */
export function renderReport(dir: string): string {
  const record = readRun(dir);
  const { events, settings } = record;
  const started = events.find((e): e is EventOf<'run-started'> => e.type === 'run-started');
  const finished = events.find((e): e is EventOf<'run-finished'> => e.type === 'run-finished');
  const runId = started?.runId ?? events[0]?.runId ?? record.summary?.runId ?? dir;
  const space = spaceOf(record);
  const steps = groupSteps(events).filter((s) => s.step > 0);

  const totals: Partial<Record<(typeof PHASES)[number], number>> = {};
  for (const s of steps) {
    for (const phase of PHASES) {
      const ms = s.timings?.[phase];
      if (ms !== undefined) totals[phase] = (totals[phase] ?? 0) + ms;
    }
  }
  const outcome = finished?.outcome ?? 'unfinished';
  const lastAt = events.at(-1)?.at;
  const duration = started && (finished ?? lastAt) ? (finished?.at ?? lastAt ?? started.at) - started.at : undefined;
  const field = (name: string): string => {
    const value = settings?.[name];
    return value === undefined ? '–' : escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));
  };

  const problems = [...record.problems];
  if (!finished) problems.push('The run has no end in the record: it was interrupted, or is still running.');

  const header = [
    `<header><h1>Deskpilot run ${escapeHtml(runId)}</h1>`,
    started ? `<div class="instruction">${escapeHtml(started.instruction)}</div>` : '',
    `<dl><dt>Outcome</dt><dd><span class="outcome ${escapeHtml(outcome)}">${escapeHtml(outcome)}</span>`,
    finished?.message ? ` ${escapeHtml(finished.message)}` : '',
    `</dd><dt>Steps</dt><dd>${finished?.steps ?? steps.length}</dd>`,
    `<dt>Started</dt><dd>${started ? escapeHtml(new Date(started.at).toISOString()) : '–'}</dd>`,
    `<dt>Duration</dt><dd>${fmtMs(duration)}</dd>`,
    `<dt>Model</dt><dd>${field('model')} · profile ${field('profile')} · ${field('endpoint')}</dd>`,
    `<dt>Approval</dt><dd>${field('approve')}${Array.isArray(settings?.denyRules) && settings.denyRules.length > 0 ? ` · ${settings.denyRules.length} deny rule(s)` : ''}</dd>`,
    `<dt>Time per phase</dt><dd>${PHASES.map((p) => `${p} ${fmtMs(totals[p])}`).join(' · ')}</dd></dl>`,
    problems.length > 0
      ? `<h3>Problems with the record</h3><ul>${problems.map((p) => `<li class="problem">${escapeHtml(p)}</li>`).join('')}</ul>`
      : '',
    `<details><summary>Settings</summary>${pre(JSON.stringify(settings, null, 2))}</details></header>`,
  ].join('');

  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Deskpilot run ${escapeHtml(runId)}</title><style>${STYLE}</style></head><body>`,
    header,
    steps.map((s) => renderStep(record.dir, s, space)).join('\n'),
    '</body></html>\n',
  ].join('\n');
}
