import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyEncryptionKeyProvider } from './key-encryption-key.js';

/** Prefix of a data key wrapped by Vault/OpenBao transit, as stored in `field_data_key.wrapped_key` (the local KEK's is `kw1:`). */
export const VAULT_TRANSIT_WRAPPED_PREFIX = 'vt1:';

/** The two calls the provider makes, named in its errors. */
export type KmsOperation = 'encrypt' | 'decrypt';

/**
 * A failure of the KMS behind a {@link VaultTransitKek}. The message names the operation, the
 * KEK id and the HTTP status (or the network failure), and never key material, the token, or
 * Vault's own error text (which may quote what it was sent). `code` says whether retrying later
 * can help: `KMS_UNAVAILABLE` (timeout, network, 429, 5xx) or `KMS_REJECTED` (any other answer).
 */
export class KmsError extends Error {
  private constructor(
    message: string,
    readonly code: 'KMS_UNAVAILABLE' | 'KMS_REJECTED',
    readonly operation: KmsOperation,
    /** The HTTP status Vault answered with; null when no answer came. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'KmsError';
  }

  /** Vault answered with an error status (after the retries, for a retryable one). */
  static status(operation: KmsOperation, kekId: string, status: number): KmsError {
    const hint =
      status === 403
        ? 'permission denied: check CRADLE_VAULT_TOKEN (or CRADLE_VAULT_TOKEN_FILE), CRADLE_VAULT_NAMESPACE and the token policy (update on <mount>/encrypt/<key> and <mount>/decrypt/<key>)'
        : status === 400
          ? operation === 'decrypt'
            ? 'Vault refused to decrypt: the wrapped key belongs to another context or transit key, or was altered'
            : 'Vault refused to encrypt: is the transit key created with derived=true?'
          : status === 404
            ? 'no such transit mount or key: check CRADLE_VAULT_TRANSIT_MOUNT and CRADLE_VAULT_TRANSIT_KEY'
            : isRetryableStatus(status)
              ? 'Vault is unavailable (sealed, on standby, rate-limited or failing)'
              : 'unexpected answer';
    return new KmsError(`Vault transit ${operation} with KEK ${kekId} failed: HTTP ${status} (${hint})`, isRetryableStatus(status) ? 'KMS_UNAVAILABLE' : 'KMS_REJECTED', operation, status);
  }

  /** No answer within the provider's time limit (all attempts together). */
  static timedOut(operation: KmsOperation, kekId: string, timeoutMs: number): KmsError {
    return new KmsError(`Vault transit ${operation} with KEK ${kekId} failed: no answer within ${timeoutMs} ms`, 'KMS_UNAVAILABLE', operation, null);
  }

  /** The request did not reach Vault (refused connection, DNS, TLS). `cause` is the system error code when known. */
  static network(operation: KmsOperation, kekId: string, cause: string | null): KmsError {
    return new KmsError(`Vault transit ${operation} with KEK ${kekId} failed: network error${cause ? ` (${cause})` : ''}`, 'KMS_UNAVAILABLE', operation, null);
  }

  /** Vault answered 2xx without the expected field. */
  static malformedResponse(operation: KmsOperation, kekId: string, status: number): KmsError {
    return new KmsError(`Vault transit ${operation} with KEK ${kekId} failed: HTTP ${status} without the expected data`, 'KMS_REJECTED', operation, status);
  }

  /** The stored value was not wrapped by a Vault transit KEK (no `vt1:vault:v<n>:` prefix). */
  static unknownFormat(kekId: string): KmsError {
    return new KmsError(`Vault transit decrypt with KEK ${kekId} failed: the wrapped key is not in the ${VAULT_TRANSIT_WRAPPED_PREFIX} format`, 'KMS_REJECTED', 'decrypt', null);
  }

  /** The token file (`CRADLE_VAULT_TOKEN_FILE`) is missing, unreadable or empty; names the file, never its content. */
  static tokenUnreadable(operation: KmsOperation, kekId: string, path: string): KmsError {
    return new KmsError(`Vault transit ${operation} with KEK ${kekId} failed: cannot read the token file ${path}`, 'KMS_UNAVAILABLE', operation, null);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Settings of a {@link VaultTransitKek}. */
export interface VaultTransitOptions {
  /** Vault's (or OpenBao's, or a local Vault Agent's) base URL, e.g. `https://vault.internal:8200`. */
  readonly address: string;
  /** Path of the transit secrets engine; `transit` by default. */
  readonly mount?: string;
  /** Name of the transit key; it must have been created with `derived=true`. */
  readonly keyName: string;
  /** Vault Enterprise / OpenBao namespace (`X-Vault-Namespace`); none by default. */
  readonly namespace?: string | null;
  /**
   * The token (`X-Vault-Token`): inline, or a file read before every request, so a token that
   * Vault Agent renews into its sink file is picked up without a restart. Never logged, never in an error.
   */
  readonly token: { readonly value: string } | { readonly file: string };
  /** Longest one wrap or unwrap may take, all attempts together, in milliseconds; 5000 by default. */
  readonly timeoutMs?: number;
  /** Attempts per operation on a network error, 429 or 5xx (the first included); 3 by default. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, in milliseconds, doubled for each further one; 100 by default. */
  readonly retryDelayMs?: number;
}

/**
 * A key-encryption key held by HashiCorp Vault's or OpenBao's transit secrets engine (the same
 * HTTP API), so the KEK never leaves the KMS: wrapping a data key is `POST /v1/<mount>/encrypt/<key>`
 * and unwrapping it `POST /v1/<mount>/decrypt/<key>`, each one HTTPS round trip (data keys are
 * unwrapped once per process and cached by the key ring, so this is not per value).
 *
 * The transit key must be created with `derived=true`: Vault then derives a key per `context`,
 * which binds the wrapped key to its `field_data_key` row the way associated data does for the
 * local KEK (a wrapped key copied to another row does not unwrap; this class does not check the
 * key is derived, and with a non-derived key that binding would be lost). Stored form:
 * `vt1:vault:v<version>:<base64>`. Rotating the key inside Vault (`transit/keys/<key>/rotate`)
 * needs no re-wrap here: new keys are wrapped by the newest version, older ones keep unwrapping
 * (as long as the key's `min_decryption_version` allows). The id, `vault:<mount>/<key>` (with the
 * namespace as `vault:<namespace>:<mount>/<key>`), names the key and reveals nothing secret.
 *
 * Uses Node's global `fetch`, with a time limit per operation and a bounded retry, with backoff,
 * on network errors, 429 and 5xx; failures are {@link KmsError}s.
 *
 * Tested against a transit-compatible local server (`test/crypto/transit-server.ts`), not a real
 * Vault or OpenBao.
 */
export class VaultTransitKek implements KeyEncryptionKeyProvider {
  readonly id: string;
  readonly #token: { readonly value: string } | { readonly file: string };
  readonly #baseUrl: string;
  readonly #namespace: string | null;
  readonly #keyName: string;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;

  constructor(options: VaultTransitOptions) {
    const mount = (options.mount ?? 'transit').replace(/^\/+|\/+$/g, '');
    this.#token = options.token;
    this.#baseUrl = `${options.address.replace(/\/+$/, '')}/v1/${mount}`;
    this.#namespace = options.namespace ?? null;
    this.#keyName = options.keyName;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.id = `vault:${this.#namespace ? `${this.#namespace}:` : ''}${mount}/${options.keyName}`;
  }

  async wrap(plainKey: Buffer, context: string): Promise<string> {
    const data = await this.call('encrypt', { plaintext: plainKey.toString('base64'), context: contextBase64(context) });
    const ciphertext = data['ciphertext'];
    if (typeof ciphertext !== 'string' || !/^vault:v\d+:/.test(ciphertext)) throw KmsError.malformedResponse('encrypt', this.id, 200);
    return `${VAULT_TRANSIT_WRAPPED_PREFIX}${ciphertext}`;
  }

  async unwrap(wrapped: string, context: string): Promise<Buffer> {
    const ciphertext = wrapped.slice(VAULT_TRANSIT_WRAPPED_PREFIX.length);
    if (!wrapped.startsWith(VAULT_TRANSIT_WRAPPED_PREFIX) || !/^vault:v\d+:[A-Za-z0-9+/=]+$/.test(ciphertext)) throw KmsError.unknownFormat(this.id);
    const data = await this.call('decrypt', { ciphertext, context: contextBase64(context) });
    const plaintext = data['plaintext'];
    if (typeof plaintext !== 'string' || plaintext.length === 0) throw KmsError.malformedResponse('decrypt', this.id, 200);
    return Buffer.from(plaintext, 'base64');
  }

  /** One transit call with retries, all within the time limit; resolves to the answer's `data`. */
  private async call(operation: KmsOperation, body: Record<string, string>): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.#timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw KmsError.timedOut(operation, this.id, this.#timeoutMs);
      let failure: KmsError;
      try {
        const response = await fetch(`${this.#baseUrl}/${operation}/${encodeURIComponent(this.#keyName)}`, {
          method: 'POST',
          headers: await this.headers(operation),
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(remaining),
          redirect: 'error',
        });
        if (response.ok) {
          const answer = (await response.json().catch(() => null)) as { data?: unknown } | null;
          if (!answer || typeof answer.data !== 'object' || answer.data === null) throw KmsError.malformedResponse(operation, this.id, response.status);
          return answer.data as Record<string, unknown>;
        }
        await response.body?.cancel().catch(() => undefined);
        failure = KmsError.status(operation, this.id, response.status);
        if (!isRetryableStatus(response.status)) throw failure;
      } catch (err) {
        if (err instanceof KmsError) throw err;
        if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) throw KmsError.timedOut(operation, this.id, this.#timeoutMs);
        failure = KmsError.network(operation, this.id, systemErrorCode(err));
      }
      const delay = this.#retryDelayMs * 2 ** (attempt - 1);
      if (attempt >= this.#maxAttempts) throw failure;
      if (Date.now() + delay >= deadline) throw failure;
      await sleep(delay);
    }
  }

  private async headers(operation: KmsOperation): Promise<Record<string, string>> {
    const source = this.#token;
    let token: string;
    if ('value' in source) token = source.value;
    else {
      token = await readFile(source.file, 'utf8').then((t) => t.trim(), () => '');
      if (!token) throw KmsError.tokenUnreadable(operation, this.id, source.file);
    }
    return {
      'content-type': 'application/json',
      'x-vault-token': token,
      // Vault Agent's listener may require it (require_request_header); Vault itself ignores it.
      'x-vault-request': 'true',
      ...(this.#namespace ? { 'x-vault-namespace': this.#namespace } : {}),
    };
  }
}

function contextBase64(context: string): string {
  return Buffer.from(context, 'utf8').toString('base64');
}

/** The system error code behind a failed fetch (`ECONNREFUSED`, `ENOTFOUND`, …), never its message. */
function systemErrorCode(err: unknown): string | null {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code) ? cause.code : null;
}
