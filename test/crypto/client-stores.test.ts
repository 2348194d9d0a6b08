import { IdentityChange, IdentityKeyPair, KEMKeyPair, KyberPreKeyRecord, PrivateKey, ProtocolAddress } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { InMemoryIdentityStore, InMemoryKyberPreKeyStore } from '../../src/crypto/client/memory-stores.js';

function kyberRecord(id: number, identity: IdentityKeyPair): KyberPreKeyRecord {
  const kem = KEMKeyPair.generate();
  return KyberPreKeyRecord.new(id, Date.now(), kem, identity.privateKey.sign(kem.getPublicKey().serialize()));
}

describe('client kit stores', () => {
  it('deletes a one-time Kyber prekey when libsignal marks it used', async () => {
    const store = new InMemoryKyberPreKeyStore();
    const identity = IdentityKeyPair.generate();
    await store.saveKyberPreKey(7, kyberRecord(7, identity));
    expect(store.oneTimeCount).toBe(1);
    await store.markKyberPreKeyUsed(7, 1, PrivateKey.generate().getPublicKey());
    expect(store.oneTimeCount).toBe(0);
    await expect(store.getKyberPreKey(7)).rejects.toThrow('no Kyber prekey 7');
  });

  it('keeps the last-resort Kyber prekey but refuses the same (key, signed prekey, base key) combination twice', async () => {
    const store = new InMemoryKyberPreKeyStore();
    const identity = IdentityKeyPair.generate();
    store.save(99, kyberRecord(99, identity), true);
    const baseKey = PrivateKey.generate().getPublicKey();
    await store.markKyberPreKeyUsed(99, 1, baseKey);
    await store.markKyberPreKeyUsed(99, 1, PrivateKey.generate().getPublicKey());
    await store.markKyberPreKeyUsed(99, 2, baseKey);
    await expect(store.markKyberPreKeyUsed(99, 1, baseKey)).rejects.toThrow('already used');
    expect((await store.getKyberPreKey(99)).id()).toBe(99);
  });

  it('trusts an identity on first use and detects a changed one', async () => {
    const store = new InMemoryIdentityStore(IdentityKeyPair.generate(), 42);
    const address = ProtocolAddress.new('2f1c4b8e-0000-4000-8000-000000000001', 1);
    const first = IdentityKeyPair.generate().publicKey;
    const second = IdentityKeyPair.generate().publicKey;
    expect(await store.isTrustedIdentity(address, first, 0)).toBe(true);
    expect(await store.saveIdentity(address, first)).toBe(IdentityChange.NewOrUnchanged);
    expect(await store.isTrustedIdentity(address, second, 0)).toBe(false);
    expect(await store.saveIdentity(address, second)).toBe(IdentityChange.ReplacedExisting);
    expect(store.changes).toEqual([{ address: `${address.name()}.1` }]);
  });
});
