import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explorerContentSecurityPolicy } from './explorer-page.js';

/** The path the web app is served under. */
export const WEB_APP_PATH = '/app';

/** One built file of the app, held in memory. */
interface WebAppFile {
  readonly contentType: string;
  readonly body: Buffer;
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Headers every app response carries: no sniffing, no embedding by other sites, no referrer. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * The folder `npm run build:app` writes the app to: `dist/app` under the project root (the first
 * folder above this file that holds a `package.json`), whether this runs from `src` or `dist/src`.
 */
export function defaultWebAppDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'app');
}

/**
 * The reference web app, served at `/app` from its built files (read into memory at start): the
 * page for every path under `/app/` that is not a file (the app routes itself), hashed assets
 * cached for a year, the page revalidated by ETag, all under the explorer's same-origin
 * Content-Security-Policy (scripts, styles and sockets of this server only). When the app has not
 * been built, `/app` answers 404 saying how to build it; the API is unaffected.
 */
export class WebApp {
  private constructor(private readonly files: ReadonlyMap<string, WebAppFile> | null) {}

  /** Reads the built app from `dir` (default {@link defaultWebAppDir}); a missing build is not an error. */
  static async load(dir: string = defaultWebAppDir()): Promise<WebApp> {
    if (!existsSync(join(dir, 'index.html'))) return new WebApp(null);
    const files = new Map<string, WebAppFile>();
    for (const path of await listFiles(dir)) {
      const body = await readFile(path);
      const name = relative(dir, path).split(sep).join('/');
      files.set(name, {
        contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      });
    }
    return new WebApp(files);
  }

  /** Whether a built app was found. */
  get built(): boolean {
    return this.files !== null;
  }

  /** Whether this request is the app's (its path is `/app` or below it). */
  static handles(pathname: string): boolean {
    return pathname === WEB_APP_PATH || pathname.startsWith(`${WEB_APP_PATH}/`);
  }

  /** Answers a request for `/app` or a path below it. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { ...COMMON_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('The app is read with GET.\n');
      return;
    }
    if (pathname === WEB_APP_PATH) {
      res.writeHead(308, { ...COMMON_HEADERS, location: `${WEB_APP_PATH}/` }).end();
      return;
    }
    if (!this.files) {
      res
        .writeHead(404, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' })
        .end('The web app has not been built: run `npm run build` (npm start does it), then restart the server.\n');
      return;
    }
    const name = safeName(pathname.slice(WEB_APP_PATH.length + 1));
    const asset = name === null ? undefined : this.files.get(name);
    if (asset && name !== 'index.html') {
      const immutable = name?.startsWith('assets/') ?? false;
      this.write(req, res, asset, { 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
      return;
    }
    const isPage = name === 'index.html' || (name !== null && !name.startsWith('assets/') && extname(name) === '');
    if (!isPage) {
      res.writeHead(404, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    const page = this.files.get('index.html');
    if (!page) throw new Error('The built app has no index.html.');
    this.write(req, res, page, {
      'cache-control': 'no-cache',
      'content-security-policy': explorerContentSecurityPolicy(req.headers.host),
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    });
  }

  private write(req: IncomingMessage, res: ServerResponse, file: WebAppFile, headers: Record<string, string>): void {
    const all = { ...COMMON_HEADERS, ...headers, 'content-type': file.contentType, etag: file.etag };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, all).end();
      return;
    }
    res.writeHead(200, { ...all, 'content-length': String(file.body.length) });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }
}

/** A request path below `/app/` as a file name, or null when it tries to leave the folder. */
function safeName(raw: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded.includes('\\') || decoded.includes('\0') || decoded.split('/').some((part) => part === '..')) return null;
  return decoded === '' ? 'index.html' : decoded;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : Promise.resolve([join(dir, entry.name)]))));
  return nested.flat();
}
