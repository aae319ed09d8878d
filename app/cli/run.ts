/**
 * `deskpilot run "<instruction>" [--device android[:SERIAL]]`: the agent on this desktop or a phone, from the
 * terminal. Reasoning streams as it arrives, each proposed action is shown with its risk, approvals are asked in the
 * terminal, Ctrl+C stops at once, and the exit status says how the run ended (contract.ts OUTCOME_EXIT_CODES). A
 * phone run takes a mobile_use profile (the default for a phone: qwen3-vl-mobile); a mismatch is a usage error.
 */
import type { Command } from 'commander';
import { OUTCOME_EXIT_CODES, type RunEvent } from '../contract';
import { openDevice } from '../devices/open';
import { wireRun } from '../host/wiring';
import { EndpointMemory } from '../model/endpoint-memory';
import { defaultRunsRoot } from '../settings';
import { addRunOptions, checkProfileFitsDevice, DEVICE_OPTION_HELP, settingsFromFlags, type RunFlags } from './run-options';
import { TerminalApprover } from './terminal-approver';
import { MODEL_FROM_SERVER, resolveModelName } from './model-name';

interface RunCommandFlags extends RunFlags {
  out?: string;
  quiet?: boolean;
}

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);

/** Print run events for a person: one line per step fact, reasoning and text streamed in place. */
export function createEventPrinter(out: NodeJS.WritableStream = process.stdout): (event: RunEvent) => void {
  let streaming: 'reasoning' | 'content' | null = null;
  const endStream = () => {
    if (streaming) out.write('\n');
    streaming = null;
  };
  return (event) => {
    switch (event.type) {
      case 'run-started':
        out.write(`${bold('Deskpilot')} ${event.instruction}\n${dim(`record: ${event.runDir}`)}\n`);
        break;
      case 'observation':
        endStream();
        out.write(`\n${bold(`Step ${event.step}`)} ${dim(`screenshot ${event.image.width}x${event.image.height}`)}\n`);
        break;
      case 'reasoning-delta':
        if (streaming !== 'reasoning') {
          endStream();
          out.write(dim('  thinking: '));
          streaming = 'reasoning';
        }
        out.write(dim(event.delta.replace(/\n/g, '\n  ')));
        break;
      case 'content-delta':
        if (streaming !== 'content') {
          endStream();
          out.write('  ');
          streaming = 'content';
        }
        out.write(event.delta.replace(/\n/g, '\n  '));
        break;
      case 'model-retry':
        endStream();
        out.write(`  model request failed (${event.error}); retrying (attempt ${event.attempt})\n`);
        break;
      case 'feedback':
        endStream();
        out.write(`  reply not performed: ${event.message}\n`);
        break;
      case 'notice':
        endStream();
        out.write(`  note: ${event.message}\n`);
        break;
      case 'screen-text':
        // Only what changes what the person sees: the screen text could not be read, or it addresses the agent.
        if (event.status === 'unavailable') {
          endStream();
          out.write(dim(`  screen text unavailable${event.error ? ` (${event.error})` : ''}: actions are described by their coordinates only\n`));
        } else if (event.injection) {
          endStream();
          out.write(`  the screen shows text addressed to the agent: “${event.injection}”; every action needs your approval while it is in view\n`);
        }
        break;
      case 'proposal': {
        endStream();
        const risk =
          event.proposal.risk.level === 'safe'
            ? dim('[safe]')
            : `[${event.proposal.risk.level}: ${event.proposal.risk.reasons.join('; ')}]`;
        out.write(`  -> ${bold(event.proposal.summary)} ${risk}\n`);
        break;
      }
      case 'decision':
        if (event.by !== 'person') {
          const what = event.decision.kind === 'deny' ? `denied: ${event.decision.note}` : 'approved';
          out.write(dim(`     ${what} (${event.by})\n`));
        }
        break;
      case 'action':
        out.write(event.ok ? dim(`     done${event.note ? ` (${event.note})` : ''}\n`) : `     failed: ${event.error}\n`);
        break;
      case 'loop-detected':
        endStream();
        out.write(`  the same action was proposed ${event.repeats} times on an unchanged screen: ${event.summary}\n`);
        break;
      case 'answer':
        endStream();
        out.write(`\n${bold('Answer:')} ${event.text}\n`);
        break;
      case 'run-finished':
        endStream();
        out.write(`\n${bold(`Run ${event.outcome}`)}: ${event.message} (${event.steps} steps)\n`);
        break;
      default:
        break;
    }
  };
}

export function registerRun(program: Command): void {
  addRunOptions(
    program
      .command('run')
      .description('run the agent on this desktop (or on a phone: --device android)')
      .argument('<instruction>', 'what you want done')
      .option('--device <spec>', DEVICE_OPTION_HELP)
      .option('--out <dir>', 'put the run record in this folder (default: a new folder under the runs directory)'),
  ).action(async (instruction: string, flags: RunCommandFlags) => {
    const partial = settingsFromFlags(flags, { model: MODEL_FROM_SERVER });
    checkProfileFitsDevice(partial.profile, partial.device);
    const model = await resolveModelName(partial.endpoint, partial.model, partial.apiKey);
    const settings = { ...partial, model };

    // This desktop, or the phone `--device android[:SERIAL]` names (an error says which phones there are).
    const { desktop, windows } = await openDevice(settings.device);
    // In auto mode nobody is asked - except when the loop detector wants a person, who is there on a terminal.
    const approver = settings.approve === 'auto' && !process.stdin.isTTY ? null : new TerminalApprover();
    const { run, recorder } = wireRun({
      instruction,
      settings,
      desktop,
      approver,
      ...(windows ? { windows } : {}),
      endpointMemory: new EndpointMemory(),
      ...(flags.out ? { out: flags.out } : { runsRoot: defaultRunsRoot() }),
    });
    run.on(createEventPrinter());

    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) process.exit(OUTCOME_EXIT_CODES.stopped);
      process.stdout.write('\nStopping (Ctrl+C again to quit at once)\n');
      run.stop('stopped with Ctrl+C');
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await run.start();
      process.stdout.write(`Run record: ${recorder.dir}\n`);
      process.exitCode = OUTCOME_EXIT_CODES[result.outcome];
    } finally {
      process.off('SIGINT', onSigint);
      approver?.close();
      await desktop.close();
    }
  });
}
