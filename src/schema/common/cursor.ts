import { BadInputError } from '../../errors.js';

/**
 * Opaque cursors: base64url of a prefixed value. Clients must treat them as opaque; the prefix keeps
 * a cursor of one list from being accepted by another.
 */
export const Cursor = {
  /** A tenant event cursor (status updates, live events). */
  ofSeq(seq: number): string {
    return Buffer.from(`seq:${seq}`).toString('base64url');
  },
  /** Reads a tenant event cursor, or throws BAD_USER_INPUT naming `field`. */
  toSeq(cursor: string, field: string): number {
    const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!match) throw BadInputError.cursor(field);
    return Number(match[1]);
  },
  /** A cursor over rows ordered by id. */
  ofId(id: string): string {
    return Buffer.from(`id:${id}`).toString('base64url');
  },
  /** A cursor over rows ordered by a time (milliseconds), then id: follow-up tasks by due time. */
  ofTimeAndId(time: number, id: string): string {
    return Buffer.from(`at:${time}:${id}`).toString('base64url');
  },
  /** Reads a time-and-id cursor, or throws BAD_USER_INPUT naming `field`. */
  toTimeAndId(cursor: string, field: string): { time: number; id: string } {
    const match = /^at:(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!match) throw BadInputError.cursor(field);
    return { time: Number(match[1]), id: match[2]! };
  },
  /** Reads an id cursor, or throws BAD_USER_INPUT naming `field`. */
  toId(cursor: string, field: string): string {
    const match = /^id:([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!match) throw BadInputError.cursor(field);
    return match[1]!;
  },
} as const;
