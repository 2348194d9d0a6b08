import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * `npm run test:faults`: the fault and load suite (issue 8). Each file starts its own PostgreSQL,
 * Redis and Cradle server processes on free loopback ports and injects faults into them, so files
 * run one at a time (two cores) with generous timeouts; the global setup compiles the server once
 * and prints the summary table at the end. Kept out of `npm test` (see vitest.config.ts).
 */
export default defineConfig({
  resolve: {
    // As in vitest.config.ts: one copy of graphql for our files and the libraries.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/faults/**/*.fault.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/faults/helpers/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
