/**
 * `deskpilot replay <run dir> [--dry-run] [--display N] [--device android[:SERIAL]] [--approve ask|auto] [--delay MS]`:
 * perform a recorded run's actions again, in order. Each action's model coordinates are mapped again onto the
 * chosen display (by app/screen/geometry.ts), so a run recorded on one screen can be replayed on another; a phone
 * run (mobile_use) is replayed on a phone, mapped onto its screen as it is now. By default every action is
 * asked for in the terminal (y = perform, n = skip, q = quit); `--approve auto` performs without asking; `--dry-run`
 * only prints what would be done.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { sleep } from '../base/sleep';
import { ApprovalModeSchema } from '../contract';
import { createLocalInput, type InputDriver } from '../input/perform';
import { ComputerActionSchema, MobileActionSchema } from '../base/actions';
import { parseDeviceSpec, DeviceSpecSchema } from '../contract';
import { openAndroidPhone, type AndroidPhone } from '../devices/android/device';
import { summarizeAction } from '../policy/describe';
import { classifyRisk } from '../policy/risk';
import { loadReplay, type ReplayStep } from '../runs/replay';
import { listDisplays, pickDisplay } from '../screen/displays';
import { modelToGlobal, type Display, type Point } from '../screen/geometry';
import { UsageError } from './errors';

interface ReplayFlags {
  dryRun?: boolean;
  device?: string;
  display?: string;
  approve: string;
  delay: string;
}

function parseNonNegativeInt(value: string, option: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${option} must be a whole number ≥ 0 (got "${value}")`);
  return Number(value);
}

/** The screen point an action will act on when replayed on `display` (null when it has no point). */
function targetPoint(step: ReplayStep, display: Display): Point | null {
  const coordinate = 'coordinate' in step.action ? step.action.coordinate : undefined;
  if (!coordinate) return null;
  return modelToGlobal({ x: coordinate[0], y: coordinate[1] }, step.space, display, step.imageSize);
}

/** One answer per line from stdin (works on a TTY and with piped input); null at end of input. */
function lineReader(): { next(prompt: string): Promise<string | null>; close(): void } {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async next(prompt) {
      process.stdout.write(prompt);
      const result = await lines.next();
      return result.done ? null : result.value;
    },
    close: () => rl.close(),
  };
}

/** y (perform), n (skip) or q (quit, also at the end of input), asked until the answer is one of them. */
async function askToPerform(reader: ReturnType<typeof lineReader>): Promise<'y' | 'n' | 'q'> {
  let answer: string | null = '';
  while (answer !== null && !/^(y|yes|n|no|q|quit)$/i.test(answer.trim())) {
    answer = await reader.next('  Perform? [y]es, [n]o (skip), [q]uit: ');
  }
  return (answer?.trim().toLowerCase()[0] ?? 'q') as 'y' | 'n' | 'q';
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description("re-perform a recorded run's actions on this desktop (asks before each one by default)")
    .argument('<run-dir>', 'the run folder (holds events.jsonl and settings.json)')
    .option('--dry-run', 'print the actions and where they would land; perform nothing')
    .option('--display <n>', 'display to replay on (default: the display each action was recorded on)')
    .option('--device <spec>', 'a phone run is replayed on a phone: android (the only one attached) or android:SERIAL (default android)')
    .option('--approve <mode>', 'ask = confirm each action (y/n/q), auto = perform without asking', 'ask')
    .option('--delay <ms>', 'pause after each performed action, so the screen can follow', '500')
    .action(async (runDir: string, flags: ReplayFlags) => {
      const approve = ApprovalModeSchema.exclude(['risky']).safeParse(flags.approve);
      if (!approve.success) throw new UsageError(`--approve must be "ask" or "auto" (got "${flags.approve}")`);
      const displayId = flags.display === undefined ? undefined : parseNonNegativeInt(flags.display, '--display');
      const delay = parseNonNegativeInt(flags.delay, '--delay');

      let loaded;
      try {
        loaded = loadReplay(runDir);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      for (const problem of loaded.problems) process.stderr.write(`warning: ${problem}\n`);
      const { plan } = loaded;
      if (plan.length === 0) {
        process.stdout.write('The record holds no performed actions: nothing to replay.\n');
        return;
      }
      if (flags.device !== undefined && !DeviceSpecSchema.safeParse(flags.device).success) {
        throw new UsageError(`--device must be local, android or android:SERIAL (got "${flags.device}")`);
      }
      // A run speaks one tool: mobile_use actions go to a phone, computer_use ones to this desktop.
      const onPhone = plan[0]!.tool === 'mobile_use';
      const device = parseDeviceSpec(flags.device ?? (onPhone ? 'android' : 'local'));
      if (onPhone !== (device.kind === 'android')) {
        throw new UsageError(
          onPhone
            ? 'this run was recorded on a phone (mobile_use actions): replay it with --device android[:SERIAL]'
            : 'this run was recorded on a desktop (computer_use actions): replay it without --device android',
        );
      }
      const target = onPhone
        ? await phoneTarget(device.kind === 'android' ? device.serial : undefined, flags.dryRun === true)
        : await desktopTarget(displayId, flags.dryRun === true);
      await replayPlan(plan, loaded.denyRules, target, !flags.dryRun && approve.data === 'ask', delay);
    });
}

/** Where a replay performs: this desktop or a phone (null `prepare`: a dry run, nothing is performed). */
interface ReplayTarget {
  /** The display a step lands on now. */
  displayFor(step: ReplayStep): Promise<Display>;
  /**
   * The step's action made ready to perform on `display` (it must be this target's tool: otherwise this throws,
   * before the person is asked), or null on a dry run.
   */
  prepare: ((step: ReplayStep, display: Display) => () => Promise<void>) | null;
  /** Whether to say where a step was recorded when it lands elsewhere now (desktop runs: another display). */
  showRecorded: boolean;
  close(): Promise<void>;
}

async function desktopTarget(displayId: number | undefined, dryRun: boolean): Promise<ReplayTarget> {
  // Displays of this desktop are needed to perform, or to show where a dry run would land on a chosen display.
  const displays = !dryRun || displayId !== undefined ? await listDisplays() : null;
  let input: InputDriver | null = null;
  return {
    displayFor: async (step) => (displays ? pickDisplay(displays, displayId ?? step.display.id) : step.display),
    prepare: dryRun
      ? null
      : (step, display) => {
          const action = ComputerActionSchema.safeParse(step.action);
          if (step.tool !== 'computer_use' || !action.success) {
            throw new Error(`action ${step.proposalId} is a ${step.tool} action; only computer_use actions can be replayed on this desktop`);
          }
          return async () => {
            input ??= await createLocalInput();
            await input.perform(action.data, { display, space: step.space, imageSize: step.imageSize });
          };
        },
    showRecorded: true,
    close: async () => {
      await input?.releaseAll();
    },
  };
}

/** A phone run on the phone, each point mapped onto its screen as it is now. */
async function phoneTarget(serial: string | undefined, dryRun: boolean): Promise<ReplayTarget> {
  const phone: AndroidPhone | null = dryRun ? null : await openAndroidPhone(serial ? { serial } : {});
  return {
    displayFor: async (step) => (phone ? (await phone.displays())[0]! : step.display),
    prepare: phone
      ? (step, display) => {
          const action = MobileActionSchema.safeParse(step.action);
          if (step.tool !== 'mobile_use' || !action.success) throw new Error(`action ${step.proposalId} is not a mobile_use action; a phone run holds only those`);
          return async () => {
            await phone.perform(action.data, { display, space: step.space, imageSize: step.imageSize });
          };
        }
      : null,
    showRecorded: false,
    close: async () => {
      await phone?.close();
    },
  };
}

/** The recorded actions in order: each printed with where it lands, checked against the deny rules, asked, performed. */
async function replayPlan(plan: ReplayStep[], denyRules: Parameters<typeof classifyRisk>[2], target: ReplayTarget, ask: boolean, delay: number): Promise<void> {
  const reader = target.prepare && ask ? lineReader() : null;
  let performed = 0;
  try {
    for (const [i, step] of plan.entries()) {
      const display = await target.displayFor(step);
      const point = targetPoint(step, display);
      const summary = summarizeAction(step.action, point ?? undefined);
      const recorded =
        target.showRecorded && step.recordedScreen && point && (step.recordedScreen.x !== point.x || step.recordedScreen.y !== point.y)
          ? ` (recorded at (${step.recordedScreen.x}, ${step.recordedScreen.y}))`
          : '';
      process.stdout.write(`[${i + 1}/${plan.length}] step ${step.step}: ${summary}${recorded}\n`);
      // The same warnings the run showed (without the live window context, which a replay does not have), and
      // the same deny rules: a blocked action is never replayed, whatever --approve says.
      const risk = classifyRisk(step.action, { instruction: '' }, denyRules);
      for (const reason of risk.reasons) process.stdout.write(`  ${risk.level}: ${reason}\n`);
      if (risk.level === 'blocked') {
        process.stdout.write('  not performed: a deny rule blocks it\n');
        continue;
      }
      if (!target.prepare) continue;
      const perform = target.prepare(step, display);
      if (reader) {
        const choice = await askToPerform(reader);
        if (choice === 'q') {
          process.stdout.write('Replay stopped.\n');
          break;
        }
        if (choice === 'n') continue;
      }
      await perform();
      performed++;
      if (delay > 0) await sleep(delay);
    }
  } finally {
    reader?.close();
    await target.close();
  }
  if (target.prepare) process.stdout.write(`Performed ${performed} of ${plan.length} action(s).\n`);
}
