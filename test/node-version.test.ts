import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import semver from 'semver';
import { beforeAll, describe, expect, it } from 'vitest';
import { MINIMUM_NODE, nodeVersionProblem, OLD_NODE_EXIT_CODE } from '../src/node-version.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('the Node.js version check', () => {
  it('accepts the minimum and anything newer, with or without a leading v', () => {
    for (const version of [MINIMUM_NODE, '22.18.1', '22.23.5', 'v22.23.5', '23.0.0', '24.1.0']) expect({ version, problem: nodeVersionProblem(version) }).toEqual({ version, problem: null });
  });

  it('refuses anything older, naming what it needs and what it found', () => {
    expect(nodeVersionProblem('20.20.2')).toBe(
      'Cradle needs Node.js 22.18.0 or later; this is Node.js 20.20.2. Install Node.js 22 (see .nvmrc) and run npm install again.',
    );
    for (const version of ['22.17.9', '22.0.0', '21.99.99', 'v18.20.0']) expect(nodeVersionProblem(version)).toContain(`this is Node.js ${version.replace(/^v/, '')}.`);
  });
});

/** The minimum is the dependencies' own: everything that names a Node.js version names this one. */
describe('the Node.js version everything names', () => {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const declared = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .map(([path, pkg]) => ({ path, range: !Array.isArray(pkg.engines) ? pkg.engines?.node : undefined }))
    .filter((entry): entry is { path: string; range: string } => typeof entry.range === 'string' && semver.validRange(entry.range) !== null);

  it('satisfies every installed dependency, and is no higher than the most demanding one needs', () => {
    expect(declared.length).toBeGreaterThan(50);
    expect(declared.filter(({ range }) => !semver.satisfies(MINIMUM_NODE, range))).toEqual([]);
    const highest = declared.map(({ range }) => semver.minVersion(range)!.version).sort(semver.rcompare)[0];
    expect(highest).toBe(MINIMUM_NODE);
  });

  it('is what package.json, .nvmrc and the Dockerfile name', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(semver.minVersion(engines)!.version).toBe(MINIMUM_NODE);
    expect(read('.nvmrc').trim()).toBe(String(semver.major(MINIMUM_NODE)));
    const image = /^ARG NODE_IMAGE=node:(\d+)[-.]/m.exec(read('Dockerfile'));
    expect(image?.[1]).toBe(String(semver.major(MINIMUM_NODE)));
    // npm refuses to install on an older Node.js rather than warning and going on.
    expect(read('.npmrc')).toMatch(/^engine-strict=true$/m);
  });

  it('is the Node.js version the README and the development guide tell a newcomer to install', () => {
    const minimum = `${semver.major(MINIMUM_NODE)}.${semver.minor(MINIMUM_NODE)}`;
    for (const path of ['README.md', 'docs/development.md']) {
      const named = [...read(path).matchAll(/Node\.js \**(\d+\.\d+)/g)].map((m) => m[1]);
      expect({ path, named: named.length > 0 && named.every((v) => v === minimum) }).toEqual({ path, named: true });
    }
  });
});

/**
 * The entry points stop at once on an older Node.js. This machine's system Node.js is such a one
 * where it is older than the minimum (CI's is 20); elsewhere there is nothing older to start.
 */
const systemNode = '/usr/bin/node';
const systemVersion = existsSync(systemNode) ? execFileSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() : null;
const older = systemVersion !== null && nodeVersionProblem(systemVersion) !== null;

describe.skipIf(!older)(`the built entry points on Node.js ${systemVersion ?? '(none older here)'}`, () => {
  beforeAll(async () => {
    await run('npm', ['run', '-s', 'build'], { cwd: ROOT, timeout: 300_000 });
  }, 320_000);

  const start = async (node: string, entry: string, args: string[]) => {
    try {
      const { stdout, stderr } = await run(node, [entry, ...args], { cwd: ROOT, env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent' }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it.each(['dist/src/main.js', 'dist/src/cli.js'])('%s refuses to start with one clear line, and runs on this Node.js', async (entry) => {
    const refused = await start(systemNode, entry, ['--help']);
    expect(refused).toEqual({ code: OLD_NODE_EXIT_CODE, stdout: '', stderr: `${nodeVersionProblem(systemVersion!)}\n` });
    if (entry.endsWith('cli.js')) {
      const ran = await start(process.execPath, entry, ['--help']);
      expect(ran.code).toBe(0);
      expect(ran.stderr).toContain('Usage: npm run cradle');
    }
  }, 120_000);
});
