import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, type Config } from '../../src/config.js';
import { readKekSource } from '../../src/crypto/kek-source.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface ComposeService {
  build?: string;
  image?: string;
  profiles?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

/** The `ENV` settings of the Dockerfile's runtime stage (what every container starts with). */
function runtimeEnvironment(dockerfile: string): Record<string, string> {
  const stage = dockerfile.slice(dockerfile.search(/^FROM .* AS runtime$/m));
  const env: Record<string, string> = {};
  for (const [, body] of stage.replace(/\\\n/g, ' ').matchAll(/^ENV (.+)$/gm)) {
    for (const [, key, value] of body!.matchAll(/([A-Z_]+)=(\S+)/g)) env[key!] = value!;
  }
  return env;
}

/**
 * docker-compose.yml as documented: no Docker engine runs here, so each Cradle service's
 * environment, with the image's `ENV` and its Docker secrets made by `deploy/generate-secrets.sh`
 * (in a temporary directory instead of deploy/secrets/), goes through `loadConfig`.
 */
describe('docker-compose.yml', () => {
  const secretsDir = join(mkdtempSync(join(tmpdir(), 'cradle-compose-')), 'secrets');
  afterAll(() => rmSync(join(secretsDir, '..'), { recursive: true, force: true }));
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
  const imageEnv = runtimeEnvironment(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const cradleServices = Object.entries(compose.services).filter(([, s]) => s.build === '.');

  /** A service's environment as its container sees it, `/run/secrets/<name>` pointing at the generated file. */
  function containerEnv(name: string, service: ComposeService): Record<string, string> {
    const env: Record<string, string> = { ...imageEnv, ...service.environment };
    for (const [key, value] of Object.entries(env)) {
      const mounted = /^\/run\/secrets\/(.+)$/.exec(value);
      if (!mounted) continue;
      const secret = mounted[1]!;
      expect(service.secrets, `${name} mounts the secret ${secret} that ${key} names`).toContain(secret);
      expect(compose.secrets[secret]?.file).toBe(`./deploy/secrets/${secret}`);
      env[key] = join(secretsDir, basename(compose.secrets[secret]!.file));
    }
    return env;
  }

  it('configures every Cradle container in production with its secrets from Docker secrets made by deploy/generate-secrets.sh', () => {
    execFileSync('sh', [join(ROOT, 'deploy/generate-secrets.sh'), secretsDir], { stdio: 'ignore' });
    expect(imageEnv['NODE_ENV']).toBe('production');
    const configs: Array<Readonly<Config>> = [];
    for (const [name, service] of cradleServices) {
      for (const plain of ['CRADLE_TOKEN_SECRET', 'CRADLE_KEK', 'CRADLE_AUDIT_CHECKPOINT_KEY', 'DATABASE_URL']) {
        expect(service.environment?.[plain], `${name} takes ${plain} from a secret file`).toBeUndefined();
      }
      const config = loadConfig(containerEnv(name, service));
      expect(config.production).toBe(true);
      expect(config.demoSeed).toBe(false);
      expect(config.database).toMatchObject({ kind: 'postgres', url: expect.stringMatching(/^postgres:\/\/cradle:[0-9a-f]{48}@postgres:5432\/cradle$/) });
      expect(config.bus).toMatchObject({ kind: 'redis', url: 'redis://redis:6379' });
      expect(readKekSource(config.fieldEncryption.kek!)).toHaveLength(32);
      const [volume, target] = (service.volumes ?? []).find((v) => v.startsWith('auditcheckpoints:'))!.split(':') as [string, string];
      expect(compose.volumes).toHaveProperty(volume);
      expect(config.auditCheckpoint.file!.startsWith(`${target}/`)).toBe(true);
      configs.push(config);
    }
    const shared = (c: Readonly<Config>) => ({
      tokenSecret: c.tokenSecret,
      checkpointKey: c.auditCheckpoint.key,
      checkpointFile: c.auditCheckpoint.file,
      kek: c.fieldEncryption.kek,
      database: c.database,
    });
    for (const config of configs) expect(shared(config)).toEqual(shared(configs[0]!));
    expect(configs[0]!.auditCheckpoint.key).not.toBe(configs[0]!.tokenSecret);
    expect(cradleServices.map(([name]) => name).sort()).toEqual(['cradle', 'cradle-1', 'cradle-2']);
  });

  it('gives PostgreSQL the password in the database URL, from a secret', () => {
    const postgres = compose.services['postgres']!;
    expect(postgres.environment?.['POSTGRES_PASSWORD']).toBeUndefined();
    expect(postgres.environment?.['POSTGRES_PASSWORD_FILE']).toBe('/run/secrets/postgres_password');
    expect(postgres.secrets).toContain('postgres_password');
    const password = readFileSync(join(secretsDir, 'postgres_password'), 'utf8').trim();
    expect(readFileSync(join(secretsDir, 'cradle_database_url'), 'utf8').trim()).toBe(`postgres://cradle:${password}@postgres:5432/cradle`);
  });

  it('offers the command line as a one-shot service for the bootstrap (docker compose run --rm cradle tenant:create …)', () => {
    const cli = compose.services['cradle']!;
    expect(cli.profiles).toEqual(['tools']);
    expect(cli.entrypoint).toEqual(['node', '--enable-source-maps', 'dist/src/cli.js']);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['cradle']).toContain(`node --enable-source-maps ${cli.entrypoint!.at(-1)}`);
  });
});
