/**
 * The bridge between a bare Node HTTP server and Apollo Server 5's `executeHTTPGraphQLRequest`,
 * shared by the textbook (B1, B2) and expert (B3) baselines so both pay the same adapter cost.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/** The request body as text (the whole stream). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What {@link respondWithApollo} hands Apollo besides the request's method and headers. */
export interface ApolloHttpRequest<TContext extends BaseContext> {
  /** The query string, with its leading `?`, or ''. */
  readonly search: string;
  /** The parsed JSON body, or undefined for none. */
  readonly body: unknown;
  readonly context: () => Promise<TContext>;
}

/** Runs one HTTP request through Apollo and writes its status, headers and (possibly streamed) body. */
export async function respondWithApollo<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  request: ApolloHttpRequest<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: request.search, body: request.body },
    context: request.context,
  });
  const out: Record<string, string> = {};
  for (const [key, value] of response.headers) out[key] = value;
  res.writeHead(response.status ?? 200, out);
  if (response.body.kind === 'complete') res.end(response.body.string);
  else {
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}
