import { randomInt } from 'node:crypto';
import { IdentityKeyPair, KEMKeyPair, KyberPreKeyRecord, PreKeyRecord, PrivateKey, SignedPreKeyRecord } from '@signalapp/libsignal-client';
import type { SignalStores } from './signal-stores.js';

/** Base64 of bytes, as the GraphQL API carries keys and ciphertext. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Bytes of base64, as libsignal takes them. */
export const fromBase64 = (value: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(value, 'base64'));

/** A prekey in the shape `uploadPreKeys` and `registerDevice` take. */
export interface PreKeyUploadShape {
  readonly id: number;
  readonly publicKey: string;
}

/** A signed prekey in the shape the API takes. */
export interface SignedPreKeyUploadShape extends PreKeyUploadShape {
  readonly signature: string;
}

/** What `registerDevice` takes. */
export interface DeviceRegistration {
  readonly registrationId: number;
  readonly identityKey: string;
  readonly signedPreKey: SignedPreKeyUploadShape;
  readonly kyberLastResortPreKey: SignedPreKeyUploadShape;
}

/** A new identity: key pair and registration id (1–16380, as libsignal generates them). */
export function generateIdentity(): { identity: IdentityKeyPair; registrationId: number } {
  return { identity: IdentityKeyPair.generate(), registrationId: randomInt(1, 16381) };
}

/**
 * Generates the signed EC prekey and the Kyber last-resort prekey, saves their private halves in
 * the stores, and returns the registration to send.
 */
export async function generateRegistration(stores: SignalStores, ids: { signedPreKeyId: number; kyberLastResortId: number }, now: number): Promise<DeviceRegistration> {
  const identity = await stores.identity.getIdentityKeyPair();
  const signedPrivate = PrivateKey.generate();
  const signedPublic = signedPrivate.getPublicKey();
  const signedSignature = identity.privateKey.sign(signedPublic.serialize());
  await stores.signedPreKeys.saveSignedPreKey(ids.signedPreKeyId, SignedPreKeyRecord.new(ids.signedPreKeyId, now, signedPublic, signedPrivate, signedSignature));
  const kem = KEMKeyPair.generate();
  const kemSignature = identity.privateKey.sign(kem.getPublicKey().serialize());
  await stores.kyberPreKeys.saveLastResortKyberPreKey(ids.kyberLastResortId, KyberPreKeyRecord.new(ids.kyberLastResortId, now, kem, kemSignature));
  return {
    registrationId: await stores.identity.getLocalRegistrationId(),
    identityKey: toBase64(identity.publicKey.serialize()),
    signedPreKey: { id: ids.signedPreKeyId, publicKey: toBase64(signedPublic.serialize()), signature: toBase64(signedSignature) },
    kyberLastResortPreKey: { id: ids.kyberLastResortId, publicKey: toBase64(kem.getPublicKey().serialize()), signature: toBase64(kemSignature) },
  };
}

/**
 * Generates `count` one-time EC prekeys and `count` one-time signed Kyber prekeys with ids from
 * `firstId`, saves their private halves, and returns the public halves to upload.
 */
export async function generateOneTimePreKeys(
  stores: SignalStores,
  firstId: number,
  count: number,
  now: number,
): Promise<{ preKeys: PreKeyUploadShape[]; kyberPreKeys: SignedPreKeyUploadShape[] }> {
  const identity = await stores.identity.getIdentityKeyPair();
  const preKeys: PreKeyUploadShape[] = [];
  const kyberPreKeys: SignedPreKeyUploadShape[] = [];
  for (let id = firstId; id < firstId + count; id++) {
    const ecPrivate = PrivateKey.generate();
    await stores.preKeys.savePreKey(id, PreKeyRecord.new(id, ecPrivate.getPublicKey(), ecPrivate));
    preKeys.push({ id, publicKey: toBase64(ecPrivate.getPublicKey().serialize()) });
    const kem = KEMKeyPair.generate();
    const signature = identity.privateKey.sign(kem.getPublicKey().serialize());
    await stores.kyberPreKeys.saveKyberPreKey(id, KyberPreKeyRecord.new(id, now, kem, signature));
    kyberPreKeys.push({ id, publicKey: toBase64(kem.getPublicKey().serialize()), signature: toBase64(signature) });
  }
  return { preKeys, kyberPreKeys };
}
