import { readFileSync } from 'node:fs';

/**
 * The published signing secret of the development default (`npm start` with nothing set). Anyone
 * can sign tokens with it, so it is used only outside production, and refused in production.
 */
export const DEMO_TOKEN_SECRET = 'cradle-embedded-demo-only-token-secret-not-for-production';

/**
 * The published key signing audit checkpoints in development, when `CRADLE_AUDIT_CHECKPOINT_KEY` is
 * unset. It is independent of the token secret (no key is derived from another) and refused in production.
 */
export const DEMO_AUDIT_CHECKPOINT_KEY = 'cradle-development-only-audit-checkpoint-key-not-for-production';

/**
 * Settings that may instead be read from a file named by `<NAME>_FILE` (a Docker or Kubernetes
 * secret such as `/run/secrets/cradle_token_secret`), because they hold a secret. `CRADLE_KEK_FILE`
 * and `CRADLE_VAULT_TOKEN_FILE` are not here: `src/crypto` reads those files itself.
 */
export const FILE_SETTINGS = ['CRADLE_TOKEN_SECRET', 'CRADLE_AUDIT_CHECKPOINT_KEY', 'CRADLE_KEK_PREVIOUS', 'DATABASE_URL', 'REDIS_URL'] as const;

/** The fewest distinct characters a production secret may have (`openssl rand -hex 32` gives 16). */
const MIN_DISTINCT_CHARACTERS = 10;

/** An environment whose `<NAME>_FILE` settings were replaced by the files' contents. */
export interface ResolvedSecrets {
  /** The environment with each `<NAME>_FILE` read into `<NAME>` (and the `_FILE` entry removed). */
  readonly env: Record<string, string>;
  /** The settings whose value came from a file, to name the file in messages. */
  readonly fromFile: ReadonlySet<string>;
  /** Files that could not be read, or a setting given both ways. */
  readonly problems: readonly string[];
}

/**
 * Reads every `<NAME>_FILE` of {@link FILE_SETTINGS} into `<NAME>`: the file's text without
 * surrounding whitespace (the newline `openssl … > file` leaves). The file's content is never quoted
 * in a problem.
 */
export function resolveSecretFiles(defined: Readonly<Record<string, string>>): ResolvedSecrets {
  const env: Record<string, string> = { ...defined };
  const fromFile = new Set<string>();
  const problems: string[] = [];
  for (const name of FILE_SETTINGS) {
    const path = env[`${name}_FILE`];
    if (path === undefined) continue;
    delete env[`${name}_FILE`];
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    if (text === '') {
      problems.push(`${name}_FILE: ${path} is empty`);
      continue;
    }
    env[name] = text;
    fromFile.add(name);
  }
  return { env, fromFile, problems };
}

/**
 * Whether the deployment must bring its own secrets: `CRADLE_PRODUCTION=true` or
 * `NODE_ENV=production` (whatever `CRADLE_PRODUCTION` says then: turning it off only brings back
 * introspection and suggestions, never the demo secrets).
 */
export function secretsRequired(env: Readonly<Record<string, string>>): boolean {
  return ['true', '1', 'yes'].includes(env['CRADLE_PRODUCTION'] ?? '') || env['NODE_ENV'] === 'production';
}

/** Whether a secret is too uniform to be random (such as `x` repeated). */
function looksGuessable(secret: string): boolean {
  return new Set(secret).size < MIN_DISTINCT_CHARACTERS;
}

/**
 * What production refuses about secrets: a missing, demo or guessable `CRADLE_TOKEN_SECRET` or
 * `CRADLE_AUDIT_CHECKPOINT_KEY`, a missing KEK (unless Vault holds it) and the demo tenant. Outside
 * production only a checkpoint key equal to the token secret is refused. Reads the raw settings, so
 * it reports alongside settings that did not parse.
 */
export function productionSecretProblems(env: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const token = env['CRADLE_TOKEN_SECRET'];
  const checkpointKey = env['CRADLE_AUDIT_CHECKPOINT_KEY'];
  if (token !== undefined && checkpointKey === token) {
    problems.push('CRADLE_AUDIT_CHECKPOINT_KEY: must differ from CRADLE_TOKEN_SECRET (a leaked token secret must not let anyone re-sign checkpoints)');
  }
  if (!secretsRequired(env)) return problems;
  if (token === undefined) {
    problems.push('CRADLE_TOKEN_SECRET: required in production (or CRADLE_TOKEN_SECRET_FILE); generate one with `openssl rand -hex 32`');
  } else if (token === DEMO_TOKEN_SECRET || looksGuessable(token)) {
    problems.push('CRADLE_TOKEN_SECRET: must be a random secret in production, not the published demo secret or a repeated string; generate one with `openssl rand -hex 32`');
  }
  if (checkpointKey === undefined) {
    problems.push('CRADLE_AUDIT_CHECKPOINT_KEY: required in production (or CRADLE_AUDIT_CHECKPOINT_KEY_FILE), a secret of its own; generate one with `openssl rand -hex 32`');
  } else if (checkpointKey === DEMO_AUDIT_CHECKPOINT_KEY || looksGuessable(checkpointKey)) {
    problems.push('CRADLE_AUDIT_CHECKPOINT_KEY: must be a random secret in production, not the published development key or a repeated string; generate one with `openssl rand -hex 32`');
  }
  if (env['CRADLE_KEK'] === undefined && env['CRADLE_KEK_FILE'] === undefined && env['CRADLE_KMS'] !== 'vault-transit') {
    problems.push('CRADLE_KEK: required in production (or CRADLE_KEK_FILE, or CRADLE_KMS=vault-transit); generate one with `openssl rand -base64 32`');
  }
  if (['true', '1', 'yes'].includes(env['CRADLE_DEMO_SEED'] ?? '')) {
    problems.push('CRADLE_DEMO_SEED: the demo tenant (published passwords, an ADMIN among them) is refused in production; create a tenant with `cradle tenant:create`');
  }
  return problems;
}
