/**
 * `deskpilot check --endpoint URL [--model M] [--api-key-file F] [--profile P] [--zoom [N]] [--json] [--timeout MS]`:
 * diagnose a model server (see app/model/check.ts); with `--zoom` the grounding probe offers image_zoom_in_tool and
 * answers the model's zooms before its click. The endpoint, model, key and profile are resolved like a run's (flags,
 * environment, config file), so `check` checks the server a run would use. Exit 0 when nothing is wrong, 1 when
 * there are problems, 2 on bad usage.
 */
import type { Command } from 'commander';
import { diagnoseEndpoint, type EndpointReport } from '../model/check';
import { groundingSummary } from '../model/check-report';
import { normalizeEndpoint } from '../model/endpoint-url';
import { profileForSettings } from '../model/profiles';
import { UsageError } from './errors';
import { MODEL_FROM_SERVER } from './model-name';
import { addModelOptions, settingsFromFlags, type ModelFlags } from './run-options';

interface CheckOptions extends ModelFlags {
  json?: boolean;
  timeout: string;
}

function yesNo(value: boolean | null, yes: string, no: string, unknown = 'could not tell'): string {
  return value === null ? unknown : value ? yes : no;
}

export function formatReport(r: EndpointReport): string {
  const lines: string[] = [];
  lines.push(`Endpoint     ${r.endpoint}`);
  if (r.baseUrl) lines.push(`Base URL     ${r.baseUrl}${r.v1Added ? '   (/v1 added: the server answers there)' : ''}`);
  lines.push(`Reachable    ${r.reachable ? 'yes' : 'no'}`);
  if (r.reachable) {
    lines.push(`Models       ${r.models.length > 0 ? r.models.join(', ') : '(none listed)'}`);
    if (r.model.requested !== null) {
      lines.push(`Model        ${r.model.requested}: ${r.model.served ? 'served' : 'NOT served'}`);
    } else if (r.model.used) {
      lines.push(`Model        ${r.model.used} (the one the server serves)`);
    }
    if (r.maxModelLen !== null) lines.push(`Context      ${r.maxModelLen} tokens`);
    lines.push(
      `Tool calls   ${yesNo(r.toolCallParser, 'parsed by the server (tools sent natively)', 'not parsed by the server (tools go in the prompt)')}`,
    );
    const reasoning: Record<string, string> = {
      'field:reasoning': 'in the `reasoning` field',
      'field:reasoning_content': 'in the `reasoning_content` field',
      inline: 'inline, before </think> in the text',
      none: 'none seen (not a thinking model, or thinking is off)',
    };
    lines.push(`Reasoning    ${r.reasoning ? reasoning[r.reasoning] : 'could not tell'}`);
    lines.push(`Images       ${yesNo(r.imageAccepted, 'accepted', 'REFUSED')}`);
    lines.push(`Grounding    ${groundingSummary(r.grounding)}`);
    lines.push(`Latency      ${r.latencyMs === null ? 'n/a' : `${r.latencyMs} ms (a one-token reply)`}`);
  }
  for (const note of r.notes) lines.push(`Note: ${note}`);
  if (r.problems.length === 0) lines.push('OK: no problems found.');
  else {
    lines.push(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:`);
    for (const p of r.problems) lines.push(`- ${p.problem}\n  Fix: ${p.fix}`);
  }
  return lines.join('\n');
}

export function registerCheck(program: Command): void {
  addModelOptions(
    program
      .command('check')
      .description('diagnose a model server: reachable, /v1, served models, tool-call and reasoning modes, images, grounding, latency'),
  )
    .option('--json', 'print one JSON object instead of the report')
    .option('--timeout <ms>', 'time limit for each probe', '60000')
    .action(async (options: CheckOptions) => {
      const settings = settingsFromFlags(options, { model: MODEL_FROM_SERVER });
      try {
        normalizeEndpoint(settings.endpoint);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      try {
        profileForSettings(settings);
      } catch (error) {
        throw new UsageError(`profile: ${(error as Error).message}`);
      }
      const timeoutMs = Number(options.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        throw new UsageError(`--timeout must be a positive number of milliseconds, not "${options.timeout}"`);
      }
      const report = await diagnoseEndpoint({
        endpoint: settings.endpoint,
        model: settings.model === MODEL_FROM_SERVER ? undefined : settings.model,
        apiKey: settings.apiKey,
        profile: settings.profile,
        zoom: settings.zoom,
        ...(settings.agent ? { agent: settings.agent } : {}),
        timeoutMs,
      });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      process.exitCode = report.problems.length > 0 ? 1 : 0;
    });
}
