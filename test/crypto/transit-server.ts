import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the transit server received (the token is not kept, only whether it matched). */
export interface TransitRequest {
  readonly operation: 'encrypt' | 'decrypt' | 'other';
  readonly keyName: string;
  readonly tokenAccepted: boolean;
  readonly namespace: string | null;
  /** The decoded `context` (UTF-8), when sent. */
  readonly context: string | null;
}

/** Options of {@link startTransitServer}. */
export interface TransitServerOptions {
  /** The token requests must carry in `X-Vault-Token`. */
  readonly token: string;
  /** Mount path of the engine; `transit` by default. */
  readonly mount?: string;
  /** When set, requests must carry it in `X-Vault-Namespace` (else 403, as the token is unknown elsewhere). */
  readonly namespace?: string;
}

/** A running transit-compatible server; see {@link startTransitServer}. */
export interface TransitServer {
  /** `http://127.0.0.1:<port>`, the value of `CRADLE_VAULT_ADDR`. */
  readonly address: string;
  readonly requests: TransitRequest[];
  /** Creates a transit key (`vault write transit/keys/<name> derived=<derived>`). */
  createKey(name: string, options?: { derived?: boolean }): void;
  /** Rotates a key (`vault write -f transit/keys/<name>/rotate`): new encryptions use the next version. */
  rotateKey(name: string): void;
  /** Answers the next `count` requests with `status` (503: a sealed Vault) before anything else. */
  failNext(count: number, status?: number): void;
  /** While on, requests are never answered (a hung Vault). */
  stall(on: boolean): void;
  close(): Promise<void>;
}

interface TransitKey {
  readonly derived: boolean;
  /** Root key per version; version n is `versions[n - 1]`. */
  readonly versions: Buffer[];
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A small HTTP server implementing the two endpoints of HashiCorp Vault's (and OpenBao's) transit
 * secrets engine that Cradle uses, `POST /v1/<mount>/encrypt/<key>` and `POST /v1/<mount>/decrypt/<key>`,
 * as documented: `X-Vault-Token` checked (403 `permission denied`), base64 `plaintext` and
 * `context`, AES-256-GCM with a 96-bit nonce under a key derived per context with HKDF-SHA256 for
 * `derived` keys (a missing context is a 400), versioned ciphertexts `vault:v<n>:<base64(nonce|ciphertext|tag)>`,
 * a failed authentication is a 400, errors as `{"errors": [...]}`. It is not Vault: no upsert,
 * no convergent encryption, no batch input, no policies beyond one token. Listens on 127.0.0.1, port 0.
 */
export async function startTransitServer(options: TransitServerOptions): Promise<TransitServer> {
  const mount = options.mount ?? 'transit';
  const keys = new Map<string, TransitKey>();
  const requests: TransitRequest[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let stalled = false;

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, message: string): void => reply(res, status, { errors: [message] });

  const subkey = (key: TransitKey, version: number, context: Buffer): Buffer => {
    const root = key.versions[version - 1]!;
    return key.derived ? Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), context, 32)) : root;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (stalled) return;
    const match = new RegExp(`^/v1/${mount}/(encrypt|decrypt)/([A-Za-z0-9_.-]+)$`).exec(req.url ?? '');
    const namespace = typeof req.headers['x-vault-namespace'] === 'string' ? req.headers['x-vault-namespace'] : null;
    const tokenAccepted = req.headers['x-vault-token'] === options.token && namespace === (options.namespace ?? null);
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const context = typeof body['context'] === 'string' ? Buffer.from(body['context'], 'base64') : null;
    requests.push({
      operation: match ? (match[1] as 'encrypt' | 'decrypt') : 'other',
      keyName: match?.[2] ?? '',
      tokenAccepted,
      namespace,
      context: context?.toString('utf8') ?? null,
    });
    if (failures.count > 0) {
      failures.count--;
      return fail(res, failures.status, failures.status === 503 ? 'Vault is sealed' : 'internal error');
    }
    if (!tokenAccepted) return fail(res, 403, 'permission denied');
    if (req.method !== 'POST' && req.method !== 'PUT') return fail(res, 405, 'unsupported operation');
    if (!match) return fail(res, 404, 'unsupported path');
    const [, operation, name] = match as unknown as [string, 'encrypt' | 'decrypt', string];
    const key = keys.get(name);
    if (!key) return fail(res, 400, 'encryption key not found');
    if (key.derived && (!context || context.length === 0)) {
      return fail(res, 400, "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information is required in order to perform encryption");
    }
    const info = context ?? Buffer.alloc(0);
    if (operation === 'encrypt') {
      if (typeof body['plaintext'] !== 'string') return fail(res, 400, 'missing plaintext to encrypt');
      const version = key.versions.length;
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', subkey(key, version, info), nonce);
      const sealed = Buffer.concat([nonce, cipher.update(Buffer.from(body['plaintext'], 'base64')), cipher.final(), cipher.getAuthTag()]);
      return reply(res, 200, { data: { ciphertext: `vault:v${version}:${sealed.toString('base64')}`, key_version: version } });
    }
    const ciphertext = typeof body['ciphertext'] === 'string' ? body['ciphertext'] : '';
    const parsed = /^vault:v(\d+):([A-Za-z0-9+/=]+)$/.exec(ciphertext);
    if (!parsed) return fail(res, 400, 'invalid ciphertext: no prefix');
    const version = Number(parsed[1]);
    if (version < 1 || version > key.versions.length) return fail(res, 400, 'invalid key version');
    const sealed = Buffer.from(parsed[2]!, 'base64');
    if (sealed.length < NONCE_BYTES + TAG_BYTES) return fail(res, 400, 'invalid ciphertext: too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', subkey(key, version, info), sealed.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return reply(res, 200, { data: { plaintext: plain.toString('base64') } });
    } catch {
      return fail(res, 400, 'cipher: message authentication failed');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => fail(res, 500, 'internal error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    createKey(name, { derived = true } = {}) {
      keys.set(name, { derived, versions: [randomBytes(32)] });
    },
    rotateKey(name) {
      keys.get(name)!.versions.push(randomBytes(32));
    },
    failNext(count, status = 503) {
      failures = { count, status };
    },
    stall(on) {
      stalled = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
