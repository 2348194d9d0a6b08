import type { ClinicalRole } from '../../db/entities/index.js';
import type { BuiltInParameter, EscalationChain, EscalationTier } from '../protocol.js';

/**
 * Small builders shared by the built-in protocol library.
 *
 * @module
 */

/** A tier paging every care-team member with one of `roles`, waiting `ackTimeoutMinutes`. */
export function rolesTier(ackTimeoutMinutes: number, ...roles: ClinicalRole[]): EscalationTier {
  return { targets: roles.map((role) => ({ type: 'ROLE', role })), ackTimeoutMinutes };
}

/** An escalation chain of `tiers`, then `fallback`, repeated `repeat` more times. */
export function chain(tiers: EscalationTier[], fallback: EscalationTier, repeat: number): EscalationChain {
  return { tiers, fallback, repeat };
}

/** A number written as a CEL double literal (`38.0`), for arithmetic with doubles. */
export function celDouble(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** The parameter values to build with: the defaults, overridden by the given values that name a parameter. */
export function resolveParameters(
  declared: Readonly<Record<string, BuiltInParameter>>,
  given: Readonly<Record<string, number>>,
): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [key, parameter] of Object.entries(declared)) {
    const value = given[key];
    values[key] = typeof value === 'number' && Number.isFinite(value) ? value : parameter.value;
  }
  return values;
}

/** Reads one resolved parameter (the keys are declared next to `build`, so it is always there). */
export function param(values: Readonly<Record<string, number>>, key: string): number {
  const value = values[key];
  if (value === undefined) throw new Error(`Built-in parameter '${key}' is not declared.`);
  return value;
}
