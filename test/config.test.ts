import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

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
    const production = { CRADLE_PRODUCTION: 'true', CRADLE_KEK: Buffer.alloc(32, 1).toString('base64') };
    expect(() => loadConfig({ ...production, CRADLE_METRICS_HOST: '0.0.0.0' })).toThrow(/CRADLE_METRICS_TOKEN: required in production when CRADLE_METRICS_HOST is not a loopback address/);
    expect(loadConfig({ ...production, CRADLE_METRICS_HOST: '0.0.0.0', CRADLE_METRICS_TOKEN: 'm'.repeat(32) }).metrics.host).toBe('0.0.0.0');
    expect(loadConfig(production).metrics.host).toBe('127.0.0.1');
  });
});
