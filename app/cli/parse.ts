/**
 * `deskpilot parse [--profile P] [--screen WxH]`: read one model reply on stdin and print, as one JSON object,
 * what the app would do with it. Exit 0 whenever the input was read, whatever it contained; bad options, and stdin
 * longer than the profile's reply-size limit (limits.replyBytes), exit 2.
 */
import type { Command } from 'commander';
import { getProfile, DEFAULT_PROFILE_ID, type Profile } from '../model/profiles';
import { formatBytes, parseReply, readReplyInput, ReplyInputError, type ParsedReply, type RawMessage } from '../model/parse';
import { modelToScreen, type Point, type Size } from '../screen/geometry';
import { smartResize } from '../screen/smart-resize';
import { UsageError } from './errors';
import { localSettingsFromFlags } from './run-options';
import { errorMessage } from '../base/errors';

export interface ParseOutputAction {
  name: string;
  arguments: Record<string, unknown>;
  /** Where `coordinate` lands on the screen. */
  screen?: Point;
  /** Where `coordinate2` (a swipe's end) lands on the screen. */
  screen2?: Point;
}
export interface ParseOutput {
  reasoning: string | null;
  text: string;
  actions: ParseOutputAction[];
  errors: string[];
}

export function parseScreenSize(spec: string): Size {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(spec);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width <= 0 || height <= 0) {
    throw new UsageError(`--screen must be WIDTHxHEIGHT in pixels, e.g. 1920x1080 (got "${spec}")`);
  }
  return { width, height };
}

/** The printed form of a parsed reply: calls with their screen points, mapped by screen/geometry.ts. */
export function formatParseOutput(parsed: ParsedReply, profile: Profile, screen: Size, imageSize: Size): ParseOutput {
  const toScreen = (value: unknown): Point | undefined => {
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [x, y] = value as [number, number];
    return modelToScreen({ x, y }, profile.coordinates, screen, imageSize);
  };
  return {
    reasoning: parsed.reasoning,
    text: parsed.text,
    actions: parsed.calls.map((call) => {
      const args = call.arguments as Record<string, unknown>;
      const action: ParseOutputAction = { name: call.name, arguments: args };
      const screenPoint = toScreen(args.coordinate);
      if (screenPoint) action.screen = screenPoint;
      const screenPoint2 = toScreen(args.coordinate2);
      if (screenPoint2) action.screen2 = screenPoint2;
      return action;
    }),
    errors: parsed.errors,
  };
}

/**
 * The profile to read a reply with when none was given: the phone profile for a reply that calls only mobile_use
 * (Qwen's mobile cookbook format), the default desktop profile otherwise.
 */
export function inferProfile(message: RawMessage): Profile {
  const names = (message.tool_calls ?? []).map((c) => c.function.name ?? '');
  const content = typeof message.content === 'string' ? message.content : (message.content ?? []).map((p) => p.text ?? '').join('');
  const mobile = names.includes('mobile_use') || /"name"\s*:\s*"mobile_use"/.test(content);
  const desktop = names.includes('computer_use') || /"name"\s*:\s*"computer_use"/.test(content);
  return getProfile(mobile && !desktop ? 'qwen3-vl-mobile' : DEFAULT_PROFILE_ID);
}

/**
 * Parse one reply text for a profile (or the inferred one) and screen, exactly as the command does (tests call
 * this in-process).
 */
export function parseCommandOutput(input: string, given: Profile | null, screen: Size): ParseOutput {
  try {
    const message = readReplyInput(input);
    const profile = given ?? inferProfile(message);
    // The size of the screenshot the model would have been sent: absolute-coordinate models point into it.
    const imageSize = smartResize(screen, profile.image);
    return formatParseOutput(parseReply(message, profile, { imageSize }), profile, screen, imageSize);
  } catch (error) {
    if (!(error instanceof ReplyInputError)) throw error;
    return { reasoning: null, text: '', actions: [], errors: [error.message] };
  }
}

/**
 * All of stdin as text, refusing (UsageError, exit 2) as soon as it passes `limitBytes`: what is past the limit is
 * not read, so a runaway pipe cannot fill the memory or keep the parser busy.
 */
export async function readStdin(limitBytes: number, profileId: string, input: AsyncIterable<Buffer | string> = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > limitBytes) {
      throw new UsageError(
        `stdin is longer than ${formatBytes(limitBytes)}, the reply-size limit (limits.replyBytes of profile "${profileId}"); ` +
          'the app would not read a reply that long either, so it was not parsed',
      );
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('read one model reply on stdin (raw content text or a chat-completion JSON) and print what the app would do with it, as JSON')
    .option(
      '--profile <id>',
      'model profile (e.g. qwen3-vl, qwen3-vl-mobile, qwen2.5-vl, qwen3-vl:grid=999; env DESKPILOT_PROFILE); default: qwen3-vl, or qwen3-vl-mobile for a reply that calls mobile_use',
    )
    .option('--screen <WxH>', 'the screen the actions would be performed on', '1920x1080')
    .option('--config <file>', 'settings file for the profile (default ~/.config/deskpilot/config.json, env DESKPILOT_CONFIG)')
    .action(async (options: { profile?: string; screen: string; config?: string }) => {
      // The profile a run would use (flags, then the environment, then the config file); none: told by the reply.
      const { profile: profileId } = localSettingsFromFlags(['profile'], options);
      let profile: Profile | null = null;
      try {
        if (profileId) profile = getProfile(profileId);
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      const screen = parseScreenSize(options.screen);
      // The limit of the profile given, or of the default one (a reply is read before its profile is inferred).
      const limitsOf = profile ?? getProfile(DEFAULT_PROFILE_ID);
      const input = await readStdin(limitsOf.limits.replyBytes, limitsOf.id);
      const output = parseCommandOutput(input, profile, screen);
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    });
}
