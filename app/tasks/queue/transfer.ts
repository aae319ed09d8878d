/**
 * A finished attempt's result folder, from the worker's disk to the follower's, through Redis (no shared
 * filesystem).
 *
 * The worker, after the attempt has finished (never during: a dead attempt uploads nothing), stores each file of
 * the task folder as one Redis LIST of chunks of at most CHUNK_BYTES (RPUSH, one chunk per command, read from a
 * stream: a 50 MB screenshot set is never one Redis value nor one buffer), under
 * `deskpilot:files:<upload id>:<n>`, each key expiring after RESULT_TTL_SECONDS so an upload nobody fetches (the
 * follower gone for good, an attempt whose job completion was refused) does not stay in Redis. The list of files
 * (relative path, size, sha256, key) goes back in the job's return value.
 *
 * The follower reads each list a chunk at a time (LRANGE i i), hashes as it writes, refuses a file whose size or
 * sha256 differs, and assembles the folder in a private staging folder first; only a complete, verified folder is
 * moved into the results (assemble.ts). Then it deletes the keys.
 *
 * Written by hand because no maintained package moves files through Redis; the pieces (lists, TTLs, streams,
 * sha256) are Redis's and Node's.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { KEY_PREFIX } from './connection';

export const CHUNK_BYTES = 512 * 1024;
/** Uploads wait this long for a follower (7 days); `tasks follow` within that picks them up. */
export const RESULT_TTL_SECONDS = 7 * 24 * 3600;

/** A path inside the task folder: relative, forward slashes, no "..", nothing hidden at the top, no NUL. */
const RelativePathSchema = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.includes('\0') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'must be a relative path inside the task folder');

export const FileEntrySchema = z.object({
  path: RelativePathSchema,
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  key: z.string().startsWith(`${KEY_PREFIX}:files:`),
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

export class TransferError extends Error {
  override name = 'TransferError';
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else if (entry.isFile()) out.push(child);
    // Links and other special files are not part of a result folder.
  }
  return out.sort();
}

/** Store every file of `dir` in Redis; returns what the follower needs to fetch them. */
export async function uploadFolder(redis: Redis, dir: string): Promise<FileEntry[]> {
  const upload = randomUUID();
  const entries: FileEntry[] = [];
  const files = await listFiles(dir);
  for (const [n, rel] of files.entries()) {
    const key = `${KEY_PREFIX}:files:${upload}:${n}`;
    const hash = createHash('sha256');
    let size = 0;
    await redis.del(key);
    for await (const chunk of createReadStream(path.join(dir, rel), { highWaterMark: CHUNK_BYTES })) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      size += buffer.length;
      await redis.rpush(key, buffer);
    }
    // An empty file is an empty list, which Redis does not keep: its entry (size 0) says enough.
    if (size > 0) await redis.expire(key, RESULT_TTL_SECONDS);
    entries.push({ path: rel, size, sha256: hash.digest('hex'), key });
  }
  return entries;
}

/** Fetch one file into `target`, verifying its size and sha256; throws TransferError on any mismatch. */
export async function fetchFile(redis: Redis, entry: FileEntry, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const out = createWriteStream(target);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const chunks = entry.size === 0 ? 0 : await redis.llen(entry.key);
    if (entry.size > 0 && chunks === 0) throw new TransferError(`${entry.path}: not in Redis any more (expired after ${RESULT_TTL_SECONDS / 3600} h, or deleted)`);
    for (let i = 0; i < chunks; i++) {
      const [chunk] = await redis.lrangeBuffer(entry.key, i, i);
      if (!chunk) throw new TransferError(`${entry.path}: chunk ${i} of ${chunks} is missing`);
      hash.update(chunk);
      size += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  const sha256 = hash.digest('hex');
  if (size !== entry.size || sha256 !== entry.sha256) {
    throw new TransferError(`${entry.path}: received ${size} bytes with sha256 ${sha256.slice(0, 12)}..., the worker sent ${entry.size} bytes with ${entry.sha256.slice(0, 12)}...`);
  }
}

export async function deleteUpload(redis: Redis, entries: FileEntry[]): Promise<void> {
  const keys = entries.filter((e) => e.size > 0).map((e) => e.key);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}
