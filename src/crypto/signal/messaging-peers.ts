import type { EntityManager } from '@mikro-orm/postgresql';

/** An active membership of patient `p`'s care team for the user in the placeholder. */
const ACTIVE_MEMBER = `exists (select 1 from "care_team_member" m
  where m."patient_id" = p."id" and m."tenant_id" = p."tenant_id" and m."user_id" = ? and m."removed_at" is null)`;

/**
 * Whether two users of a tenant may message each other: a patient and a clinician on her active
 * care team, or two clinicians on the active care team of the same patient. A user may always
 * message her own other devices. Care-team rows removed (`removed_at`) count for nothing, so a
 * removed member can no longer send or be sent to. Break-glass access does not open messaging.
 */
export async function mayMessage(em: EntityManager, tenantId: string, userA: string, userB: string): Promise<boolean> {
  if (userA === userB) return true;
  const rows = await em.execute<Array<{ ok: number }>>(
    `select 1 as ok from "patient" p where p."tenant_id" = ? and (
       (p."user_id" = ? and ${ACTIVE_MEMBER})
       or (p."user_id" = ? and ${ACTIVE_MEMBER})
       or (${ACTIVE_MEMBER} and ${ACTIVE_MEMBER})
     ) limit 1`,
    [tenantId, userA, userB, userB, userA, userA, userB],
  );
  return rows.length > 0;
}
