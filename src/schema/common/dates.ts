/**
 * A timestamp column's value as a Date. Rows loaded by the ORM carry Dates; values the database
 * driver hands over raw (timestamps are kept as strings, as node-postgres gives them) are parsed.
 */
export function asDate(value: Date | string): Date;
export function asDate(value: Date | string | null | undefined): Date | null;
export function asDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}
