/** Run ids. Pure: the Web Crypto `randomUUID` (a global in Node 20 and in browsers), no Node import. */

/** A sortable, unique run id: the start time (UTC, to the second) and a random suffix. */
export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${globalThis.crypto.randomUUID().slice(0, 8)}`;
}
