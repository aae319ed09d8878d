/**
 * THE action table: for each tool the model speaks (computer_use, mobile_use), its actions in the order the tool
 * schema lists them, each with the line the schema shows for it, the points it takes, whether it acts at a point,
 * and the zod shape of its arguments. Everything else derives from here: the tools' action lists and enums
 * (model/tools.ts), the parser's checks (model/parse-args.ts), the validated action types and schemas below, the
 * risk check's "acts at a point". Adding an action = one entry here, plus its performer in each device.
 *
 * Validated actions are what a tool call becomes once its arguments have been checked: coordinates are still in
 * the model's space (the parser checks them against the profile's space, screen/geometry.ts maps them). Nothing
 * from the model is ever evaluated as code. Pure data and zod: the renderer may reach this file.
 */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** A point in the model's space, exactly two numbers. */
export const CoordinateSchema = z.tuple([finite, finite]);
export type Coordinate = z.infer<typeof CoordinateSchema>;

export const TERMINATE_STATUSES = ['success', 'failure'] as const;
export const SYSTEM_BUTTONS = ['Back', 'Home', 'Menu', 'Enter'] as const;

const seconds = finite.refine((t) => t >= 0, 'must not be negative');

type PointKind = 'required' | 'optional' | 'none';
type At = { coordinate: typeof CoordinateSchema };
type MaybeAt = { coordinate: z.ZodOptional<typeof CoordinateSchema> };
type PointShape<P extends PointKind, P2 extends boolean> = (P extends 'required' ? At : P extends 'optional' ? MaybeAt : {}) &
  (P2 extends true ? { coordinate2: typeof CoordinateSchema } : {});

interface ActionEntry<N extends string, S extends z.ZodRawShape> {
  name: N;
  /** The action's line in the tool description, sent to the model exactly as written. */
  line: string;
  /** `coordinate`: required, optional (scrolls: at the pointer without one) or not taken. */
  point: PointKind;
  /** Takes the end point `coordinate2` too (swipe). */
  point2: boolean;
  /** Acts at a point of the screen (a click, a drag, a scroll at the pointer): risk checks look at what is there. */
  atPoint: boolean;
  /** The arguments: `action`, the points, and the action's own fields. */
  schema: z.ZodObject<{ action: z.ZodLiteral<N> } & S>;
}

function entry<N extends string, F extends z.ZodRawShape = {}, P extends PointKind = 'none', P2 extends boolean = false>(
  name: N,
  line: string,
  options: { point?: P; point2?: P2; atPoint?: boolean; fields?: F } = {},
): ActionEntry<N, PointShape<P, P2> & F> {
  const point: PointKind = options.point ?? 'none';
  // The shape's key order is the key order of a parsed action (run records, messages): a required point comes
  // first, an optional one last, as the actions have always been written.
  const before: Record<string, z.ZodType> = {};
  const after: Record<string, z.ZodType> = {};
  if (point === 'required') before.coordinate = CoordinateSchema;
  if (options.point2) before.coordinate2 = CoordinateSchema;
  if (point === 'optional') after.coordinate = CoordinateSchema.optional();
  const schema = z.object({ action: z.literal(name), ...before, ...options.fields, ...after });
  return {
    name,
    line,
    point,
    point2: options.point2 === true,
    atPoint: options.atPoint === true || point === 'required',
    schema: schema as unknown as ActionEntry<N, PointShape<P, P2> & F>['schema'],
  };
}

const terminate = entry('terminate', 'Terminate the current task and report its completion status.', {
  fields: { status: z.enum(TERMINATE_STATUSES) },
});
const answer = entry('answer', 'Answer a question.', { fields: { text: z.string() } });
const wait = entry('wait', 'Wait specified seconds for the change to happen.', { fields: { time: seconds } });

/** computer_use, in the order of its tool schema. */
export const COMPUTER_USE_TABLE = [
  entry('key', 'Performs key down presses on the arguments passed in order, then performs key releases in reverse order.', {
    fields: { keys: z.array(z.string().min(1)).min(1) },
  }),
  entry('type', 'Type a string of text on the keyboard.', { fields: { text: z.string() } }),
  entry('mouse_move', 'Move the cursor to a specified (x, y) pixel coordinate on the screen.', { point: 'required' }),
  entry('left_click', 'Click the left mouse button at a specified (x, y) pixel coordinate on the screen.', { point: 'required' }),
  entry('left_click_drag', 'Click and drag the cursor to a specified (x, y) pixel coordinate on the screen.', {
    point: 'required',
  }),
  entry('right_click', 'Click the right mouse button at a specified (x, y) pixel coordinate on the screen.', {
    point: 'required',
  }),
  entry('middle_click', 'Click the middle mouse button at a specified (x, y) pixel coordinate on the screen.', {
    point: 'required',
  }),
  entry('double_click', 'Double-click the left mouse button at a specified (x, y) pixel coordinate on the screen.', {
    point: 'required',
  }),
  entry('triple_click', 'Triple-click the left mouse button at a specified (x, y) pixel coordinate on the screen.', {
    point: 'required',
  }),
  entry('scroll', 'Performs a scroll of the mouse scroll wheel.', {
    point: 'optional',
    atPoint: true,
    fields: { pixels: finite },
  }),
  entry('hscroll', 'Performs a horizontal scroll.', {
    point: 'optional',
    atPoint: true,
    fields: { pixels: finite },
  }),
  wait,
  terminate,
  answer,
] as const;

/** mobile_use, in the order of its tool schema. */
export const MOBILE_USE_TABLE = [
  entry(
    'key',
    'Perform a key event on the mobile device.\n    - This supports adb\'s `keyevent` syntax.\n    - Examples: "volume_up", "volume_down", "power", "camera", "clear".',
    { fields: { text: z.string().min(1) } },
  ),
  entry('click', 'Click the point on the screen with coordinate (x, y).', { point: 'required' }),
  entry(
    'long_press',
    'Press the point on the screen with coordinate (x, y) for specified seconds.',
    { point: 'required', fields: { time: finite.optional() } },
  ),
  entry('swipe', 'Swipe from the starting point with coordinate (x, y) to the end point with coordinates2 (x2, y2).', {
    point: 'required',
    point2: true,
  }),
  entry('type', 'Input the specified text into the activated input box.', { fields: { text: z.string() } }),
  entry('system_button', 'Press the system button.', { fields: { button: z.enum(SYSTEM_BUTTONS) } }),
  entry('open', 'Open an app on the device.', { fields: { text: z.string().min(1) } }),
  wait,
  terminate,
  answer,
] as const;

type Table = readonly ActionEntry<string, z.ZodRawShape>[];
type NamesOf<T extends Table> = { -readonly [K in keyof T]: T[K]['name'] };
type SchemasOf<T extends Table> = { -readonly [K in keyof T]: T[K]['schema'] };

const namesOf = <T extends Table>(table: T): NamesOf<T> => table.map((a) => a.name) as NamesOf<T>;
const schemasOf = <T extends Table>(table: T): SchemasOf<T> => table.map((a) => a.schema) as SchemasOf<T>;

export const COMPUTER_USE_ACTIONS = namesOf(COMPUTER_USE_TABLE);
export type ComputerUseActionName = (typeof COMPUTER_USE_ACTIONS)[number];
export const MOBILE_USE_ACTIONS = namesOf(MOBILE_USE_TABLE);
export type MobileUseActionName = (typeof MOBILE_USE_ACTIONS)[number];

export const ComputerActionSchema = z.discriminatedUnion('action', schemasOf(COMPUTER_USE_TABLE));
export type ComputerAction = z.infer<typeof ComputerActionSchema>;

export const MobileActionSchema = z.discriminatedUnion('action', schemasOf(MOBILE_USE_TABLE));
export type MobileAction = z.infer<typeof MobileActionSchema>;

/** An action of either tool. */
export type AnyAction = ComputerAction | MobileAction;

export const ZoomInArgsSchema = z.object({
  bbox_2d: z.tuple([finite, finite, finite, finite]),
  label: z.string().optional(),
  img_idx: finite.optional(),
});
export type ZoomInArgs = z.infer<typeof ZoomInArgsSchema>;

const BOTH: readonly ActionEntry<string, z.ZodRawShape>[] = [...COMPUTER_USE_TABLE, ...MOBILE_USE_TABLE];

/** Actions of either tool that need a coordinate (the ones a performer moves to). */
export const POINTER_ACTIONS: ReadonlySet<string> = new Set(BOTH.filter((a) => a.point === 'required').map((a) => a.name));
/** Actions of either tool that act at a point of the screen: the pointer ones and scrolls (at the pointer). */
export const ACTS_AT_POINT: ReadonlySet<string> = new Set(BOTH.filter((a) => a.atPoint).map((a) => a.name));
/** Actions of either tool that take the end point coordinate2. */
export const TAKES_POINT2: ReadonlySet<string> = new Set(BOTH.filter((a) => a.point2).map((a) => a.name));
