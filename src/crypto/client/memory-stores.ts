import {
  Direction, IdentityChange, IdentityKeyPair, IdentityKeyStore, KyberPreKeyRecord, KyberPreKeyStore, PreKeyRecord, PreKeyStore, PrivateKey,
  ProtocolAddress, PublicKey, SessionRecord, SessionStore, SignedPreKeyRecord, SignedPreKeyStore,
} from '@signalapp/libsignal-client';

/**
 * In-memory implementations of libsignal's store interfaces, for one device. They hold private
 * keys and session state: they live on the client, never on the server. A real app persists them
 * (serialize each record with its `serialize()`); these are what the tests and short-lived tools use.
 */

const addressKey = (address: ProtocolAddress) => `${address.name()}.${address.deviceId()}`;

/** Where a changed identity key was seen, so the app can warn the user (safety-number change). */
export interface IdentityChangeNotice {
  readonly address: string;
}

/**
 * The device's identity key pair and registration id, and the identity keys of the devices it talks
 * to, trusted on first use. A different key for a known address is untrusted for sending until the
 * app accepts it with {@link InMemoryIdentityStore.trustNewIdentity}: that is how an identity change
 * (a new phone, or a man in the middle) is detected.
 */
export class InMemoryIdentityStore extends IdentityKeyStore {
  private readonly known = new Map<string, PublicKey>();
  /** Addresses whose identity key changed while this store was in use. */
  readonly changes: IdentityChangeNotice[] = [];

  constructor(
    private readonly identity: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }

  override async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }

  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identity;
  }

  override async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const existing = this.known.get(addressKey(name));
    this.known.set(addressKey(name), key);
    if (existing && !existing.equals(key)) {
      this.changes.push({ address: addressKey(name) });
      return IdentityChange.ReplacedExisting;
    }
    return IdentityChange.NewOrUnchanged;
  }

  override async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const existing = this.known.get(addressKey(name));
    return !existing || existing.equals(key);
  }

  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.known.get(addressKey(name)) ?? null;
  }

  /** Accepts a new identity key for an address (after the user verified it), so sending works again. */
  trustNewIdentity(name: ProtocolAddress, key: PublicKey): void {
    this.known.set(addressKey(name), key);
  }
}

/** Double Ratchet sessions by address. */
export class InMemorySessionStore extends SessionStore {
  private readonly sessions = new Map<string, Uint8Array<ArrayBuffer>>();

  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(addressKey(name), record.serialize());
  }

  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.sessions.get(addressKey(name));
    return bytes ? SessionRecord.deserialize(bytes) : null;
  }

  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const bytes = this.sessions.get(addressKey(address));
      if (!bytes) throw new Error(`no session for ${addressKey(address)}`);
      return SessionRecord.deserialize(bytes);
    });
  }

  /** Forgets a session (the device is gone or stale; the next send starts a new one from a bundle). */
  delete(name: ProtocolAddress): void {
    this.sessions.delete(addressKey(name));
  }
}

/** One-time EC prekeys (private halves); libsignal removes one when a PreKey message uses it. */
export class InMemoryPreKeyStore extends PreKeyStore {
  private readonly keys = new Map<number, Uint8Array<ArrayBuffer>>();

  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.keys.set(id, record.serialize());
  }

  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const bytes = this.keys.get(id);
    if (!bytes) throw new Error(`no prekey ${id}`);
    return PreKeyRecord.deserialize(bytes);
  }

  override async removePreKey(id: number): Promise<void> {
    this.keys.delete(id);
  }

  /** How many one-time prekeys are held. */
  get size(): number {
    return this.keys.size;
  }
}

/** Signed EC prekeys (private halves). */
export class InMemorySignedPreKeyStore extends SignedPreKeyStore {
  private readonly keys = new Map<number, Uint8Array<ArrayBuffer>>();

  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.keys.set(id, record.serialize());
  }

  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const bytes = this.keys.get(id);
    if (!bytes) throw new Error(`no signed prekey ${id}`);
    return SignedPreKeyRecord.deserialize(bytes);
  }
}

/**
 * Kyber prekeys (private halves), one-time and last-resort. As libsignal's store contract requires,
 * `markKyberPreKeyUsed` deletes a one-time key, and for a last-resort key refuses a combination of
 * (Kyber key, signed prekey, sender base key) seen before: a replayed PreKey message fails.
 */
export class InMemoryKyberPreKeyStore extends KyberPreKeyStore {
  private readonly keys = new Map<number, { bytes: Uint8Array<ArrayBuffer>; lastResort: boolean }>();
  private readonly usedLastResort = new Set<string>();

  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.save(id, record, false);
  }

  /** Saves a key, marking whether it is the last-resort key (kept after use). */
  save(id: number, record: KyberPreKeyRecord, lastResort: boolean): void {
    this.keys.set(id, { bytes: record.serialize(), lastResort });
  }

  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const entry = this.keys.get(id);
    if (!entry) throw new Error(`no Kyber prekey ${id}`);
    return KyberPreKeyRecord.deserialize(entry.bytes);
  }

  override async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const entry = this.keys.get(id);
    if (!entry) throw new Error(`no Kyber prekey ${id}`);
    if (!entry.lastResort) {
      this.keys.delete(id);
      return;
    }
    const use = `${id}:${signedPreKeyId}:${Buffer.from(baseKey.serialize()).toString('hex')}`;
    if (this.usedLastResort.has(use)) throw new Error('this last-resort Kyber prekey was already used with this base key');
    this.usedLastResort.add(use);
  }

  /** How many one-time (not last-resort) Kyber prekeys are held. */
  get oneTimeCount(): number {
    return [...this.keys.values()].filter((k) => !k.lastResort).length;
  }
}

/** Every store one device needs. */
export interface SignalStores {
  readonly identity: InMemoryIdentityStore;
  readonly sessions: InMemorySessionStore;
  readonly preKeys: InMemoryPreKeyStore;
  readonly signedPreKeys: InMemorySignedPreKeyStore;
  readonly kyberPreKeys: InMemoryKyberPreKeyStore;
}
