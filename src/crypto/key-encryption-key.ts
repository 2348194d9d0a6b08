import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * A key-encryption key (KEK): wraps and unwraps data keys. The local implementation holds the key
 * in memory (from `CRADLE_KEK`, a key file, or an ephemeral key); a KMS implements the same
 * interface for production, so the KEK never leaves the KMS (`VaultTransitKek`, Vault/OpenBao
 * transit). `context` is bound to the wrapped key (associated data): a wrapped key copied to
 * another row does not unwrap. Each implementation's wrapped form starts with its own prefix
 * (`kw1:` local, `vt1:` Vault transit); rotation never parses it, it only asks the KEK whose id
 * is stored with the key.
 */
export interface KeyEncryptionKeyProvider {
  /** Stable id stored next to every key it wrapped, so rotation knows which KEK to ask. */
  readonly id: string;
  wrap(plainKey: Buffer, context: string): Promise<string>;
  /** Throws when the wrapped key was not wrapped by this KEK under this context. */
  unwrap(wrapped: string, context: string): Promise<Buffer>;
}

/** The KEK id of a 32-byte key: `k` + the first 12 hex digits of its SHA-256 (names it, reveals nothing usable). */
export function localKekId(key: Buffer): string {
  return `k${createHash('sha256').update('cradle-kek-id|').update(key).digest('hex').slice(0, 12)}`;
}

/** An AES-256-GCM KEK held in process memory (development, single-host deployments). */
export class LocalKeyEncryptionKey implements KeyEncryptionKeyProvider {
  readonly id: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('A key-encryption key must be 32 bytes');
    this.id = localKekId(key);
  }

  async wrap(plainKey: Buffer, context: string): Promise<string> {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(`cradle-kek|${context}`, 'utf8'));
    const body = Buffer.concat([cipher.update(plainKey), cipher.final(), cipher.getAuthTag()]);
    return `kw1:${nonce.toString('base64url')}:${body.toString('base64url')}`;
  }

  async unwrap(wrapped: string, context: string): Promise<Buffer> {
    const [version, nonce64, body64] = wrapped.split(':');
    if (version !== 'kw1' || !nonce64 || !body64) throw new Error('Unknown wrapped-key format');
    const body = Buffer.from(body64, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce64, 'base64url'));
    decipher.setAAD(Buffer.from(`cradle-kek|${context}`, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  }
}

/**
 * The configured KEKs: the current one (wraps new data keys) and previous ones (still unwrap keys
 * not yet re-wrapped by `keys:rotate-kek`). Looked up by the KEK id stored with each data key.
 */
export class KeyEncryptionKeys {
  private readonly byId = new Map<string, KeyEncryptionKeyProvider>();

  constructor(
    readonly current: KeyEncryptionKeyProvider,
    previous: readonly KeyEncryptionKeyProvider[] = [],
  ) {
    for (const kek of [current, ...previous]) this.byId.set(kek.id, kek);
  }

  /** The KEK with this id, or null when it is not configured. */
  get(id: string): KeyEncryptionKeyProvider | null {
    return this.byId.get(id) ?? null;
  }

  /** Ids of every configured KEK, current first. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }
}
