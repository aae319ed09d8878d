/**
 * Validated actions: what a tool call becomes once its arguments have been checked against the tool schema
 * (tools.ts). Coordinates here are still in the model's space; the parser checks them against the profile's
 * space, and screen/geometry.ts maps them. Nothing from the model is ever evaluated as code.
 */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** A point in the model's space, exactly two numbers. */
export const CoordinateSchema = z.tuple([finite, finite]);
export type Coordinate = z.infer<typeof CoordinateSchema>;

const withPoint = { coordinate: CoordinateSchema };

export const ComputerActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('key'), keys: z.array(z.string().min(1)).min(1) }),
  z.object({ action: z.literal('type'), text: z.string() }),
  z.object({ action: z.literal('mouse_move'), ...withPoint }),
  z.object({ action: z.literal('left_click'), ...withPoint }),
  z.object({ action: z.literal('left_click_drag'), ...withPoint }),
  z.object({ action: z.literal('right_click'), ...withPoint }),
  z.object({ action: z.literal('middle_click'), ...withPoint }),
  z.object({ action: z.literal('double_click'), ...withPoint }),
  z.object({ action: z.literal('triple_click'), ...withPoint }),
  z.object({ action: z.literal('scroll'), pixels: finite, coordinate: CoordinateSchema.optional() }),
  z.object({ action: z.literal('hscroll'), pixels: finite, coordinate: CoordinateSchema.optional() }),
  z.object({ action: z.literal('wait'), time: finite.refine((t) => t >= 0, 'must not be negative') }),
  z.object({ action: z.literal('terminate'), status: z.enum(['success', 'failure']) }),
  z.object({ action: z.literal('answer'), text: z.string() }),
]);
export type ComputerAction = z.infer<typeof ComputerActionSchema>;

export const MobileActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('key'), text: z.string().min(1) }),
  z.object({ action: z.literal('click'), ...withPoint }),
  z.object({ action: z.literal('long_press'), ...withPoint, time: finite.optional() }),
  z.object({ action: z.literal('swipe'), ...withPoint, coordinate2: CoordinateSchema }),
  z.object({ action: z.literal('type'), text: z.string() }),
  z.object({ action: z.literal('system_button'), button: z.enum(['Back', 'Home', 'Menu', 'Enter']) }),
  z.object({ action: z.literal('open'), text: z.string().min(1) }),
  z.object({ action: z.literal('wait'), time: finite.refine((t) => t >= 0, 'must not be negative') }),
  z.object({ action: z.literal('terminate'), status: z.enum(['success', 'failure']) }),
  z.object({ action: z.literal('answer'), text: z.string() }),
]);
export type MobileAction = z.infer<typeof MobileActionSchema>;

export const ZoomInArgsSchema = z.object({
  bbox_2d: z.tuple([finite, finite, finite, finite]),
  label: z.string().optional(),
  img_idx: finite.optional(),
});
export type ZoomInArgs = z.infer<typeof ZoomInArgsSchema>;

/** Actions that carry a point the input layer moves to. */
export const POINTER_ACTIONS = new Set([
  'mouse_move',
  'left_click',
  'left_click_drag',
  'right_click',
  'middle_click',
  'double_click',
  'triple_click',
  'click',
  'long_press',
  'swipe',
]);
