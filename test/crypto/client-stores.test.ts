import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IdentityChange, IdentityKeyPair, KEMKeyPair, KEMPublicKey, KyberPreKeyRecord, PreKeyBundle, PreKeyRecord, PrivateKey, ProtocolAddress, PublicKey,
  SignedPreKeyRecord, processPreKeyBundle,
} from '@signalapp/libsignal-client';
import { afterAll, describe, expect, it } from 'vitest';
import { fromBase64, generateRegistration } from '../../src/crypto/client/device-keys.js';
import { FileRecordStorage, openFileStores } from '../../src/crypto/client/file-record-storage.js';
import { MemoryRecordStorage, type RecordStorage } from '../../src/crypto/client/record-storage.js';
import { memoryStores, openSignalStores, type SignalStores } from '../../src/crypto/client/signal-stores.js';

// The file-backed rows write to a temporary directory: the one I/O these unit tests do, because
// what they prove is what the disk holds.
const directories: string[] = [];
const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cradle-signal-stores-'));
  directories.push(dir);
  return join(dir, 'device');
};
afterAll(async () => {
  for (const dir of directories) await rm(dir, { recursive: true, force: true });
});

/** Each implementation, with a way to open the same storage again (a restart, for the file one). */
interface Implementation {
  readonly name: string;
  open(): Promise<{ storage: RecordStorage; reopen: () => Promise<RecordStorage> }>;
}

const implementations: Implementation[] = [
  {
    name: 'in memory',
    async open() {
      const storage = new MemoryRecordStorage();
      return { storage, reopen: async () => storage };
    },
  },
  {
    name: 'file-backed',
    async open() {
      const dir = await scratch();
      return { storage: await FileRecordStorage.open(dir), reopen: () => FileRecordStorage.open(dir) };
    },
  },
];

function kyberRecord(id: number, identity: IdentityKeyPair): KyberPreKeyRecord {
  const kem = KEMKeyPair.generate();
  return KyberPreKeyRecord.new(id, Date.now(), kem, identity.privateKey.sign(kem.getPublicKey().serialize()));
}

const peer = ProtocolAddress.new('2f1c4b8e-0000-4000-8000-000000000001', 3);

/** Starts a real PQXDH session in `stores` with a new device at `peer` (from its last-resort bundle). */
async function startSessionWithPeer(stores: SignalStores): Promise<void> {
  const other = IdentityKeyPair.generate();
  const r = await generateRegistration(memoryStores(other, 77), { signedPreKeyId: 1, kyberLastResortId: 2 }, Date.now());
  const key = (value: string) => PublicKey.deserialize(fromBase64(value));
  const bundle = PreKeyBundle.new(
    r.registrationId, peer.deviceId(), null, null, r.signedPreKey.id, key(r.signedPreKey.publicKey), fromBase64(r.signedPreKey.signature),
    key(r.identityKey), r.kyberLastResortPreKey.id, KEMPublicKey.deserialize(fromBase64(r.kyberLastResortPreKey.publicKey)), fromBase64(r.kyberLastResortPreKey.signature),
  );
  await processPreKeyBundle(bundle, peer, ProtocolAddress.new('me', 1), stores.sessions, stores.identity, new Date());
}

describe.each(implementations)('client kit stores, $name', (implementation) => {
  const stores = async (): Promise<{ stores: SignalStores; reopen: () => Promise<SignalStores> }> => {
    const { storage, reopen } = await implementation.open();
    return { stores: await openSignalStores(storage), reopen: async () => openSignalStores(await reopen()) };
  };

  it('deletes a one-time Kyber prekey when libsignal marks it used', async () => {
    const { stores: s } = await stores();
    const identity = await s.identity.getIdentityKeyPair();
    await s.kyberPreKeys.saveKyberPreKey(7, kyberRecord(7, identity));
    await s.kyberPreKeys.saveKyberPreKey(8, kyberRecord(8, identity));
    expect(await s.kyberPreKeys.countOneTime()).toBe(2);
    await s.kyberPreKeys.markKyberPreKeyUsed(7, 1, PrivateKey.generate().getPublicKey());
    expect(await s.kyberPreKeys.countOneTime()).toBe(1);
    await expect(s.kyberPreKeys.getKyberPreKey(7)).rejects.toThrow('no Kyber prekey 7');
    expect((await s.kyberPreKeys.getKyberPreKey(8)).id()).toBe(8);
  });

  it('keeps the last-resort Kyber prekey but refuses the same (key, signed prekey, base key) combination twice, also after reopening', async () => {
    const { stores: s, reopen } = await stores();
    await s.kyberPreKeys.saveLastResortKyberPreKey(99, kyberRecord(99, await s.identity.getIdentityKeyPair()));
    const baseKey = PrivateKey.generate().getPublicKey();
    await s.kyberPreKeys.markKyberPreKeyUsed(99, 1, baseKey);
    await s.kyberPreKeys.markKyberPreKeyUsed(99, 1, PrivateKey.generate().getPublicKey());
    await s.kyberPreKeys.markKyberPreKeyUsed(99, 2, baseKey);
    await expect(s.kyberPreKeys.markKyberPreKeyUsed(99, 1, baseKey)).rejects.toThrow('already used');
    expect((await s.kyberPreKeys.getKyberPreKey(99)).id()).toBe(99);
    expect(await s.kyberPreKeys.countOneTime()).toBe(0);
    const again = await reopen();
    await expect(again.kyberPreKeys.markKyberPreKeyUsed(99, 2, baseKey)).rejects.toThrow('already used');
    expect((await again.kyberPreKeys.getKyberPreKey(99)).id()).toBe(99);
  });

  it('refuses to mark a Kyber prekey it does not hold', async () => {
    const { stores: s } = await stores();
    await expect(s.kyberPreKeys.markKyberPreKeyUsed(5, 1, PrivateKey.generate().getPublicKey())).rejects.toThrow('no Kyber prekey 5');
  });

  it('trusts an identity on first use, detects a changed one, and sends again once the new one is accepted', async () => {
    const { stores: s } = await stores();
    const first = IdentityKeyPair.generate().publicKey;
    const second = IdentityKeyPair.generate().publicKey;
    expect(await s.identity.isTrustedIdentity(peer, first, 0)).toBe(true);
    expect(await s.identity.saveIdentity(peer, first)).toBe(IdentityChange.NewOrUnchanged);
    expect(await s.identity.isTrustedIdentity(peer, second, 0)).toBe(false);
    expect(await s.identity.saveIdentity(peer, second)).toBe(IdentityChange.ReplacedExisting);
    expect(s.identity.changes).toEqual([{ address: `${peer.name()}.3` }]);
    await s.identity.trustNewIdentity(peer, first);
    expect(await s.identity.isTrustedIdentity(peer, first, 0)).toBe(true);
  });

  it('keeps the identity, trusted keys, prekeys, sessions and device state when opened again', async () => {
    const { stores: s, reopen } = await stores();
    const identity = await s.identity.getIdentityKeyPair();
    const trusted = IdentityKeyPair.generate().publicKey;
    await startSessionWithPeer(s);
    const sessionBytes = (await s.sessions.getSession(peer))!.serialize();
    const otherPeer = ProtocolAddress.new(peer.name(), 4);
    await s.identity.saveIdentity(otherPeer, trusted);
    const ec = PrivateKey.generate();
    await s.preKeys.savePreKey(4, PreKeyRecord.new(4, ec.getPublicKey(), ec));
    await s.preKeys.savePreKey(5, PreKeyRecord.new(5, ec.getPublicKey(), ec));
    await s.preKeys.removePreKey(5);
    await s.signedPreKeys.saveSignedPreKey(1, SignedPreKeyRecord.new(1, 1000, ec.getPublicKey(), ec, identity.privateKey.sign(ec.getPublicKey().serialize())));
    await s.device.save({ deviceId: 2, nextPreKeyId: 21, recentEnvelopeIds: ['e1', 'e2'] });

    const again = await reopen();
    expect((await again.identity.getIdentityKeyPair()).publicKey.equals(identity.publicKey)).toBe(true);
    expect(await again.identity.getLocalRegistrationId()).toBe(await s.identity.getLocalRegistrationId());
    expect((await again.identity.getIdentity(otherPeer))?.equals(trusted)).toBe(true);
    expect(await again.preKeys.count()).toBe(1);
    expect((await again.preKeys.getPreKey(4)).privateKey().serialize()).toEqual(ec.serialize());
    await expect(again.preKeys.getPreKey(5)).rejects.toThrow('no prekey 5');
    expect((await again.signedPreKeys.getSignedPreKey(1)).timestamp()).toBe(1000);
    expect((await again.sessions.addresses()).map((a) => [a.name(), a.deviceId()])).toEqual([[peer.name(), 3]]);
    expect((await again.sessions.getSession(peer))?.serialize()).toEqual(sessionBytes);
    expect((await again.sessions.getSession(peer))?.remoteRegistrationId()).toBe(77);
    expect(await again.device.load()).toEqual({ deviceId: 2, nextPreKeyId: 21, recentEnvelopeIds: ['e1', 'e2'] });

    await again.sessions.deleteSession(peer);
    expect(await again.sessions.getSession(peer)).toBeNull();
    await expect(again.sessions.getExistingSessions([peer])).rejects.toThrow(`no session for ${peer.name()}.3`);
  });

  it('keeps only the most recent 1000 decrypted envelope ids', async () => {
    const { stores: s } = await stores();
    await s.device.save({ deviceId: 1, nextPreKeyId: 1, recentEnvelopeIds: Array.from({ length: 1005 }, (_, i) => `e${i}`) });
    const { recentEnvelopeIds } = await s.device.load();
    expect(recentEnvelopeIds).toHaveLength(1000);
    expect([recentEnvelopeIds[0], recentEnvelopeIds.at(-1)]).toEqual(['e5', 'e1004']);
  });
});

describe('file-backed client kit stores on disk', () => {
  const mode = async (path: string) => (await stat(path)).mode & 0o777;

  it('creates the directory tree 0700 and every record file 0600, whatever the umask', async () => {
    const dir = await scratch();
    const previous = process.umask(0o000);
    try {
      const stores = await openFileStores(dir);
      await stores.kyberPreKeys.saveLastResortKyberPreKey(9, kyberRecord(9, await stores.identity.getIdentityKeyPair()));
      await stores.device.save({ deviceId: 1, nextPreKeyId: 1, recentEnvelopeIds: [] });
    } finally {
      process.umask(previous);
    }
    expect(await mode(dir)).toBe(0o700);
    const kinds = await readdir(dir);
    expect(kinds.sort()).toEqual(['device', 'identity', 'kyber-last-resort-pre-keys']);
    for (const kind of kinds) {
      expect(await mode(join(dir, kind))).toBe(0o700);
      for (const file of await readdir(join(dir, kind))) expect(await mode(join(dir, kind, file))).toBe(0o600);
    }
  });

  it('narrows an existing directory to 0700 when it opens it', async () => {
    const dir = await scratch();
    await FileRecordStorage.open(dir);
    await chmod(dir, 0o755);
    await FileRecordStorage.open(dir);
    expect(await mode(dir)).toBe(0o700);
  });

  it('replaces a record whole through a temporary file, leaving no temporary file behind', async () => {
    const dir = await scratch();
    const storage = await FileRecordStorage.open(dir);
    await storage.put('sessions', 'a.1', new Uint8Array([1, 2, 3]));
    await storage.put('sessions', 'a.1', new Uint8Array([4, 5]));
    expect(await storage.get('sessions', 'a.1')).toEqual(new Uint8Array([4, 5]));
    expect(await readdir(join(dir, 'sessions'))).toEqual(['a.1']);
  });

  it('ignores, then removes on opening, what a write interrupted by a crash left, and keeps the record it was replacing', async () => {
    const dir = await scratch();
    const storage = await FileRecordStorage.open(dir);
    await storage.put('sessions', 'a.1', new Uint8Array([1, 2, 3]));
    // A crash between writing the temporary file and renaming it over the record.
    await writeFile(join(dir, 'sessions', '.a.1.0123456789ab.tmp'), new Uint8Array([9]), { mode: 0o600 });
    expect(await storage.ids('sessions')).toEqual(['a.1']);
    const reopened = await FileRecordStorage.open(dir);
    expect(await readdir(join(dir, 'sessions'))).toEqual(['a.1']);
    expect(await reopened.get('sessions', 'a.1')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('names record files so that no id can leave its directory or pass for a temporary file', async () => {
    const dir = await scratch();
    const storage = await FileRecordStorage.open(dir);
    for (const id of ['../escape', '.hidden', 'a/b.1']) await storage.put('trusted-identities', id, new Uint8Array([1]));
    expect((await storage.ids('trusted-identities')).sort()).toEqual(['../escape', '.hidden', 'a/b.1']);
    expect(await readdir(dir)).toEqual(['trusted-identities']);
  });
});
