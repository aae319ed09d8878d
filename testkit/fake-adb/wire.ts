/**
 * adb's wire formats as the host server speaks them (AOSP packages/modules/adb: OVERVIEW.TXT, SERVICES.TXT and the
 * shell protocol in shell_protocol.h):
 * - a request is 4 ASCII hex digits (the payload length) followed by the payload;
 * - an answer is `OKAY`, or `FAIL` followed by a 4-hex-length message; host queries add a 4-hex-length payload after
 *   `OKAY`;
 * - the shell protocol (v2) frames each chunk as 1 byte stream id + 4 bytes little-endian length + data.
 * Written by hand: these are a few lines each, and no npm package exposes adb's server side.
 */
import type { Socket } from 'node:net';

/** Reads exact byte counts from a socket; `null` once the peer has closed (or the socket was destroyed). */
export class SocketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private wake: (() => void) | null = null;
  private discarding = false;

  constructor(socket: Socket) {
    socket.on('data', (data: Buffer) => {
      if (this.discarding) return;
      this.chunks.push(data);
      this.buffered += data.length;
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** From now on, drops what the peer sends (a device service's stdin, which no simulated command reads). */
  discard(): void {
    this.discarding = true;
    this.chunks = [];
    this.buffered = 0;
  }

  async read(length: number): Promise<Buffer | null> {
    while (this.buffered < length) {
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  /** Reads one request: 4 hex digits of length, then that many bytes. `null` at EOF or on a malformed length. */
  async readRequest(): Promise<string | null> {
    const head = await this.read(4);
    if (!head) return null;
    const text = head.toString('latin1');
    if (!/^[0-9a-fA-F]{4}$/.test(text)) return null;
    const body = await this.read(parseInt(text, 16));
    return body ? body.toString('utf8') : null;
  }
}

export function hex4(length: number): string {
  return length.toString(16).padStart(4, '0');
}

/** A length-prefixed protocol string (the length counts bytes, not characters). */
export function protocolString(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(hex4(body.length), 'latin1'), body]);
}

export function okay(payload?: string): Buffer {
  return payload === undefined ? Buffer.from('OKAY') : Buffer.concat([Buffer.from('OKAY'), protocolString(payload)]);
}

export function fail(message: string): Buffer {
  return Buffer.concat([Buffer.from('FAIL'), protocolString(message)]);
}

/** Shell protocol v2 stream ids (shell_protocol.h). */
export const ShellPacket = { stdin: 0, stdout: 1, stderr: 2, exit: 3, closeStdin: 4, windowSizeChange: 5 } as const;

export function shellPacket(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = id;
  head.writeUInt32LE(data.length, 1);
  return Buffer.concat([head, data]);
}

