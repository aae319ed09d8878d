/**
 * The `deskpilot` command. Each subcommand lives in its own module and registers itself here; this file only
 * wires them together and turns a thrown UsageError into a clear message and a non-zero exit.
 *
 * Only the module of the subcommand being run is loaded (all of them for help or an unknown name), so a quick
 * command such as `deskpilot act` does not pay for the model client, the UI server or the task runner.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from './errors';
import { SettingsError } from '../settings';
import { errorMessage } from '../base/errors';

type Register = (program: Command) => void;

/** In the order `--help` lists them. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run')).registerRun,
  ui: async () => (await import('./ui')).registerUi,
  act: async () => (await import('./act')).registerAct,
  capture: async () => (await import('./capture')).registerCapture,
  devices: async () => (await import('./devices')).registerDevices,
  parse: async () => (await import('./parse')).registerParse,
  check: async () => (await import('./check')).registerCheck,
  report: async () => (await import('./report')).registerReport,
  ask: async () => (await import('./ask')).registerAsk,
  replay: async () => (await import('./replay')).registerReplay,
  export: async () => (await import('./export')).registerExport,
  tasks: async () => (await import('./tasks')).registerTasks,
};

const program = new Command();
program
  .name('deskpilot')
  .description('A Qwen3-VL computer-use agent you can trust on your own desktop.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

try {
  const wanted = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
  const names = wanted && wanted in COMMANDS ? [wanted] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((name) => COMMANDS[name]!()))) register(program);
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help text); keep its exit code.
    process.exitCode = error.exitCode;
  } else if (error instanceof UsageError || error instanceof SettingsError) {
    process.stderr.write(`deskpilot: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`deskpilot: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}
