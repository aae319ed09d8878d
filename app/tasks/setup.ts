/**
 * Setup steps (`config`, and `evaluator.postconfig` before the getters), run as OSWorld's setup controller runs
 * them: a failing command does not stop the setup (OSWorld only logs it); a missing download does; steps that need
 * a browser over CDP, Google Drive or a login are unsupported here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sleep } from '../base/sleep';
import { SetupError, UnsupportedError } from './errors';
import { STEP_ALIASES, StepParamSchemas, type Step } from './schema';
import { CHROME_STEPS } from './apps/chrome';

/** Step types that need things this runner does not provide. */
export const UNSUPPORTED_STEPS: Record<string, string> = {
  googledrive: 'needs a Google Drive account',
  login: 'needs a web account login',
  tidy_desktop: 'GNOME desktop',
  change_wallpaper: 'GNOME wallpaper',
};

import type { AppStep, SetupContext } from './evaluator-types';

export type { AppStep, SetupContext };

/** The app domains' setup steps, one registry per app. */
export const APP_STEPS: Record<string, AppStep> = {
  ...CHROME_STEPS,
};

export function stepKind(type: string): string {
  return STEP_ALIASES[type] ?? type;
}

/** Why a step cannot run here, or null. */
export function unsupportedStep(step: Step): string | null {
  const kind = stepKind(step.type);
  if (kind in StepParamSchemas || Object.hasOwn(APP_STEPS, kind)) return null;
  return `${step.type} step (${UNSUPPORTED_STEPS[kind] ?? 'unknown step type'})`;
}

export function substitutePlaceholders(text: string, ctx: Pick<SetupContext, 'screen' | 'password'>): string {
  const values: Record<string, string> = {
    CLIENT_PASSWORD: ctx.password ?? 'password',
    SCREEN_WIDTH: String(ctx.screen.width),
    SCREEN_HEIGHT: String(ctx.screen.height),
    SCREEN_WIDTH_HALF: String(Math.floor(ctx.screen.width / 2)),
    SCREEN_HEIGHT_HALF: String(Math.floor(ctx.screen.height / 2)),
  };
  return text.replace(/\{(CLIENT_PASSWORD|SCREEN_WIDTH_HALF|SCREEN_HEIGHT_HALF|SCREEN_WIDTH|SCREEN_HEIGHT)\}/g, (_, k: string) => values[k]!);
}

const MAX_UNTIL_FAILURES = 5;

/** A file the setup must write; failing to (a path outside a stand-in home, a full disk) stops the setup. */
async function writeTaskFile(ctx: SetupContext, file: string, data: Buffer, what: string): Promise<void> {
  try {
    await ctx.env.writeFile(file, data);
  } catch (error) {
    throw new SetupError(`${what}: ${(error as Error).message}`);
  }
}

async function runStep(step: Step, ctx: SetupContext, where: string): Promise<void> {
  const log = ctx.log ?? (() => undefined);
  const kind = stepKind(step.type);
  const why = unsupportedStep(step);
  if (why) throw new UnsupportedError(why);
  const params = step.parameters ?? {};
  const appStep = Object.hasOwn(APP_STEPS, kind) ? APP_STEPS[kind] : undefined;
  if (appStep) return appStep(params, ctx, where);
  switch (kind) {
    case 'execute': {
      const p = StepParamSchemas.execute.parse(params);
      const command = Array.isArray(p.command)
        ? p.command.map((c) => substitutePlaceholders(c, ctx))
        : substitutePlaceholders(p.command, ctx);
      for (let failures = 0; ; ) {
        const r = await ctx.env.execute(command, { shell: p.shell ?? false });
        const shown = Array.isArray(command) ? JSON.stringify(command) : command;
        if (r.status === 'error') log(`${where} execute ${shown}: could not run: ${r.message ?? 'error'}`);
        else log(`${where} execute ${shown}: exit ${r.returncode}${r.error.trim() ? `; stderr: ${r.error.trim().slice(0, 500)}` : ''}`);
        const until = p.until;
        if (!until) break;
        const met =
          r.status === 'success' &&
          ((until.returncode !== undefined && r.returncode === until.returncode) ||
            (until.stdout !== undefined && r.output.includes(until.stdout)) ||
            (until.stderr !== undefined && r.error.includes(until.stderr)));
        if (met) break;
        if (++failures >= MAX_UNTIL_FAILURES) {
          log(`${where} execute: "until" condition not met after ${failures} tries; going on`);
          break;
        }
        await sleep(300, ctx.signal, 'reject');
      }
      return;
    }
    case 'launch': {
      const p = StepParamSchemas.launch.parse(params);
      const command = Array.isArray(p.command)
        ? p.command.map((c) => substitutePlaceholders(c, ctx))
        : substitutePlaceholders(p.command, ctx);
      try {
        await ctx.env.launch(command, { shell: p.shell ?? false });
        log(`${where} launch ${JSON.stringify(command)}`);
      } catch (error) {
        // OSWorld logs a failed launch and goes on; the task usually cannot be solved then, so say it loudly.
        log(`${where} launch ${JSON.stringify(command)} FAILED: ${(error as Error).message}`);
      }
      return;
    }
    case 'open': {
      const p = StepParamSchemas.open.parse(params);
      try {
        await ctx.env.openFile(p.path);
      } catch (error) {
        throw new SetupError(`${where} open ${p.path}: ${(error as Error).message}`);
      }
      // The guest's open_file waits for the window itself; locally, wait for a window titled with the file name
      // and bring it forward, as the guest does.
      if (ctx.env.kind !== 'local') {
        log(`${where} open ${p.path}`);
        return;
      }
      const name = path.basename(p.path);
      const deadline = Date.now() + (ctx.openWaitSeconds ?? 20) * 1000;
      while (Date.now() < deadline) {
        const titles = await ctx.env.windowTitles();
        if (titles.some((t) => t.includes(name))) {
          await ctx.env.activateWindow(name);
          log(`${where} open ${p.path}: window found`);
          return;
        }
        await sleep(500, ctx.signal, 'reject');
      }
      log(`${where} open ${p.path}: no window titled "${name}" appeared; going on`);
      return;
    }
    case 'download': {
      const p = StepParamSchemas.download.parse(params);
      for (const f of p.files) {
        let data: Buffer;
        try {
          data = await ctx.cache.get(f.url, ctx.signal);
        } catch (error) {
          throw new SetupError(`${where} download to ${f.path}: ${(error as Error).message}`);
        }
        await writeTaskFile(ctx, f.path, data, `${where} download to ${f.path}`);
        log(`${where} download ${f.url} -> ${f.path} (${data.length} bytes)`);
      }
      return;
    }
    case 'upload_file': {
      const p = StepParamSchemas.upload_file.parse(params);
      for (const f of p.files) {
        const local = path.resolve(ctx.localRoot ?? process.cwd(), f.local_path);
        let data: Buffer;
        try {
          data = await readFile(local);
        } catch {
          throw new SetupError(`${where} upload_file: local file not found: ${local}`);
        }
        await writeTaskFile(ctx, f.path, data, `${where} upload_file to ${f.path}`);
        log(`${where} upload_file ${local} -> ${f.path}`);
      }
      return;
    }
    case 'sleep': {
      const p = StepParamSchemas.sleep.parse(params);
      await sleep(p.seconds * 1000, ctx.signal, 'reject');
      return;
    }
    case 'activate_window':
    case 'close_window': {
      const p = StepParamSchemas.activate_window.parse(params);
      const match = { strict: p.strict ?? false, byClass: p.by_class ?? false };
      if (kind === 'activate_window') await ctx.env.activateWindow(p.window_name, match);
      else await ctx.env.closeWindow(p.window_name, match);
      log(`${where} ${kind} ${JSON.stringify(p.window_name)}`);
      return;
    }
  }
}

/** Run setup steps in order. Throws UnsupportedError or SetupError; other failures are logged, as OSWorld does. */
export async function runSetup(steps: Step[] | undefined, ctx: SetupContext, where = 'config'): Promise<void> {
  for (const [i, step] of (steps ?? []).entries()) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    await runStep(step, ctx, `${where}[${i}]`);
  }
}
