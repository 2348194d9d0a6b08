import type { EntityManager } from '@mikro-orm/postgresql';
import { CareTeamMember, Patient, type ClinicalRole } from '../db/entities/index.js';
import type { Actor } from './actor.js';
import { ADMIN_CATEGORIES, CARE_TEAM_ROLE_CATEGORIES, SELF_CATEGORIES, type DataCategory } from './data-category.js';

/** Why a caller may see a patient. */
export type PatientRelation = 'SELF' | 'CARE_TEAM' | 'ADMIN';

/** What one caller may read of one patient. */
export interface PatientGrant {
  readonly patientId: string;
  readonly relation: PatientRelation;
  /** The caller's role on the patient's care team (CARE_TEAM relation only). */
  readonly careTeamRole: ClinicalRole | null;
  readonly categories: ReadonlySet<DataCategory>;
}

/**
 * Computes the caller's grants for patients in its own tenant: the patient herself (SELF), active
 * care-team members (by their care-team role) and the tenant's ADMINs (identity and care team only).
 * Other roles get none. With `patientIds`, only those patients are considered.
 *
 * This is the one place that decides who may see which patient; requests and live subscriptions
 * both call it.
 */
export async function resolvePatientGrants(
  em: EntityManager,
  actor: Actor,
  patientIds?: readonly string[],
): Promise<Map<string, PatientGrant>> {
  const grants = new Map<string, PatientGrant>();
  if (patientIds !== undefined && patientIds.length === 0) return grants;
  const idFilter = patientIds === undefined ? {} : { id: { $in: [...patientIds] } };
  switch (actor.role) {
    case 'PATIENT': {
      const own = await em.find(Patient, { tenantId: actor.tenantId, userId: actor.userId, ...idFilter }, { fields: ['id'] });
      for (const p of own) grants.set(p.id, { patientId: p.id, relation: 'SELF', careTeamRole: null, categories: SELF_CATEGORIES });
      return grants;
    }
    case 'ADMIN': {
      const all = await em.find(Patient, { tenantId: actor.tenantId, ...idFilter }, { fields: ['id'] });
      for (const p of all) grants.set(p.id, { patientId: p.id, relation: 'ADMIN', careTeamRole: null, categories: ADMIN_CATEGORIES });
      return grants;
    }
    case 'RESEARCHER':
    case 'COMPLIANCE_OFFICER':
      return grants;
    default: {
      const memberships = await em.find(
        CareTeamMember,
        {
          tenantId: actor.tenantId,
          userId: actor.userId,
          removedAt: null,
          ...(patientIds === undefined ? {} : { patientId: { $in: [...patientIds] } }),
        },
        { fields: ['patientId', 'role'] },
      );
      for (const m of memberships) {
        grants.set(m.patientId, {
          patientId: m.patientId,
          relation: 'CARE_TEAM',
          careTeamRole: m.role as ClinicalRole,
          categories: CARE_TEAM_ROLE_CATEGORIES[m.role as ClinicalRole],
        });
      }
      return grants;
    }
  }
}
