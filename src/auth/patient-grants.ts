import type { EntityManager } from '@mikro-orm/postgresql';
import { CLINICAL_ROLES, CareTeamMember, Consent, EmergencyAccess, Patient, RoleDataCategory, type ClinicalRole, type Role } from '../db/entities/index.js';
import type { Actor } from './actor.js';
import { asDate } from '../schema/common/dates.js';
import { EMERGENCY_CATEGORIES, PATIENT_DATA_CATEGORIES, SELF_CATEGORIES, type DataCategory } from './data-category.js';

/** Why a caller may see a patient. */
export type PatientRelation = 'SELF' | 'CARE_TEAM' | 'EMERGENCY' | 'ADMIN';

/** What one caller may read of one patient. */
export interface PatientGrant {
  readonly patientId: string;
  readonly relation: PatientRelation;
  /** The caller's role on the patient's care team (CARE_TEAM relation only). */
  readonly careTeamRole: ClinicalRole | null;
  readonly categories: ReadonlySet<DataCategory>;
  /** When the grant ends by itself (break-glass), in milliseconds since the epoch; null if it does not. */
  readonly expiresAt: number | null;
}

/** Whether a grant is still in force at `now`. */
export function isGrantActive(grant: PatientGrant, now: number): boolean {
  return grant.expiresAt === null || grant.expiresAt > now;
}

/** The clinical roles that may hold a care-team membership or break glass. */
function isClinician(actor: Actor): actor is Actor & { role: ClinicalRole } {
  return (CLINICAL_ROLES as readonly string[]).includes(actor.role);
}

/**
 * The tenant's role permissions (roles and permissions as data, `role_data_category`): which
 * patient-data categories each of `roles` may read. A role without rows reads nothing.
 */
export async function roleCategories(em: EntityManager, tenantId: string, roles: readonly Role[]): Promise<Map<Role, Set<DataCategory>>> {
  const byRole = new Map<Role, Set<DataCategory>>(roles.map((r) => [r, new Set<DataCategory>()]));
  if (roles.length === 0) return byRole;
  const rows = await em.find(RoleDataCategory, { tenantId, role: { $in: [...new Set(roles)] } }, { fields: ['role', 'category'] });
  for (const row of rows) {
    if (PATIENT_DATA_CATEGORIES.has(row.category as DataCategory)) byRole.get(row.role as Role)?.add(row.category as DataCategory);
  }
  return byRole;
}

/**
 * Categories each patient shares with her whole care team through an active DATA_SHARING consent
 * (for instance mental-health data with her lactation consultant).
 */
async function sharedCategories(em: EntityManager, tenantId: string, patientIds: readonly string[], now: number): Promise<Map<string, Set<DataCategory>>> {
  const shared = new Map<string, Set<DataCategory>>();
  if (patientIds.length === 0) return shared;
  const consents = await em.find(
    Consent,
    { tenantId, patientId: { $in: [...patientIds] }, type: 'DATA_SHARING', revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date(now) } }] },
    { fields: ['patientId', 'categories'] },
  );
  for (const consent of consents) {
    let set = shared.get(consent.patientId);
    if (!set) shared.set(consent.patientId, (set = new Set()));
    for (const category of consent.categories) if (PATIENT_DATA_CATEGORIES.has(category as DataCategory)) set.add(category as DataCategory);
  }
  return shared;
}

/**
 * Computes the caller's grants for patients in its own tenant:
 * - the patient herself (SELF, everything);
 * - active care-team members, by their care-team role (the tenant's role permissions), plus what the
 *   patient shares with her team through an active DATA_SHARING consent;
 * - a clinician with an unexpired break-glass grant (EMERGENCY, all clinical categories, until it ends);
 * - the tenant's ADMINs (what the tenant's role permissions give ADMIN: never clinical data).
 * Researchers and compliance officers get none. With `patientIds`, only those patients are considered.
 *
 * This is the one place that decides who may see which patient; requests and live subscriptions
 * both call it. `now` is the server clock in milliseconds.
 */
export async function resolvePatientGrants(
  em: EntityManager,
  actor: Actor,
  now: number,
  patientIds?: readonly string[],
): Promise<Map<string, PatientGrant>> {
  const grants = new Map<string, PatientGrant>();
  if (patientIds !== undefined && patientIds.length === 0) return grants;
  const idFilter = patientIds === undefined ? {} : { id: { $in: [...patientIds] } };
  const patientFilter = patientIds === undefined ? {} : { patientId: { $in: [...patientIds] } };
  if (actor.role === 'PATIENT') {
    const own = await em.find(Patient, { tenantId: actor.tenantId, userId: actor.userId, ...idFilter }, { fields: ['id'] });
    for (const p of own) grants.set(p.id, { patientId: p.id, relation: 'SELF', careTeamRole: null, categories: SELF_CATEGORIES, expiresAt: null });
    return grants;
  }
  if (actor.role === 'ADMIN') {
    const [all, permissions] = await Promise.all([
      em.find(Patient, { tenantId: actor.tenantId, ...idFilter }, { fields: ['id'] }),
      roleCategories(em, actor.tenantId, ['ADMIN']),
    ]);
    const categories: ReadonlySet<DataCategory> = permissions.get('ADMIN') ?? new Set();
    for (const p of all) grants.set(p.id, { patientId: p.id, relation: 'ADMIN', careTeamRole: null, categories, expiresAt: null });
    return grants;
  }
  if (!isClinician(actor)) return grants;

  const [memberships, emergencies] = await Promise.all([
    em.find(CareTeamMember, { tenantId: actor.tenantId, userId: actor.userId, removedAt: null, ...patientFilter }, { fields: ['patientId', 'role'] }),
    em.find(
      EmergencyAccess,
      { tenantId: actor.tenantId, userId: actor.userId, expiresAt: { $gt: new Date(now) }, ...patientFilter },
      { fields: ['patientId', 'expiresAt'], orderBy: { expiresAt: 'desc' } },
    ),
  ]);
  const [shared, permissions] = await Promise.all([
    sharedCategories(em, actor.tenantId, memberships.map((m) => m.patientId), now),
    roleCategories(em, actor.tenantId, memberships.map((m) => m.role as ClinicalRole)),
  ]);
  for (const m of memberships) {
    const role = m.role as ClinicalRole;
    const categories = new Set([...(permissions.get(role) ?? []), ...(shared.get(m.patientId) ?? [])]);
    grants.set(m.patientId, { patientId: m.patientId, relation: 'CARE_TEAM', careTeamRole: role, categories, expiresAt: null });
  }
  for (const e of emergencies) {
    if (grants.has(e.patientId)) continue;
    const expiresAt = asDate(e.expiresAt).getTime();
    grants.set(e.patientId, { patientId: e.patientId, relation: 'EMERGENCY', careTeamRole: null, categories: EMERGENCY_CATEGORIES, expiresAt });
  }
  return grants;
}
