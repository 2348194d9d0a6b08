import type { Role } from '../graphql/graphql.js';

/** The roles that watch patients on the clinician dashboard. */
export const CLINICIAN_ROLES: readonly Role[] = ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'];

/**
 * The page a role starts on. This is navigation only: what each page shows is what the server
 * answers for this user, and a role sent to a page it cannot use sees the server's refusal.
 */
export function homeRoute(role: Role): string {
  if (role === 'PATIENT') return '/check-in';
  if (role === 'CARE_COORDINATOR') return '/protocols';
  if (CLINICIAN_ROLES.includes(role)) return '/dashboard';
  return '/account';
}
