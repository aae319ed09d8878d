/**
 * `deskpilot report <run dir> [--out FILE]`: write the run's self-contained HTML report (report.html in the run
 * folder by default) and print its path. The report is written to a new temporary file and renamed into place, so
 * a report.html that is a link (a run folder from someone else) is replaced, never followed to what it points at.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderReport } from '../runs/report';
import { UsageError } from './errors';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the offline HTML report of a recorded run (report.html in the run folder)')
    .argument('<run-dir>', 'the run folder (holds events.jsonl and settings.json)')
    .option('--out <file>', 'where to write the report instead of <run-dir>/report.html')
    .action((runDir: string, flags: { out?: string }) => {
      const dir = resolve(runDir);
      if (!existsSync(dir)) throw new UsageError(`no run folder at ${dir}`);
      let html: string;
      try {
        html = renderReport(dir);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const out = resolve(flags.out ?? join(dir, 'report.html'));
      const temp = `${out}.${process.pid}.partial`;
      try {
        writeFileSync(temp, html, { flag: 'wx' });
        renameSync(temp, out);
      } catch (error) {
        rmSync(temp, { force: true });
        throw new UsageError(`cannot write the report to ${out}: ${(error as Error).message}`);
      }
      process.stdout.write(`${out}\n`);
    });
}
