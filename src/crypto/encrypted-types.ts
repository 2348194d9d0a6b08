import { Type, type Platform, type TransformContext } from '@mikro-orm/core';
import { isSealed } from './field-cipher.js';

/**
 * Thrown when plaintext would reach an encrypted column, or a query filters an encrypted column by
 * a plaintext value, bypassing field encryption (e.g. a query builder update). Names the column only.
 */
export class UnencryptedFieldWriteError extends Error {
  constructor(column: string | undefined, mode: string | undefined) {
    super(
      mode === 'query'
        ? `Encrypted column ${column ?? ''} cannot be filtered by value; use its blind index or the primary key`
        : `Plaintext would be written to encrypted column ${column ?? ''}: write it through the entity manager (flush, nativeInsert, nativeUpdate by primary key)`,
    );
    this.name = 'UnencryptedFieldWriteError';
  }
}

function guard(value: unknown, context: TransformContext | undefined): void {
  if (value == null) return;
  if ((context?.mode === 'query-data' || context?.mode === 'query') && !isSealed(value)) {
    throw new UnencryptedFieldWriteError(context.key, context.mode);
  }
}

/**
 * An encrypted text column (see `crypto/encrypting-driver.ts`): the entity holds plaintext, the
 * database `v1.…` ciphertext. Encryption and decryption happen in the driver, which knows the row
 * (its id is bound into the ciphertext); this type only refuses plaintext in SQL parameters, so a
 * path that bypasses the driver fails loudly instead of storing PHI in the clear.
 */
export class EncryptedTextType extends Type<string | null, string | null> {
  override convertToDatabaseValue(value: string | null, _platform: Platform, context?: TransformContext): string | null {
    guard(value, context);
    return value;
  }

  override convertToJSValue(value: string | null): string | null {
    return value;
  }

  override getColumnType(): string {
    return 'text';
  }

  override compareAsType(): string {
    return 'string';
  }
}

/**
 * An encrypted JSON document (a status update's `data`): one ciphertext of the whole JSON text.
 * The entity holds the parsed object, so typed inputs stay typed after decryption.
 */
export class EncryptedJsonType extends Type<Record<string, unknown> | null, string | null> {
  override convertToDatabaseValue(value: Record<string, unknown> | string | null, _platform: Platform, context?: TransformContext): string | null {
    if (value == null) return null;
    if (context?.mode === 'query-data' || context?.mode === 'query') {
      guard(value, context);
      return value as string;
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  override convertToJSValue(value: Record<string, unknown> | string | null): Record<string, unknown> | null {
    if (value == null) return null;
    return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;
  }

  override getColumnType(): string {
    return 'text';
  }

  override compareAsType(): string {
    return 'string';
  }
}
