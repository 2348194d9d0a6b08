import { nodeVersionProblem, OLD_NODE_EXIT_CODE } from './node-version.js';

/**
 * Imported first by the entry points (`main.ts`, `cli.ts`), so that on an older Node.js they stop
 * with one clear line before any dependency that needs a newer one is loaded.
 */
const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(OLD_NODE_EXIT_CODE);
}
