import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCode, normaliseRecoveryCode } from '../../src/auth/totp-recovery-code.js';
import { looksLikeTotpCode, newTotpSecret, totpCode, totpStep, totpUri, verifyTotpCode } from '../../src/auth/totp.js';

/** RFC 6238 appendix B's SHA-1 seed, "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/**
 * RFC 6238 appendix B, SHA-1 rows: time in seconds → 8-digit code. A 6-digit code is the same
 * truncated value modulo 10^6, so its last six digits.
 */
const RFC_VECTORS: ReadonlyArray<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP codes (RFC 6238)', () => {
  it.each(RFC_VECTORS)('gives the RFC 6238 code at %i s', (seconds, eightDigits) => {
    expect(totpCode(RFC_SECRET, seconds * 1000)).toBe(eightDigits.slice(2));
    expect(verifyTotpCode(RFC_SECRET, eightDigits.slice(2), seconds * 1000)).toBe(totpStep(seconds * 1000));
  });

  it('accepts a code one step either side of now and refuses two steps away', () => {
    const at = 1_800_000_015_000;
    const code = totpCode(RFC_SECRET, at);
    const step = totpStep(at);
    expect(verifyTotpCode(RFC_SECRET, code, at - 30_000)).toBe(step);
    expect(verifyTotpCode(RFC_SECRET, code, at + 30_000)).toBe(step);
    expect(verifyTotpCode(RFC_SECRET, code, at - 60_000)).toBeNull();
    expect(verifyTotpCode(RFC_SECRET, code, at + 60_000)).toBeNull();
  });

  it('refuses a code of the last accepted step or an earlier one (replay), and accepts a later one', () => {
    const at = 1_800_000_015_000;
    const step = totpStep(at);
    const code = totpCode(RFC_SECRET, at);
    expect(verifyTotpCode(RFC_SECRET, code, at, step)).toBeNull();
    expect(verifyTotpCode(RFC_SECRET, totpCode(RFC_SECRET, at - 30_000), at, step)).toBeNull();
    expect(verifyTotpCode(RFC_SECRET, totpCode(RFC_SECRET, at + 30_000), at, step)).toBe(step + 1);
  });

  it('refuses wrong codes and anything that is not six digits', () => {
    const at = 1_800_000_015_000;
    const code = totpCode(RFC_SECRET, at);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotpCode(RFC_SECRET, wrong, at)).toBeNull();
    expect(verifyTotpCode(RFC_SECRET, `${code}0`, at)).toBeNull();
    expect(verifyTotpCode(RFC_SECRET, '', at)).toBeNull();
    expect(verifyTotpCode(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, at)).toBe(totpStep(at));
  });

  it('makes 160-bit base32 secrets and an otpauth URI naming the issuer, account and parameters', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(totpUri(secret, 'midwife@clinic.example'));
    expect(uri.protocol).toBe('otpauth:');
    expect(decodeURIComponent(uri.pathname)).toContain('Cradle:midwife@clinic.example');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Cradle');
    expect(uri.searchParams.get('digits') ?? '6').toBe('6');
    expect(uri.searchParams.get('period') ?? '30').toBe('30');
  });
});

describe('recovery codes', () => {
  it('makes distinct 128-bit codes in dashed Crockford base32', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}-[0-9A-HJKMNP-TV-Z]$/);
    expect(new Set(codes).size).toBe(50);
  });

  it('hashes a code the same however it is typed', () => {
    const code = newRecoveryCode();
    const typed = code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
    expect(normaliseRecoveryCode(typed)).toBe(code.replace(/-/g, ''));
    expect(hashRecoveryCode(typed)).toBe(hashRecoveryCode(code));
    expect(hashRecoveryCode(code)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells a TOTP code from a recovery code', () => {
    expect(looksLikeTotpCode('123 456')).toBe(true);
    expect(looksLikeTotpCode(newRecoveryCode())).toBe(false);
  });
});
