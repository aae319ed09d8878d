/**
 * Risk classification of one proposed action. Heuristics, not proof: their job is to make sure the person is asked
 * (in `risky` mode) before the actions most likely to do harm, and to say why in plain sentences. Deny rules turn a
 * match into `blocked`, which no approval mode lets through.
 */
import type { DenyRule, Risk } from '../contract';
import { POINTER_ACTIONS, type ComputerAction, type MobileAction } from '../model/actions';
import { comboOf, normalizeCombo, quoteText, summarizeAction, type AnyAction } from './describe';

export interface WindowInfo {
  title?: string;
  className?: string;
}

export interface RiskContext {
  instruction: string;
  /** What is known about the target of the action: the window under the point / the focused window (class, title),
      and the app's own windows (so clicks on Deskpilot itself are risky). Any field may be missing. */
  focusedWindow?: WindowInfo;
  windowAtPoint?: WindowInfo;
  ownWindowTitles?: string[];
  /** Text visible on screen, when known (e.g. from the model's text/reasoning mentioning instructions on screen). */
  screenText?: string;
  /** The model's reasoning and text for this step (injection hints: "the page says to ...", "as instructed on screen"). */
  modelText?: string;
}

// ------------------------------------------------------------------------------------------------ deny rules

interface CompiledRule {
  rule: DenyRule;
  regex: RegExp;
  /** For `keys` rules written as a plain combo ("ctrl+w", "Alt+F4"): the normalised combo, compared exactly. */
  combo: string | null;
}

const PLAIN_COMBO = /^[\w ]+(\+[\w ]+)*$/;

function compileRule(rule: DenyRule, index: number): CompiledRule {
  let regex: RegExp;
  try {
    regex = new RegExp(rule.pattern, 'i');
  } catch (error) {
    throw new Error(
      `deny rule ${index + 1} (${rule.match}: /${rule.pattern}/): not a valid regular expression: ${(error as Error).message}`,
    );
  }
  const combo = rule.match === 'keys' && PLAIN_COMBO.test(rule.pattern.trim()) ? normalizeCombo([rule.pattern]) : null;
  return { rule, regex, combo };
}

/** Compile deny rules; throws an error naming the first rule whose pattern is not a valid regular expression. */
export function compileDenyRules(rules: readonly DenyRule[]): CompiledRule[] {
  return rules.map(compileRule);
}

/** Problems with deny rules, one sentence each (empty when all compile): for settings forms and `run` start-up. */
export function checkDenyRules(rules: readonly DenyRule[]): string[] {
  return rules.flatMap((rule, i) => {
    try {
      compileRule(rule, i);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  });
}

/** Text an action would put on the screen or hand to the system (typed text, answer, app name). */
function textOf(action: AnyAction): string | null {
  switch (action.action) {
    case 'type':
    case 'answer':
    case 'open':
      return action.text;
    default:
      return null;
  }
}

function ruleMatches(compiled: CompiledRule, action: AnyAction): boolean {
  const { rule, regex, combo } = compiled;
  if (rule.match === 'text') {
    const text = textOf(action);
    return text !== null && regex.test(text);
  }
  if (rule.match === 'keys') {
    const actual = comboOf(action);
    if (actual === null) return false;
    return actual === combo || regex.test(actual);
  }
  return regex.test(summarizeAction(action));
}

// ------------------------------------------------------------------------------------------------ heuristics

/** Key combos that close, quit, lock or escape the current context. Keys are normalised combos. */
const DESTRUCTIVE_COMBOS: Record<string, string> = {
  'alt+f4': 'closes the focused window (unsaved work may be lost)',
  'ctrl+w': 'closes the current tab or window',
  'ctrl+shift+w': 'closes the whole window with all its tabs',
  'ctrl+q': 'quits the application',
  'ctrl+shift+q': 'quits the application or logs out',
  'super+q': 'quits the application',
  'super+w': 'closes the window',
  'super+l': 'locks the screen',
  'ctrl+alt+l': 'locks the screen',
  'ctrl+alt+delete': 'opens the system security screen or restarts the computer',
  'ctrl+alt+backspace': 'can kill the whole graphical session',
  'ctrl+shift+delete': 'opens the clear-browsing-data dialog',
  'shift+delete': 'deletes permanently, bypassing the trash',
  'ctrl+alt+t': 'opens a terminal',
  'alt+f2': 'opens a run-command dialog',
  'super+r': 'opens the Run dialog',
};

function comboRisk(combo: string): string | null {
  const known = DESTRUCTIVE_COMBOS[combo];
  if (known) return known;
  if (/^ctrl\+alt\+f([1-9]|1[0-2])$/.test(combo)) return 'switches to a text console';
  if (combo.split('+').includes('sysrq')) return 'sends a kernel SysRq request';
  return null;
}

const TERMINAL_CLASSES =
  /^(x|u|a|gnome-|mate-|xfce4-|lx|q|deepin-|io\.elementary\.)?term(inal)?(-server|-emulator)?$|^(u?rxvt|urxvt|konsole|terminator|tilix|alacritty|kitty|wezterm|wezterm-gui|st|st-256color|foot|footclient|sakura|guake|yakuake|terminology|cool-retro-term|eterm|iterm2?|hyper|tabby|windowsterminal|cascadia_hosting_window_class|consolewindowclass|conhost|cmd|powershell|pwsh)$/i;
const TERMINAL_TITLES =
  /\b(terminal|xterm|konsole|alacritty|powershell|command prompt|cmd\.exe)\b|\w@[\w.-]+:\s*[~/]/i;

function isTerminal(window: WindowInfo | undefined): boolean {
  if (!window) return false;
  const cls = window.className?.trim();
  if (cls && cls.split(/[.\s]+/).some((part) => TERMINAL_CLASSES.test(part))) return true;
  return !!window.title && TERMINAL_TITLES.test(window.title);
}

function describeWindow(window: WindowInfo | undefined): string {
  const name = window?.title || window?.className;
  return name ? ` (“${name}”)` : '';
}

function isOwnWindow(window: WindowInfo | undefined, ownTitles: readonly string[] | undefined): boolean {
  if (!window) return false;
  if (window.className && /deskpilot/i.test(window.className)) return true;
  const title = window.title?.toLowerCase();
  return !!title && (ownTitles ?? []).some((own) => own.trim() !== '' && title.includes(own.trim().toLowerCase()));
}

/**
 * Text that would do damage if it reached a shell: recognisable destructive commands anywhere, or a line that
 * starts like a command with arguments. Returns the matching fragment for the reason shown to the person.
 */
const DANGEROUS_SHELL: RegExp[] = [
  /\brm\s+(?:-\w+\s+){0,4}(?:-\w*[rf]\w*\b|[/~*])/i,
  /\bsudo\s+\S+/i,
  /\b(curl|wget|iwr|invoke-webrequest)\b[^\n|]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b/i,
  /\b(base64\s+(-d|--decode)|xxd\s+-r)[^\n|]*\|\s*(ba|z)?sh\b/i,
  /\bmkfs(\.\w+)?\s+\S+/i,
  /\bdd\s+[^\n]*\bif=\S+/i,
  /:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/,
  />\s*\/dev\/(sd|nvme|hd|vd|mmcblk)\w*/i,
  /\bchmod\s+(-R\s+)?(0?777|[ugoa]*\+s)\b/i,
  /\b(chown|chgrp)\s+-R\b/i,
  /\b(shutdown|poweroff)\s+(-\w+|now|\/\w)\b/i,
  /\bkill(all)?\s+-(9|KILL)\b/i,
  /\bhistory\s+-c\b/i,
  /\bgit\s+(push\s+[^\n]*(--force|-f)\b|reset\s+--hard|clean\s+-\w*f)/i,
  /\biptables\s+-(F|X)\b/i,
  /\bnc(at)?\s+[^\n]*-e\s+\S+/i,
  /\/dev\/tcp\/\S+/i,
  />>?\s*~?\S*(\.bashrc|\.zshrc|\.profile|authorized_keys|sudoers|crontab)\b/i,
  /\bcrontab\s+-\w/i,
  /\b(remove-item|format-volume|stop-computer|restart-computer|invoke-expression|iex)\b/i,
  /\b(powershell|pwsh)(\.exe)?\s+-(e|enc|encodedcommand|c|command)\b/i,
  /\bdel\s+\/[sqf]\b/i,
  /\bformat\s+[a-z]:/i,
  /\breg\s+(add|delete)\b/i,
  /\b(bcdedit|diskpart|vssadmin|wmic)\b/i,
];
const COMMAND_WORDS =
  'ls|cd|cat|echo|printf|rm|rmdir|mv|cp|ln|mkdir|touch|chmod|chown|apt|apt-get|dpkg|yum|dnf|pacman|zypper|snap|brew|pip|pip3|npm|npx|yarn|pnpm|git|curl|wget|ssh|scp|rsync|python|python3|node|perl|ruby|bash|sh|zsh|export|source|kill|killall|pkill|ps|grep|find|xargs|tar|unzip|docker|kubectl|systemctl|service|mount|umount|su|doas|eval|exec|env|nohup|setsid|crontab|passwd|useradd|userdel';
/** A line starting like a command line: optional prompt, a command word, then a flag, a path, or shell glue. */
const COMMAND_LINE = new RegExp(
  `^\\s*(?:[$#>%]\\s+)?(?:${COMMAND_WORDS})(?:\\s+(?:-{1,2}[\\w-]+|[~./][^\\s]*)|\\s+\\S+\\s*(?:&&|\\|\\||;|\\|)|\\s*(?:&&|\\|\\||;|\\||>))`,
  'im',
);
const SHELL_GLUE = /\$\([^)]*\)|\b\w+\s*(&&|\|\|)\s*\w+/;

/** The whole line of `text` around position `index`, so the person sees the command, not a fragment of it. */
function lineAt(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(start, end === -1 ? undefined : end).trim();
}

export function shellCommandHint(text: string): string | null {
  for (const pattern of [...DANGEROUS_SHELL, COMMAND_LINE, SHELL_GLUE]) {
    const match = pattern.exec(text);
    if (match) return lineAt(text, match.index + match[0].search(/\S|$/));
  }
  return null;
}

/** Text on the screen addressed to an AI agent rather than to the person: classic prompt injection. Also used on
    the text read from each screenshot (app/policy/screen-risk.ts). */
export const SCREEN_INJECTION: readonly RegExp[] = [
  /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier|original|user'?s?)\s+(instructions?|prompts?|tasks?|rules)\b/i,
  /\b(ai|llm|automated|computer[- ]use)\s+(agents?|assistants?|models?|bots?)\b[^.\n]{0,80}\b(must|should|need to|are (required|instructed)|have to|please)\b/i,
  /\b(attention|note|message)\s+(to|for)\s+(the\s+)?(ai|llm|agent|assistant|model)\b/i,
  /\bnew\s+(instructions?|task|objective|goal)\s*:/i,
  /\b(system\s+(prompt|override|instruction)|developer\s+mode)\b/i,
  /\byou\s+are\s+now\s+(a|an|in)\b/i,
];
/** The model saying it acts on what the screen told it. */
const MODEL_FOLLOWS_SCREEN: RegExp[] = [
  /\b(the|this)\s+(page|screen|website|site|web ?page|email|e-mail|message|pop-?up|dialog|document|note|banner|text|window|comment|post|notification|chat)\s+(says|said|asks|asked|tells|told|instructs|instructed|wants|requests|requested|requires|required|directs|says that i should)\s+(me\s+|us\s+|the (user|agent|assistant)\s+)?(to\b|that\b)/i,
  /\bas\s+(instructed|requested|asked|directed|told)\s+(on|by|in)\s+(the\s+)?(screen|page|website|site|email|e-mail|pop-?up|message|document|dialog|banner|notification)\b/i,
  /\b(instructions?|directions?)\s+(on|in|from)\s+the\s+(screen|page|website|site|email|e-mail|pop-?up|document|message)\b/i,
  /\bfollow(ing)?\s+the\s+(on-?screen|page'?s?|website'?s?|email'?s?)\s+(instructions?|directions?)\b/i,
  /\b(ignore|disregard)\s+(the\s+)?(user'?s?|original|previous)\s+(instructions?|task)\b/i,
];
/** An instruction that itself delegates to what the screen says (then following it is expected). */
const INSTRUCTION_DELEGATES =
  /\b(follow|do what|complete)\b[^.\n]{0,40}\b(instructions?|steps|says|asks|tells)\b|\binstructions?\s+(on|in)\s+the\b/i;

function firstMatch(patterns: readonly RegExp[], text: string | undefined): string | null {
  if (!text) return null;
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match) return match[0];
  }
  return null;
}

/** Actions that act at a point on the screen (scrolls act at the pointer when they have no coordinate). */
function actsAtPoint(action: AnyAction): boolean {
  return POINTER_ACTIONS.has(action.action) || action.action === 'scroll' || action.action === 'hscroll';
}

/**
 * Classify one action. `blocked` when a deny rule matches (reasons: the rules' reasons); `risky` with one sentence
 * per concern; otherwise `safe` with no reasons. Throws only for an invalid deny-rule pattern.
 */
export function classifyRisk(action: ComputerAction | MobileAction, ctx: RiskContext, rules: DenyRule[]): Risk {
  const blocked = compileDenyRules(rules)
    .filter((compiled) => ruleMatches(compiled, action))
    .map((compiled) => `Blocked by a deny rule: ${compiled.rule.reason}`);
  if (blocked.length > 0) return { level: 'blocked', reasons: blocked };

  const reasons: string[] = [];
  const focused = ctx.focusedWindow;

  if (action.action === 'type') {
    if (isTerminal(focused)) {
      reasons.push(`Types into a terminal${describeWindow(focused)}: text there can run as commands.`);
    }
    const hint = shellCommandHint(action.text);
    if (hint) reasons.push(`The text looks like a shell command (${quoteText(hint)}).`);
  }

  if (action.action === 'key') {
    const combo = comboOf(action) ?? '';
    const effect = 'keys' in action ? comboRisk(combo) : null;
    if (effect) reasons.push(`${combo} ${effect}.`);
    if (isTerminal(focused) && /(^|\+)(enter|kpenter)$/.test(combo)) {
      reasons.push(`Presses Enter in a terminal${describeWindow(focused)}, which runs the command line.`);
    }
    if ('text' in action && /power|sleep|wakeup|factory|reset/i.test(action.text)) {
      reasons.push(`The ${action.text} key changes the device's power or system state.`);
    }
  }

  if ((action.action === 'type' || action.action === 'key') && isOwnWindow(focused, ctx.ownWindowTitles)) {
    reasons.push(`The keys would go to Deskpilot's own window${describeWindow(focused)}.`);
  }
  if (actsAtPoint(action) && isOwnWindow(ctx.windowAtPoint, ctx.ownWindowTitles)) {
    reasons.push(`The point is on Deskpilot's own window${describeWindow(ctx.windowAtPoint)}.`);
  }

  // Injection: only actions with an effect matter (waiting or finishing cannot be abused).
  if (action.action !== 'wait' && action.action !== 'terminate') {
    const onScreen = firstMatch(SCREEN_INJECTION, ctx.screenText);
    if (onScreen) {
      reasons.push(`Text on the screen addresses the agent (${quoteText(onScreen)}); it may be trying to steer it.`);
    }
    const delegated = INSTRUCTION_DELEGATES.test(ctx.instruction);
    const follows = delegated ? null : firstMatch(MODEL_FOLLOWS_SCREEN, ctx.modelText);
    if (follows) {
      reasons.push(
        `The model says it is following text on the screen (${quoteText(follows)}), which your instruction did not ask for.`,
      );
    }
  }

  return reasons.length > 0 ? { level: 'risky', reasons } : { level: 'safe', reasons: [] };
}
