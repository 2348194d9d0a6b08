import { describe, expect, it } from 'vitest';
import { checkNewPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../src/auth/password-policy.js';
import { AppError } from '../../src/errors.js';

const context = { email: 'jane.doe@maternity.example', displayName: 'Jane Doe' };

/** The reason the policy gives for refusing `password`, or `ACCEPTED`. */
function verdict(password: string, ctx = context): string {
  try {
    checkNewPassword(password, ctx, 'input.password');
    return 'ACCEPTED';
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password' });
    expect(err.message).not.toContain(password);
    return String(err.extensions['reason']);
  }
}

describe('checkNewPassword', () => {
  it('accepts long, unusual passphrases and passwords in any script, without composition rules', () => {
    expect(verdict('plum velvet orbit canal')).toBe('ACCEPTED');
    expect(verdict('lanterns over the quiet harbour')).toBe('ACCEPTED');
    expect(verdict('Tr0ub4dor&3-bicycle-moss')).toBe('ACCEPTED');
    expect(verdict('ночной поезд в горы')).toBe('ACCEPTED');
    expect(verdict('k9#vQ2!mZ7pL')).toBe('ACCEPTED');
    expect(verdict('482915730264')).toBe('ACCEPTED');
  });

  it('counts code points after NFKC normalisation: 12 required, 256 allowed', () => {
    expect(verdict('short phrase')).toBe('ACCEPTED');
    expect(verdict('short phras')).toBe('TOO_SHORT');
    expect(verdict('🦊🌙🍀🐋🌵🎲🧩🪁🛶🗝🧭')).toBe('TOO_SHORT');
    expect(verdict('🦊🌙🍀🐋🌵🎲🧩🪁🛶🗝🧭🪴')).toBe('ACCEPTED');
    let seed = 7;
    const long = Array.from({ length: MAX_PASSWORD_LENGTH }, () => String.fromCharCode(97 + ((seed = (seed * 48_271) % 2_147_483_647) % 26))).join('');
    expect(verdict(long)).toBe('ACCEPTED');
    expect(verdict(`${long}q`)).toBe('TOO_LONG');
    expect(MIN_PASSWORD_LENGTH).toBe(12);
  });

  it('returns the NFKC form to hash, so a composed and a decomposed password are the same password', () => {
    const composed = 'caf\u00e9 au lait, sans sucre';
    const decomposed = 'cafe\u0301 au lait, sans sucre';
    expect(checkNewPassword(decomposed, context, 'p')).toBe(composed);
    expect(checkNewPassword('ｆｕｌｌｗｉｄｔｈ ｐａｓｓｐｈｒａｓｅ', context, 'p')).toBe('fullwidth passphrase');
  });

  it('refuses repeated characters, repeated units, few distinct characters and keyboard runs as PATTERN', () => {
    expect(verdict('aaaaaaaaaaaa')).toBe('PATTERN');
    expect(verdict('abcabcabcabc')).toBe('PATTERN');
    expect(verdict('abababababab1')).toBe('PATTERN');
    expect(verdict('abcdefghijklmn')).toBe('PATTERN');
    expect(verdict('987654321098')).toBe('PATTERN');
    expect(verdict('qwertyuiopasd')).toBe('PATTERN');
    expect(verdict('1qaz2wsx3edc')).toBe('PATTERN');
    expect(verdict('!!!!!!!!!!!!!!')).toBe('PATTERN');
    expect(verdict('123456789012')).toBe('PATTERN');
    expect(verdict('monkeymonkey')).toBe('PATTERN');
  });

  it('refuses blocklisted passwords as COMMON, also decorated with digits and symbols, in leetspeak or spaced out', () => {
    expect(verdict('password1234')).toBe('COMMON');
    expect(verdict('Password2026!')).toBe('COMMON');
    expect(verdict('P@ssw0rd12345')).toBe('COMMON');
    expect(verdict('iloveyou1234')).toBe('COMMON');
    expect(verdict('correct horse battery staple')).toBe('COMMON');
    expect(verdict('sweetheart1234')).toBe('COMMON');
    expect(verdict('iloveyoumichael')).toBe('COMMON');
    expect(verdict('!!sunshine2025')).toBe('COMMON');
  });

  it("refuses a password built from the service's name or the account's e-mail and name as CONTEXT", () => {
    expect(verdict('cradle-2026-xy')).toBe('CONTEXT');
    expect(verdict('cradle-password')).toBe('COMMON');
    expect(verdict('jane.doe.2026!')).toBe('CONTEXT');
    expect(verdict('maternity12345')).toBe('CONTEXT');
    expect(verdict('JaneDoe-1990!!')).toBe('CONTEXT');
    expect(verdict('jane doe loves cycling')).toBe('ACCEPTED');
    expect(verdict('maternity12345', { email: 'someone@elsewhere.example', displayName: 'Someone' })).toBe('ACCEPTED');
  });

  it("refuses the demo seed's password, which only the development seed sets (it hashes directly, past the policy)", () => {
    expect(verdict('cradle-demo-password', { email: 'midwife@demo.cradle.example', displayName: 'Demo Midwife' })).toBe('CONTEXT');
  });
});
