/**
 * `deskpilot ui`: the browser UI mode. Serves the renderer and the engine behind a WebSocket bridge on loopback,
 * with a random token in the printed URL - for supervising the agent on a headless machine (forward the port over
 * SSH). Takes the same run options as `run`; approvals come from the page.
 *
 * Settings, lowest to highest: defaults, the config file, the environment, what was saved in the UI
 * (<config dir>/ui-settings.json), flags given on this command line. The API key is held in memory only, for the
 * origin of the endpoint the UI starts with.
 */
import type { Command } from 'commander';
import { createLocalDesktop } from '../devices/x11/desktop';
import { EngineHost } from '../host/engine-host';
import { createX11WindowProbe } from '../platform/x11/windows';
import { ensureRenderer } from '../host/renderer-build';
import { JsonSettingsStore } from '../host/settings-store';
import { EndpointMemory } from '../model/endpoint-memory';
import { isLoopback, startUiServer } from '../host/ws-server';
import { defaultRunsRoot, intFlag, readConfigFile, readEnv } from '../settings';
import { UsageError } from './errors';
import { addRunOptions, apiKeyFromFlags, DEVICE_OPTION_HELP, type RunFlags } from './run-options';

interface UiFlags extends RunFlags {
  port?: number;
  host?: string;
}

/** The config file below the environment, as raw values (the engine host validates them when they are used). */
function ambientSettings(configFile: string | undefined): Record<string, unknown> {
  return { ...readConfigFile(configFile)?.values, ...readEnv(process.env).values };
}

export function registerUi(program: Command): void {
  addRunOptions(
    program
      .command('ui')
      .description('serve the UI in a browser (loopback, token in the URL); approvals come from the page')
      .option('--port <n>', 'port to listen on (0 = any free port)', intFlag('--port'), 7878)
      .option('--host <address>', 'address to bind; anything but loopback exposes the agent to the network', '127.0.0.1')
      .option('--device <spec>', `${DEVICE_OPTION_HELP}; Settings > Target in the page changes it`),
  ).action(async (flags: UiFlags) => {
    const started = performance.now();
    const bind = flags.host ?? '127.0.0.1';
    const port = flags.port ?? 7878;
    if (port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);

    const ambient = ambientSettings(flags.config);
    const apiKey = apiKeyFromFlags(flags) ?? (typeof ambient.apiKey === 'string' ? ambient.apiKey : undefined);
    const overrides: Record<string, unknown> = {
      endpoint: flags.endpoint,
      model: flags.model,
      profile: flags.profile,
      zoom: flags.zoom,
      agent: flags.agent,
      device: flags.device,
      approve: flags.approve,
      maxSteps: flags.maxSteps,
      display: flags.display,
      ...(flags.settle === false ? { settle: { enabled: false, quietMs: 0, maxMs: 0 } } : {}),
    };

    const renderer = await ensureRenderer({ log: (line) => process.stdout.write(`${line}\n`) });
    const host = new EngineHost({
      store: new JsonSettingsStore(),
      ...(apiKey ? { apiKey } : {}),
      runsRoot: defaultRunsRoot(),
      baseSettings: ambient,
      overrides,
      createDesktop: () => createLocalDesktop(process.env.DISPLAY ? { xDisplay: process.env.DISPLAY } : {}),
      // The page's title is "Deskpilot" (or "Approval needed - Deskpilot"); browsers append their name after a dash.
      ownWindowTitles: ['Deskpilot - ', 'Deskpilot — ', 'Deskpilot – '],
      windows: createX11WindowProbe(process.env.DISPLAY),
      endpointMemory: new EndpointMemory(),
    });
    const server = await startUiServer({ host, rendererDir: renderer.dir, bind, port });
    for (const problem of host.problems) process.stderr.write(`deskpilot: ${problem}\n`);

    if (!isLoopback(bind)) {
      process.stderr.write(
        `deskpilot: WARNING: listening on ${bind}, not loopback: anyone on the network who learns the token can drive this desktop.\n`,
      );
    }
    const ms = Math.round(performance.now() - started);
    process.stdout.write(
      `Deskpilot UI (${renderer.source === 'built' ? `UI built in ${renderer.ms} ms` : `UI from ${renderer.source}`}, ready in ${ms} ms)\n` +
        `Open ${server.url}\n` +
        `Runs are recorded in ${defaultRunsRoot()}; the API key is kept in memory only. Ctrl+C to quit.\n`,
    );

    await new Promise<void>((resolveQuit) => {
      let quitting = false;
      const quit = () => {
        if (quitting) process.exit(130);
        quitting = true;
        process.stdout.write('\nStopping the run (if any) and closing the UI\n');
        void (async () => {
          await server.close().catch(() => undefined);
          await host.close().catch(() => undefined);
          resolveQuit();
        })();
      };
      process.on('SIGINT', quit);
      process.on('SIGTERM', quit);
    });
  });
}
