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
  /**
   * When a consent that shaped the grant's categories expires (milliseconds since the epoch), so the
   * grant must be looked up again then; null when no consent with an expiry shaped it. A live
   * subscription re-checks the grant at that moment (see `LiveFeed`), as it does on a revocation.
   */
  readonly reviewAt?: number | null;
}

/** Whether a grant is still in force at `now`: not expired, and not past its review (it must be looked up again first). */
export function isGrantActive(grant: PatientGrant, now: number): boolean {
  return (grant.expiresAt === null || grant.expiresAt > now) && (grant.reviewAt == null || grant.reviewAt > now);
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
 * What a care coordinator keeps of a patient whatever her CARE_COORDINATION consent says: who she
 * is, how to reach her and who cares for her (enough to run her care team and reach out).
 */
const COORDINATION_BASICS: ReadonlySet<DataCategory> = new Set(['IDENTITY', 'CONTACT', 'CARE_TEAM']);

/** What patients' consents change in their care team's grants. */
interface ConsentScopes {
  /** Categories each patient shares with her whole care team through an active DATA_SHARING consent. */
  readonly shared: Map<string, Set<DataCategory>>;
  /**
   * For each patient who has ever recorded a CARE_COORDINATION consent: the clinical categories her
   * active ones cover (empty once all are revoked or expired). Patients without any record are absent.
   */
  readonly coordination: Map<string, Set<DataCategory>>;
  /** For each patient, the earliest future expiry of an active consent read here (ms since the epoch). */
  readonly nextExpiry: Map<string, number>;
}

/**
 * Reads the consents that shape care-team grants, in one query: active DATA_SHARING consents of
 * `patientIds` (for instance mental-health data shared with her lactation consultant), and every
 * CARE_COORDINATION consent, active or not, of `coordinatedIds` (the patients the caller coordinates).
 */
async function consentScopes(
  em: EntityManager,
  tenantId: string,
  patientIds: readonly string[],
  coordinatedIds: readonly string[],
  now: number,
): Promise<ConsentScopes> {
  const scopes: ConsentScopes = { shared: new Map(), coordination: new Map(), nextExpiry: new Map() };
  if (patientIds.length === 0) return scopes;
  const dataSharing = { type: 'DATA_SHARING', revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date(now) } }] };
  const coordination = { type: 'CARE_COORDINATION', patientId: { $in: [...coordinatedIds] } };
  const consents = await em.find(
    Consent,
    { tenantId, patientId: { $in: [...patientIds] }, ...(coordinatedIds.length === 0 ? dataSharing : { $or: [dataSharing, coordination] }) },
    { fields: ['patientId', 'type', 'categories', 'revokedAt', 'expiresAt'] },
  );
  for (const consent of consents) {
    const byPatient = consent.type === 'DATA_SHARING' ? scopes.shared : scopes.coordination;
    let set = byPatient.get(consent.patientId);
    if (!set) byPatient.set(consent.patientId, (set = new Set()));
    const expiresAt = consent.expiresAt ? asDate(consent.expiresAt).getTime() : null;
    const active = !consent.revokedAt && (expiresAt === null || expiresAt > now);
    if (!active) continue;
    if (expiresAt !== null) scopes.nextExpiry.set(consent.patientId, Math.min(expiresAt, scopes.nextExpiry.get(consent.patientId) ?? Infinity));
    for (const category of consent.categories) if (PATIENT_DATA_CATEGORIES.has(category as DataCategory)) set.add(category as DataCategory);
  }
  return scopes;
}

/**
 * A care coordinator's categories for a patient under her CARE_COORDINATION consent: unchanged while
 * she has never recorded one (coordination is part of treatment, which needs no consent); once she
 * has, clinical categories only as far as her active consents list them.
 */
function withinCoordinationConsent(categories: Set<DataCategory>, consented: ReadonlySet<DataCategory> | undefined): Set<DataCategory> {
  if (!consented) return categories;
  return new Set([...categories].filter((c) => COORDINATION_BASICS.has(c) || consented.has(c)));
}

/**
 * Computes the caller's grants for patients in its own tenant:
 * - the patient herself (SELF, everything);
 * - active care-team members, by their care-team role (the tenant's role permissions), plus what the
 *   patient shares with her team through an active DATA_SHARING consent; a care coordinator's
 *   clinical categories are further limited by the patient's CARE_COORDINATION consent, once she
 *   has recorded one (see {@link withinCoordinationConsent});
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
  const coordinated = memberships.filter((m) => m.role === 'CARE_COORDINATOR').map((m) => m.patientId);
  const [scopes, permissions] = await Promise.all([
    consentScopes(em, actor.tenantId, memberships.map((m) => m.patientId), coordinated, now),
    roleCategories(em, actor.tenantId, memberships.map((m) => m.role as ClinicalRole)),
  ]);
  for (const m of memberships) {
    const role = m.role as ClinicalRole;
    let categories = new Set([...(permissions.get(role) ?? []), ...(scopes.shared.get(m.patientId) ?? [])]);
    if (role === 'CARE_COORDINATOR') categories = withinCoordinationConsent(categories, scopes.coordination.get(m.patientId));
    grants.set(m.patientId, {
      patientId: m.patientId,
      relation: 'CARE_TEAM',
      careTeamRole: role,
      categories,
      expiresAt: null,
      reviewAt: scopes.nextExpiry.get(m.patientId) ?? null,
    });
  }
  for (const e of emergencies) {
    if (grants.has(e.patientId)) continue;
    const expiresAt = asDate(e.expiresAt).getTime();
    grants.set(e.patientId, { patientId: e.patientId, relation: 'EMERGENCY', careTeamRole: null, categories: EMERGENCY_CATEGORIES, expiresAt });
  }
  return grants;
}
