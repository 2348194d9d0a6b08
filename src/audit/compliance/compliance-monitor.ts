import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { executeBound } from '../../db/bound-query.js';
import { CLINICAL_ROLES } from '../../db/entities/index.js';
import type { AppLogger } from '../../logger.js';
import type { EventBus } from '../../realtime/event-bus.js';
import { ACCESS_ACTIONS, hoursNear, storedThresholds, THRESHOLD_RANGES, type ComplianceRule, type ComplianceThresholds } from './compliance-rules.js';

/** Audit records evaluated per transaction. */
const BATCH = 500;
/** How often every tenant's stream is checked for unevaluated records, in milliseconds (a safety net; appends wake the monitor). */
const POLL_MS = 30_000;
/** How long a wake-up waits, gathering further appends, before the rules run (milliseconds). */
const WAKE_DELAY_MS = 1000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** How often an instance prunes a tenant's rollups, in the stream's time. */
const PRUNE_EVERY_MS = HOUR_MS;
/** The history the rules may read, at the longest windows a tenant may set (with an hour to spare). */
const LONGEST_WINDOW_MS = {
  manyPatients: THRESHOLD_RANGES.manyPatientsWindowMinutes[1] * MINUTE_MS + HOUR_MS,
  usualHours: THRESHOLD_RANGES.usualHoursBaselineDays[1] * 24 * HOUR_MS + 3 * HOUR_MS,
} as const;

/** The bus channel on which a tenant's new compliance events are announced (ids only). */
export const complianceChannel = (tenantId: string) => `tenant:${tenantId}:compliance`;

/** One audit record as the rules read it (ids, names of fields, never values). */
interface StreamRow {
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
interface Raised {
  readonly rule: ComplianceRule;
  readonly actorId: string | null;
  readonly patientId: string | null;
  readonly auditSeq: string;
  readonly occurredMs: number;
  readonly details: Record<string, string | number | boolean | null>;
}

const CLINICAL = new Set<string>(CLINICAL_ROLES);
const ACCESSES = new Set<string>(ACCESS_ACTIONS);
const ACCESS_LIST = ACCESS_ACTIONS.map((a) => `'${a}'`).join(', ');
const asTime = (ms: number) => new Date(ms).toISOString();

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
interface KnownFacts {
  readonly teamMembers: RememberedFacts;
  readonly usualHours: RememberedFacts;
}

/**
 * Runs the compliance rules (see `compliance-rules.ts`) over each tenant's audit stream, in order,
 * from a durable cursor (`compliance_monitor.audit_seq`): each batch of records is evaluated and
 * its events stored in the transaction that moves the cursor, under the cursor's row lock, so
 * every record is evaluated once even with several instances, and none is skipped after a crash.
 * Woken by each committed audit batch, and by a slow poll as a safety net. New events are announced
 * on the bus for the `complianceEvents` subscription.
 */
export class ComplianceMonitor {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  /** What this instance has established for the rules (see {@link KnownFacts}). */
  private readonly known: KnownFacts = { teamMembers: new RememberedFacts(200_000), usualHours: new RememberedFacts(100_000) };
  /** When this instance last pruned each tenant's rollups (see {@link pruneRollups}), by the stream's clock. */
  private readonly prunedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: AppLogger,
    private readonly now: () => number,
  ) {}

  /** Starts the safety-net poll. */
  start(): void {
    this.timer = setInterval(() => void this.pollAll(), POLL_MS);
    this.timer.unref();
  }

  /** Stops the poll and waits for runs in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.settle();
  }

  /**
   * Evaluates a tenant's new audit records soon: after {@link WAKE_DELAY_MS}, so a burst of
   * appends (a live event reaching a whole unit is one record per subscriber) is read as a few
   * batches, not one per commit; coalesced with a run in progress.
   */
  wake(tenantId: string): void {
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    if (this.scheduled.has(tenantId)) return;
    const timer = setTimeout(() => this.runNow(tenantId), WAKE_DELAY_MS);
    timer.unref();
    this.scheduled.set(tenantId, timer);
  }

  private runNow(tenantId: string): void {
    const timer = this.scheduled.get(tenantId);
    if (timer) clearTimeout(timer);
    this.scheduled.delete(tenantId);
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(tenantId);
        try {
          while ((await this.evaluateBatch(tenantId)) === BATCH);
        } catch (err) {
          this.logger.error({ err, tenantId }, 'compliance evaluation failed');
        }
      } while (this.again.has(tenantId));
      this.running.delete(tenantId);
    })();
    this.running.set(tenantId, run);
  }

  /** Runs every scheduled evaluation now and waits until none is running or pending (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.running.size > 0 || this.scheduled.size > 0) {
      for (const tenantId of [...this.scheduled.keys()]) this.runNow(tenantId);
      await Promise.allSettled([...this.running.values()]);
    }
  }

  private async pollAll(): Promise<void> {
    try {
      const behind = await this.orm.em.fork().execute<Array<{ tenant_id: string }>>(
        `select h."tenant_id" from "audit_chain_head" h left join "compliance_monitor" m on m."tenant_id" = h."tenant_id"
         where h."seq" > coalesce(m."audit_seq", 0)`,
      );
      for (const row of behind) this.wake(row.tenant_id);
    } catch (err) {
      this.logger.warn({ err }, 'compliance poll failed');
    }
  }

  /** Evaluates up to one batch of a tenant's unevaluated records; returns how many it read. */
  private async evaluateBatch(tenantId: string): Promise<number> {
    let raisedCount = 0;
    let prunedThrough: number | null = null;
    const read = await this.orm.em.fork().transactional(async (tx): Promise<number> => {
      await tx.execute(`insert into "compliance_monitor" ("tenant_id") values (?) on conflict do nothing`, [tenantId]);
      const [cursor] = await tx.execute<Array<{ audit_seq: string; event_seq: string }>>(
        `select "audit_seq", "event_seq" from "compliance_monitor" where "tenant_id" = ? for update`,
        [tenantId],
      );
      const rows = await tx.execute<StreamRow[]>(
        `select "seq", "actor_type", "actor_id", "actor_role", "patient_id", "action", "purpose", "outcome", "request_id", "details",
           ((extract(epoch from "occurred_at") * 1000)::bigint)::text as "occurred_ms"
         from "audit_event" where "tenant_id" = ? and "seq" > ? and "seq" <= ? order by "seq"`,
        // A tenant's sequence numbers are consecutive, so the next batch is a closed range: read
        // as such whatever the planner believes about the table (a bare "order by … limit" over a
        // fast-growing trail whose statistics lag was planned as a read of everything after the cursor).
        [tenantId, cursor!.audit_seq, String(Number(cursor!.audit_seq) + BATCH)],
      );
      if (rows.length === 0) return 0;
      const [settings] = await tx.execute<Array<{ thresholds: unknown }>>(`select "thresholds" from "compliance_settings" where "tenant_id" = ?`, [tenantId]);
      const thresholds = storedThresholds(typeof settings?.thresholds === 'string' ? JSON.parse(settings.thresholds) : settings?.thresholds);
      let eventSeq = Number(cursor!.event_seq);
      const store = async (event: Raised) => {
        eventSeq += 1;
        raisedCount += 1;
        await tx.execute(
          `insert into "compliance_event" ("id", "tenant_id", "seq", "rule", "actor_id", "patient_id", "audit_seq", "details", "occurred_at", "created_at")
           values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
          [crypto.randomUUID(), tenantId, String(eventSeq), event.rule, event.actorId, event.patientId, event.auditSeq, JSON.stringify(event.details), asTime(event.occurredMs), asTime(this.now())],
        );
      };
      await addActorHours(tx, tenantId, rows);
      await addActorPatients(tx, tenantId, rows);
      await new RuleEvaluation(tx, tenantId, thresholds, store, this.known).run(rows);
      const earliest = Math.min(...rows.map((row) => Number(row.occurred_ms)));
      if (earliest - (this.prunedAt.get(tenantId) ?? -Infinity) >= PRUNE_EVERY_MS) {
        await pruneRollups(tx, tenantId, earliest);
        prunedThrough = earliest;
      }
      await tx.execute(`update "compliance_monitor" set "audit_seq" = ?, "event_seq" = ? where "tenant_id" = ?`, [rows.at(-1)!.seq, String(eventSeq), tenantId]);
      return rows.length;
    });
    if (prunedThrough !== null) this.prunedAt.set(tenantId, prunedThrough);
    if (raisedCount > 0) {
      await this.bus.publish(complianceChannel(tenantId), JSON.stringify({ tenantId })).catch((err: unknown) => this.logger.warn({ err }, 'compliance announce failed'));
    }
    return read;
  }
}

/** The rules applied to one batch of a tenant's audit records, inside the monitor's transaction. */
class RuleEvaluation {
  constructor(
    private readonly tx: EntityManager,
    private readonly tenantId: string,
    private readonly t: ComplianceThresholds,
    private readonly store: (event: Raised) => Promise<void>,
    private readonly known: KnownFacts,
  ) {}

  async run(rows: readonly StreamRow[]): Promise<void> {
    const lastOfActor = new Map<string, StreamRow>();
    const operations = new Map<string, StreamRow>();
    /** Per actor and request: the distinct patients of its accesses in this batch. */
    const operationPatients = new Map<string, Set<string>>();
    /** Per actor and request: whether records of it may precede this batch (see {@link operationPatientCounts}). */
    const operationMayStartEarlier = new Map<string, boolean>();
    const pairs = new Map<string, StreamRow>();
    const hours = new Map<string, StreamRow>();
    for (const row of rows) {
      if (row.action === 'LOGIN' && row.outcome === 'DENIED' && row.actor_type === 'USER') await this.failedLogins(row);
      if (row.action === 'EMERGENCY_ACCESS_REQUESTED') await this.breakGlass(row);
      if (!ACCESSES.has(row.action) || row.outcome !== 'ALLOWED' || row.actor_type !== 'USER' || !row.patient_id) continue;
      lastOfActor.set(row.actor_id, row);
      if (row.request_id) {
        const key = `${row.actor_id}\u0000${row.request_id}`;
        operations.set(key, row);
        const patients = operationPatients.get(key);
        if (patients) patients.add(row.patient_id);
        else operationPatients.set(key, new Set([row.patient_id]));
        // A live delivery's records are consecutive: only the one whose record opens the batch can have begun in the previous one.
        operationMayStartEarlier.set(key, (operationMayStartEarlier.get(key) ?? false) || liveEventOf(row) === null || row.request_id === rows[0]!.request_id);
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
    const operationRows = [...operations.values()];
    const operationCounts = await this.operationPatientCounts(operationRows, [...operationPatients.values()], [...operationMayStartEarlier.values()], rows[0]!.seq);
    for (let i = 0; i < operationRows.length; i++) await this.bulkExport(operationRows[i]!, operationCounts[i]!);
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
   * For each of `rows` (each operation's last access in the batch): how many distinct patients its
   * actor accessed in the operation (request), up to and including it. An operation whose records
   * all lie in this batch is counted from `batchPatients` (its patients in the batch). Which ones
   * may have records before the batch: not a live delivery that does not open the batch (its
   * records are appended together, so they are consecutive; see `auditDelivery`); of the others
   * (`mayStartEarlier`), one statement finds those that do (an index range, empty for nearly all),
   * and only those are counted from the trail.
   */
  private async operationPatientCounts(
    rows: readonly StreamRow[],
    batchPatients: ReadonlyArray<ReadonlySet<string>>,
    mayStartEarlier: readonly boolean[],
    batchFirstSeq: string,
  ): Promise<number[]> {
    const counts = batchPatients.map((patients) => patients.size);
    const candidates = rows.map((_, i) => i).filter((i) => mayStartEarlier[i]);
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
 * Adds a batch's allowed accesses to the hourly counts per actor (`audit_actor_hour`), in the
 * transaction that moves the monitor's cursor: the counts always cover exactly the records evaluated.
 */
async function addActorHours(tx: EntityManager, tenantId: string, rows: readonly StreamRow[]): Promise<void> {
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
async function addActorPatients(tx: EntityManager, tenantId: string, rows: readonly StreamRow[]): Promise<void> {
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
async function pruneRollups(tx: EntityManager, tenantId: string, earliestMs: number): Promise<void> {
  await executeBound(tx, `delete from "audit_actor_patient" where "tenant_id" = $1 and "last_at" <= $2`, [tenantId, asTime(earliestMs - LONGEST_WINDOW_MS.manyPatients)]);
  await executeBound(tx, `delete from "audit_actor_hour" where "tenant_id" = $1 and "hour" < $2`, [tenantId, asTime(earliestMs - LONGEST_WINDOW_MS.usualHours)]);
}

/**
 * Facts an instance has established about a tenant's stream that later batches can rely on, as
 * keys: at most `limit`, past which the set starts over (a fact forgotten is read again).
 */
class RememberedFacts {
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
