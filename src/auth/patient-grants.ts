import type { EntityManager } from '@mikro-orm/postgresql';
import { CLINICAL_ROLES, Patient, RoleDataCategory, type ClinicalRole, type Role } from '../db/entities/index.js';
import { executeBound } from '../db/bound-query.js';
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

/** One row of {@link CLINICIAN_GRANT_FACTS}: a membership, a break-glass grant, a role permission or a consent. */
interface GrantFactRow {
  readonly kind: 'MEMBER' | 'EMERGENCY' | 'PERMISSION' | 'CONSENT';
  readonly patient_id: string | null;
  readonly role: string | null;
  readonly categories: unknown;
  readonly type: string | null;
  readonly expires_at: Date | string | null;
  readonly revoked_at: Date | string | null;
}

/**
 * Everything a clinician's grants depend on, in one statement (one round trip, one snapshot), with
 * `$1` the tenant, `$2` the clinician, `$3` now and `$4` the patients to consider (comma-separated
 * ids, or null for all):
 * - `MEMBER`: her active care-team memberships;
 * - `EMERGENCY`: her unexpired break-glass grants;
 * - `PERMISSION`: the tenant's role permissions for the roles she holds on those care teams;
 * - `CONSENT`: of the patients whose team she is on, active DATA_SHARING consents (for instance
 *   mental-health data shared with her lactation consultant), and every CARE_COORDINATION
 *   consent, active or not, of those she coordinates.
 * It runs under the tenant wall like any request statement.
 */
const CLINICIAN_GRANT_FACTS = `
with "m" as (
  select "patient_id", "role" from "care_team_member"
  where "tenant_id" = $1 and "user_id" = $2 and "removed_at" is null
    and ($4::text is null or "patient_id" = any(string_to_array($4::text, ',')::uuid[])))
select 'MEMBER' as "kind", "patient_id"::text as "patient_id", "role", null::jsonb as "categories", null::text as "type",
  null::timestamptz as "expires_at", null::timestamptz as "revoked_at" from "m"
union all
select 'EMERGENCY', "patient_id"::text, null, null, null, "expires_at", null from "emergency_access"
  where "tenant_id" = $1 and "user_id" = $2 and "expires_at" > $3::timestamptz
    and ($4::text is null or "patient_id" = any(string_to_array($4::text, ',')::uuid[]))
union all
select 'PERMISSION', null, "role", jsonb_build_array("category"), null, null, null from "role_data_category"
  where "tenant_id" = $1 and "role" in (select "role" from "m")
union all
select 'CONSENT', c."patient_id"::text, null, c."categories", c."type", c."expires_at", c."revoked_at" from "consent" c
  where c."tenant_id" = $1 and c."patient_id" in (select "patient_id" from "m")
    and ((c."type" = 'DATA_SHARING' and c."revoked_at" is null and (c."expires_at" is null or c."expires_at" > $3::timestamptz))
      or (c."type" = 'CARE_COORDINATION' and c."patient_id" in (select "patient_id" from "m" where "role" = 'CARE_COORDINATOR')))`;

/** Folds the consent rows of {@link CLINICIAN_GRANT_FACTS} into what they change in grants. */
function consentScopes(rows: readonly GrantFactRow[], now: number): ConsentScopes {
  const scopes: ConsentScopes = { shared: new Map(), coordination: new Map(), nextExpiry: new Map() };
  for (const consent of rows) {
    const patientId = consent.patient_id!;
    const byPatient = consent.type === 'DATA_SHARING' ? scopes.shared : scopes.coordination;
    let set = byPatient.get(patientId);
    if (!set) byPatient.set(patientId, (set = new Set()));
    const expiresAt = consent.expires_at ? asDate(consent.expires_at).getTime() : null;
    const active = !consent.revoked_at && (expiresAt === null || expiresAt > now);
    if (!active) continue;
    if (expiresAt !== null) scopes.nextExpiry.set(patientId, Math.min(expiresAt, scopes.nextExpiry.get(patientId) ?? Infinity));
    for (const category of jsonArray(consent.categories)) if (PATIENT_DATA_CATEGORIES.has(category as DataCategory)) set.add(category as DataCategory);
  }
  return scopes;
}

/** A JSON array column as a driver returns it (parsed, or as JSON text). */
function jsonArray(value: unknown): readonly string[] {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(parsed) ? (parsed as string[]) : [];
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
 * Hands out one set per distinct combination of categories, so the many grants
 * one lookup computes (a clinician on hundreds of care teams) share a few sets instead of holding one
 * each. Lives for one lookup; callers must treat the sets as read-only.
 */
export class CategorySets {
  private readonly byKey = new Map<string, ReadonlySet<DataCategory>>();

  /**
   * The shared set with the members of `categories` in the same order (iteration order is kept, so
   * anything listing a grant's categories lists them as before).
   */
  intern(categories: ReadonlySet<DataCategory>): ReadonlySet<DataCategory> {
    const key = [...categories].join(',');
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = categories));
    return set;
  }

  /** How many distinct sets it has handed out. */
  get size(): number {
    return this.byKey.size;
  }
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
  if (patientIds !== undefined && patientIds.length === 0) return new Map();
  // Its reads share one transaction: under the tenant wall a lone statement is wrapped in a
  // transaction of its own (begin, settings, the statement, commit). A clinician's grant is read by
  // one statement, so memberships, consents and permissions also come from one snapshot.
  if (em.isInTransaction()) return grantsFromSnapshot(em, actor, now, patientIds);
  return em.transactional((tx) => grantsFromSnapshot(tx, actor, now, patientIds));
}

/** {@link resolvePatientGrants} inside the caller's transaction. */
async function grantsFromSnapshot(
  em: EntityManager,
  actor: Actor,
  now: number,
  patientIds: readonly string[] | undefined,
): Promise<Map<string, PatientGrant>> {
  const grants = new Map<string, PatientGrant>();
  const only = patientIds === undefined ? null : patientIds.join(',');
  if (actor.role === 'PATIENT') {
    const own = await executeBound<{ id: string }>(
      em,
      `select "id"::text as "id" from "patient" where "tenant_id" = $1 and "user_id" = $2
         and ($3::text is null or "id" = any(string_to_array($3::text, ',')::uuid[]))`,
      [actor.tenantId, actor.userId, only],
    );
    for (const p of own) grants.set(p.id, { patientId: p.id, relation: 'SELF', careTeamRole: null, categories: SELF_CATEGORIES, expiresAt: null });
    return grants;
  }
  if (actor.role === 'ADMIN') {
    const idFilter = patientIds === undefined ? {} : { id: { $in: [...patientIds] } };
    const [all, permissions] = await Promise.all([
      em.find(Patient, { tenantId: actor.tenantId, ...idFilter }, { fields: ['id'] }),
      roleCategories(em, actor.tenantId, ['ADMIN']),
    ]);
    const categories: ReadonlySet<DataCategory> = permissions.get('ADMIN') ?? new Set();
    for (const p of all) grants.set(p.id, { patientId: p.id, relation: 'ADMIN', careTeamRole: null, categories, expiresAt: null });
    return grants;
  }
  if (!isClinician(actor)) return grants;

  const facts = await executeBound<GrantFactRow>(em, CLINICIAN_GRANT_FACTS, [actor.tenantId, actor.userId, new Date(now).toISOString(), only]);
  const permissions = new Map<string, Set<DataCategory>>();
  for (const row of facts) {
    if (row.kind !== 'PERMISSION') continue;
    let set = permissions.get(row.role!);
    if (!set) permissions.set(row.role!, (set = new Set()));
    for (const category of jsonArray(row.categories)) if (PATIENT_DATA_CATEGORIES.has(category as DataCategory)) set.add(category as DataCategory);
  }
  const scopes = consentScopes(facts.filter((row) => row.kind === 'CONSENT'), now);
  const sets = new CategorySets();
  for (const m of facts) {
    if (m.kind !== 'MEMBER') continue;
    const role = m.role as ClinicalRole;
    let categories = new Set([...(permissions.get(role) ?? []), ...(scopes.shared.get(m.patient_id!) ?? [])]);
    if (role === 'CARE_COORDINATOR') categories = withinCoordinationConsent(categories, scopes.coordination.get(m.patient_id!));
    grants.set(m.patient_id!, {
      patientId: m.patient_id!,
      relation: 'CARE_TEAM',
      careTeamRole: role,
      categories: sets.intern(categories),
      expiresAt: null,
      reviewAt: scopes.nextExpiry.get(m.patient_id!) ?? null,
    });
  }
  // A patient's latest-ending break-glass grant, where no membership already covers her.
  for (const e of facts) {
    if (e.kind !== 'EMERGENCY') continue;
    const expiresAt = asDate(e.expires_at!).getTime();
    const current = grants.get(e.patient_id!);
    if (current && (current.relation !== 'EMERGENCY' || (current.expiresAt ?? 0) >= expiresAt)) continue;
    grants.set(e.patient_id!, { patientId: e.patient_id!, relation: 'EMERGENCY', careTeamRole: null, categories: EMERGENCY_CATEGORIES, expiresAt });
  }
  return grants;
}
