/**
 * The queue URL (`redis://[user:password@]host[:port][/db]`, `rediss://` for TLS) and the Redis connection options
 * BullMQ takes. One queue, QUEUE_NAME, holds the jobs of every run; a run is told apart by its name in the job id
 * and data (workers do not need to know which runs exist).
 *
 * The URL is parsed here (WHATWG URL) rather than handed to ioredis, so a bad one is refused with what is wrong
 * before anything connects, and so the password is never printed: `redactQueueUrl` is what messages show.
 */
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

export const QUEUE_NAME = 'deskpilot-tasks';
/** Our own keys beside BullMQ's (which live under "bull:"). */
export const KEY_PREFIX = 'deskpilot';

export class QueueUrlError extends Error {
  override name = 'QueueUrlError';
}

export interface QueueTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

const FIX = 'give it as redis://HOST:PORT[/DB], redis://:PASSWORD@HOST:PORT or rediss://... for TLS';

export function parseQueueUrl(text: string): QueueTarget {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new QueueUrlError(`--queue "${redactQueueUrl(text)}" is not a URL; ${FIX}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new QueueUrlError(`--queue must be a redis:// or rediss:// URL (got ${url.protocol}//...); ${FIX}`);
  if (!url.hostname) throw new QueueUrlError(`--queue names no host; ${FIX}`);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) throw new QueueUrlError(`--queue: the database "/${dbText}" must be a number (0-15 on a default Redis); ${FIX}`);
  if (url.search || url.hash) throw new QueueUrlError(`--queue takes no query or fragment ("${url.search}${url.hash}"); ${FIX}`);
  const port = url.port ? Number(url.port) : 6379;
  return {
    // IPv6 literals come bracketed from URL; the socket wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    tls: url.protocol === 'rediss:',
  };
}

/** The URL as messages and logs show it: any password replaced by "***". */
export function redactQueueUrl(text: string): string {
  return text.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/**
 * Options for a BullMQ connection. `maxRetriesPerRequest: null`: a command waits for Redis to come back instead of
 * failing after a few reconnects, so a Redis restart pauses workers and followers rather than failing their jobs
 * (BullMQ requires it for workers). ioredis reconnects on its own, backing off up to 2 s.
 */
export function connectionOptions(target: QueueTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    // TLS with Node's default trust store (add a private CA with NODE_EXTRA_CA_CERTS=ca.pem).
    ...(target.tls ? { tls: isIP(target.host) ? {} : { servername: target.host } } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
}

/**
 * Connect once, without retrying, and PING: a wrong password, a TLS mismatch or a host that is not there is told
 * at the start (as a QueueUrlError naming the cause) instead of becoming an endless reconnect. Outages after that are
 * waited out (connectionOptions).
 */
export async function checkQueue(target: QueueTarget, shown: string): Promise<void> {
  const probe = new Redis({ ...connectionOptions(target), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 10_000 });
  // The cause (WRONGPASS, ECONNREFUSED, a TLS error) arrives as an event; the failed connect only says "closed".
  let cause: string | null = null;
  probe.on('error', (error: Error) => (cause ??= error.message));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const message = cause ?? (error as Error).message;
    const fix = /WRONGPASS|NOAUTH|AUTH/i.test(message)
      ? 'check the password in the URL (redis://:PASSWORD@host) and the user, if any'
      : 'check that Redis runs there and this machine may reach it (host, port, firewall; rediss:// for a TLS port)';
    throw new QueueUrlError(`cannot use the queue at ${shown}: ${message}; ${fix}`);
  } finally {
    probe.disconnect();
  }
}
