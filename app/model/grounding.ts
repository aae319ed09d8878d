/**
 * The grounding probe of the endpoint check: which coordinate space a model clicks in. It is shown a red square
 * through the same client, system prompt and tools a run uses, and its click is compared with the square's place
 * on the 0..1000 grid and in pixels.
 *
 * With zoom on (`check --zoom`, a `:zoom` profile) the model is offered image_zoom_in_tool too, and its zooms are
 * answered as a run answers them (zoom-answer.ts: the crop of the probe image, or the error) before its click,
 * which must still be on the whole probe image; the report says how many zooms it used and which were refused.
 */
import type { EndpointReport, GroundingReport } from './check-report';
import { ModelClient, type RawMessage } from './client';
import { boundedSignal } from './endpoint-url';
import { parseReply, type ParsedReply } from './parse';
import { DEFAULT_PROFILE_ID, getProfile, profileForSettings, type AgentPreset, type Profile } from './profiles';
import { toolsForProfile, type Part, type Turn } from './prompt';
import type { ZoomInArgs } from '../base/actions';
import type { RawImage } from '../screen/prepare';
import {
  answerZoomCall,
  isZoomCall,
  NOT_PERFORMED_BESIDE_ZOOM,
  ZOOM_TOOL,
  zoomLimitError,
  zoomRefusal,
  type ZoomableImage,
} from './zoom-answer';

/** What the probe needs of the check's options. */
export interface GroundingOptions {
  apiKey?: string;
  /** The profile the person means to use (default qwen3-vl): the probe checks its coordinate space. */
  profile?: string;
  /** Offer image_zoom_in_tool too, as a run with `zoom` does (true, or the zooms allowed). */
  zoom?: boolean | number;
  /** A published agent preset (`--agent`): it decides the profile, as in a run. */
  agent?: AgentPreset;
  /** Bound for each of the probe's requests. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The probe screenshot: light grey with one red square off-centre and off the diagonal, so a point in the 0..1000
 * grid and a point in pixels land far apart. Both sides are multiples of 224 (= 28 x 32): smart resize leaves the
 * image as it is for Qwen2.5-VL (factor 28) and Qwen3-VL (factor 32), so "pixels of the image the model saw" are
 * the pixels of this image. A desktop-shaped one for computer_use profiles, a phone-shaped (portrait, 1:2) one for
 * mobile_use profiles: a mobile model is probed on the kind of screen it is trained on.
 */
export interface ProbeShape {
  image: { width: number; height: number };
  square: { cx: number; cy: number; side: number };
}
const DESKTOP_PROBE: ProbeShape = { image: { width: 1344, height: 896 }, square: { cx: 1030, cy: 250, side: 60 } };
const PHONE_PROBE: ProbeShape = { image: { width: 672, height: 1344 }, square: { cx: 470, cy: 380, side: 60 } };

/** The probe image for a profile's tool (a profile that does not exist: the desktop one). */
export function probeShapeFor(profileId: string): ProbeShape {
  try {
    return getProfile(profileId).tool === 'mobile_use' ? PHONE_PROBE : DESKTOP_PROBE;
  } catch {
    return DESKTOP_PROBE;
  }
}
/** Pixels around the square that still count as on it (a model aims at the square, not its exact centre). */
const GROUNDING_MARGIN = 15;
const GROUNDING_INSTRUCTION = 'Click the red square.';

function groundingExpected(shape: ProbeShape): GroundingReport['expected'] {
  const { cx, cy } = shape.square;
  return {
    grid: [Math.round((cx / shape.image.width) * 1000), Math.round((cy / shape.image.height) * 1000)],
    pixels: [cx, cy],
  };
}

export function skippedGrounding(profile: string, reason: string): GroundingReport {
  const shape = probeShapeFor(profile);
  return {
    result: 'skipped',
    profile,
    expected: groundingExpected(shape),
    imageSize: { ...shape.image },
    reason,
  };
}

/** The probe image as PNG (sent) and as raw pixels (what zooms are cut from, like a run's capture). */
async function groundingImage(shape: ProbeShape): Promise<{ base64: string; raw: RawImage }> {
  // Loaded here only: `deskpilot check` without a vision model, and the CLI's start, do not pay for sharp.
  const { default: sharp } = await import('sharp');
  const { cx, cy, side } = shape.square;
  const square = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 230, g: 20, b: 20 } } })
    .png()
    .toBuffer();
  const png = await sharp({
    create: { width: shape.image.width, height: shape.image.height, channels: 3, background: { r: 225, g: 225, b: 225 } },
  })
    .composite([{ input: square, left: cx - side / 2, top: cy - side / 2 }])
    .png()
    .toBuffer();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { base64: png.toString('base64'), raw: { data, width: info.width, height: info.height, channels: 3 } };
}

/** The point is on the square (with the margin), in pixels of the probe image. */
function onSquare(shape: ProbeShape, x: number, y: number): boolean {
  const { cx, cy, side } = shape.square;
  const half = side / 2 + GROUNDING_MARGIN;
  return Math.abs(x - cx) <= half && Math.abs(y - cy) <= half;
}

/** Where a model's point falls: a grid of 1000 or 999 (under 1.4 px apart here), pixels, or neither. */
export function classifyGroundingPoint(point: [number, number], shape: ProbeShape = DESKTOP_PROBE): 'grid' | 'absolute' | 'missed' {
  const [x, y] = point;
  const { width, height } = shape.image;
  for (const grid of [1000, 999]) {
    if (onSquare(shape, (x / grid) * width, (y / grid) * height)) return 'grid';
  }
  if (onSquare(shape, x, y)) return 'absolute';
  return 'missed';
}

/** The built-in profile for the same tool in the other coordinate space. */
function profileFor(space: 'grid' | 'absolute', chosen: Profile): string {
  if (chosen.coordinates.kind === space) return chosen.id;
  if (space === 'absolute') return chosen.tool === 'mobile_use' ? 'qwen2.5-vl-mobile' : 'qwen2.5-vl';
  return chosen.tool === 'mobile_use' ? 'qwen3-vl-mobile' : 'qwen3-vl';
}

function describeSpace(profile: Profile): string {
  return profile.coordinates.kind === 'grid'
    ? `the 0..${profile.coordinates.size} grid`
    : 'absolute pixels of the screenshot';
}

/**
 * Show the model a red square through the same client and tools a run uses, and see which coordinate space its
 * click is in. Bounded by the probe timeout; a failure becomes `skipped` with the reason and a note, never an
 * exception (except an abort through `o.signal`).
 */
export async function probeGrounding(
  baseUrl: string,
  model: string | undefined,
  report: EndpointReport,
  o: GroundingOptions,
): Promise<GroundingReport> {
  const spec = o.agent ?? o.profile ?? DEFAULT_PROFILE_ID;
  if (model === undefined) return skippedGrounding(spec, 'no model name is known');
  let profile: Profile;
  try {
    profile = profileForSettings({ profile: o.profile ?? DEFAULT_PROFILE_ID, zoom: o.zoom, ...(o.agent ? { agent: o.agent } : {}) });
  } catch (error) {
    return skippedGrounding(spec, (error as Error).message);
  }
  const shape = profile.tool === 'mobile_use' ? PHONE_PROBE : DESKTOP_PROBE;
  const grounding: GroundingReport = {
    result: 'skipped',
    profile: profile.id,
    expected: groundingExpected(shape),
    imageSize: { ...shape.image },
  };
  const zoomLimit = profile.extraTools.includes(ZOOM_TOOL) ? profile.limits.zoomsPerStep : 0;
  if (zoomLimit > 0) {
    grounding.zooms = 0;
    grounding.zoomErrors = [];
  }
  const timeoutMs = o.timeoutMs ?? 60_000;
  try {
    const probeImage = await groundingImage(shape);
    const client = new ModelClient({
      endpoint: baseUrl,
      model,
      apiKey: o.apiKey,
      timeoutMs,
      maxRetries: 0,
      mode: report.mode ?? 'auto',
      streaming: false,
    });
    const turns: Turn[] = [
      {
        role: 'user',
        parts: [
          { type: 'image', mime: 'image/png', base64: probeImage.base64 },
          { type: 'text', text: GROUNDING_INSTRUCTION },
        ],
      },
    ];
    // The images the model has been sent, for img_idx: the probe image, then each crop.
    const visible: ZoomableImage[] = [{ frame: probeImage.raw, region: { x: 0, y: 0, width: shape.image.width, height: shape.image.height }, crop: false }];
    const tools = toolsForProfile(profile, shape.image);
    let message: RawMessage;
    // Each round answers the reply's zooms; the limit's worth of answered zooms and one refused round at most.
    for (let round = 0; ; round++) {
      const done = await client.complete({ profile, system: profile.systemPrompt, turns, tools, signal: boundedSignal(timeoutMs, o.signal) });
      const zooming = zoomLimit > 0 ? zoomingReply(parseReply(done.message, profile)) : null;
      if (!zooming) {
        message = done.message;
        break;
      }
      if (round > zoomLimit) {
        grounding.result = 'no-call';
        grounding.reason = `the model was still zooming after ${round + 1} replies (${grounding.zooms} zoom(s) answered) and made no click`;
        report.notes.push(`Grounding probe: ${grounding.reason}.`);
        return grounding;
      }
      await answerProbeZooms(zooming, { profile, turns, visible, grounding, limit: zoomLimit });
    }
    if (grounding.zoomErrors && grounding.zoomErrors.length > 0) {
      report.notes.push(
        `Grounding probe: ${grounding.zoomErrors.length} of the model's zooms could not be done and it was sent the error: ${grounding.zoomErrors.join('; ')}.`,
      );
    }
    // Parsed as absolute without an image size, so a point outside the profile's space is still read, not refused.
    const lenient: Profile = { ...profile, coordinates: { kind: 'absolute' } };
    const parsed = parseReply(message, lenient);
    const first = parsed.calls[0];
    if (!first) {
      grounding.result = 'no-call';
      grounding.reason = parsed.errors[0] ?? `the model answered in prose: "${snippetOf(parsed.text)}"`;
      report.notes.push(
        `Grounding probe: the model did not call ${profile.tool} when asked to click a red square (${grounding.reason}), so its coordinate space is unknown.`,
      );
      return grounding;
    }
    const coordinate = (first.arguments as { coordinate?: unknown }).coordinate;
    if (!Array.isArray(coordinate) || coordinate.length !== 2 || !coordinate.every((n) => typeof n === 'number')) {
      grounding.result = 'missed';
      grounding.reason = `the first call was ${JSON.stringify(first.arguments)}, with no point to click`;
      report.notes.push(`Grounding probe: asked to click a red square, the model made no click (${grounding.reason}).`);
      return grounding;
    }
    const point: [number, number] = [coordinate[0] as number, coordinate[1] as number];
    grounding.point = point;
    const result = classifyGroundingPoint(point, shape);
    grounding.result = result;
    if (result === 'missed') {
      const { grid, pixels } = grounding.expected;
      const fractions = point.every((n) => n >= 0 && n <= 1) ? ' It looks like 0..1 fractions, which no profile reads.' : '';
      const afterZoom = grounding.zooms ? ' It had zoomed in: a click after a zoom must still be on the whole screenshot, not on the crop.' : '';
      report.notes.push(
        `Grounding probe: the model clicked (${point.join(', ')}), on neither the red square's grid position (${grid.join(', ')}) nor its pixels (${pixels.join(', ')}); its clicks may land in the wrong place.${fractions}${afterZoom}`,
      );
      return grounding;
    }
    grounding.suggestedProfile = profileFor(result, profile);
    if (profile.coordinates.kind !== result) {
      const answers = result === 'grid' ? 'the 0..1000 grid' : 'absolute pixels';
      report.problems.push({
        problem: `Asked to click a red square, the model answered (${point.join(', ')}) in ${answers}, but the profile ${profile.id} reads ${describeSpace(profile)}, so its clicks would land in the wrong place.`,
        fix: `This model answers in ${answers}: use --profile ${grounding.suggestedProfile}.`,
      });
    }
    return grounding;
  } catch (error) {
    if (o.signal?.aborted) throw o.signal.reason ?? error;
    const message = (error as Error)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error)?.message ?? String(error);
    grounding.reason = `the probe failed: ${message}`;
    report.notes.push(`Grounding probe skipped: ${message}`);
    return grounding;
  }
}

/** A reply that zooms: its zoom calls, or zoom calls the parser refused (a box outside the grid, an inverted one). */
function zoomingReply(parsed: ParsedReply): ParsedReply | null {
  const refused = parsed.errors.some((e) => e.includes(`(${ZOOM_TOOL})`));
  return parsed.calls.some(isZoomCall) || refused ? parsed : null;
}

/**
 * Answer a zooming reply as a run does: each zoom with its crop or its error, any other call of the reply not
 * performed, the parser's errors about zooms as a user turn; the crops join the images img_idx counts.
 */
async function answerProbeZooms(
  reply: ParsedReply,
  probe: { profile: Profile; turns: Turn[]; visible: ZoomableImage[]; grounding: GroundingReport; limit: number },
): Promise<void> {
  const { profile, turns, visible, grounding, limit } = probe;
  const zoomErrors = grounding.zoomErrors!;
  turns.push({
    role: 'assistant',
    ...(reply.reasoning ? { reasoning: reply.reasoning } : {}),
    ...(reply.text ? { text: reply.text } : {}),
    calls: reply.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments as Record<string, unknown> })),
  });
  const answered: Array<{ callId: string; name: string; parts: Part[] }> = [];
  for (const call of reply.calls) {
    let parts: Part[];
    if (!isZoomCall(call)) parts = [{ type: 'text', text: NOT_PERFORMED_BESIDE_ZOOM }];
    else if (grounding.zooms! >= limit) {
      zoomErrors.push(zoomLimitError(limit));
      parts = [{ type: 'text', text: zoomRefusal(zoomLimitError(limit)) }];
    } else {
      const answer = await answerZoomCall(call.arguments as ZoomInArgs, profile, visible);
      if (answer.ok) {
        grounding.zooms!++;
        visible.push({ frame: answer.source.frame, region: answer.region, crop: true });
        parts = [{ type: 'text', text: answer.text }, { type: 'image', mime: answer.crop.mime, base64: answer.crop.data.toString('base64') }];
      } else {
        zoomErrors.push(answer.error);
        parts = [{ type: 'text', text: answer.text }];
      }
    }
    answered.push({ callId: call.id, name: call.name, parts });
  }
  for (const result of answered) turns.push({ role: 'tool', ...result });
  const refused = reply.errors.filter((e) => e.includes(`(${ZOOM_TOOL})`));
  if (refused.length > 0) {
    zoomErrors.push(...refused);
    turns.push({ role: 'user', parts: [{ type: 'text', text: `${zoomRefusal(refused.join('; '))}. Zoom into a valid box, or click.` }] });
  }
}

function snippetOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}
