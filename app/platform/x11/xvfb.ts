/**
 * A throwaway X display: Xvfb at a given size on a free display number (Xvfb picks it and reports it through
 * -displayfd, so parallel runs never collide), optionally with openbox as window manager. Used by the task runner
 * (one fresh desktop per task), the tests and the bench (testkit's fixture desktop). Whatever it starts is killed
 * when this process ends, even without stop() (../reaper.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { reapOnExit } from '../reaper';

export interface XDisplay {
  /** e.g. ":57" - put it in DISPLAY for child processes, or pass it to the engine. */
  display: string;
  width: number;
  height: number;
  /** Start a program on this display; it is killed by stop(). */
  launch(command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  stop(): Promise<void>;
}

export interface XvfbOptions {
  width: number;
  height: number;
  depth?: number;
  windowManager?: boolean;
  /** openbox configuration file (rc.xml) to use instead of the user's. */
  windowManagerConfig?: string;
  /** Environment for the window manager (and so for what its key bindings start). */
  windowManagerEnv?: NodeJS.ProcessEnv;
}

function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startXvfb(options: XvfbOptions): Promise<XDisplay> {
  const { width, height, depth = 24 } = options;
  const server = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', `${width}x${height}x${depth}`, '-nolisten', 'tcp', '-noreset', '+extension', 'XTEST'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  reapOnExit(server);
  let stderr = '';
  server.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const fd3 = server.stdio[3] as NodeJS.ReadableStream;
    const timer = setTimeout(() => reject(new Error(`Xvfb did not report a display within 10 s: ${stderr.trim()}`)), 10_000);
    fd3.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    server.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start Xvfb (${error.message}); install the xvfb package`));
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${stderr.trim()}`));
    });
  });

  const children: ChildProcess[] = [];
  const launch = (command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess => {
    const child = spawn(command, args, { env: { ...process.env, ...env, DISPLAY: display }, stdio: 'ignore' });
    child.on('error', () => undefined);
    reapOnExit(child);
    children.push(child);
    return child;
  };
  if (options.windowManager) {
    const args = ['--sm-disable'];
    if (options.windowManagerConfig) args.push('--config-file', options.windowManagerConfig);
    launch('openbox', args, options.windowManagerEnv);
  }

  return {
    display,
    width,
    height,
    launch,
    async stop() {
      for (const child of children.reverse()) child.kill('SIGTERM');
      await Promise.all(children.map((c) => waitForExit(c, 2000)));
      server.kill('SIGTERM');
      await waitForExit(server, 3000);
    },
  };
}
