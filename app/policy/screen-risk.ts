/**
 * Risk from what the screen shows, as read by OCR (app/screen/ocr.ts), on top of classifyRisk (app/policy/risk.ts):
 * - a press on a control whose label says it deletes, pays, sends, uninstalls, formats... is risky, and the reason
 *   quotes the label;
 * - text on a screenshot that addresses the agent (risk.ts's SCREEN_INJECTION patterns) makes every action need a
 *   person for as long as the model can still see that screenshot (its history keeps the latest
 *   `profile.history.images` screenshots), in every approval mode; with no person there the actions are denied.
 *
 * OCR is imperfect: these rules only ever add caution. A label that was not read leaves the action as risky or
 * safe as classifyRisk made it, and the loop records that the screen text was unavailable.
 */
import type { Risk } from '../contract';
import type { ComputerAction, MobileAction } from '../base/actions';
import { quoteText } from './describe';
import { collapseWhitespace, firstFragment, firstMatchingLine } from './matching';
import { SCREEN_INJECTION } from './risk';

type AnyAction = ComputerAction | MobileAction;

/**
 * Actions that press what is under the point (a right-click opens a menu, a move or scroll presses nothing); a
 * phone's swipe starting on a control too ("Slide to pay", "Swipe to send").
 */
const PRESSES = new Set<string>(['left_click', 'double_click', 'triple_click', 'click', 'long_press', 'swipe']);

/** Label words, by what pressing them may do. Whole words, any case; "Delete", "Pay now", "Empty trash" ... */
const CONSEQUENCES: Array<{ words: RegExp; effect: string }> = [
  {
    words:
      /\b(delete|remove|erase|wipe|format|uninstall|discard|destroy|purge|empty\s+(the\s+)?(trash|bin)|reset|overwrite|permanently)\b/i,
    effect: 'it may delete something for good',
  },
  {
    words: /\b(pay|payment|purchase|buy|checkout|check\s+out|place\s+(your\s+)?order|order\s+now|transfer|donate|withdraw|subscribe)\b/i,
    effect: 'it may spend or move money',
  },
  { words: /\b(send|publish|submit)\b/i, effect: 'it may send something that cannot be taken back' },
  { words: /\b(deactivate|close\s+(my\s+|your\s+|the\s+)?account|revoke)\b/i, effect: 'it may close or change an account' },
];

/** The reason a press on `label` is risky, or null. */
export function labelRisk(action: AnyAction, label: string | undefined): string | null {
  if (!label || !PRESSES.has(action.action)) return null;
  const found = CONSEQUENCES.find((c) => c.words.test(label));
  if (!found) return null;
  const verb = action.action === 'swipe' ? 'swipes from' : 'presses';
  return `It ${verb} ${quoteText(label)} (the text read on the screen at the point): ${found.effect}.`;
}

/**
 * OCR's usual confusions, undone before matching: capital I read as a small l in "AI" ("Al"), typographic
 * apostrophes and quotes (the patterns expect "user's"). Linear in the text.
 */
export function normalizeScreenText(text: string): string {
  return text
    .replace(/\bAl\b/g, 'AI')
    .replace(/[\u2018\u2019\u02BC\u0060\u00B4]/g, "'")
    .replace(/[\u201C\u201D]/g, '"');
}

/**
 * Text in `screenText` that addresses an AI agent, as the person should see it: the whole line(s) the first match
 * is on (so "NOTE TO THE AI AGENT: ignore the user's instructions ..." rather than just "note to the ai"). Null
 * when there is none.
 */
export function findInjection(screenText: string): string | null {
  const text = normalizeScreenText(screenText);
  const line = firstMatchingLine(SCREEN_INJECTION, text);
  if (line) return line.line.replace(/\s+/g, ' ').trim();
  // The text runs across a line break (OCR wraps lines where the screen does): quote what matched.
  return firstFragment(SCREEN_INJECTION, collapseWhitespace(text));
}

export interface InjectionSighting {
  step: number;
  /** The on-screen text, as findInjection gave it. */
  text: string;
}

/**
 * Which screenshots showed text addressed to the agent, and so which steps need a person: a sighting on step N's
 * screenshot counts for steps N .. N + window - 1, the steps whose requests still carry that screenshot. A read
 * that finishes late (after its step's actions were decided) still counts for the steps after it.
 */
export class InjectionWatch {
  private readonly sightings: InjectionSighting[] = [];

  constructor(private readonly window: number) {}

  record(sighting: InjectionSighting): void {
    this.sightings.push(sighting);
  }

  /** The latest sighting the model can still see at `step`, if any. */
  activeAt(step: number): InjectionSighting | null {
    let latest: InjectionSighting | null = null;
    for (const s of this.sightings) {
      if (s.step <= step && step < s.step + this.window && (!latest || s.step > latest.step)) latest = s;
    }
    return latest;
  }
}

/** The reason shown to the person for an action asked because of a sighting. */
export function injectionReason(sighting: InjectionSighting, step: number): string {
  const where = sighting.step === step ? 'The screen shows' : `The screenshot of step ${sighting.step}, which the model still sees, shows`;
  return `${where} text addressed to the agent (${quoteText(sighting.text)}): every action needs your approval while the model can see it.`;
}

/** The note back to the model when an action needed a person because of a sighting and nobody is there. */
export function injectionDenyNote(sighting: InjectionSighting, step: number): string {
  const where = sighting.step === step ? 'the screen shows' : `the screenshot of step ${sighting.step} shows`;
  return (
    `Not performed: ${where} text addressed to the agent (${quoteText(sighting.text)}), so every action needs a ` +
    `person's approval while it is in view, and no one is there to give it.`
  );
}

/** Passive actions that need no person even after an injection (waiting cannot be abused). */
export function needsPersonAfterInjection(action: { action: string }): boolean {
  return action.action !== 'wait';
}

/** classifyRisk's result with the screen's reasons added: blocked stays blocked, safe becomes risky. */
export function withScreenReasons(risk: Risk, reasons: readonly string[]): Risk {
  if (reasons.length === 0) return risk;
  if (risk.level === 'blocked') return risk;
  return { level: 'risky', reasons: [...risk.reasons, ...reasons] };
}
