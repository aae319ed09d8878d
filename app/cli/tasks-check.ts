/**
 * `deskpilot tasks check <index.json | task.json>`: which tasks this runner can score, which this machine is ready
 * to run, and why not (app/tasks/check.ts).
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { checkTasks, formatCheck, type Backend } from '../tasks/check';
import { TaskFileError } from '../tasks/schema';
import { UsageError } from './errors';

export function registerTasksCheck(tasks: Command): void {
  tasks
    .command('check')
    .description('for every task: scorable here or the one reason not, and whether this machine has its programs; a table per domain')
    .argument('<file>', 'a task file or an index file ({"domain": ["id", ...]})')
    .option('--examples <dir>', 'folder with <domain>/<id>.json (default: "examples" next to the index file)')
    .option('--domain <d...>', 'only these domains')
    .addOption(new Option('--backend <kind>', 'where the tasks would run: local (this machine) or osworld (a guest VM)').choices(['local', 'osworld']).default('local'))
    .option('--json', 'print the report as JSON')
    .action(async (file: string, flags: { examples?: string; domain?: string[]; backend: Backend; json?: boolean }) => {
      let report;
      try {
        report = await checkTasks(file, { examplesDir: flags.examples ? path.resolve(flags.examples) : undefined, domains: flags.domain, backend: flags.backend });
      } catch (error) {
        if (error instanceof TaskFileError) throw new UsageError(error.message);
        throw error;
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheck(report));
    });
}
