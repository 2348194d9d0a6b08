import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blindIndex, blindIndexSubkey } from '../../src/crypto/blind-index.js';
import { FieldDecryptionError, isSealed, openValue, sealedKeyId, sealValue, type DataKey, type FieldPlace } from '../../src/crypto/field-cipher.js';
import { KeyEncryptionKeys, LocalKeyEncryptionKey } from '../../src/crypto/key-encryption-key.js';

const tenantId = '3f0c6a9e-2b1d-4c55-9a7e-0d1f2e3a4b5c';
const key: DataKey = { id: '0b7e4f2a-9c3d-4e1f-8a2b-6c5d4e3f2a1b', tenantId, key: randomBytes(32) };
const keyOf = (id: string) => (id === key.id ? key : null);
const place: FieldPlace = { tenantId, table: 'patient', recordId: 'a1b2c3d4-0000-4000-8000-000000000001', column: 'given_name' };
const { tenantId: _tenant, ...where } = place;

describe('field cipher', () => {
  it('round-trips a value, unicode included, through the v1 format naming its data key', () => {
    const sealed = sealValue('Zoë Ødegård-Nkemelu', key, place);
    expect(sealed).toMatch(/^v1\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe(key.id);
    expect(openValue(sealed, keyOf, where)).toBe('Zoë Ødegård-Nkemelu');
  });

  it('uses a fresh nonce each time, so equal values do not look equal at rest', () => {
    expect(sealValue('Mia', key, place)).not.toBe(sealValue('Mia', key, place));
  });

  it('fails to decrypt a value moved to another row, another column or another table', () => {
    const sealed = sealValue('Mia', key, place);
    expect(() => openValue(sealed, keyOf, { ...where, recordId: 'a1b2c3d4-0000-4000-8000-000000000002' })).toThrow(FieldDecryptionError);
    expect(() => openValue(sealed, keyOf, { ...where, column: 'family_name' })).toThrow(/authentication failed/);
    expect(() => openValue(sealed, keyOf, { ...where, table: 'infant' })).toThrow(/authentication failed/);
  });

  it('fails to decrypt a value of another tenant even under the same record id', () => {
    const otherTenantKey: DataKey = { ...key, tenantId: '99999999-2b1d-4c55-9a7e-0d1f2e3a4b5c' };
    const sealed = sealValue('Mia', key, place);
    expect(() => openValue(sealed, () => otherTenantKey, where)).toThrow(/authentication failed/);
  });

  it('detects a tampered ciphertext, nonce or tag', () => {
    const sealed = sealValue('Mia Tanaka', key, place);
    const parts = sealed.split('.');
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    expect(() => openValue([parts[0], parts[1], flip(parts[2]!, 3), parts[3]].join('.'), keyOf, where)).toThrow(FieldDecryptionError);
    expect(() => openValue([parts[0], parts[1], parts[2], flip(parts[3]!, 1)].join('.'), keyOf, where)).toThrow(FieldDecryptionError);
    expect(() => openValue([parts[0], parts[1], parts[2], flip(parts[3]!, parts[3]!.length - 2)].join('.'), keyOf, where)).toThrow(FieldDecryptionError);
  });

  it('fails with the wrong data key or an unknown key id, and the error carries no value', () => {
    const sealed = sealValue('Secret Name', key, place);
    const wrong: DataKey = { ...key, key: randomBytes(32) };
    expect(() => openValue(sealed, () => wrong, where)).toThrow(FieldDecryptionError);
    let message = '';
    try {
      openValue(sealed, () => null, where);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not available/);
    expect(message).not.toContain('Secret');
  });

  it('treats values without the version prefix as legacy plaintext', () => {
    expect(isSealed('Mia')).toBe(false);
    expect(isSealed('v1.not-a-ciphertext')).toBe(false);
    expect(sealedKeyId('2024-01-01')).toBeNull();
  });
});

describe('key-encryption keys', () => {
  it('unwraps what it wrapped, and refuses another context or another KEK', async () => {
    const kek = new LocalKeyEncryptionKey(randomBytes(32));
    const plain = randomBytes(32);
    const wrapped = await kek.wrap(plain, 'field-key|DATA|k1|t1');
    expect((await kek.unwrap(wrapped, 'field-key|DATA|k1|t1')).equals(plain)).toBe(true);
    await expect(kek.unwrap(wrapped, 'field-key|DATA|k2|t1')).rejects.toThrow();
    await expect(new LocalKeyEncryptionKey(randomBytes(32)).unwrap(wrapped, 'field-key|DATA|k1|t1')).rejects.toThrow();
  });

  it('finds the current and previous KEKs by id', () => {
    const current = new LocalKeyEncryptionKey(randomBytes(32));
    const previous = new LocalKeyEncryptionKey(randomBytes(32));
    const keks = new KeyEncryptionKeys(current, [previous]);
    expect(keks.ids).toEqual([current.id, previous.id]);
    expect(keks.get(previous.id)).toBe(previous);
    expect(keks.get('k000000000000')).toBeNull();
  });
});

describe('blind index', () => {
  const root = randomBytes(32);

  it('is deterministic per key, and normalises e-mail case and surrounding whitespace', () => {
    const subkey = blindIndexSubkey(root, 'email', null);
    const index = blindIndex(subkey, 'email', 'Mia.Tanaka@Example.org');
    expect(index).toMatch(/^[0-9a-f]{64}$/);
    expect(blindIndex(subkey, 'email', '  mia.tanaka@example.ORG ')).toBe(index);
    expect(blindIndex(subkey, 'email', 'mia.tanaka@example.net')).not.toBe(index);
  });

  it('differs under another index key, so a dump cannot be matched against guessed addresses', () => {
    const one = blindIndex(blindIndexSubkey(root, 'email', null), 'email', 'mia@example.org');
    const other = blindIndex(blindIndexSubkey(randomBytes(32), 'email', null), 'email', 'mia@example.org');
    expect(one).not.toBe(other);
  });

  it('derives MRN subkeys per tenant and normalises MRN spacing and case', () => {
    const a = blindIndexSubkey(root, 'mrn', 'tenant-a');
    const b = blindIndexSubkey(root, 'mrn', 'tenant-b');
    expect(blindIndex(a, 'mrn', 'mrn 0042 x')).toBe(blindIndex(a, 'mrn', 'MRN0042X'));
    expect(blindIndex(a, 'mrn', 'MRN0042X')).not.toBe(blindIndex(b, 'mrn', 'MRN0042X'));
  });
});
