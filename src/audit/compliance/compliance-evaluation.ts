import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../db/bound-query.js';
import { CLINICAL_ROLES } from '../../db/entities/index.js';
import { ACCESS_ACTIONS, hoursNear, type ComplianceRule, type ComplianceThresholds } from './compliance-rules.js';

/** Milliseconds in an hour and in a minute (the stream's times are milliseconds since the epoch). */
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** One audit record as the rules read it (ids, names of fields, never values). */
export interface StreamRow {
  seq: string;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  patient_id: string | null;
  action: string;
  purpose: string | null;
  outcome: string;
  request_id: string | null;
  details: Record<string, unknown> | string;
  occurred_ms: string;
}

/** A compliance event about to be stored. */
export interface Raised {
  readonly rule: ComplianceRule;
  readonly actorId: string | null;
  readonly patientId: string | null;
  readonly auditSeq: string;
  readonly occurredMs: number;
  readonly details: Record<string, string | number | boolean | null>;
}

const CLINICAL = new Set<string>(CLINICAL_ROLES);
/** The audit actions that touch a patient's record (READ, CREATE, UPDATE, DELETE). */
export const ACCESSES = new Set<string>(ACCESS_ACTIONS);
const ACCESS_LIST = ACCESS_ACTIONS.map((a) => `'${a}'`).join(', ');
/** A time in milliseconds since the epoch as an ISO-8601 timestamp, for SQL parameters. */
export const asTime = (ms: number) => new Date(ms).toISOString();

/**
 * Facts an instance keeps between batches so that a rule need not read them again (a live
 * dashboard's clinician brings the same actor, patient and hour into every batch). Only facts that
 * cannot be undone are kept:
 * - `teamMembers`: (tenant, user, patient) where the user has been on the patient's care team; a
 *   membership, current or past, is never deleted.
 * - `usualHours`: (tenant, actor, UTC hour, thresholds) where OUTSIDE_USUAL_HOURS cannot fire for
 *   any access in that hour: the baseline of every access in an hour is the same set of whole hours
 *   (those that ended at least an hour before the hour began, back to the baseline's start), and
 *   evaluated records do not reach back into it.
 */
export interface KnownFacts {
  readonly teamMembers: RememberedFacts;
  readonly usualHours: RememberedFacts;
}

/** One operation (actor and request) among a batch's allowed accesses. */
interface OperationInBatch {
  /** Its last access in the batch. */
  last: StreamRow;
  /** The distinct patients of its accesses in the batch. */
  readonly patients: Set<string>;
  /**
   * Whether records of it may precede the batch: any operation but a live delivery, whose records
   * are appended together (consecutive; see `auditDelivery`), unless its record opens the batch.
   */
  mayStartEarlier: boolean;
}

/** The rules applied to one batch of a tenant's audit records, inside the monitor's transaction. */
export class RuleEvaluation {
  constructor(
    private readonly tx: EntityManager,
    private readonly tenantId: string,
    private readonly t: ComplianceThresholds,
    private readonly store: (event: Raised) => Promise<void>,
    private readonly known: KnownFacts,
  ) {}

  async run(rows: readonly StreamRow[]): Promise<void> {
    const lastOfActor = new Map<string, StreamRow>();
    const operations = new Map<string, OperationInBatch>();
    const pairs = new Map<string, StreamRow>();
    const hours = new Map<string, StreamRow>();
    for (const row of rows) {
      if (row.action === 'LOGIN' && row.outcome === 'DENIED' && row.actor_type === 'USER') await this.failedLogins(row);
      if (row.action === 'EMERGENCY_ACCESS_REQUESTED') await this.breakGlass(row);
      if (row.action === 'ACCOUNT_CREATED' || row.action === 'ADMIN_CARE_TEAM_ASSIGNMENT') await this.adminProvisioning(row);
      if (!ACCESSES.has(row.action) || row.outcome !== 'ALLOWED' || row.actor_type !== 'USER' || !row.patient_id) continue;
      lastOfActor.set(row.actor_id, row);
      if (row.request_id) {
        const key = `${row.actor_id}\u0000${row.request_id}`;
        // A live delivery's records are consecutive: only the one whose record opens the batch can have begun in the previous one.
        const mayStartEarlier = liveEventOf(row) === null || row.request_id === rows[0]!.request_id;
        const operation = operations.get(key);
        if (!operation) operations.set(key, { last: row, patients: new Set([row.patient_id]), mayStartEarlier });
        else {
          operation.last = row;
          operation.patients.add(row.patient_id);
          operation.mayStartEarlier ||= mayStartEarlier;
        }
      }
      if (CLINICAL.has(row.actor_role ?? '') && (row.purpose === 'TREATMENT' || row.purpose === 'EMERGENCY')) pairs.set(`${row.actor_id}\u0000${row.patient_id}`, row);
      hours.set(`${row.actor_id}\u0000${Math.floor(Number(row.occurred_ms) / HOUR_MS)}`, row);
    }
    // Each rule reads its history for every probe of the batch in one statement (a batch of
    // deliveries to a unit-wide dashboard has a thousand actors); events are raised in batch order.
    const usualKey = (row: StreamRow) => {
      const at = Number(row.occurred_ms);
      const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
      // An access at the very start of an hour also counts the hour its baseline begins with.
      return `${this.tenantId}\u0000${row.actor_id}\u0000${hour}\u0000${at === hour}\u0000${this.t.usualHoursBaselineDays}\u0000${this.t.usualHoursMinHistory}`;
    };
    const hourRows = [...hours.values()].filter((row) => !this.known.usualHours.has(usualKey(row)));
    const histories = await this.usualHourHistories(hourRows);
    for (let i = 0; i < hourRows.length; i++) {
      if (await this.outsideUsualHours(hourRows[i]!, histories[i]!)) this.known.usualHours.add(usualKey(hourRows[i]!));
    }
    const actorRows = [...lastOfActor.values()];
    const patientCounts = await this.recentPatientCounts(actorRows);
    for (let i = 0; i < actorRows.length; i++) await this.manyPatients(actorRows[i]!, patientCounts[i]!);
    const operationList = [...operations.values()];
    const operationCounts = await this.operationPatientCounts(operationList, rows[0]!.seq);
    for (let i = 0; i < operationList.length; i++) await this.bulkExport(operationList[i]!.last, operationCounts[i]!);
    const pairRows = [...pairs.values()];
    const members = await this.careTeamMembers(pairRows);
    for (let i = 0; i < pairRows.length; i++) if (!members[i]) await this.neverOnCareTeam(pairRows[i]!);
  }

  /**
   * Runs `sql` once for a whole list of probes, passed as its first parameter (a JSON array read
   * with `jsonb_to_recordset`, each probe numbered by an `i` column), and returns its rows.
   */
  private async probe(probes: ReadonlyArray<Record<string, unknown>>, sql: string, params: unknown[] = []): Promise<Array<{ i: number; h?: number | string; n: number | string }>> {
    if (probes.length === 0) return [];
    return executeBound(this.tx, sql, [JSON.stringify(probes.map((p, i) => ({ i, ...p }))), ...params]);
  }

  /**
   * For each row: its actor's allowed accesses per UTC hour of day over the baseline window, from
   * the hourly counts (`audit_actor_hour`): the whole UTC hours of the last `usualHoursBaselineDays`
   * days that ended at least an hour before the row.
   */
  private async usualHourHistories(rows: readonly StreamRow[]): Promise<Array<Array<{ h: number; n: number }>>> {
    const result = await this.probe(
      rows.map((row) => {
        const at = Number(row.occurred_ms);
        // The baseline ends an hour before this access, so a burst of unusual activity cannot make
        // itself usual: the last hour counted starts two hours before it (and ends one before).
        return { actor_id: row.actor_id, since: asTime(at - this.t.usualHoursBaselineDays * 24 * HOUR_MS), until: asTime(at - 2 * HOUR_MS) };
      }),
      `select p."i", c."h", c."n" from jsonb_to_recordset($1::jsonb) as p("i" int, "actor_id" text, "since" timestamptz, "until" timestamptz)
       cross join lateral (select extract(hour from r."hour" at time zone 'UTC')::int as h, sum(r."accesses") as n from "audit_actor_hour" r
         where r."tenant_id" = $2 and r."actor_id" = p."actor_id" and r."hour" >= p."since" and r."hour" <= p."until"
         group by 1) c`,
      [this.tenantId],
    );
    const out = rows.map(() => [] as Array<{ h: number; n: number }>);
    for (const r of result) out[r.i]!.push({ h: Number(r.h), n: Number(r.n) });
    return out;
  }

  /** Reads one count per probe (`n`, zero where the statement returns no row for it). */
  private async counts(probes: ReadonlyArray<Record<string, unknown>>, sql: string, params: unknown[] = []): Promise<number[]> {
    const out = probes.map(() => 0);
    for (const r of await this.probe(probes, sql, params)) out[r.i] = Number(r.n);
    return out;
  }

  /**
   * For each of `actorRows` (each actor's last access in the batch): how many distinct patients its
   * actor accessed in the window before it, up to and including it, from the last access per actor
   * and patient (`audit_actor_patient`, which already holds this batch: see {@link addActorPatients}).
   */
  private recentPatientCounts(actorRows: readonly StreamRow[]): Promise<number[]> {
    const windowMs = this.t.manyPatientsWindowMinutes * MINUTE_MS;
    return this.counts(
      actorRows.map((row) => ({ actor_id: row.actor_id, since: asTime(Number(row.occurred_ms) - windowMs) })),
      `select p."i", c."n" from jsonb_to_recordset($1::jsonb) as p("i" int, "actor_id" text, "since" timestamptz)
       cross join lateral (select count(*) as n from "audit_actor_patient" r where r."tenant_id" = $2 and r."actor_id" = p."actor_id" and r."last_at" > p."since") c`,
      [this.tenantId],
    );
  }

  /**
   * For each operation: how many distinct patients its actor accessed in it, up to and including
   * its last access in the batch. An operation whose records all lie in this batch is counted from
   * its patients in the batch. Those that may have records before the batch (see
   * {@link OperationInBatch}) are looked up by one statement (an index range, empty for nearly
   * all), and only those found are counted from the trail.
   */
  private async operationPatientCounts(operations: readonly OperationInBatch[], batchFirstSeq: string): Promise<number[]> {
    const counts = operations.map((operation) => operation.patients.size);
    const rows = operations.map((operation) => operation.last);
    const candidates = rows.map((_, i) => i).filter((i) => operations[i]!.mayStartEarlier);
    if (candidates.length === 0) return counts;
    const found = await this.probe(
      candidates.map((i) => ({ request_id: rows[i]!.request_id })),
      // Lateral with a limit: one index probe per operation, never a hash of the tenant's whole trail
      // (what a semi-join became when the table's statistics lagged behind its growth).
      `select p."i", 0 as n from jsonb_to_recordset($1::jsonb) as p("i" int, "request_id" text)
       cross join lateral (select 1 from "audit_event" a where a."tenant_id" = $2 and a."request_id" = p."request_id" and a."seq" < $3 limit 1) e`,
      [this.tenantId, batchFirstSeq],
    );
    if (found.length === 0) return counts;
    const started = found.map((r) => candidates[r.i]!);
    const earlier = started.map((i) => rows[i]!);
    const full = await this.counts(
      earlier.map((row) => ({ actor_id: row.actor_id, request_id: row.request_id, seq: row.seq })),
      `select p."i", c."n" from jsonb_to_recordset($1::jsonb) as p("i" int, "actor_id" text, "request_id" text, "seq" bigint)
       cross join lateral (select count(distinct a."patient_id") as n from "audit_event" a where a."tenant_id" = $2 and a."actor_id" = p."actor_id"
         and a."request_id" = p."request_id" and a."action" in (${ACCESS_LIST}) and a."outcome" = 'ALLOWED' and a."seq" <= p."seq") c`,
      [this.tenantId],
    );
    for (let k = 0; k < started.length; k++) counts[started[k]!] = full[k]!;
    return counts;
  }

  /** For each row: whether its actor has ever been on the patient's care team (current or past membership). */
  private async careTeamMembers(rows: readonly StreamRow[]): Promise<boolean[]> {
    const keyOf = (row: StreamRow) => `${this.tenantId}\u0000${row.actor_id}\u0000${row.patient_id}`;
    const known = rows.map((row) => this.known.teamMembers.has(keyOf(row)));
    const unknown = rows.filter((_, i) => !known[i]);
    if (unknown.length === 0) return known;
    const n = await this.counts(
      unknown.map((row) => ({ actor_id: row.actor_id, patient_id: row.patient_id })),
      // The actor (a clinician: a user id, so a UUID) is compared as a UUID, so the user index
      // applies; cast the other way, every member of the patient's team would be read, and a
      // unit-wide dashboard's patients have a thousand.
      `select p."i", c."n" from jsonb_to_recordset($1::jsonb) as p("i" int, "actor_id" uuid, "patient_id" uuid)
       cross join lateral (select count(*) as n from "care_team_member" m where m."tenant_id" = $2 and m."user_id" = p."actor_id"
         and m."patient_id" = p."patient_id") c`,
      [this.tenantId],
    );
    let k = 0;
    return known.map((member, i) => {
      if (member) return true;
      const found = n[k++]! > 0;
      if (found) this.known.teamMembers.add(keyOf(rows[i]!));
      return found;
    });
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const [row] = await this.tx.execute<Array<{ n: string | number }>>(sql, params);
    return Number(row?.n ?? 0);
  }

  /** Whether this rule already fired for the actor since `sinceMs` (one event per episode, not per record). */
  private async firedSince(rule: ComplianceRule, actorId: string, sinceMs: number, extra = '', params: unknown[] = []): Promise<boolean> {
    const n = await this.count(
      `select count(*) as n from "compliance_event" where "tenant_id" = ? and "rule" = ? and "actor_id" = ? and "occurred_at" > ? ${extra}`,
      [this.tenantId, rule, actorId, asTime(sinceMs), ...params],
    );
    return n > 0;
  }

  private raise(rule: ComplianceRule, row: StreamRow, details: Raised['details'], patientId: string | null = row.patient_id): Promise<void> {
    return this.store({ rule, actorId: row.actor_id, patientId, auditSeq: row.seq, occurredMs: Number(row.occurred_ms), details });
  }

  private async failedLogins(row: StreamRow): Promise<void> {
    const at = Number(row.occurred_ms);
    const since = at - this.t.failedLoginWindowMinutes * MINUTE_MS;
    const failures = await this.count(
      `select count(*) as n from "audit_event" where "tenant_id" = ? and "action" = 'LOGIN' and "outcome" = 'DENIED' and "actor_id" = ?
         and "occurred_at" > ? and "seq" <= ?`,
      [this.tenantId, row.actor_id, asTime(since), row.seq],
    );
    if (failures < this.t.failedLogins || (await this.firedSince('REPEATED_FAILED_LOGINS', row.actor_id, since))) return;
    await this.raise('REPEATED_FAILED_LOGINS', row, { failures, windowMinutes: this.t.failedLoginWindowMinutes }, null);
  }

  private async breakGlass(row: StreamRow): Promise<void> {
    const details = typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details;
    await this.raise('BREAK_GLASS', row, { emergencyAccessId: typeof details['emergencyAccessId'] === 'string' ? details['emergencyAccessId'] : null });
  }

  /** Raises ADMIN_CLINICAL_PROVISIONING for an ADMIN's clinical account creation or care-team coordinator assignment. */
  private async adminProvisioning(row: StreamRow): Promise<void> {
    const details = typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details;
    const targetRole = typeof details['targetRole'] === 'string' ? details['targetRole'] : '';
    if (row.actor_role !== 'ADMIN' || row.outcome !== 'ALLOWED' || !CLINICAL.has(targetRole)) return;
    const targetUserId = typeof details['targetUserId'] === 'string' ? details['targetUserId'] : null;
    await this.raise('ADMIN_CLINICAL_PROVISIONING', row, { step: row.action, targetUserId, targetRole });
  }

  /** Raises OUTSIDE_USUAL_HOURS if due; returns whether the baseline rules it out for the whole hour (no history to speak of, or a usual hour). */
  private async outsideUsualHours(row: StreamRow, history: ReadonlyArray<{ h: number; n: number }>): Promise<boolean> {
    const at = Number(row.occurred_ms);
    const hour = new Date(at).getUTCHours();
    const total = history.reduce((sum, r) => sum + r.n, 0);
    if (total < this.t.usualHoursMinHistory) return true;
    if (history.some((r) => hoursNear(r.h, hour))) return true;
    if (await this.firedSince('OUTSIDE_USUAL_HOURS', row.actor_id, at - HOUR_MS)) return false;
    await this.raise('OUTSIDE_USUAL_HOURS', row, { hourUtc: hour, baselineAccesses: total });
    return false;
  }

  private async manyPatients(row: StreamRow, patients: number): Promise<void> {
    const since = Number(row.occurred_ms) - this.t.manyPatientsWindowMinutes * MINUTE_MS;
    if (patients < this.t.manyPatients || (await this.firedSince('MANY_PATIENTS', row.actor_id, since))) return;
    await this.raise('MANY_PATIENTS', row, { patients, windowMinutes: this.t.manyPatientsWindowMinutes }, null);
  }

  private async bulkExport(row: StreamRow, records: number): Promise<void> {
    if (records < this.t.bulkExportRecords) return;
    if (await this.firedSince('BULK_EXPORT', row.actor_id, 0, `and "details"->>'requestId' = ?`, [row.request_id])) return;
    await this.raise('BULK_EXPORT', row, { requestId: row.request_id, patients: records }, null);
  }

  /** Called for a clinician's treatment access to a patient whose care team she has never been on. */
  private async neverOnCareTeam(row: StreamRow): Promise<void> {
    if (await this.firedSince('NEVER_ON_CARE_TEAM', row.actor_id, 0, `and "patient_id" = ?`, [row.patient_id])) return;
    await this.raise('NEVER_ON_CARE_TEAM', row, { purpose: row.purpose });
  }
}

/**
 * Facts an instance has established about a tenant's stream that later batches can rely on, as
 * keys: at most `limit`, past which the set starts over (a fact forgotten is read again).
 */
export class RememberedFacts {
  private readonly keys = new Set<string>();

  constructor(private readonly limit: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.size >= this.limit) this.keys.clear();
    this.keys.add(key);
  }
}

/** The event number a live delivery's access record carries (`details.liveEvent`, see `auditDelivery`), or null for any other record. */
function liveEventOf(row: StreamRow): number | null {
  const details = typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details;
  const n = details?.['liveEvent'];
  return typeof n === 'number' ? n : null;
}
