import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { RequestContext } from '../context.js';
import { BodyTooLargeError, readBody } from './read-body.js';

/** Writes a GraphQL-shaped error response for a request that never reached GraphQL. */
export function sendRequestError(res: ServerResponse, status: number, message: string, code: string, field: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, field } }] }));
}

/**
 * Serves `POST /graphql` (and `GET` for queries) through Apollo's framework-free entry point, so
 * HTTP and WebSockets share one Node server and port. The body is parsed here: malformed JSON and
 * oversize bodies get a GraphQL-shaped BAD_USER_INPUT error naming `body`.
 */
export async function serveGraphQL(
  apollo: ApolloServer<RequestContext>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  maxBodyBytes: number,
  requestId: string,
  buildContext: () => Promise<RequestContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = undefined;
  if (req.method === 'POST') {
    let raw: string;
    try {
      raw = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        sendRequestError(res, 413, `The request body is larger than ${maxBodyBytes} bytes.`, 'BAD_USER_INPUT', 'body', requestId);
        return;
      }
      throw err;
    }
    if ((headers.get('content-type') ?? '').includes('json')) {
      try {
        body = raw.length === 0 ? {} : JSON.parse(raw);
      } catch {
        sendRequestError(res, 400, 'The request body is not valid JSON.', 'BAD_USER_INPUT', 'body', requestId);
        return;
      }
    } else {
      body = raw;
    }
  }
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: buildContext,
  });
  const outHeaders: Record<string, string> = { 'x-request-id': requestId };
  for (const [key, value] of response.headers) outHeaders[key] = value;
  res.writeHead(response.status ?? 200, outHeaders);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
