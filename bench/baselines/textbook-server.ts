/**
 * Bench entry for the textbook stack (B1, B2): Apollo Server 5 over a bare Node HTTP server,
 * graphql-ws `useServer` on the same port, `graphql-redis-subscriptions` `RedisPubSub` on the same
 * Redis, MikroORM with Cradle's entities on the same PostgreSQL. `BENCH_TOPIC_MODE=global` (B1:
 * one topic + `withFilter`) or `patient` (B2: one topic per patient). Authorisation the way a
 * textbook team writes it: token → user row → care-team lookup. Started by the driver.
 */
import 'reflect-metadata';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { AccessTokenIssuer, bearerToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { User } from '../../src/db/entities/index.js';
import { openDatabase } from '../../src/db/orm.js';
import { installProbe } from '../lib/probe.js';
import { readBody, respondWithApollo } from './apollo-http.js';
import { buildTextbookSchema, type TextbookContext, type TopicMode, type Viewer } from './textbook-schema.js';

const live = { count: 0 };
const probe = installProbe(() => live.count);
const config = loadConfig(process.env);
const redisUrl = process.env['REDIS_URL'];
if (!redisUrl || config.database.kind !== 'postgres') throw new Error('The textbook baseline needs DATABASE_URL and REDIS_URL.');
const prefix = process.env['REDIS_KEY_PREFIX'] ?? '';
const mode: TopicMode = process.env['BENCH_TOPIC_MODE'] === 'patient' ? 'patient' : 'global';

const database = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true });
const orm = database.orm;
const tokens = new AccessTokenIssuer(config.tokenKeyId, { [config.tokenKeyId]: config.tokenSecret }, config.accessTokenTtlSeconds);
const pubsub = new RedisPubSub({ publisher: new Redis(redisUrl), subscriber: new Redis(redisUrl) });

/** Token → user: verify the JWT, then load the user row (one query per request or connection). */
async function viewerOf(header: unknown): Promise<Viewer | null> {
  const token = bearerToken(header);
  const actor = token ? await tokens.verify(token) : null;
  if (!actor) return null;
  const user = await orm.em.fork().findOne(User, { id: actor.userId, disabledAt: null }, { fields: ['id', 'tenantId', 'role'] });
  return user ? { id: user.id, tenantId: user.tenantId, role: user.role as string } : null;
}

const schema = buildTextbookSchema(orm, pubsub, mode, prefix, live);
const apollo = new ApolloServer<TextbookContext>({ schema });
await apollo.start();

const httpServer = createHttpServer((req, res) => {
  void (async () => {
    const raw = req.method === 'POST' ? await readBody(req) : '';
    const url = new URL(req.url ?? '/', 'http://localhost');
    await respondWithApollo(apollo, req, res, {
      search: url.search,
      body: raw ? JSON.parse(raw) : undefined,
      context: async () => ({ viewer: await viewerOf(req.headers.authorization) }),
    });
  })().catch(() => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
type Extra = { viewer?: Viewer | null };
const disposable = useServer<Record<string, unknown>, Extra>(
  {
    schema,
    onConnect: async (ctx) => {
      ctx.extra.viewer = await viewerOf(ctx.connectionParams?.['authorization']);
      return ctx.extra.viewer !== null;
    },
    context: (ctx): TextbookContext => ({ viewer: ctx.extra.viewer ?? null }),
  },
  wsServer,
);

await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
probe.ready((httpServer.address() as AddressInfo).port);
process.on('SIGTERM', () => {
  void (async () => {
    for (const client of wsServer.clients) client.terminate();
    await disposable.dispose();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await apollo.stop();
    await pubsub.close();
    await database.close();
  })().finally(() => process.exit(0));
});
