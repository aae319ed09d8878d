/**
 * A real multi-monitor X server for tests: Xorg with the dummy video driver (xserver-xorg-video-dummy 0.4, which
 * has RandR outputs DUMMY0..DUMMY15), each monitor given a mode and a position with xrandr. Plain Xvfb cannot do
 * this: `+xinerama` with two `-screen`s and `xrandr --setmonitor` on one wide screen both still report a single
 * RandR monitor (tried: Xvfb 21.1.7).
 *
 * Needs root (Xorg reads a -config from anywhere only as root) and the Debian packages xserver-xorg-core and
 * xserver-xorg-video-dummy (scripts/install.sh --test).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { reapOnExit } from '../../../app/platform/reaper';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MonitorSpec {
  width: number;
  height: number;
  x: number;
  y: number;
  primary?: boolean;
}

export interface DummyXorg {
  display: string;
  stop(): Promise<void>;
}

function run(tool: string, args: string[], display: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env: { ...process.env, DISPLAY: display } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${tool} ${args.join(' ')}: ${String(stderr).trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

function config(width: number, height: number): string {
  // Enough video memory for the whole layout at 32 bits per pixel, plus slack.
  const videoRamKb = Math.ceil((width * height * 4) / 1024) + 16 * 1024;
  return `Section "ServerFlags"
  Option "AutoAddDevices" "false"
  Option "AutoEnableDevices" "false"
  Option "DontVTSwitch" "true"
EndSection
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam ${videoRamKb}
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 1.0-1000.0
  VertRefresh 1.0-200.0
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual ${width} ${height}
  EndSubSection
EndSection
`;
}

export async function startDummyXorg(monitors: MonitorSpec[]): Promise<DummyXorg> {
  if (monitors.length === 0 || monitors.length > 16) throw new Error('the dummy driver has 1 to 16 outputs');
  const width = Math.max(...monitors.map((m) => m.x + m.width));
  const height = Math.max(...monitors.map((m) => m.y + m.height));
  const dir = await mkdtemp(join(tmpdir(), 'deskpilot-xorg-'));
  const conf = join(dir, 'xorg.conf');
  await writeFile(conf, config(width, height));
  const server: ChildProcess = spawn(
    'Xorg',
    ['-displayfd', '3', '-config', conf, '-configdir', join(dir, 'none'), '-logfile', join(dir, 'Xorg.log'),
      '-noreset', '-nolisten', 'tcp', '-novtswitch', '-sharevts'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  reapOnExit(server);
  let stderr = '';
  server.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    (server.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    server.once('error', (e) => reject(new Error(`cannot start Xorg (install xserver-xorg-core and xserver-xorg-video-dummy): ${e.message}`)));
    server.once('exit', (code) => reject(new Error(`Xorg exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`)));
    setTimeout(() => reject(new Error('Xorg did not report a display within 15 s')), 15_000);
  });

  const stop = async (): Promise<void> => {
    if (server.exitCode === null && server.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.kill('SIGKILL');
          resolve();
        }, 5000);
        server.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        server.kill('SIGTERM');
      });
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    // One mode per monitor (a 30 Hz modeline with minimal blanking keeps the pixel clock low), then one xrandr call
    // that places them all, so the screen is resized once to the whole layout.
    const layout: string[] = [];
    for (const [i, m] of monitors.entries()) {
      const name = `dp${i}_${m.width}x${m.height}`;
      const htotal = m.width + 32;
      const vtotal = m.height + 4;
      const clock = ((htotal * vtotal * 30) / 1e6).toFixed(2);
      await run('xrandr', ['--newmode', name, clock, `${m.width}`, `${m.width + 8}`, `${m.width + 16}`, `${htotal}`,
        `${m.height}`, `${m.height + 1}`, `${m.height + 2}`, `${vtotal}`], display);
      await run('xrandr', ['--addmode', `DUMMY${i}`, name], display);
      layout.push('--output', `DUMMY${i}`, '--mode', name, '--pos', `${m.x}x${m.y}`);
      if (m.primary) layout.push('--primary');
    }
    await run('xrandr', ['--fb', `${width}x${height}`, ...layout], display);
  } catch (error) {
    await stop();
    throw error;
  }
  return { display, stop };
}
