/**
 * Checking one tool call against the profile: is the tool offered, is the action known, are the required
 * parameters there, and is every point inside the model's coordinate space. Only unambiguous spellings are
 * normalised (see normalisePoint / normaliseKeys); anything else is an error that names the call, the field,
 * the value and the valid range - a point is never clamped or guessed.
 */
import type { z } from 'zod';
import {
  COMPUTER_USE_ACTIONS,
  ComputerActionSchema,
  MOBILE_USE_ACTIONS,
  MobileActionSchema,
  POINTER_ACTIONS,
  SYSTEM_BUTTONS,
  TAKES_POINT2,
  ZoomInArgsSchema,
  type ComputerAction,
  type MobileAction,
  type ZoomInArgs,
} from '../base/actions';
import type { ToolName } from './tools';
import { PROFILES, type Profile } from './profiles';
import { spaceExtent, type Size } from '../screen/geometry';

export const TOOL_NAMES: readonly ToolName[] = ['computer_use', 'mobile_use', 'image_zoom_in_tool'];

/** The grid the zoom tool's boxes are on: the profile's grid, which its description states (tools.ts). */
function zoomGrid(profile: Profile): number {
  return profile.coordinates.kind === 'grid' ? profile.coordinates.size : 1000;
}

export type ValidatedArgs = ComputerAction | MobileAction | ZoomInArgs;
export type CallCheck = { ok: true; name: ToolName; arguments: ValidatedArgs } | { ok: false; error: string };

type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, single-line rendering of a model value for an error message. */
export function show(value: unknown, max = 80): string {
  let s: string;
  if (value === undefined) s = 'undefined';
  else if (typeof value === 'number' && !Number.isFinite(value)) s = String(value);
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      // JSON.stringify recurses: a value nested thousands of levels deep overflows the stack.
      s = Array.isArray(value) ? '[an array nested too deeply to show]' : '{an object nested too deeply to show}';
    }
  }
  return snippet(s, max);
}

// One way to split each number (digits, then optionally a point and digits): `\d+\.?\d*` could split a run of
// digits between its two quantifiers in every way, quadratic on a long run that ends in a non-digit.
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** A finite number, or a string that is exactly one ("512", " 3.5 "). */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value.trim())) return Number(value.trim());
  return undefined;
}

/**
 * Exactly `count` numbers, written as a JSON array (numbers or numeric strings) or as one string such as
 * "[512, 300]", "(512, 300)", "512, 300" or "512 300". Anything else is undefined.
 */
function toNumbers(value: unknown, count: number): number[] | undefined {
  let parts: unknown[] | undefined;
  if (Array.isArray(value)) parts = value;
  else if (typeof value === 'string') {
    // At most one opening bracket first and one closing bracket last, none inside. (As one regex, a lazy group
    // before \s* backtracked quadratically over a long run of spaces.)
    let inner = value.trim();
    if (inner.startsWith('[') || inner.startsWith('(')) inner = inner.slice(1);
    if (inner.endsWith(']') || inner.endsWith(')')) inner = inner.slice(0, -1);
    if (/[[\]()]/.test(inner)) return undefined;
    parts = inner
      .trim()
      .split(/\s*,\s*|\s+/)
      .filter((p) => p.length > 0);
  }
  if (!parts || parts.length !== count) return undefined;
  const numbers = parts.map(toNumber);
  return numbers.every((n): n is number => n !== undefined) ? numbers : undefined;
}

/**
 * A point as the models write it: `[x, y]`; also, unambiguously, `["512", "300"]`, the string `"[512, 300]"`
 * or `"(512, 300)"` or `"512, 300"`, and `{"x": 512, "y": 300}`. Anything else (three numbers, NaN, an object
 * without x/y) is not a point.
 */
export function normalisePoint(value: unknown): [number, number] | undefined {
  const xy = isPlainObject(value) && Object.keys(value).length === 2 && 'x' in value && 'y' in value ? [value.x, value.y] : value;
  const numbers = toNumbers(xy, 2);
  return numbers ? [numbers[0] ?? 0, numbers[1] ?? 0] : undefined;
}

/**
 * Keys for `action=key`. The tool wants an array of key names; a single string "ctrl+c" (or an element
 * "ctrl+c") is the same combination written xdotool-style, so it is split at "+" ("+" on its own, or a
 * trailing "++", stays the plus key). Names are not mapped here: the input layer owns the key map.
 */
export function normaliseKeys(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) return undefined;
  const keys: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') return undefined;
    const trimmed = item.trim();
    if (trimmed.length > 1 && trimmed.includes('+')) {
      const parts = trimmed.split('+');
      // "+a" or "ctrl+" leave it unclear which keys were meant.
      if (parts[0] === '' || (parts[parts.length - 1] === '' && !trimmed.endsWith('++'))) return undefined;
      for (let i = 0; i < parts.length; i++) {
        const part = (parts[i] ?? '').trim();
        if (part) keys.push(part);
        // "ctrl++" -> ctrl, + ; an empty piece between two pluses is the plus key itself.
        else if (i > 0 && i < parts.length - 1 && (parts[i + 1] ?? '') === '') {
          keys.push('+');
          i++;
        }
      }
    } else if (trimmed) keys.push(trimmed);
    else return undefined;
  }
  return keys.length > 0 ? keys : undefined;
}

function describeSpace(profile: Profile, imageSize: Size | undefined): string {
  if (profile.coordinates.kind === 'grid') {
    const n = profile.coordinates.size;
    return `the model's 0..${n} grid (x and y must each be within 0..${n})`;
  }
  if (!imageSize) return 'the image the model was sent (x and y must not be negative)';
  return `the ${imageSize.width}x${imageSize.height} image the model was sent (x must be within 0..${imageSize.width}, y within 0..${imageSize.height})`;
}

/** Where a point may lie; without the image size an absolute profile can only check the lower bound. */
function extentOf(profile: Profile, imageSize: Size | undefined): Size | undefined {
  if (profile.coordinates.kind === 'absolute' && !imageSize) return undefined;
  return spaceExtent(profile.coordinates, imageSize);
}

/** The text of a model value for a message: one line, shortened, not JSON-escaped. */
export function snippet(text: string, max = 80): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** zod's issues, said in terms of the call: a missing field is "missing", a wrong one shows the value given. */
function zodMessage(error: z.ZodError, args: Plain): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      const key = issue.path[0];
      const given = typeof key === 'string' ? args[key] : undefined;
      const expected = /expected (\w+)/.exec(issue.message)?.[1];
      if (path && given === undefined && issue.code === 'invalid_type') {
        return `"${path}" is missing${expected ? ` (it must be a ${expected})` : ''}`;
      }
      if (path && given !== undefined) return `${path} ${show(given)}: ${issue.message}`;
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function profilesOffering(tool: ToolName): string[] {
  return [...PROFILES.values()].filter((p) => p.tool === tool || p.extraTools.includes(tool as 'image_zoom_in_tool')).map((p) => p.id);
}

const POINT_FIELDS = ['coordinate', 'coordinate2'] as const;

/**
 * Validate one call. `where` names it in messages ("tool call 2").
 */
export function checkCall(
  where: string,
  name: unknown,
  rawArgs: unknown,
  profile: Profile,
  imageSize: Size | undefined,
): CallCheck {
  const fail = (error: string): CallCheck => ({ ok: false, error });
  if (typeof name !== 'string' || name.trim() === '') return fail(`${where} has no tool name`);
  const tool = name.trim();
  const offered: string[] = [profile.tool, ...profile.extraTools];
  if (!(TOOL_NAMES as readonly string[]).includes(tool)) {
    return fail(`${where} names an unknown tool ${show(tool)}; profile "${profile.id}" offers ${offered.join(', ')}`);
  }
  const toolName = tool as ToolName;
  if (!offered.includes(toolName)) {
    const others = profilesOffering(toolName);
    // The zoom tool is an option of any grid profile (`:zoom`, --zoom), not a profile of its own.
    const hint =
      toolName === 'image_zoom_in_tool' && profile.coordinates.kind === 'grid'
        ? `; turn zooming on with --zoom or the profile ${profile.id}:zoom`
        : others.length > 0
          ? `; a model that calls ${toolName} needs a profile such as ${others.join(' or ')}`
          : '';
    return fail(`${where} uses tool ${toolName}, which profile "${profile.id}" does not offer (it offers ${offered.join(', ')})${hint}`);
  }
  if (!isPlainObject(rawArgs)) return fail(`${where} (${toolName}): arguments must be a JSON object, got ${show(rawArgs)}`);

  if (toolName === 'image_zoom_in_tool') return checkZoom(where, rawArgs, zoomGrid(profile));

  const actions: readonly string[] = toolName === 'computer_use' ? COMPUTER_USE_ACTIONS : MOBILE_USE_ACTIONS;
  const rawAction = rawArgs.action;
  if (rawAction === undefined) return fail(`${where} (${toolName}): "action" is missing; valid actions: ${actions.join(', ')}`);
  const action = typeof rawAction === 'string' ? rawAction.trim().toLowerCase() : undefined;
  if (!action || !actions.includes(action)) {
    return fail(`${where} (${toolName}): unknown action ${show(rawAction)}; valid actions: ${actions.join(', ')}`);
  }
  const label = `${where} (${toolName} ${action})`;
  const args: Plain = { ...rawArgs, action };

  // Points: normalise the unambiguous spellings, then check the range. Never clamp.
  const extent = extentOf(profile, imageSize);
  for (const field of POINT_FIELDS) {
    if (!(field in args) || args[field] === undefined || args[field] === null) {
      delete args[field];
      continue;
    }
    const point = normalisePoint(args[field]);
    if (!point) {
      return fail(`${label}: ${field} ${show(args[field])} is not a point; it must be [x, y], two numbers in ${describeSpace(profile, imageSize)}`);
    }
    const [x, y] = point;
    const outside = x < 0 || y < 0 || (extent !== undefined && (x > extent.width || y > extent.height));
    if (outside) {
      return fail(`${label}: ${field} [${x}, ${y}] is outside ${describeSpace(profile, imageSize)}`);
    }
    args[field] = point;
  }
  // The action table says which actions need which points (scroll/hscroll take a coordinate optionally).
  if (POINTER_ACTIONS.has(action) && args.coordinate === undefined) {
    return fail(`${label}: "coordinate" is missing; ${action} needs coordinate [x, y] in ${describeSpace(profile, imageSize)}`);
  }
  if (TAKES_POINT2.has(action) && args.coordinate2 === undefined) {
    return fail(`${label}: "coordinate2" is missing; ${action} needs the end point coordinate2 [x, y] in ${describeSpace(profile, imageSize)}`);
  }

  for (const field of ['pixels', 'time'] as const) {
    if (args[field] === undefined || args[field] === null) continue;
    const n = toNumber(args[field]);
    if (n === undefined) return fail(`${label}: ${field} ${show(args[field])} is not a number`);
    args[field] = n;
  }
  if (toolName === 'computer_use' && action === 'key') {
    if (args.keys === undefined) return fail(`${label}: "keys" is missing; key needs keys, e.g. ["ctrl", "c"]`);
    const keys = normaliseKeys(args.keys);
    if (!keys) return fail(`${label}: keys ${show(args.keys)} must be a list of key names, e.g. ["ctrl", "c"]`);
    args.keys = keys;
  }
  if (typeof args.status === 'string') args.status = args.status.trim().toLowerCase();
  if (typeof args.button === 'string') {
    const wanted = args.button.trim().toLowerCase();
    args.button = SYSTEM_BUTTONS.find((b) => b.toLowerCase() === wanted) ?? args.button;
  }

  if (action === 'type' && typeof args.text === 'string' && args.text.length > profile.limits.typeChars) {
    return fail(
      `${label}: the text is ${args.text.length} characters long, more than the ${profile.limits.typeChars} one type action may carry ` +
        `(limits.typeChars of profile "${profile.id}"); type it in several parts`,
    );
  }

  const schema = toolName === 'computer_use' ? ComputerActionSchema : MobileActionSchema;
  const result = schema.safeParse(args);
  if (!result.success) return fail(`${label}: ${zodMessage(result.error, args)}`);
  return { ok: true, name: toolName, arguments: result.data };
}

function checkZoom(where: string, rawArgs: Plain, grid: number): CallCheck {
  const label = `${where} (image_zoom_in_tool)`;
  const args: Plain = { ...rawArgs };
  if (args.bbox_2d === undefined) return { ok: false, error: `${label}: "bbox_2d" is missing; it must be [x1, y1, x2, y2] in 0..${grid}` };
  const nums = toNumbers(args.bbox_2d, 4);
  if (!nums) {
    return { ok: false, error: `${label}: bbox_2d ${show(args.bbox_2d)} must be four numbers [x1, y1, x2, y2] in 0..${grid}` };
  }
  const [x1, y1, x2, y2] = nums as [number, number, number, number];
  if ([x1, y1, x2, y2].some((n) => n < 0 || n > grid)) {
    return { ok: false, error: `${label}: bbox_2d [${x1}, ${y1}, ${x2}, ${y2}] is outside the 0..${grid} grid` };
  }
  if (x2 <= x1 || y2 <= y1) {
    return { ok: false, error: `${label}: bbox_2d [${x1}, ${y1}, ${x2}, ${y2}] is empty or inverted; x2 must exceed x1 and y2 exceed y1` };
  }
  args.bbox_2d = [x1, y1, x2, y2];
  if (args.img_idx !== undefined && args.img_idx !== null) {
    const n = toNumber(args.img_idx);
    if (n === undefined || !Number.isInteger(n) || n < 0) {
      return { ok: false, error: `${label}: img_idx ${show(args.img_idx)} must be a whole number from 0` };
    }
    args.img_idx = n;
  } else delete args.img_idx;
  if (args.label === null) delete args.label;
  const result = ZoomInArgsSchema.safeParse(args);
  if (!result.success) return { ok: false, error: `${label}: ${zodMessage(result.error, args)}` };
  return { ok: true, name: 'image_zoom_in_tool', arguments: result.data };
}
