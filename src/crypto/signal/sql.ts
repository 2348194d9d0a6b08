/**
 * SQL fragments shared by the key directory and the mailbox. Key and body columns are `bytea`;
 * they cross the driver as base64 text (`decode(?, 'base64')` in, {@link base64Of} out), which
 * behaves the same on node-postgres and PGlite.
 */

/** A bytea column read back as one-line base64 (PostgreSQL wraps `encode` output every 76 characters). */
export function base64Of(column: string): string {
  return `translate(encode(${column}, 'base64'), chr(10), '')`;
}

/** A device row as the services read it (keys as base64). */
export interface DeviceRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly device_id: number;
  readonly registration_id: number;
  readonly created_at: Date | string;
}

/** The columns of {@link DeviceRow}. */
export const DEVICE_COLUMNS = `"id", "tenant_id", "user_id", "device_id", "registration_id", "created_at"`;
