import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EXPLORER_HTML, EXPLORER_SCRIPT, EXPLORER_STYLESHEET, explorerContentSecurityPolicy } from './explorer-page.js';

/** One file the explorer serves, held in memory. */
interface ExplorerAsset {
  readonly contentType: string;
  readonly body: Buffer;
  readonly etag: string;
}

/** Where each served asset comes from: an npm package and a file inside it (their UMD builds). */
const PACKAGE_ASSETS: Readonly<Record<string, { readonly packageName: string; readonly file: string }>> = {
  'react.production.min.js': { packageName: 'react', file: 'umd/react.production.min.js' },
  'react-dom.production.min.js': { packageName: 'react-dom', file: 'umd/react-dom.production.min.js' },
  'graphql-ws.min.js': { packageName: 'graphql-ws', file: 'umd/graphql-ws.min.js' },
  'graphiql.min.js': { packageName: 'graphiql', file: 'graphiql.min.js' },
  'graphiql.min.css': { packageName: 'graphiql', file: 'graphiql.min.css' },
};

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** Headers every explorer response carries: no sniffing, no embedding by other sites, no referrer. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
} as const;

function asset(contentType: string, body: Buffer): ExplorerAsset {
  return { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * The self-hosted GraphiQL explorer: an HTML page and the files it loads, all from this server (the
 * UMD builds of graphiql, React and graphql-ws from `node_modules`), under a strict
 * Content-Security-Policy. Sends nothing anywhere but this server: GraphiQL has no telemetry and
 * the policy would block any other host. Enabled by `CRADLE_EXPLORER` (see `Config.explorer`).
 */
export class Explorer {
  private constructor(private readonly assets: ReadonlyMap<string, ExplorerAsset>) {}

  /** Reads the explorer's files into memory (about 1.5 MB); fails naming a file that is missing. */
  static async load(): Promise<Explorer> {
    const require = createRequire(import.meta.url);
    const assets = new Map<string, ExplorerAsset>();
    for (const [name, source] of Object.entries(PACKAGE_ASSETS)) {
      const path = join(dirname(require.resolve(`${source.packageName}/package.json`)), source.file);
      assets.set(name, asset(name.endsWith('.css') ? CSS : JAVASCRIPT, await readFile(path)));
    }
    assets.set('explorer.js', asset(JAVASCRIPT, Buffer.from(EXPLORER_SCRIPT)));
    assets.set('explorer.css', asset(CSS, Buffer.from(EXPLORER_STYLESHEET)));
    return new Explorer(assets);
  }

  /** Writes the explorer's page, under its Content-Security-Policy, forbidding framing. */
  servePage(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': explorerContentSecurityPolicy(req.headers.host),
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : EXPLORER_HTML);
  }

  /**
   * Writes the asset named `name` (the part of the path after `/explorer/`) and returns true, or
   * returns false, writing nothing, when there is no such asset. Revalidated by ETag on every use.
   */
  serveAsset(name: string, req: IncomingMessage, res: ServerResponse): boolean {
    const found = this.assets.get(name);
    if (!found) return false;
    const headers = { ...COMMON_HEADERS, 'content-type': found.contentType, etag: found.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === found.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': String(found.body.length) });
    res.end(req.method === 'HEAD' ? undefined : found.body);
    return true;
  }
}

/**
 * Whether a request to `/graphql` is a browser asking for a page (a `GET` or `HEAD` that accepts
 * `text/html`, with no `query` parameter) rather than a GraphQL request.
 */
export function wantsExplorerPage(req: IncomingMessage, url: URL): boolean {
  const method = req.method ?? 'GET';
  return (method === 'GET' || method === 'HEAD') && (req.headers.accept ?? '').includes('text/html') && !url.searchParams.has('query');
}
