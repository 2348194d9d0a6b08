import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { bearerToken } from '../../src/auth/tokens.js';
import { readBody, respondWithApollo } from './apollo-http.js';
import { DocumentCache, resultKeyOf, sharedResultSubscribe } from './expert-execution.js';
import { PatientFanout, type PatientBus } from './expert-fanout.js';
import { buildExpertSchema, type ExpertContext } from './expert-schema.js';
import type { ExpertStore, ExpertViewer } from './expert-store.js';

/** Verifies an access token in memory (Cradle's `AccessTokenIssuer` in the bench: same key, claims and lifetime cap). */
export interface TokenVerifier {
  /** The token's actor (with its expiry, when the token has one), or null when it does not verify. */
  verify(token: string): Promise<{ userId: string; tenantId: string; role: string; expiresAt?: Date } | null>;
}

/** What B3 is started with. */
export interface ExpertServerOptions {
  readonly store: ExpertStore;
  readonly bus: PatientBus;
  readonly tokens: TokenVerifier;
  /** Prefix of every channel name. */
  readonly channelPrefix: string;
  readonly host?: string;
  /** 0 (the default): a free port, read back from the socket. */
  readonly port?: number;
}

/** A running B3. */
export interface RunningExpertServer {
  readonly port: number;
  /** Open subscriptions. */
  readonly live: { readonly count: number };
  /** Closes sockets, the HTTP server, Apollo, the bus and the store. */
  close(): Promise<void>;
}

/**
 * Starts B3, the expert baseline: Apollo Server 5 for queries and mutations on a bare Node HTTP
 * server, graphql-ws `useServer` on `ws` for subscriptions on the same port and path. The token is
 * verified in memory (no session or user row); each subscribe and each mutation makes one indexed
 * care-team lookup ({@link ExpertStore}). Subscribe documents are parsed and validated once per
 * distinct text, and an event's result is executed once per distinct operation.
 */
export async function startExpertServer(options: ExpertServerOptions): Promise<RunningExpertServer> {
  const live = { count: 0 };
  const fanout = new PatientFanout(options.bus, options.channelPrefix);
  const schema = buildExpertSchema({ store: options.store, fanout, live });
  const documents = new DocumentCache(schema);
  const viewerOf = async (header: unknown): Promise<ExpertViewer | null> => {
    const token = bearerToken(header);
    const actor = token ? await options.tokens.verify(token) : null;
    return actor ? { userId: actor.userId, tenantId: actor.tenantId, role: actor.role } : null;
  };

  // No cache-control plugin: its per-field hooks cost every request and nothing here is cacheable.
  const apollo = new ApolloServer<ExpertContext>({
    schema,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.method === 'POST' ? await readBody(req) : '';
    const at = req.url?.indexOf('?') ?? -1;
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('The body is not JSON.');
      return;
    }
    await respondWithApollo(apollo, req, res, {
      search: at >= 0 ? req.url!.slice(at) : '',
      body,
      context: async () => ({ viewer: await viewerOf(req.headers.authorization) }),
    });
  };
  const httpServer = createHttpServer((req, res) => {
    if (!req.url?.startsWith('/graphql')) {
      res.writeHead(404).end();
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', perMessageDeflate: false });
  type Extra = { viewer?: ExpertViewer };
  const disposable = useServer<Record<string, unknown>, Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const viewer = await viewerOf(ctx.connectionParams?.['authorization']);
        if (!viewer) return false;
        ctx.extra.viewer = viewer;
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        const document = documents.prepare(payload.query);
        if (Array.isArray(document)) return document as readonly GraphQLError[];
        const contextValue: ExpertContext = {
          viewer: ctx.extra.viewer ?? null,
          resultKey: resultKeyOf(payload.query, payload.operationName, payload.variables),
        };
        return { schema, document: document as Exclude<typeof document, readonly GraphQLError[]>, operationName: payload.operationName ?? null, variableValues: payload.variables ?? null, contextValue };
      },
      subscribe: sharedResultSubscribe,
    },
    wsServer,
  );

  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  return {
    port: (httpServer.address() as AddressInfo).port,
    live,
    async close() {
      for (const client of wsServer.clients) client.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await apollo.stop();
      await options.bus.close();
      await options.store.close();
    },
  };
}
