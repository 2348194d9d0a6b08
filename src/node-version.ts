/**
 * The Node.js release Cradle runs on. Its dependencies decide it (MikroORM 7 and kysely declare
 * Node 22.17, `@graphql-tools/utils` 22.18), and `package.json`'s `engines`, `.nvmrc`, the
 * Dockerfile's base image, the README and `docs/development.md` name the same; `test/node-version.test.ts` holds them to
 * it and fails when a dependency asks for more.
 */
export const MINIMUM_NODE = '22.18.0';

/** The exit code of a start on an older Node.js: 78 (EX_CONFIG), as for a configuration problem. */
export const OLD_NODE_EXIT_CODE = 78;

function parts(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  return [major, minor, patch];
}

/** Why `version` (as in `process.versions.node`) cannot run Cradle, or null if it can. */
export function nodeVersionProblem(version: string, minimum: string = MINIMUM_NODE): string | null {
  const have = parts(version);
  const need = parts(minimum);
  for (let i = 0; i < 3; i += 1) {
    if (have[i]! > need[i]!) return null;
    if (have[i]! < need[i]!) {
      return `Cradle needs Node.js ${minimum} or later; this is Node.js ${version.replace(/^v/, '')}. Install Node.js 22 (see .nvmrc) and run npm install again.`;
    }
  }
  return null;
}
