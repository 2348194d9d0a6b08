import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEMO_AUDIT_CHECKPOINT_KEY, DEMO_TOKEN_SECRET } from '../src/config-secrets.js';
import { configProblems } from './helpers/config-problems.js';

/** The secrets production needs, each random. */
const productionSecrets = () => ({
  CRADLE_TOKEN_SECRET: randomBytes(32).toString('hex'),
  CRADLE_KEK: randomBytes(32).toString('base64'),
  CRADLE_AUDIT_CHECKPOINT_KEY: randomBytes(32).toString('hex'),
});

describe('loadConfig', () => {
  it('defaults to the embedded database, the in-process bus, port 4000 and the demo seed', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './.cradle' });
    expect(config.bus).toEqual({ kind: 'memory' });
    expect(config.demoSeed).toBe(true);
  });

  it('defaults the access-model clocks to what the access model promises: 15-minute tokens, 30-minute idle logoff, 4-hour break-glass', () => {
    const config = loadConfig({});
    expect(config.accessTokenTtlSeconds).toBe(15 * 60);
    expect(config.sessionIdleMinutes).toBe(30);
    expect(config.emergencyAccessMinutes).toBe(4 * 60);
    expect(loadConfig({ CRADLE_SESSION_IDLE_MINUTES: '10' }).sessionIdleMinutes).toBe(10);
  });

  it('uses PostgreSQL and Redis when their URLs are set, without seeding the demo', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379', CRADLE_TOKEN_SECRET: 'x'.repeat(32) });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db', timeouts: { connectMs: 5000, statementMs: 30_000 } });
    expect(config.bus).toEqual({ kind: 'redis', url: 'redis://h:6379', keyPrefix: 'cradle:' });
    expect(config.demoSeed).toBe(false);
  });

  it('reports every invalid setting at once, naming each variable', () => {
    try {
      loadConfig({ PORT: '99999', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^DATABASE_URL: /m);
      expect(problems).toMatch(/^LOG_LEVEL: /m);
    }
  });

  it('takes the PostgreSQL connect and statement timeouts from the environment, 0 turning the statement limit off', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h/db',
      CRADLE_TOKEN_SECRET: 'x'.repeat(32),
      CRADLE_DB_CONNECT_TIMEOUT_MS: '1500',
      CRADLE_DB_STATEMENT_TIMEOUT_MS: '0',
    });
    expect(config.database).toMatchObject({ kind: 'postgres', timeouts: { connectMs: 1500, statementMs: 0 } });
    expect(() => loadConfig({ CRADLE_DB_CONNECT_TIMEOUT_MS: '0' })).toThrow(/CRADLE_DB_CONNECT_TIMEOUT_MS: must be at least 100/);
  });

  it('requires a token secret with a real database', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db' })).toThrow(/CRADLE_TOKEN_SECRET: required/);
  });

  it('refuses production on the embedded database without secrets, naming every missing one at once', () => {
    const modes: Array<Record<string, string>> = [{ NODE_ENV: 'production' }, { CRADLE_PRODUCTION: 'true' }, { NODE_ENV: 'production', CRADLE_PRODUCTION: 'false' }];
    for (const mode of modes) {
      expect(configProblems(mode).map((p) => p.split(':')[0])).toEqual(['CRADLE_TOKEN_SECRET', 'CRADLE_AUDIT_CHECKPOINT_KEY', 'CRADLE_KEK']);
    }
    expect(configProblems({ NODE_ENV: 'production', ...productionSecrets() })).toEqual([]);
  });

  it('reports missing production secrets together with settings that do not parse', () => {
    const problems = configProblems({ NODE_ENV: 'production', PORT: 'x', CRADLE_TOKEN_SECRET: 'short' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'CRADLE_TOKEN_SECRET', 'CRADLE_AUDIT_CHECKPOINT_KEY', 'CRADLE_KEK']);
    expect(problems[1]).toBe('CRADLE_TOKEN_SECRET: must be at least 32 characters');
  });

  it('seeds no demo tenant in production and refuses CRADLE_DEMO_SEED=true there, on either backend', () => {
    expect(loadConfig({ NODE_ENV: 'production', ...productionSecrets() }).demoSeed).toBe(false);
    expect(configProblems({ NODE_ENV: 'production', CRADLE_DEMO_SEED: 'true', ...productionSecrets() })).toEqual([
      'CRADLE_DEMO_SEED: the demo tenant (published passwords, an ADMIN among them) is refused in production; create a tenant with `cradle tenant:create`',
    ]);
    expect(configProblems({ CRADLE_PRODUCTION: 'true', DATABASE_URL: 'postgres://u@h/db', CRADLE_DEMO_SEED: 'yes', ...productionSecrets() }).map((p) => p.split(':')[0])).toEqual(['CRADLE_DEMO_SEED']);
    expect(configProblems({ CRADLE_PRODUCTION: 'true', DATABASE_URL: 'postgres://u@h/db' }).map((p) => p.split(':')[0])).toEqual(['CRADLE_TOKEN_SECRET', 'CRADLE_AUDIT_CHECKPOINT_KEY', 'CRADLE_KEK']);
    expect(loadConfig({ NODE_ENV: 'production', CRADLE_DEMO_SEED: 'false', ...productionSecrets() }).demoSeed).toBe(false);
  });

  it('refuses the published demo secrets and repeated strings as production secrets, and a checkpoint key equal to the token secret anywhere', () => {
    const secrets = productionSecrets();
    expect(configProblems({ NODE_ENV: 'production', ...secrets, CRADLE_TOKEN_SECRET: DEMO_TOKEN_SECRET }).map((p) => p.split(':')[0])).toEqual(['CRADLE_TOKEN_SECRET']);
    expect(configProblems({ NODE_ENV: 'production', ...secrets, CRADLE_TOKEN_SECRET: 'x'.repeat(64) }).map((p) => p.split(':')[0])).toEqual(['CRADLE_TOKEN_SECRET']);
    expect(configProblems({ NODE_ENV: 'production', ...secrets, CRADLE_AUDIT_CHECKPOINT_KEY: DEMO_AUDIT_CHECKPOINT_KEY }).map((p) => p.split(':')[0])).toEqual(['CRADLE_AUDIT_CHECKPOINT_KEY']);
    expect(configProblems({ NODE_ENV: 'production', ...secrets, CRADLE_AUDIT_CHECKPOINT_KEY: secrets.CRADLE_TOKEN_SECRET })).toEqual([
      'CRADLE_AUDIT_CHECKPOINT_KEY: must differ from CRADLE_TOKEN_SECRET (a leaked token secret must not let anyone re-sign checkpoints)',
    ]);
    expect(configProblems({ CRADLE_TOKEN_SECRET: 'y'.repeat(40), CRADLE_AUDIT_CHECKPOINT_KEY: 'y'.repeat(40) }).map((p) => p.split(':')[0])).toEqual(['CRADLE_AUDIT_CHECKPOINT_KEY']);
  });

  it('keeps the development default: the demo tenant and the published demo secrets with nothing set', () => {
    const config = loadConfig({});
    expect(config.demoSeed).toBe(true);
    expect(config.tokenSecret).toBe(DEMO_TOKEN_SECRET);
    expect(config.auditCheckpoint.key).toBe(DEMO_AUDIT_CHECKPOINT_KEY);
    expect(config.production).toBe(false);
  });

  it('never derives the checkpoint key from the token secret', () => {
    const tokenSecret = randomBytes(32).toString('hex');
    const derived = createHmac('sha256', tokenSecret).update('cradle-audit-checkpoint').digest('hex');
    expect(loadConfig({ CRADLE_TOKEN_SECRET: tokenSecret }).auditCheckpoint.key).not.toBe(derived);
    const own = randomBytes(32).toString('hex');
    expect(loadConfig({ CRADLE_TOKEN_SECRET: tokenSecret, CRADLE_AUDIT_CHECKPOINT_KEY: own }).auditCheckpoint.key).toBe(own);
  });

  it('serves the explorer in development and not in production, unless CRADLE_EXPLORER says otherwise', () => {
    expect(loadConfig({}).explorer).toBe(true);
    expect(loadConfig({ CRADLE_PRODUCTION: 'false' }).explorer).toBe(true);
    for (const production of [{ NODE_ENV: 'production' }, { CRADLE_PRODUCTION: 'true' }, { NODE_ENV: 'production', CRADLE_PRODUCTION: 'false' }]) {
      expect({ production, explorer: loadConfig({ ...production, ...productionSecrets() }).explorer }).toEqual({ production, explorer: false });
      expect(loadConfig({ ...production, ...productionSecrets(), CRADLE_EXPLORER: 'true' }).explorer).toBe(true);
    }
    expect(loadConfig({ CRADLE_EXPLORER: 'false' }).explorer).toBe(false);
    expect(configProblems({ CRADLE_EXPLORER: 'sometimes' })).toEqual([expect.stringMatching(/^CRADLE_EXPLORER: /)]);
  });

  it('takes the checkpoint hook and its timeout from the environment', () => {
    expect(loadConfig({}).auditCheckpoint).toMatchObject({ hook: null, hookTimeoutMs: 30_000 });
    expect(loadConfig({ CRADLE_AUDIT_CHECKPOINT_HOOK: 'cat >> /tmp/x', CRADLE_AUDIT_CHECKPOINT_HOOK_TIMEOUT_MS: '5000' }).auditCheckpoint).toMatchObject({ hook: 'cat >> /tmp/x', hookTimeoutMs: 5000 });
  });

  it('caps each WebSocket connection at 50 subscriptions and 10 queries or mutations in flight by default, each configurable', () => {
    expect(loadConfig({}).wsLimits).toEqual({ maxSubscriptions: 50, maxInFlightOperations: 10 });
    expect(loadConfig({ CRADLE_WS_MAX_SUBSCRIPTIONS: '3', CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS: '2' }).wsLimits).toEqual({ maxSubscriptions: 3, maxInFlightOperations: 2 });
    expect(() => loadConfig({ CRADLE_WS_MAX_SUBSCRIPTIONS: '0', CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS: 'many' })).toThrow(
      /CRADLE_WS_MAX_SUBSCRIPTIONS: must be at least 1[\s\S]*CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS: must be a whole number/,
    );
  });

  it('serves metrics on a loopback listener of their own by default, configurable or off', () => {
    expect(loadConfig({}).metrics).toEqual({ port: 9464, host: '127.0.0.1', token: null });
    const token = 'm'.repeat(32);
    expect(loadConfig({ CRADLE_METRICS_PORT: '0', CRADLE_METRICS_HOST: '10.0.0.5', CRADLE_METRICS_TOKEN: token }).metrics).toEqual({ port: 0, host: '10.0.0.5', token });
    expect(loadConfig({ CRADLE_METRICS_PORT: 'off' }).metrics.port).toBeNull();
    expect(() => loadConfig({ CRADLE_METRICS_PORT: 'public' })).toThrow(/CRADLE_METRICS_PORT: must be a port from 0 to 65535, or off/);
    expect(() => loadConfig({ CRADLE_METRICS_TOKEN: 'short' })).toThrow(/CRADLE_METRICS_TOKEN: must be at least 32 characters/);
  });

  it('refuses metrics on the public port, and beyond loopback in production without a token', () => {
    expect(() => loadConfig({ PORT: '8080', CRADLE_METRICS_PORT: '8080' })).toThrow(/CRADLE_METRICS_PORT: must differ from PORT/);
    const production = { CRADLE_PRODUCTION: 'true', ...productionSecrets() };
    expect(() => loadConfig({ ...production, CRADLE_METRICS_HOST: '0.0.0.0' })).toThrow(/CRADLE_METRICS_TOKEN: required in production when CRADLE_METRICS_HOST is not a loopback address/);
    expect(loadConfig({ ...production, CRADLE_METRICS_HOST: '0.0.0.0', CRADLE_METRICS_TOKEN: 'm'.repeat(32) }).metrics.host).toBe('0.0.0.0');
    expect(loadConfig(production).metrics.host).toBe('127.0.0.1');
  });
});
