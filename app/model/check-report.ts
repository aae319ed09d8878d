/**
 * What `deskpilot check` and the UI's "Check endpoint" report about a server: plain data (no imports), so the
 * renderer shows it without importing the check itself.
 */

export type ReasoningReport = 'field:reasoning' | 'field:reasoning_content' | 'inline' | 'none';

export interface Problem {
  problem: string;
  fix: string;
}

/**
 * Which coordinate space the model clicks in, found by showing it a red square and asking it to click it:
 * `grid` = the 0..1000 (or 0..999) relative grid (Qwen3-VL), `absolute` = pixels of the image it was sent
 * (Qwen2.5-VL, UI-TARS), `missed` = on neither, `no-call` = it did not call the tool, `skipped` = not run.
 */
export interface GroundingReport {
  result: 'grid' | 'absolute' | 'missed' | 'no-call' | 'skipped';
  /** The profile the answer was compared with. */
  profile: string;
  /** The first call's point, as the model wrote it. */
  point?: [number, number];
  /** The square's centre in the 0..1000 grid and in pixels of the probe image. */
  expected: { grid: [number, number]; pixels: [number, number] };
  imageSize: { width: number; height: number };
  /** The profile that matches the answer (the chosen one when it already does). */
  suggestedProfile?: string;
  /** Why it was skipped, or what the model did instead of clicking. */
  reason?: string;
  /** With zoom offered (`check --zoom`): the zooms answered with a crop before the click. */
  zooms?: number;
  /** With zoom offered: why each zoom that was not done was refused (as the model was told). */
  zoomErrors?: string[];
}

export interface EndpointReport {
  endpoint: string;
  baseUrl: string | null;
  v1Added: boolean;
  reachable: boolean;
  models: string[];
  model: { requested: string | null; served: boolean; used: string | null };
  maxModelLen: number | null;
  /** The server parses tool calls itself (vLLM `--tool-call-parser`); null when the probe could not tell. */
  toolCallParser: boolean | null;
  /** How Deskpilot will send tools to this server. */
  mode: 'native' | 'prompt' | null;
  reasoning: ReasoningReport | null;
  /** Every reasoning field the server filled (newer vLLM fills both during the rename). */
  reasoningFields: string[];
  imageAccepted: boolean | null;
  latencyMs: number | null;
  grounding: GroundingReport;
  problems: Problem[];
  notes: string[];
}

/** The grounding probe's outcome in one line (the CLI's "Grounding" line, the UI's diagnosis). */
export function groundingSummary(g: GroundingReport): string {
  const zooms = formatZooms(g);
  return zooms ? `${groundingVerdict(g)}; ${zooms}` : groundingVerdict(g);
}

/** How the zooms went, when zoom was offered. */
function formatZooms(g: GroundingReport): string {
  if (g.zooms === undefined) return '';
  const used = `${g.zooms} zoom${g.zooms === 1 ? '' : 's'} used`;
  const refused = g.zoomErrors ?? [];
  return refused.length === 0 ? used : `${used}, ${refused.length} refused (${refused.join('; ')})`;
}

function groundingVerdict(g: GroundingReport): string {
  const at = g.point ? `(${g.point.join(', ')})` : '';
  const target = `grid (${g.expected.grid.join(', ')}) / pixels (${g.expected.pixels.join(', ')})`;
  switch (g.result) {
    case 'grid':
    case 'absolute': {
      const space = g.result === 'grid' ? 'the 0..1000 grid' : 'absolute pixels';
      const verdict = g.suggestedProfile === g.profile ? `profile ${g.profile} fits` : `use --profile ${g.suggestedProfile}`;
      return `answers in ${space}: clicked ${at} on the red square; ${verdict}`;
    }
    case 'missed':
      return g.point ? `MISSED: clicked ${at}, the red square is at ${target}` : `MISSED: ${g.reason ?? 'no point given'}`;
    case 'no-call':
      return `no click: ${g.reason ?? 'the model did not call the tool'}`;
    case 'skipped':
      return `not probed: ${g.reason ?? 'unknown reason'}`;
  }
}
