import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { loadTallies, renderTallies } from './fault-summary.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** The compiled server the fault suite runs as child processes (`<dir>/src/main.js`). */
    faultBuildDir: string;
    /** Where each scenario saves its tally for the summary table. */
    faultResultsDir: string;
  }
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * The fault suite's own build, apart from `dist/` so that it never races `npm run build` of another
 * run; under `node_modules` so the compiled files resolve the project's dependencies.
 */
const BUILD_DIR = join(ROOT, 'node_modules/.cache/cradle-faults');

/**
 * Vitest global setup of `npm run test:faults`: compiles the server once (type-graphql needs the
 * decorator metadata only tsc emits), and at the end prints the summary table of every scenario.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  try {
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd: ROOT, timeout: 300_000 });
  } catch (err) {
    // tsc still emits when it finds type errors; those are `npm run typecheck`'s business.
    if (!existsSync(join(BUILD_DIR, 'src/main.js'))) throw err;
    process.stderr.write(`fault suite: tsc reported errors but emitted the server; running it anyway:\n${(err as { stdout?: string }).stdout ?? ''}\n`);
  }
  const resultsDir = mkdtempSync(join(tmpdir(), 'cradle-faults-results-'));
  project.provide('faultBuildDir', BUILD_DIR);
  project.provide('faultResultsDir', resultsDir);
  return () => {
    const tallies = loadTallies(resultsDir);
    rmSync(resultsDir, { recursive: true, force: true });
    if (tallies.length === 0) return;
    process.stdout.write(`\nFault suite summary (missed, duplicated, unauthorised and acked-but-lost must all be 0):\n\n${renderTallies(tallies)}\n\n`);
  };
}
