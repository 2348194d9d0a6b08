import { coversAll } from '../auth/record-visibility.js';
import { CLINICAL_ROLES, STATUS_KINDS, type ClinicalRole, type StatusKind } from '../db/entities/index.js';

/** Which care-team roles a kind of update is relevant to, for live routing. */
export type RelevanceTable = Readonly<Record<StatusKind, readonly ClinicalRole[]>>;

/**
 * Cradle's default live routing: each kind goes to the care-team roles that act on it (alert
 * fatigue is real: tailoring what each role sees reduces ignored alerts). A tenant can override
 * any row. Routing only narrows what access already allows; the patient always gets her own updates.
 */
export const DEFAULT_RELEVANCE: RelevanceTable = {
  MOOD: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'CARE_COORDINATOR'],
  SCREENING: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR'],
  FEEDING: ['MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR'],
  SLEEP: ['MIDWIFE', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'],
  VITALS: ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'CARE_COORDINATOR'],
  SYMPTOMS: ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'CARE_COORDINATOR'],
  INFANT_VITALS: ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR'],
};

/** A tenant's overrides as stored: kind → roles, for the kinds it changed. */
export type RelevanceOverrides = Partial<Record<string, readonly string[]>>;

/** Merges a tenant's stored overrides over the defaults, ignoring unknown kinds and roles. */
export function relevanceTable(overrides: RelevanceOverrides | null | undefined): RelevanceTable {
  const table: Record<StatusKind, readonly ClinicalRole[]> = { ...DEFAULT_RELEVANCE };
  for (const kind of STATUS_KINDS) {
    const roles = overrides?.[kind];
    if (roles) table[kind] = roles.filter((r): r is ClinicalRole => (CLINICAL_ROLES as readonly string[]).includes(r));
  }
  return table;
}

/** Who an alert event is meant for (the alert's routing plus the escalation targets paged so far). */
export interface AlertAudience {
  readonly roles: readonly string[];
  readonly userIds: readonly string[];
}

/**
 * Whether an alert event concerns a subscriber: a care-team member whose role is in the audience,
 * or a user the escalation chain names; and in both cases only with a grant for the patient that
 * covers every data category the alert reads (a FEEDING-triggered alert whose condition reads the
 * EPDS history never reaches the lactation consultant unless the patient shares MENTAL_HEALTH). A
 * page to someone who may not see the alert is not sent at all. The patient herself never
 * receives clinician alerts.
 */
export function alertConcerns(
  grant: { readonly relation: string; readonly careTeamRole: string | null; readonly categories: ReadonlySet<string> } | undefined,
  userId: string,
  audience: AlertAudience,
  categories: readonly string[],
): boolean {
  if (!grant || grant.relation === 'SELF' || grant.relation === 'ADMIN' || !coversAll(grant.categories, categories)) return false;
  if (audience.userIds.includes(userId)) return true;
  return grant.relation === 'CARE_TEAM' && grant.careTeamRole !== null && audience.roles.includes(grant.careTeamRole);
}
