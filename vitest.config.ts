import { createRequire } from 'node:module';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql 16 as CommonJS (it has no "exports" map); Vite would pick its ESM build for
    // our files while libraries get the CommonJS one, and graphql rejects objects from a second copy.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite starts its own PostgreSQL, Redis and servers: `npm run test:faults` (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    setupFiles: ['test/helpers/setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: integration files each start a server and a database; keep parallelism modest.
    maxWorkers: 2,
  },
});
