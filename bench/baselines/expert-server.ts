/**
 * Bench entry for the expert baseline (B3, `expert-app.ts`): node-postgres on DATABASE_URL, one
 * Redis channel per patient on REDIS_URL under REDIS_KEY_PREFIX, tokens verified with Cradle's key
 * (CRADLE_TOKEN_SECRET) and lifetime (a verified token is remembered until it expires), status data sealed under a key derived from CRADLE_KEK.
 * Started by the driver.
 */
import { AccessTokenIssuer } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { installProbe } from '../lib/probe.js';
import { startExpertServer, type RunningExpertServer } from './expert-app.js';
import { RedisPatientBus } from './expert-redis-bus.js';
import { VerifiedTokenCache } from './expert-token-cache.js';
import { ExpertStore, pgStatementRunner } from './expert-store.js';

let server: RunningExpertServer | null = null;
const probe = installProbe(() => server?.live.count ?? 0);
const config = loadConfig(process.env);
const redisUrl = process.env['REDIS_URL'];
const kek = process.env['CRADLE_KEK'];
if (!redisUrl || !kek || config.database.kind !== 'postgres') throw new Error('The expert baseline needs DATABASE_URL, REDIS_URL and CRADLE_KEK.');

server = await startExpertServer({
  store: new ExpertStore(pgStatementRunner(config.database.url), kek),
  bus: new RedisPatientBus(redisUrl),
  tokens: new VerifiedTokenCache(new AccessTokenIssuer(config.tokenKeyId, { [config.tokenKeyId]: config.tokenSecret }, config.accessTokenTtlSeconds)),
  channelPrefix: process.env['REDIS_KEY_PREFIX'] ?? '',
});
probe.ready(server.port);
process.on('SIGTERM', () => {
  server!.close().finally(() => process.exit(0));
});
