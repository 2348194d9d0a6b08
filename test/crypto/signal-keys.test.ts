import { IdentityKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { envelopeIdOf, parseEnvelopeId } from '../../src/crypto/signal/envelope-id.js';
import { checkSignedPreKey, decodeBase64 } from '../../src/crypto/signal/signal-keys.js';

const fieldOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (err) {
    return (err as { extensions?: { code?: string; field?: string } }).extensions;
  }
  return null;
};

describe('key directory input checks', () => {
  it('accepts only strict, padded, standard base64', () => {
    expect(decodeBase64('AAEC', 'f', 'bytes')).toEqual(Buffer.from([0, 1, 2]));
    for (const bad of ['', 'AAE', 'AA-_', 'AAEC\n', 'AA==AA==', '!!!!']) {
      expect(fieldOf(() => decodeBase64(bad, 'input.body', 'bytes'))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.body' });
    }
  });

  it('verifies a signed prekey against the identity key and names the key when the signature is wrong', () => {
    const identity = IdentityKeyPair.generate();
    const key = PrivateKey.generate().getPublicKey();
    const publicKey = Buffer.from(key.serialize()).toString('base64');
    const signature = Buffer.from(identity.privateKey.sign(key.serialize())).toString('base64');
    expect(checkSignedPreKey(identity.publicKey, { id: 7, publicKey, signature }, 'input.signedPreKey').id).toBe(7);
    const otherSignature = Buffer.from(IdentityKeyPair.generate().privateKey.sign(key.serialize())).toString('base64');
    expect(fieldOf(() => checkSignedPreKey(identity.publicKey, { id: 7, publicKey, signature: otherSignature }, 'input.signedPreKey'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.signedPreKey',
    });
  });

  it('round-trips envelope ids and refuses ids that are not ones', () => {
    const key = { devicePk: '0b0e6c1e-57a6-4f5a-9d7c-1f2e3d4c5b6a', seq: 42 };
    expect(parseEnvelopeId(envelopeIdOf(key), 'ids[0]')).toEqual(key);
    for (const bad of ['42', 'not-an-id', Buffer.from('x:1').toString('base64url')]) {
      expect(fieldOf(() => parseEnvelopeId(bad, 'ids[0]'))).toEqual({ code: 'BAD_USER_INPUT', field: 'ids[0]' });
    }
  });
});
