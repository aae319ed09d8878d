/**
 * Risk classification of one proposed action. Heuristics, not proof: their job is to make sure the person is asked
 * (in `risky` mode) before the actions most likely to do harm, and to say why in plain sentences. Deny rules turn a
 * match into `blocked`, which no approval mode lets through; the built-in ones (app/policy/default-deny-rules.ts)
 * block catastrophic shell commands.
 *
 * Everything here runs on text the model, a web page or the screen controls, so every pattern list is RE2 through
 * app/policy/matching.ts (time linear in the text, whatever the pattern); the few JavaScript regular expressions
 * left (key combos, a mobile key name) are anchored or have no nested or ambiguous repetition. Typed text is matched
 * as typed and as a shell reads it (app/policy/shell-text.ts), so quoting and escapes do not hide a command.
 */
import type { DenyRule, Risk } from '../contract';
import { ACTS_AT_POINT, type AnyAction, type ComputerAction, type MobileAction } from '../base/actions';
import { patternProblem } from '../patterns';
import type { WindowInfo } from '../platform/windows';
import type { Size } from '../screen/geometry';
import { comboOf, normalizeCombo, quoteText, summarizeAction } from './describe';
import { PatternList, collapseWhitespace, firstFragment, firstMatchingLine } from './matching';
import { shellReadings } from './shell-text';

export interface RiskContext {
  instruction: string;
  /** What is known about the target of the action: the window under the point / the focused window (class, title),
      and the app's own windows (so clicks on Deskpilot itself are risky). Any field may be missing. */
  focusedWindow?: WindowInfo;
  windowAtPoint?: WindowInfo;
  ownWindowTitles?: string[];
  /** Text visible on screen, when known (filled by the screen-text reader). */
  screenText?: string;
  /** The model's reasoning and text for this step (injection hints: "the page says to ...", "as instructed on screen"). */
  modelText?: string;
  /** The action performed just before this one in the run: Enter right after shell-like typing runs it. */
  previousAction?: ComputerAction | MobileAction;
  /** The size of the screenshot the model saw: absolute-coordinate profiles point in its pixels, so an edited
      point is checked against it. */
  imageSize?: Size;
}

// ------------------------------------------------------------------------------------------------ deny rules

/** Deny rules compiled for matching: one RE2 set per kind of rule, plus exact combos for plain `keys` rules. */
export class DenyRuleMatcher {
  private readonly text: PatternList;
  private readonly summary: PatternList;
  private readonly keys: PatternList;
  private readonly textRules: DenyRule[];
  private readonly summaryRules: DenyRule[];
  private readonly keyRules: Array<{ rule: DenyRule; combo: string | null }>;

  /** Throws an error naming the first rule whose pattern cannot be used. */
  constructor(readonly rules: readonly DenyRule[]) {
    rules.forEach((rule, index) => {
      const problem = patternProblem(rule.pattern);
      if (problem) throw new Error(`deny rule ${index + 1} (${rule.match}: /${rule.pattern}/): ${problem}`);
    });
    this.textRules = rules.filter((r) => r.match === 'text');
    this.summaryRules = rules.filter((r) => r.match === 'summary');
    this.keyRules = rules
      .filter((r) => r.match === 'keys')
      .map((rule) => ({ rule, combo: isPlainCombo(rule.pattern) ? normalizeCombo([rule.pattern]) : null }));
    this.text = new PatternList(this.textRules.map((r) => r.pattern));
    this.summary = new PatternList(this.summaryRules.map((r) => r.pattern));
    this.keys = new PatternList(this.keyRules.map((r) => r.rule.pattern));
  }

  /** The rules `action` breaks, in the order given. `readings`: the typed text's shell readings, if computed. */
  matching(action: AnyAction, readings?: readonly string[]): DenyRule[] {
    const hits = new Set<DenyRule>();
    const text = textOf(action);
    if (text !== null && this.textRules.length > 0) {
      for (const reading of readings ?? shellReadings(text)) {
        for (const index of this.text.matching(reading)) hits.add(this.textRules[index]!);
      }
    }
    const combo = comboOf(action);
    if (combo !== null) {
      const byPattern = new Set(this.keys.matching(combo));
      this.keyRules.forEach(({ rule, combo: exact }, index) => {
        if (exact === combo || byPattern.has(index)) hits.add(rule);
      });
    }
    if (this.summaryRules.length > 0) {
      for (const index of this.summary.matching(summarizeAction(action))) hits.add(this.summaryRules[index]!);
    }
    return this.rules.filter((rule) => hits.has(rule));
  }
}

/** "ctrl+w", "Alt+F4": a keys rule written as a combo rather than a pattern. Linear (no nested repetition). */
function isPlainCombo(pattern: string): boolean {
  return /^[\w ]+(\+[\w ]+)*$/.test(pattern.trim());
}

/** Compiled matchers for the last few rule lists: a run classifies every action against the same rules. */
const matcherCache = new Map<string, DenyRuleMatcher>();
const MATCHER_CACHE_SIZE = 8;

/** Compile deny rules (cached); throws an error naming the first rule whose pattern cannot be used. */
export function compileDenyRules(rules: readonly DenyRule[]): DenyRuleMatcher {
  const key = JSON.stringify(rules.map((r) => [r.match, r.pattern, r.reason]));
  const cached = matcherCache.get(key);
  if (cached) return cached;
  const matcher = new DenyRuleMatcher(rules);
  if (matcherCache.size >= MATCHER_CACHE_SIZE) matcherCache.delete(matcherCache.keys().next().value!);
  matcherCache.set(key, matcher);
  return matcher;
}

/** Problems with deny rules, one sentence each (empty when all can be used): for settings forms and `run` start-up. */
export function checkDenyRules(rules: readonly DenyRule[]): string[] {
  return rules.flatMap((rule, i) => {
    const problem = patternProblem(rule.pattern);
    return problem ? [`deny rule ${i + 1} (${rule.match}: /${rule.pattern}/): ${problem}`] : [];
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

const TERMINAL_CLASSES = new PatternList([
  String.raw`^(?:x|u|a|gnome-|mate-|xfce4-|lx|q|deepin-|io\.elementary\.)?term(?:inal)?(?:-server|-emulator)?$`,
  String.raw`^(?:u?rxvt|urxvt|konsole|terminator|tilix|alacritty|kitty|wezterm|wezterm-gui|st|st-256color|foot|footclient|sakura|guake|yakuake|terminology|cool-retro-term|eterm|iterm2?|hyper|tabby|windowsterminal|cascadia_hosting_window_class|consolewindowclass|conhost|cmd|powershell|pwsh)$`,
]);
const TERMINAL_TITLES = new PatternList([
  String.raw`\b(?:terminal|xterm|konsole|alacritty|powershell|command prompt|cmd\.exe)\b`,
  String.raw`\w@[\w.-]+:\s*[~/]`,
]);

/**
 * App names and packages that move money (a phone's `open`): payments, wallets, banks, brokers. "bank" and
 * "wallet" anywhere ("MyBank", com.google.android.apps.walletnfcrel), the rest as whole words (so "Display" is not
 * "pay"). One alternation, linear in the name.
 */
const MONEY_APP =
  /bank|wallet|\b(?:g?pay|s?pay|paypal|payments?|venmo|cash ?app|zelle|revolut|alipay|coinbase|binance|crypto|brokerage|trading)\b/i;

function isTerminal(window: WindowInfo | undefined): boolean {
  if (!window) return false;
  const cls = window.className?.trim();
  if (cls && cls.split(/[.\s]+/).some((part) => part !== '' && TERMINAL_CLASSES.test(part))) return true;
  return !!window.title && TERMINAL_TITLES.test(window.title);
}

function describeWindow(window: WindowInfo | undefined): string {
  const name = window?.title || window?.className;
  return name ? ` (${quoteText(name)})` : '';
}

function isOwnWindow(window: WindowInfo | undefined, ownTitles: readonly string[] | undefined): boolean {
  if (!window) return false;
  if (window.className && window.className.toLowerCase().includes('deskpilot')) return true;
  const title = window.title?.toLowerCase();
  return !!title && (ownTitles ?? []).some((own) => own.trim() !== '' && title.includes(own.trim().toLowerCase()));
}

/**
 * Text that would do damage if it reached a shell: recognisable destructive commands anywhere, or a line that
 * starts like a command with arguments. Line-local (never across a newline: a shell runs each line apart), matched
 * against every shell reading of the text.
 */
const DANGEROUS_SHELL = [
  String.raw`\brm[ \t]+(?:-\w+[ \t]+){0,4}(?:-\w*[rf]\w*\b|[/~*])`,
  String.raw`\bsudo[ \t]+\S+`,
  String.raw`\b(?:curl|wget|iwr|invoke-webrequest)\b[^\n|]*\|[ \t]*(?:sudo[ \t]+)?(?:ba|z|da|k)?sh\b`,
  String.raw`\b(?:base64[ \t]+(?:-d|--decode)|xxd[ \t]+-r)[^\n|]*\|[ \t]*(?:ba|z)?sh\b`,
  String.raw`\bmkfs(?:\.\w+)?[ \t]+\S+`,
  String.raw`\bdd[ \t]+[^\n]*\b(?:if|of)=\S+`,
  String.raw`:\([ \t]*\)[ \t]*\{[ \t]*:[ \t]*\|[ \t]*:[ \t]*&[ \t]*\}[ \t]*;[ \t]*:`,
  String.raw`\S[ \t]*\([ \t]*\)[ \t]*\{[^\n}]*\|[^\n}]*&[ \t]*;?[ \t]*\}`,
  String.raw`>[ \t]*/dev/(?:sd|nvme|hd|vd|xvd|mmcblk)\w*`,
  String.raw`\bchmod[ \t]+(?:-R[ \t]+)?(?:0?777|[ugoa]*\+s)\b`,
  String.raw`\b(?:chown|chgrp)[ \t]+-R\b`,
  String.raw`\b(?:shutdown|poweroff)[ \t]+(?:-\w+|now|/\w)\b`,
  String.raw`\bkill(?:all)?[ \t]+-(?:9|KILL)\b`,
  String.raw`\bhistory[ \t]+-c\b`,
  String.raw`\bgit[ \t]+(?:push[ \t]+[^\n]*(?:--force|-f)\b|reset[ \t]+--hard|clean[ \t]+-\w*f)`,
  String.raw`\biptables[ \t]+-(?:F|X)\b`,
  String.raw`\bnc(?:at)?[ \t]+[^\n]*-e[ \t]+\S+`,
  String.raw`/dev/(?:tcp|udp)/\S+`,
  String.raw`>>?[ \t]*\S*(?:\.bashrc|\.bash_profile|\.zshrc|\.profile|authorized_keys|sudoers|crontab)\b`,
  String.raw`\bcrontab[ \t]+-\w`,
  // Commands that destroy files or disks, given an option or a path ("unlink your account" is prose).
  String.raw`\b(?:shred|wipefs|blkdiscard|truncate|unlink|srm|mkswap|fdisk|parted|sgdisk)\b[^\n]*[ \t](?:-\w|[~/.$])`,
  // Data piped into a network program, and credentials read at all.
  String.raw`\|&?[ \t]*(?:sudo[ \t]+)?(?:nc|ncat|netcat|socat|telnet)\b`,
  String.raw`\b(?:nc|ncat|netcat|socat)[ \t]+\S+[ \t]+\d+`,
  String.raw`(?:~|\$\{?HOME\}?|/home/[^/ \t\n]+|/root)/\.(?:ssh|gnupg|aws|kube|password-store|netrc|git-credentials)\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|/etc/(?:shadow|gshadow|sudoers)\b`,
  String.raw`\b(?:remove-item|format-volume|stop-computer|restart-computer|invoke-expression|iex)\b`,
  String.raw`\b(?:powershell|pwsh)(?:\.exe)?[ \t]+-(?:e|enc|encodedcommand|c|command)\b`,
  String.raw`\bdel[ \t]+/[sqf]\b`,
  String.raw`\bformat[ \t]+[a-z]:`,
  String.raw`\breg[ \t]+(?:add|delete)\b`,
  String.raw`\b(?:bcdedit|diskpart|vssadmin|wmic)\b`,
];
const COMMAND_WORDS =
  'ls|cd|cat|echo|printf|rm|rmdir|mv|cp|ln|mkdir|touch|chmod|chown|chattr|apt|apt-get|dpkg|yum|dnf|pacman|zypper|snap|brew|pip|pip3|npm|npx|yarn|pnpm|git|curl|wget|ssh|scp|sftp|rsync|python|python3|node|perl|ruby|bash|sh|zsh|dash|fish|export|source|kill|killall|pkill|ps|grep|find|xargs|tar|zip|unzip|docker|kubectl|systemctl|service|mount|umount|su|sudo|doas|eval|exec|env|command|builtin|nohup|setsid|nice|timeout|time|crontab|passwd|useradd|userdel|dd|shred|truncate|unlink|wipefs|nc|ncat|netcat|socat|telnet|openssl|base64|xxd|install|sed|awk|tee|head|tail|less|more|vi|vim|nano';
/** A line starting like a command line: optional prompt, a command word, then an option, a path, or shell glue. */
const COMMAND_LINE = String.raw`^[ \t]*(?:[$#>%][ \t]+)?(?:${COMMAND_WORDS})(?:[ \t][^\n]*)?(?:[ \t](?:-{1,2}[\w-]+|[~./$][^ \t\n]*)|[ \t]*(?:&&|\|\||;|\||>))`;
const SHELL_GLUE = [String.raw`\$\([^)\n]*\)`, String.raw`\b\w+[ \t]*(?:&&|\|\|)[ \t]*\w+`];

const SHELL_HINTS = new PatternList([...DANGEROUS_SHELL, COMMAND_LINE, ...SHELL_GLUE], { multiline: true });

/**
 * The line of `text` that looks like a shell command, as typed or as a shell reads it (then said so), or null.
 * `readings`: shellReadings(text), when the caller has them already.
 */
export function shellCommandHint(text: string, readings: readonly string[] = shellReadings(text)): string | null {
  for (const [index, reading] of readings.entries()) {
    const found = firstMatchingLine(SHELL_HINTS, reading);
    if (!found) continue;
    const line = found.line.trim();
    return index === 0 ? quoteText(line) : `a shell reads it as ${quoteText(line)}`;
  }
  return null;
}

/** Text on the screen addressed to an AI agent rather than to the person: classic prompt injection. Also used on
    the text read from each screenshot (app/policy/screen-risk.ts). */
export const SCREEN_INJECTION = new PatternList([
  String.raw`\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|original|user'?s?)\s+(?:instructions?|prompts?|tasks?|rules)\b`,
  String.raw`\b(?:ai|llm|automated|computer[- ]use)\s+(?:agents?|assistants?|models?|bots?)\b[^.\n]{0,80}\b(?:must|should|need to|are (?:required|instructed)|have to|please)\b`,
  String.raw`\b(?:attention|note|message)\s+(?:to|for)\s+(?:the\s+)?(?:ai|llm|agent|assistant|model)\b`,
  String.raw`\bnew\s+(?:instructions?|task|objective|goal)\s*:`,
  String.raw`\b(?:system\s+(?:prompt|override|instruction)|developer\s+mode)\b`,
  String.raw`\byou\s+are\s+now\s+(?:a|an|in)\b`,
]);
/** The model saying it acts on what the screen told it. */
const MODEL_FOLLOWS_SCREEN = new PatternList([
  String.raw`\b(?:the|this)\s+(?:page|screen|website|site|web ?page|email|e-mail|message|pop-?up|dialog|document|note|banner|text|window|comment|post|notification|chat)\s+(?:says|said|asks|asked|tells|told|instructs|instructed|wants|requests|requested|requires|required|directs|says that i should)\s+(?:me\s+|us\s+|the (?:user|agent|assistant)\s+)?(?:to\b|that\b)`,
  String.raw`\bas\s+(?:instructed|requested|asked|directed|told)\s+(?:on|by|in)\s+(?:the\s+)?(?:screen|page|website|site|email|e-mail|pop-?up|message|document|dialog|banner|notification)\b`,
  String.raw`\b(?:instructions?|directions?)\s+(?:on|in|from)\s+the\s+(?:screen|page|website|site|email|e-mail|pop-?up|document|message)\b`,
  String.raw`\bfollow(?:ing)?\s+the\s+(?:on-?screen|page'?s?|website'?s?|email'?s?)\s+(?:instructions?|directions?)\b`,
  String.raw`\b(?:ignore|disregard)\s+(?:the\s+)?(?:user'?s?|original|previous)\s+(?:instructions?|task)\b`,
]);
/** An instruction that itself delegates to what the screen says (then following it is expected). */
const INSTRUCTION_DELEGATES = new PatternList([
  String.raw`\b(?:follow|do what|complete)\b[^.\n]{0,40}\b(?:instructions?|steps|says|asks|tells)\b`,
  String.raw`\binstructions?\s+(?:on|in)\s+the\b`,
]);

/** The first fragment a list matches in `text`, whitespace collapsed (screen text breaks lines anywhere). */
function fragmentOf(list: PatternList, text: string | undefined): string | null {
  return text ? firstFragment(list, collapseWhitespace(text)) : null;
}

/** Actions that act at a point on the screen (scrolls act at the pointer when they have no coordinate). */
function actsAtPoint(action: AnyAction): boolean {
  return ACTS_AT_POINT.has(action.action);
}

/** Enter, however it is pressed (Return, KP_Enter, ctrl+m, ctrl+j): in a shell it runs the line. */
function pressesEnter(combo: string): boolean {
  const keys = combo.split('+');
  const last = keys[keys.length - 1];
  return last === 'enter' || last === 'kpenter' || combo === 'ctrl+m' || combo === 'ctrl+j' || combo === 'keycode_enter';
}

/**
 * Classify one action. `blocked` when a deny rule matches (reasons: the rules' reasons); `risky` with one sentence
 * per concern; otherwise `safe` with no reasons. Throws only for a deny rule whose pattern cannot be used.
 * `rules`: every rule that applies (activeDenyRules(settings) for a run: the built-in ones and the person's own).
 */
export function classifyRisk(action: ComputerAction | MobileAction, ctx: RiskContext, rules: readonly DenyRule[]): Risk {
  const text = textOf(action);
  const readings = text === null ? undefined : shellReadings(text);
  const blocked = compileDenyRules(rules)
    .matching(action, readings)
    .map((rule) => `Blocked by a deny rule: ${rule.reason}`);
  if (blocked.length > 0) return { level: 'blocked', reasons: blocked };

  const reasons: string[] = [];
  const focused = ctx.focusedWindow;

  if (action.action === 'type') {
    if (focused?.passwordField) {
      reasons.push(`Types into a password field${describeWindow(focused)}: the text is a secret the model chose or read.`);
    }
    if (isTerminal(focused)) {
      reasons.push(`Types into a terminal${describeWindow(focused)}: text there can run as commands.`);
    }
    const hint = shellCommandHint(action.text, readings);
    if (hint) reasons.push(`The text looks like a shell command (${hint}).`);
  }

  if (action.action === 'key') {
    const combo = comboOf(action) ?? '';
    const effect = 'keys' in action ? comboRisk(combo) : null;
    if (effect) reasons.push(`${combo} ${effect}.`);
    if (pressesEnter(combo)) {
      if (isTerminal(focused)) {
        reasons.push(`Presses Enter in a terminal${describeWindow(focused)}, which runs the command line.`);
      } else if (ctx.previousAction?.action === 'type') {
        const typed = shellCommandHint(ctx.previousAction.text);
        if (typed) reasons.push(`Presses Enter right after typing text that looks like a shell command (${typed}), which would run it.`);
      }
    }
    if ('text' in action && /power|sleep|wakeup|factory|reset/i.test(action.text)) {
      reasons.push(`The ${action.text} key changes the device's power or system state.`);
    }
  }

  if (action.action === 'open') {
    const money = MONEY_APP.exec(action.text);
    if (money) reasons.push(`Opens ${quoteText(action.text)}, which looks like a payments or banking app ("${money[0]}").`);
  }

  if ((action.action === 'type' || action.action === 'key') && isOwnWindow(focused, ctx.ownWindowTitles)) {
    reasons.push(`The keys would go to Deskpilot's own window${describeWindow(focused)}.`);
  }
  if (actsAtPoint(action) && isOwnWindow(ctx.windowAtPoint, ctx.ownWindowTitles)) {
    reasons.push(`The point is on Deskpilot's own window${describeWindow(ctx.windowAtPoint)}.`);
  }

  // Injection: only actions with an effect matter (waiting or finishing cannot be abused).
  if (action.action !== 'wait' && action.action !== 'terminate') {
    const onScreen = fragmentOf(SCREEN_INJECTION, ctx.screenText);
    if (onScreen) {
      reasons.push(`Text on the screen addresses the agent (${quoteText(onScreen)}); it may be trying to steer it.`);
    }
    const delegated = INSTRUCTION_DELEGATES.test(ctx.instruction);
    const follows = delegated ? null : fragmentOf(MODEL_FOLLOWS_SCREEN, ctx.modelText);
    if (follows) {
      reasons.push(
        `The model says it is following text on the screen (${quoteText(follows)}), which your instruction did not ask for.`,
      );
    }
  }

  return reasons.length > 0 ? { level: 'risky', reasons } : { level: 'safe', reasons: [] };
}
