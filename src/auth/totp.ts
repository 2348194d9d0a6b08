import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

/**
 * RFC 6238 parameters every authenticator app understands: HMAC-SHA1, 30-second steps, 6 digits.
 * Codes from one step either side of the server's are accepted (clock drift, typing time).
 */
export const TOTP_PARAMS = { algorithm: 'sha1', digits: 6, period: 30 } as const;

/** Seconds either side of now in which a code is accepted: one step. */
const TOLERANCE_SECONDS = TOTP_PARAMS.period;

/** The issuer shown in authenticator apps next to the account's e-mail address. */
export const TOTP_ISSUER = 'Cradle';

/** A new shared secret: 160 random bits (RFC 4226's recommendation), base32 without padding. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://totp/…` URI an authenticator app scans (as a QR code) to enrol the secret. */
export function totpUri(secret: string, accountName: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: accountName, secret, ...TOTP_PARAMS });
}

/** The RFC 6238 time step of an instant given in milliseconds since the epoch. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PARAMS.period);
}

/** The code of a base32 secret at an instant (milliseconds since the epoch); for tests and tooling. */
export function totpCode(secret: string, nowMs: number): string {
  return generateSync({ secret, ...TOTP_PARAMS, epoch: Math.floor(nowMs / 1000) });
}

/** Whether a string has the shape of a TOTP code (six digits, spaces allowed) rather than a recovery code. */
export function looksLikeTotpCode(input: string): boolean {
  return /^\d{6}$/.test(input.replace(/\s+/g, ''));
}

/**
 * Checks a code against a base32 secret at `nowMs`, accepting one step either side. Returns the
 * step the code belongs to, or null. With `afterStep`, codes of that step and earlier are refused:
 * pass the last accepted step so a code cannot be used twice (replay protection).
 */
export function verifyTotpCode(secret: string, code: string, nowMs: number, afterStep: number | null = null): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  try {
    const result = verifySync({
      secret,
      token,
      ...TOTP_PARAMS,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: TOLERANCE_SECONDS,
      ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    return null;
  }
}
