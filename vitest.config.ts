import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests share one X display per file; files run in parallel on separate displays.
    pool: 'forks',
    // The commands the tests start keep what they learn about servers in the cache folder
    // (app/model/endpoint-memory.ts): a fresh one per test run, never the user's, so no run sees another's findings.
    env: { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'deskpilot-test-cache-')) },
  },
});
