/**
 * A stand-in adb server for tests and benchmarks: a loopback TCP server speaking the host protocol of adb's server
 * (AOSP packages/modules/adb OVERVIEW.TXT and SERVICES.TXT), so that the REAL `adb` client - Debian's `adb` package -
 * can be pointed at it with `ADB_SERVER_SOCKET=tcp:127.0.0.1:PORT` (or `ANDROID_ADB_SERVER_PORT=PORT`) and drive
 * simulated phones (phone.ts) that render a screen and record every command.
 *
 * What the Debian client (adb 1.0.41, 29.0.6) sends, and the fake answers as adb's server does:
 * - every command first opens `host:version` (answered 0x29, so the client never restarts a server), then its own
 *   connection: `host:devices[-l]`, `host-serial:S:features` / `host:features` (before `adb shell`), then
 *   `host:tport:serial:S` / `host:tport:any` (OKAY + 8-byte transport id) and the device service on the same
 *   connection: `shell,v2,TERM=...,raw:CMD` (shell protocol: framed stdout/stderr, then the exit code) when the phone
 *   advertises shell_v2, else `shell:CMD` (raw output, then close); `exec:CMD` for `adb exec-out`;
 * - each host query's connection is closed after its answer (the client waits for that close), and so is a device
 *   service's once the command is done;
 * - the error texts for missing, ambiguous, unauthorized and offline devices are the server's own.
 *
 * Never start a real adb server from a test: with `ADB_SERVER_SOCKET=tcp:127.0.0.1:PORT` the client treats the
 * server as remote and, if nothing listens, fails ("cannot start server on remote host") instead of forking one.
 * `ANDROID_ADB_SERVER_PORT` alone makes it local: use it only while the fake is listening.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { SocketReader, fail, okay, shellPacket, ShellPacket } from './wire';
import { FakePhone, phoneOptionsSchema, type DeviceState, type FakePhoneOptions, type PhoneSnapshot, type ReceivedCommand, type ShellVia } from './phone';
import { lfToCrlf } from './phone';

export { PHONE_PALETTE, type Colour } from './screen';
export { ADB_KEYBOARD_IME, LATIN_IME, DEFAULT_APPS, DEVICE_FEATURES_V2 } from './phone';
export type { DeviceState, FakeApp, FakePhoneOptions, InputEvent, PhoneSnapshot, ReceivedCommand } from './phone';

/** ADB_SERVER_VERSION of the Debian client (29.0.6 prints "Android Debug Bridge version 1.0.41"). */
export const ADB_SERVER_VERSION = 41;

/** The adb server's own features (`host:host-features`), as 29.0.6 lists them. */
const HOST_FEATURES = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'apex', 'abb', 'fixed_push_symlink_timestamp', 'abb_exec', 'remount_shell', 'push_sync'];

const optionsSchema = z.object({
  /** The phones attached, in order (default: one phone, serial FAKEPHONE01, 1080x2400). */
  devices: z.array(phoneOptionsSchema).default(() => [phoneOptionsSchema.parse({ serial: 'FAKEPHONE01' })]),
  /** 0: any free port. */
  port: z.number().int().min(0).max(65535).default(0),
});
export type FakeAdbOptions = z.input<typeof optionsSchema> & {
  /** Receives one line per request (for debugging a client conversation). */
  log?: (line: string) => void;
};

export interface DeviceListing {
  serial: string;
  state: DeviceState;
  transportId: number;
}

export interface FakeAdb {
  port: number;
  /** For ADB_SERVER_SOCKET: `tcp:127.0.0.1:PORT`. */
  socketSpec: string;
  devices(): DeviceListing[];
  /** Every command the phone ran, parsed (a line with `;`/`&&` gives one entry per command). */
  commands(serial: string): ReceivedCommand[];
  /** All the text typed on the phone so far (`input text` and ADBKeyboard), in order. */
  typedText(serial: string): string;
  /** The phone's current screen as `screencap -p` would send it (always a PNG, whatever `screencap` is set to). */
  screen(serial: string): Promise<Buffer>;
  snapshot(serial: string): PhoneSnapshot;
  /** Every host-protocol request the server received (`host:version`, `host:tport:any`, `shell,v2,raw:...`, ...). */
  requests(): string[];
  setState(serial: string, state: DeviceState): void;
  /** Plugs in another phone. */
  add(options: FakePhoneOptions): void;
  /** The phone goes away: its open connections close and it leaves `host:devices`. */
  remove(serial: string): void;
  /** True once a client sent `host:kill` (the server then stopped listening). */
  readonly killed: boolean;
  close(): Promise<void>;
}

type Target = { kind: 'any' } | { kind: 'usb' } | { kind: 'local' } | { kind: 'serial'; serial: string } | { kind: 'id'; id: number };

export async function startFakeAdb(options: FakeAdbOptions = {}): Promise<FakeAdb> {
  const { log, ...rest } = options;
  const parsed = optionsSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`startFakeAdb: bad options:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const serials = config.devices.map((d) => d.serial);
  const duplicate = serials.find((s, i) => serials.indexOf(s) !== i);
  if (duplicate) throw new Error(`startFakeAdb: two devices have the serial '${duplicate}'; give each its own`);

  let nextTransportId = 1;
  let nextUsbPort = 1;
  const phones: FakePhone[] = [];
  /** Open device-service connections and running commands per phone, closed when it goes away. */
  const attached = new Map<FakePhone, { sockets: Set<net.Socket>; runs: Set<AbortController> }>();
  const plug = (phoneOptions: FakePhoneOptions) => {
    const phone = new FakePhone(phoneOptions, nextTransportId++, phoneOptions.transport === 'local' ? 0 : nextUsbPort++);
    phones.push(phone);
    attached.set(phone, { sockets: new Set(), runs: new Set() });
  };
  config.devices.forEach(plug);

  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let killed = false;

  const find = (serial: string): FakePhone => {
    const phone = phones.find((p) => p.serial === serial);
    if (!phone) throw new Error(`fake adb: no device '${serial}' (devices: ${phones.map((p) => p.serial).join(', ') || 'none'})`);
    return phone;
  };
  const kick = (phone: FakePhone) => {
    const links = attached.get(phone)!;
    for (const run of links.runs) run.abort();
    for (const socket of links.sockets) socket.destroy();
    links.runs.clear();
    links.sockets.clear();
  };
  const unplug = (phone: FakePhone) => {
    kick(phone);
    phones.splice(phones.indexOf(phone), 1);
    attached.delete(phone);
  };

  /** adb's acquire_one_transport: the same choice and the same error texts. */
  const acquire = (target: Target, acceptAnyState: boolean): { phone: FakePhone } | { error: string } => {
    let error =
      target.kind === 'id'
        ? `no device with transport id '${target.id}'`
        : target.kind === 'serial'
          ? `device '${target.serial}' not found`
          : target.kind === 'local'
            ? 'no emulators found'
            : target.kind === 'any'
              ? 'no devices/emulators found'
              : 'no devices found';
    let found: FakePhone | undefined;
    for (const phone of phones) {
      const matches =
        target.kind === 'id'
          ? phone.transportId === target.id
          : target.kind === 'serial'
            ? matchesTarget(phone, target.serial)
            : target.kind === 'any' || target.kind === phone.transport;
      if (!matches) continue;
      if (target.kind === 'id') {
        found = phone;
        break;
      }
      if (found) {
        error = target.kind === 'local' ? 'more than one emulator' : target.kind === 'any' ? 'more than one device/emulator' : 'more than one device';
        return { error };
      }
      found = phone;
    }
    if (found && !acceptAnyState && found.state === 'unauthorized') {
      return {
        error:
          "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your device.",
      };
    }
    if (found && !acceptAnyState && found.state === 'offline') return { error: 'device offline' };
    return found ? { phone: found } : { error };
  };

  const listDevices = (long: boolean): string => {
    const sorted = [...phones].sort((a, b) => (a.transport !== b.transport ? (a.transport === 'usb' ? -1 : 1) : a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
    return sorted
      .map((p) => {
        if (!long) return `${p.serial}\t${p.state}\n`;
        let line = `${p.serial.padEnd(22)} ${p.state}`;
        if (p.devpath) line += ` ${p.devpath}`;
        // A phone that is not online has not told the server its product, model and device yet.
        if (p.state === 'device') line += ` product:${p.product} model:${p.model.replace(/[^A-Za-z0-9]/g, '_')} device:${p.deviceName}`;
        return `${line} transport_id:${p.transportId}\n`;
      })
      .join('');
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    void serve(socket).catch((error: unknown) => {
      log?.(`fake adb: connection failed: ${(error as Error).stack ?? String(error)}`);
      socket.destroy();
    });
  });

  async function serve(socket: net.Socket): Promise<void> {
    const reader = new SocketReader(socket);
    const request = await reader.readRequest();
    if (request === null) return void socket.destroy();
    requests.push(request);
    log?.(`> ${request}`);
    const reply = (data: Buffer) => {
      socket.end(data);
    };

    const { target, service } = splitHostRequest(request);
    if (service === null) {
      // A device service sent without choosing a transport goes to the only device, as adb's server does.
      return deviceService(socket, reader, { kind: 'any' }, request, false);
    }
    if (service === 'version') return reply(okay(ADB_SERVER_VERSION.toString(16).padStart(4, '0')));
    if (service === 'kill') {
      socket.end(okay());
      killed = true;
      void shutdown();
      return;
    }
    if (service === 'devices' || service === 'devices-l') return reply(okay(listDevices(service === 'devices-l')));
    if (service === 'host-features') return reply(okay(HOST_FEATURES.join(',')));
    if (service === 'features' || service === 'get-state' || service === 'get-serialno' || service === 'get-devpath') {
      const chosen = acquire(target, service !== 'features');
      if ('error' in chosen) return reply(fail(chosen.error));
      const { phone } = chosen;
      const answer = service === 'features' ? phone.features.join(',') : service === 'get-state' ? phone.state : service === 'get-serialno' ? phone.serial : (phone.devpath ?? 'unknown');
      return reply(okay(answer));
    }
    const transport = parseTransport(service);
    if (transport && target.kind === 'any') {
      const chosen = acquire(transport.target, false);
      if ('error' in chosen) return reply(fail(chosen.error));
      const id = Buffer.alloc(8);
      id.writeBigUInt64LE(BigInt(chosen.phone.transportId));
      socket.write(transport.withId ? Buffer.concat([okay(), id]) : okay());
      const next = await reader.readRequest();
      if (next === null) return void socket.end();
      requests.push(next);
      log?.(`> ${next}`);
      return deviceService(socket, reader, { kind: 'id', id: chosen.phone.transportId }, next, true);
    }
    return reply(fail('unknown host service'));
  }

  async function deviceService(socket: net.Socket, reader: SocketReader, target: Target, service: string, switched: boolean): Promise<void> {
    const chosen = acquire(target, false);
    // A transport that went away between the switch and the service: adb's server just closes the socket.
    if ('error' in chosen) return void (switched ? socket.destroy() : socket.end(fail(chosen.error)));
    const { phone } = chosen;
    const request = parseDeviceService(service);
    // adbd refuses a service it does not have; the server reports the stream's close.
    if (!request) return void socket.end(fail('closed'));
    const links = attached.get(phone)!;
    links.sockets.add(socket);
    socket.on('close', () => links.sockets.delete(socket));
    socket.write(okay());
    reader.discard();
    if (phone.dueToGoAway) {
      // Unplugged mid-command: the service was opened, then the connection drops without output or exit code.
      unplug(phone);
      return;
    }
    if (request.command === '' && request.via !== 'exec') {
      const message = Buffer.from('fake-adb: not simulated: an interactive shell (give adb shell a command)\n');
      socket.end(request.via === 'shell,v2' ? Buffer.concat([shellPacket(ShellPacket.stderr, message), shellPacket(ShellPacket.exit, Buffer.from([1]))]) : message);
      return;
    }
    const run = new AbortController();
    links.runs.add(run);
    const result = await phone.run(request.command, request.via, run.signal, request.term);
    links.runs.delete(run);
    if (run.signal.aborted || socket.destroyed) return;
    if (request.via === 'shell,v2' && !request.pty) {
      for (const chunk of result.chunks) socket.write(shellPacket(chunk.stream === 1 ? ShellPacket.stdout : ShellPacket.stderr, chunk.data));
      socket.end(shellPacket(ShellPacket.exit, Buffer.from([result.exitCode & 0xff])));
    } else {
      // A pty (and a legacy shell or exec) has one output stream; a pty also turns LF into CRLF.
      const all = Buffer.concat(result.chunks.map((c) => c.data));
      const data = request.pty ? lfToCrlf(all) : all;
      if (request.via === 'shell,v2') socket.end(Buffer.concat([shellPacket(ShellPacket.stdout, data), shellPacket(ShellPacket.exit, Buffer.from([result.exitCode & 0xff]))]));
      else socket.end(data);
    }
  }

  let stopping: Promise<void> | null = null;
  function shutdown(): Promise<void> {
    stopping ??= stop();
    return stopping;
  }
  async function stop(): Promise<void> {
    for (const phone of phones) kick(phone);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Let the clients read what was already written (host:kill's OKAY) before their sockets go.
      setImmediate(() => {
        for (const socket of sockets) socket.destroy();
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    socketSpec: `tcp:127.0.0.1:${port}`,
    devices: () => phones.map((p) => ({ serial: p.serial, state: p.state, transportId: p.transportId })),
    commands: (serial) => [...find(serial).commands],
    typedText: (serial) => find(serial).typedText(),
    screen: (serial) => find(serial).screen(),
    snapshot: (serial) => find(serial).snapshot(),
    requests: () => [...requests],
    setState: (serial, state) => {
      const phone = find(serial);
      phone.state = state;
      if (state !== 'device') kick(phone);
    },
    add: (phoneOptions) => {
      if (phones.some((p) => p.serial === phoneOptions.serial)) throw new Error(`fake adb: a device '${phoneOptions.serial}' is already attached`);
      plug(phoneOptions);
    },
    remove: (serial) => unplug(find(serial)),
    get killed() {
      return killed;
    },
    close: shutdown,
  };
}

/** `host:X`, `host-usb:X`, `host-local:X`, `host-serial:SERIAL:X`, `host-transport-id:N:X`; service null if none. */
function splitHostRequest(request: string): { target: Target; service: string | null } {
  if (request.startsWith('host:')) return { target: { kind: 'any' }, service: request.slice(5) };
  if (request.startsWith('host-usb:')) return { target: { kind: 'usb' }, service: request.slice(9) };
  if (request.startsWith('host-local:')) return { target: { kind: 'local' }, service: request.slice(11) };
  if (request.startsWith('host-serial:')) {
    // A serial may contain ':' (host:port); the service is the last part.
    const rest = request.slice(12);
    const cut = rest.lastIndexOf(':');
    if (cut > 0) return { target: { kind: 'serial', serial: rest.slice(0, cut) }, service: rest.slice(cut + 1) };
  }
  if (request.startsWith('host-transport-id:')) {
    const match = /^host-transport-id:(\d+):(.*)$/s.exec(request);
    if (match) return { target: { kind: 'id', id: Number(match[1]) }, service: match[2]! };
  }
  return { target: { kind: 'any' }, service: null };
}

function parseTransport(service: string): { target: Target; withId: boolean } | null {
  const fixed: Record<string, Target> = { 'transport-any': { kind: 'any' }, 'transport-usb': { kind: 'usb' }, 'transport-local': { kind: 'local' }, 'tport:any': { kind: 'any' }, 'tport:usb': { kind: 'usb' }, 'tport:local': { kind: 'local' } };
  const known = fixed[service];
  if (known) return { target: known, withId: service.startsWith('tport:') };
  if (service.startsWith('transport:')) return { target: { kind: 'serial', serial: service.slice(10) }, withId: false };
  if (service.startsWith('transport-id:') && /^\d+$/.test(service.slice(13))) return { target: { kind: 'id', id: Number(service.slice(13)) }, withId: false };
  if (service.startsWith('tport:serial:')) return { target: { kind: 'serial', serial: service.slice(13) }, withId: true };
  return null;
}

/** `shell:CMD`, `shell,v2,TERM=xterm,raw:CMD` (args before the first ':'), `exec:CMD`. */
function parseDeviceService(service: string): { via: ShellVia; command: string; pty: boolean; term?: string } | null {
  if (service.startsWith('exec:')) return { via: 'exec', command: service.slice(5), pty: false };
  const match = /^shell(,[^:]*)?:(.*)$/s.exec(service);
  if (!match) return null;
  const args = (match[1] ?? '').split(',').filter(Boolean);
  const command = match[2]!;
  const v2 = args.includes('v2');
  const term = args.find((a) => a.startsWith('TERM='))?.slice(5);
  // adbd: an explicit raw/pty wins; otherwise a pty only for an interactive shell (no command).
  const pty = args.includes('pty') || (!args.includes('raw') && command === '');
  return { via: v2 ? 'shell,v2' : 'shell', command, pty, ...(term ? { term } : {}) };
}

/** adb's atransport::MatchesTarget: the serial, the devpath, or product:/model:/device: qualifiers. */
function matchesTarget(phone: FakePhone, target: string): boolean {
  if (target === phone.serial || (phone.devpath !== null && target === phone.devpath)) return true;
  if (phone.transport === 'local' && /^(tcp|udp):/.test(target) && target.slice(4) === phone.serial) return true;
  if (phone.state !== 'device') return false;
  return target === `product:${phone.product}` || target === `model:${phone.model.replace(/[^A-Za-z0-9]/g, '_')}` || target === `device:${phone.deviceName}`;
}
