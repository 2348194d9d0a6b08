// Builds the web app (`npm run build:app`) when dist/app is missing or older than anything it is
// built from (app/, schema.graphql, package-lock.json), so `npm start` on an unchanged checkout
// does not rebuild it. Exits with the build's status.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const built = join(root, 'dist', 'app', 'index.html');
const generated = join(root, 'app', 'src', 'graphql');

function newest(path) {
  if (path === generated) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const sources = [join(root, 'app'), join(root, 'schema.graphql'), join(root, 'package-lock.json')];
if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest))) process.exit(0);
const result = spawnSync('npm', ['run', '--silent', 'build:app'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
