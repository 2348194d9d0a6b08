import {
  Direction, IdentityChange, IdentityKeyPair, IdentityKeyStore, KyberPreKeyRecord, KyberPreKeyStore, PreKeyRecord, PreKeyStore, PrivateKey,
  ProtocolAddress, PublicKey, SessionRecord, SessionStore, SignedPreKeyRecord, SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import { generateIdentity } from './device-keys.js';
import { MemoryRecordStorage, type RecordKind, type RecordStorage } from './record-storage.js';

/**
 * libsignal's store interfaces for one device, written once over a {@link RecordStorage}: in memory
 * ({@link memoryStores}) or in a directory (`openFileStores` in `file-record-storage.ts`). They hold
 * private keys and session state: they live on the client, never on the server. Each record is the
 * libsignal record's own `serialize()`; the device's identity and kit state are small JSON records.
 */

const addressId = (address: ProtocolAddress) => `${address.name()}.${address.deviceId()}`;

function parseAddressId(id: string): ProtocolAddress {
  const dot = id.lastIndexOf('.');
  return ProtocolAddress.new(id.slice(0, dot), Number(id.slice(dot + 1)));
}

const json = {
  encode: (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value)),
  decode: <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T,
};

/** The record of `kind` with a numeric id, deserialized; throws `no <what> <id>` when there is none. */
async function requireRecord<T>(storage: RecordStorage, kind: RecordKind, id: number, what: string, deserialize: (bytes: Uint8Array<ArrayBuffer>) => T): Promise<T> {
  const bytes = await storage.get(kind, String(id));
  if (!bytes) throw new Error(`no ${what} ${id}`);
  return deserialize(bytes);
}

/** Where a changed identity key was seen, so the app can warn the user (safety-number change). */
export interface IdentityChangeNotice {
  readonly address: string;
}

/**
 * The device's identity key pair and registration id, and the identity keys of the devices it talks
 * to, trusted on first use. A different key for a known address is untrusted for sending until the
 * app accepts it with {@link DeviceIdentityStore.trustNewIdentity}: that is how an identity change
 * (a new phone, or a man in the middle) is detected.
 */
export class DeviceIdentityStore extends IdentityKeyStore {
  /** Addresses whose identity key changed while this object was in use (not persisted). */
  readonly changes: IdentityChangeNotice[] = [];

  constructor(
    private readonly storage: RecordStorage,
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
    const existing = await this.getIdentity(name);
    await this.trustNewIdentity(name, key);
    if (existing && !existing.equals(key)) {
      this.changes.push({ address: addressId(name) });
      return IdentityChange.ReplacedExisting;
    }
    return IdentityChange.NewOrUnchanged;
  }

  override async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const existing = await this.getIdentity(name);
    return !existing || existing.equals(key);
  }

  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    const bytes = await this.storage.get('trusted-identities', addressId(name));
    return bytes ? PublicKey.deserialize(bytes) : null;
  }

  /** Accepts a new identity key for an address (after the user verified it), so sending works again. */
  async trustNewIdentity(name: ProtocolAddress, key: PublicKey): Promise<void> {
    await this.storage.put('trusted-identities', addressId(name), key.serialize());
  }
}

/** Double Ratchet sessions by address. */
export class DeviceSessionStore extends SessionStore {
  constructor(private readonly storage: RecordStorage) {
    super();
  }

  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    await this.storage.put('sessions', addressId(name), record.serialize());
  }

  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = await this.storage.get('sessions', addressId(name));
    return bytes ? SessionRecord.deserialize(bytes) : null;
  }

  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    const records = [];
    for (const address of addresses) {
      const record = await this.getSession(address);
      if (!record) throw new Error(`no session for ${addressId(address)}`);
      records.push(record);
    }
    return records;
  }

  /** Forgets a session (the device is gone or stale; the next send starts a new one from a bundle). */
  async deleteSession(name: ProtocolAddress): Promise<void> {
    await this.storage.delete('sessions', addressId(name));
  }

  /** Every address this device holds a session with. */
  async addresses(): Promise<ProtocolAddress[]> {
    return (await this.storage.ids('sessions')).map(parseAddressId);
  }
}

/** One-time EC prekeys (private halves); libsignal removes one when a PreKey message uses it. */
export class DevicePreKeyStore extends PreKeyStore {
  constructor(private readonly storage: RecordStorage) {
    super();
  }

  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    await this.storage.put('pre-keys', String(id), record.serialize());
  }

  override async getPreKey(id: number): Promise<PreKeyRecord> {
    return requireRecord(this.storage, 'pre-keys', id, 'prekey', (bytes) => PreKeyRecord.deserialize(bytes));
  }

  override async removePreKey(id: number): Promise<void> {
    await this.storage.delete('pre-keys', String(id));
  }

  /** How many one-time prekeys are held. */
  async count(): Promise<number> {
    return (await this.storage.ids('pre-keys')).length;
  }
}

/** Signed EC prekeys (private halves). */
export class DeviceSignedPreKeyStore extends SignedPreKeyStore {
  constructor(private readonly storage: RecordStorage) {
    super();
  }

  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    await this.storage.put('signed-pre-keys', String(id), record.serialize());
  }

  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return requireRecord(this.storage, 'signed-pre-keys', id, 'signed prekey', (bytes) => SignedPreKeyRecord.deserialize(bytes));
  }
}

/**
 * Kyber prekeys (private halves), one-time and last-resort. As libsignal's store contract requires,
 * `markKyberPreKeyUsed` deletes a one-time key, and for a last-resort key refuses a combination of
 * (Kyber key, signed prekey, sender base key) seen before: a replayed PreKey message fails. The
 * combinations used are kept as long as the store (with the file storage, across restarts).
 */
export class DeviceKyberPreKeyStore extends KyberPreKeyStore {
  constructor(private readonly storage: RecordStorage) {
    super();
  }

  /** Saves a one-time Kyber prekey (deleted once used). */
  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    await this.storage.put('kyber-pre-keys', String(id), record.serialize());
  }

  /** Saves the last-resort Kyber prekey (kept after use, each use checked for replay). */
  async saveLastResortKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    await this.storage.put('kyber-last-resort-pre-keys', String(id), record.serialize());
  }

  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const bytes = (await this.storage.get('kyber-pre-keys', String(id))) ?? (await this.storage.get('kyber-last-resort-pre-keys', String(id)));
    if (!bytes) throw new Error(`no Kyber prekey ${id}`);
    return KyberPreKeyRecord.deserialize(bytes);
  }

  override async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    if (await this.storage.get('kyber-pre-keys', String(id))) {
      await this.storage.delete('kyber-pre-keys', String(id));
      return;
    }
    if (!(await this.storage.get('kyber-last-resort-pre-keys', String(id)))) throw new Error(`no Kyber prekey ${id}`);
    const use = `${id}.${signedPreKeyId}.${Buffer.from(baseKey.serialize()).toString('hex')}`;
    if (await this.storage.get('kyber-last-resort-uses', use)) throw new Error('this last-resort Kyber prekey was already used with this base key');
    await this.storage.put('kyber-last-resort-uses', use, new Uint8Array(0));
  }

  /** How many one-time (not last-resort) Kyber prekeys are held. */
  async countOneTime(): Promise<number> {
    return (await this.storage.ids('kyber-pre-keys')).length;
  }
}

/** What the client kit remembers about its own device besides keys, so a restarted client continues. */
export interface DeviceState {
  /** The id the server assigned at registration; null before. */
  readonly deviceId: number | null;
  /** The id of the next one-time prekey to generate (ids are never reused). */
  readonly nextPreKeyId: number;
  /** The most recent envelope ids decrypted (at most {@link RECENT_ENVELOPES}), to drop redeliveries after a restart. */
  readonly recentEnvelopeIds: readonly string[];
}

/** How many decrypted envelope ids {@link DeviceState} keeps: redelivery only concerns unacknowledged envelopes, a handful at a time. */
export const RECENT_ENVELOPES = 1000;

/** The kit's {@link DeviceState}. */
export class DeviceStateStore {
  constructor(private readonly storage: RecordStorage) {}

  async load(): Promise<DeviceState> {
    const bytes = await this.storage.get('device', 'state');
    return bytes ? json.decode<DeviceState>(bytes) : { deviceId: null, nextPreKeyId: 1, recentEnvelopeIds: [] };
  }

  async save(state: DeviceState): Promise<void> {
    await this.storage.put('device', 'state', json.encode({ ...state, recentEnvelopeIds: state.recentEnvelopeIds.slice(-RECENT_ENVELOPES) }));
  }
}

/** Every store one device needs. */
export interface SignalStores {
  readonly identity: DeviceIdentityStore;
  readonly sessions: DeviceSessionStore;
  readonly preKeys: DevicePreKeyStore;
  readonly signedPreKeys: DeviceSignedPreKeyStore;
  readonly kyberPreKeys: DeviceKyberPreKeyStore;
  readonly device: DeviceStateStore;
}

/** The stores of one identity over `storage`. */
export function signalStores(storage: RecordStorage, identity: IdentityKeyPair, registrationId: number): SignalStores {
  return {
    identity: new DeviceIdentityStore(storage, identity, registrationId),
    sessions: new DeviceSessionStore(storage),
    preKeys: new DevicePreKeyStore(storage),
    signedPreKeys: new DeviceSignedPreKeyStore(storage),
    kyberPreKeys: new DeviceKyberPreKeyStore(storage),
    device: new DeviceStateStore(storage),
  };
}

/** Empty stores in memory for an identity (lost when the process ends). */
export function memoryStores(identity: IdentityKeyPair, registrationId: number): SignalStores {
  return signalStores(new MemoryRecordStorage(), identity, registrationId);
}

/**
 * The stores kept in `storage`, with the identity saved there; when there is none yet, a new
 * identity is generated and saved first (a device's identity is created once and then kept).
 */
export async function openSignalStores(storage: RecordStorage): Promise<SignalStores> {
  const saved = await storage.get('identity', 'self');
  if (saved) {
    const { keyPair, registrationId } = json.decode<{ keyPair: string; registrationId: number }>(saved);
    return signalStores(storage, IdentityKeyPair.deserialize(new Uint8Array(Buffer.from(keyPair, 'base64'))), registrationId);
  }
  const { identity, registrationId } = generateIdentity();
  await storage.put('identity', 'self', json.encode({ keyPair: Buffer.from(identity.serialize()).toString('base64'), registrationId }));
  return signalStores(storage, identity, registrationId);
}
