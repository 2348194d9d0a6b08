import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../db/bound-query.js';
import { ACCESSES, asTime, HOUR_MS, MINUTE_MS, type StreamRow } from './compliance-evaluation.js';
import { THRESHOLD_RANGES } from './compliance-rules.js';

/** How often an instance prunes a tenant's rollups, in the stream's time. */
export const PRUNE_EVERY_MS = HOUR_MS;
/** The history the rules may read, at the longest windows a tenant may set (with an hour to spare). */
const LONGEST_WINDOW_MS = {
  manyPatients: THRESHOLD_RANGES.manyPatientsWindowMinutes[1] * MINUTE_MS + HOUR_MS,
  usualHours: THRESHOLD_RANGES.usualHoursBaselineDays[1] * 24 * HOUR_MS + 3 * HOUR_MS,
} as const;

/**
 * Adds a batch's allowed accesses to the hourly counts per actor (`audit_actor_hour`), in the
 * transaction that moves the monitor's cursor: the counts always cover exactly the records evaluated.
 */
export async function addActorHours(tx: EntityManager, tenantId: string, rows: readonly StreamRow[]): Promise<void> {
  const counts = new Map<string, { actor_id: string; hour: string; n: number }>();
  for (const row of rows) {
    if (!ACCESSES.has(row.action) || row.outcome !== 'ALLOWED') continue;
    const hour = asTime(Math.floor(Number(row.occurred_ms) / HOUR_MS) * HOUR_MS);
    const key = `${row.actor_id}\u0000${hour}`;
    const entry = counts.get(key);
    if (entry) entry.n += 1;
    else counts.set(key, { actor_id: row.actor_id, hour, n: 1 });
  }
  if (counts.size === 0) return;
  await executeBound(
    tx,
    `insert into "audit_actor_hour" ("tenant_id", "actor_id", "hour", "accesses")
     select $2, p."actor_id", p."hour", p."n" from jsonb_to_recordset($1::jsonb) as p("actor_id" text, "hour" timestamptz, "n" bigint)
     on conflict ("tenant_id", "actor_id", "hour") do update set "accesses" = "audit_actor_hour"."accesses" + excluded."accesses"`,
    [JSON.stringify([...counts.values()]), tenantId],
  );
}

/**
 * Applies a batch's allowed accesses to the last access per actor and patient
 * (`audit_actor_patient`), in the transaction that moves the monitor's cursor, like
 * {@link addActorHours}.
 */
export async function addActorPatients(tx: EntityManager, tenantId: string, rows: readonly StreamRow[]): Promise<void> {
  const latest = new Map<string, { actor_id: string; patient_id: string; ms: number }>();
  for (const row of rows) {
    if (!ACCESSES.has(row.action) || row.outcome !== 'ALLOWED' || !row.patient_id) continue;
    const key = `${row.actor_id}\u0000${row.patient_id}`;
    const ms = Number(row.occurred_ms);
    const entry = latest.get(key);
    if (!entry) latest.set(key, { actor_id: row.actor_id, patient_id: row.patient_id, ms });
    else if (ms > entry.ms) entry.ms = ms;
  }
  if (latest.size === 0) return;
  await executeBound(
    tx,
    `insert into "audit_actor_patient" ("tenant_id", "actor_id", "patient_id", "last_at")
     select $2, p."actor_id", p."patient_id", p."last_at" from jsonb_to_recordset($1::jsonb) as p("actor_id" text, "patient_id" uuid, "last_at" timestamptz)
     on conflict ("tenant_id", "actor_id", "patient_id") do update set "last_at" = greatest("audit_actor_patient"."last_at", excluded."last_at")`,
    [JSON.stringify([...latest.values()].map((e) => ({ actor_id: e.actor_id, patient_id: e.patient_id, last_at: asTime(e.ms) }))), tenantId],
  );
}

/**
 * Deletes what no rule can read any more, counted back from `earliestMs`, the oldest record of the
 * batch being evaluated (the stream is evaluated in order, so no later batch reaches further back):
 * last accesses older than the longest MANY_PATIENTS window a tenant may set, and hourly counts
 * older than the longest usual-hours baseline. Bounds by the settings' limits, not the tenant's
 * current values, so raising a threshold later still finds its history.
 */
export async function pruneRollups(tx: EntityManager, tenantId: string, earliestMs: number): Promise<void> {
  await executeBound(tx, `delete from "audit_actor_patient" where "tenant_id" = $1 and "last_at" <= $2`, [tenantId, asTime(earliestMs - LONGEST_WINDOW_MS.manyPatients)]);
  await executeBound(tx, `delete from "audit_actor_hour" where "tenant_id" = $1 and "hour" < $2`, [tenantId, asTime(earliestMs - LONGEST_WINDOW_MS.usualHours)]);
}
