/**
 * The text of the self-hosted GraphiQL explorer: its HTML page, the script that starts GraphiQL, a
 * small stylesheet, and the Content-Security-Policy they are served under. Everything the page loads
 * is under `explorer/` relative to the page, from this server; nothing is inline, so the policy
 * needs no `'unsafe-inline'`.
 */

/** The files the page loads, by the name they are served under (`/explorer/<name>`). */
export const EXPLORER_SCRIPTS = ['react.production.min.js', 'react-dom.production.min.js', 'graphql-ws.min.js', 'graphiql.min.js', 'explorer.js'] as const;

/** The stylesheets the page loads, by the name they are served under (`/explorer/<name>`). */
export const EXPLORER_STYLESHEETS = ['graphiql.min.css', 'explorer.css'] as const;

/** The explorer's HTML page (served at `GET /graphql` to a browser). */
export const EXPLORER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cradle GraphQL explorer</title>
<link rel="icon" href="data:,">
${EXPLORER_STYLESHEETS.map((name) => `<link rel="stylesheet" href="explorer/${name}">`).join('\n')}
</head>
<body>
<div id="graphiql">Loading the explorer…</div>
${EXPLORER_SCRIPTS.map((name) => `<script src="explorer/${name}"></script>`).join('\n')}
</body>
</html>
`;

/** The explorer's first query, saying how to authenticate. */
const DEFAULT_QUERY = [
  '# Cradle GraphQL explorer. Sign in with the login mutation, then put',
  '#   { "Authorization": "Bearer <accessToken>" }',
  '# under Headers below; subscriptions send it on their WebSocket too.',
  '{ __typename }',
  '',
].join('\n');

/**
 * Starts GraphiQL against the page's own URL: queries and mutations over HTTP POST, subscriptions
 * over graphql-ws on the same path. The WebSocket's `connection_init` carries the `Authorization`
 * of the headers editor as last used for an operation, so the token is never stored by the page.
 */
export const EXPLORER_SCRIPT = `(function () {
  'use strict';
  var endpoint = new URL(window.location.pathname, window.location.origin);
  var socketEndpoint = new URL(endpoint.href);
  socketEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  var lastHeaders = {};
  function authorization() {
    for (var key in lastHeaders) {
      if (key.toLowerCase() === 'authorization') return String(lastHeaders[key]);
    }
    return undefined;
  }
  var wsClient = window.graphqlWs.createClient({
    url: socketEndpoint.href,
    lazy: true,
    connectionParams: function () {
      var value = authorization();
      return value ? { authorization: value } : {};
    }
  });
  var fetchGraphQL = window.GraphiQL.createFetcher({ url: endpoint.href, wsClient: wsClient });
  function fetcher(params, options) {
    lastHeaders = (options && options.headers) || {};
    return fetchGraphQL(params, options);
  }
  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(window.React.createElement(window.GraphiQL, { fetcher: fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, defaultEditorToolsVisibility: true }));
})();
`;

/** Gives GraphiQL the whole window. */
export const EXPLORER_STYLESHEET = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
`;

/** A `Host` header that may be written into the policy: a host name or bracketed IPv6 address, and a port. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The page's Content-Security-Policy: scripts, styles, images and fonts from this server only
 * (GraphiQL's fonts and icons are `data:` URLs inside its stylesheet), requests to this server only
 * (`ws:`/`wss:` on the request's host for subscriptions, spelled out for browsers whose `'self'`
 * does not cover WebSockets), no framing, no plugins, no workers, no form posts.
 */
export function explorerContentSecurityPolicy(host: string | undefined): string {
  const sockets = host !== undefined && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "worker-src 'none'",
  ].join('; ');
}
