import { BadInputError } from '../../errors.js';
import { isUuid } from '../../auth/patient-access.js';

/**
 * An envelope's public id: opaque to clients, it names the recipient device row and the envelope's
 * sequence number on it (`base64url("<devicePk>:<seq>")`). Sequence numbers are commit-ordered per
 * device, which is what makes `inbox(since:)` resume without a gap.
 */
export interface EnvelopeKey {
  readonly devicePk: string;
  readonly seq: number;
}

/** Encodes an envelope key as its public id. */
export function envelopeIdOf(key: EnvelopeKey): string {
  return Buffer.from(`${key.devicePk}:${key.seq}`, 'utf8').toString('base64url');
}

/** Decodes a public envelope id, or throws BAD_USER_INPUT naming `field`. */
export function parseEnvelopeId(id: string, field: string): EnvelopeKey {
  const match = /^([0-9a-f-]{36}):(\d{1,15})$/i.exec(Buffer.from(String(id), 'base64url').toString('utf8'));
  if (!match || !isUuid(match[1]!)) throw BadInputError.field(field, `${field} is not an envelope id.`);
  return { devicePk: match[1]!.toLowerCase(), seq: Number(match[2]) };
}
