import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import { StatusUpdate, type StatusKind } from '../db/entities/index.js';
import type { AppLogger } from '../logger.js';
import { evaluateProtocol } from '../protocols/engine.js';
import { AlertChanges } from './alert-changes.js';
import { applyMatch, type MatchToApply } from './match-actions.js';
import type { ObservationFact } from '../protocols/protocol.js';
import { HISTORY_LOOKBACK_DAYS, loadObservations, loadPatientFacts, observationOf } from './patient-facts.js';
import { activeProtocols, ensureBuiltInProtocols, type ActiveProtocol } from './protocol-catalog.js';

/** Outbox events read per query while walking a tenant's stream. */
const EVENT_PAGE = 100;
/** Patients whose loaded history one walk of a tenant's stream keeps, to extend it event by event. */
const HISTORY_CACHE_PATIENTS = 500;

/** A patient's history as loaded for her last evaluated event: every update before `beforeSeq`. */
interface CachedHistory {
  beforeSeq: number;
  observations: ObservationFact[];
}

interface StreamEvent {
  readonly seq: number;
  readonly type: string;
  readonly patientId: string;
  readonly subjectId: string;
  /** The update's kind (status events), as the outbox row carries it. */
  readonly kind: string;
}

/** Whether an ON_UPDATE protocol is evaluated for updates of this kind. */
function listensTo(active: ActiveProtocol, kind: string): boolean {
  return active.definition.trigger.type === 'ON_UPDATE' && (active.definition.trigger.kinds as readonly string[]).includes(kind);
}

/** What a committed unit of alert changes hands back (the worker wakes the relay and audits). */
export type CommittedChanges = (changes: AlertChanges) => void;

/**
 * Evaluates committed status updates against the tenant's active protocols, from PostgreSQL (the
 * outbox), after the patient's write has committed: a slow rule never slows her write, and a crash
 * between the write and the evaluation loses nothing.
 *
 * Each tenant has a cursor (`alerting_cursor`): every event at or below it has been evaluated. One
 * event is evaluated per transaction: the rules run first, outside any lock, on the history
 * committed before the event (so the result does not depend on when it runs); then the transaction
 * takes the tenant's cursor with `FOR UPDATE SKIP LOCKED`, checks that it has not moved, writes the
 * alerts, evidence, tasks, messages, escalation jobs and outbox events, and advances the cursor.
 * With several instances, one evaluates a tenant at a time and each event exactly once; an instance
 * that loses the race throws its result away.
 */
export class EventEvaluator {
  /** Tenants whose built-in library this instance has already ensured. */
  private readonly ensured = new Set<string>();

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: AppLogger,
    private readonly now: () => number,
    private readonly committed: CommittedChanges,
    /** Whether the worker is stopping: a long walk ends between events (the rest waits for the next start). */
    private readonly stopping: () => boolean = () => false,
  ) {}

  /** Evaluates every pending event of every tenant; returns how many status updates were evaluated here. */
  async runOnce(): Promise<number> {
    const em = this.orm.em.fork();
    // Tenants created after the migration (CLI, demo seed, tests) start from the beginning of their stream.
    await em.execute(
      `insert into alerting_cursor (tenant_id, last_seq)
       select t.id, 0 from tenant t where not exists (select 1 from alerting_cursor c where c.tenant_id = t.id)
       on conflict (tenant_id) do nothing`,
    );
    // Every tenant gets the built-in library, even one where nobody has logged anything yet (the
    // missed check-in rule is about exactly those patients).
    const tenants = await em.execute<{ id: string }[]>('select id from tenant');
    for (const { id } of tenants) {
      if (this.ensured.has(id)) continue;
      try {
        await this.ensureBuiltIns(em, id);
      } catch (err) {
        this.logger.error({ err, tenantId: id }, 'could not install the built-in protocols; will retry');
      }
    }
    const pending = await em.execute<{ tenant_id: string }[]>(
      'select c.tenant_id from alerting_cursor c join tenant t on t.id = c.tenant_id where t.event_seq > c.last_seq',
    );
    let evaluated = 0;
    for (const { tenant_id: tenantId } of pending) {
      if (this.stopping()) break;
      try {
        evaluated += await this.runTenant(tenantId);
      } catch (err) {
        this.logger.error({ err, tenantId }, 'protocol evaluation failed; will retry');
      }
    }
    return evaluated;
  }

  /** Installs the built-in library for a tenant once per instance (idempotent across instances). */
  async ensureBuiltIns(em: EntityManager, tenantId: string): Promise<void> {
    if (this.ensured.has(tenantId)) return;
    await ensureBuiltInProtocols(em, tenantId, this.now());
    this.ensured.add(tenantId);
  }

  private async runTenant(tenantId: string): Promise<number> {
    const em = this.orm.em.fork();
    await this.ensureBuiltIns(em, tenantId);
    let evaluated = 0;
    const histories = new Map<string, CachedHistory>();
    for (;;) {
      if (this.stopping()) return evaluated;
      em.clear();
      const [cursor] = await em.execute<{ last_seq: string | number }[]>('select last_seq from alerting_cursor where tenant_id = ?', [tenantId]);
      if (!cursor) return evaluated;
      const lastSeq = Number(cursor.last_seq);
      const rows = await em.execute<{ seq: string | number; type: string; patient_id: string; subject_id: string; kind: string }[]>(
        'select seq, type, patient_id, subject_id, kind from outbox_event where tenant_id = ? and seq > ? order by seq limit ?',
        [tenantId, lastSeq, EVENT_PAGE],
      );
      if (rows.length === 0) return evaluated;
      const events: StreamEvent[] = rows.map((r) => ({ seq: Number(r.seq), type: r.type, patientId: r.patient_id, subjectId: r.subject_id, kind: r.kind }));
      // Events no active protocol listens to (alert events, kinds without rules) are stepped over in bulk.
      const protocols = (await activeProtocols(em, tenantId)).filter((p) => p.definition.trigger.type === 'ON_UPDATE');
      const next = events.find((e) => e.type === 'STATUS_UPDATE_LOGGED' && protocols.some((p) => listensTo(p, e.kind)));
      if (!next) {
        if (!(await this.advance(tenantId, lastSeq, events.at(-1)!.seq, null))) return evaluated;
        continue;
      }
      const matches = await this.evaluate(em, tenantId, next, protocols.filter((p) => listensTo(p, next.kind)), histories);
      if (!(await this.advance(tenantId, lastSeq, next.seq, matches))) return evaluated;
      evaluated += 1;
      // Let requests waiting for the database (a single connection on the embedded default) go first.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Runs the tenant's ON_UPDATE protocols for one event; pure evaluation on data read through the ORM. */
  private async evaluate(
    em: EntityManager,
    tenantId: string,
    event: StreamEvent,
    protocols: readonly ActiveProtocol[],
    histories: Map<string, CachedHistory>,
  ): Promise<MatchToApply[]> {
    const update = await em.findOne(StatusUpdate, { id: event.subjectId, tenantId });
    if (!update || protocols.length === 0) return [];
    const kind = update.kind as StatusKind;
    const now = this.now();
    const [facts, history] = await Promise.all([
      loadPatientFacts(em, tenantId, [update.patientId]),
      this.historyBefore(em, tenantId, update.patientId, update.seq, now, histories),
    ]);
    const patient = facts.get(update.patientId);
    if (!patient) return [];
    const input = { now, patient, update: observationOf(update), history };
    const matches: MatchToApply[] = [];
    for (const active of protocols) {
      const result = this.evaluateSafely(active, input);
      if (!result) continue;
      matches.push({
        tenantId,
        patientId: update.patientId,
        protocolId: active.protocol.id,
        versionId: active.version.id,
        definition: active.definition,
        result,
        category: STATUS_KIND_CATEGORY[kind],
        scheduled: false,
        now,
      });
    }
    return matches;
  }

  /**
   * The patient's history committed before `beforeSeq`, within the look-back window. Walking a
   * stream, a patient's next event extends the history loaded for her previous one instead of
   * reading (and decrypting) all of it again.
   */
  private async historyBefore(
    em: EntityManager,
    tenantId: string,
    patientId: string,
    beforeSeq: number,
    now: number,
    histories: Map<string, CachedHistory>,
  ): Promise<ObservationFact[]> {
    let cached = histories.get(patientId);
    if (cached && cached.beforeSeq <= beforeSeq) {
      const more = await loadObservations(em, tenantId, [patientId], now, { fromSeq: cached.beforeSeq, beforeSeq });
      cached.observations.push(...(more.get(patientId) ?? []));
      cached.beforeSeq = beforeSeq;
      const since = now - HISTORY_LOOKBACK_DAYS * 86_400_000;
      cached.observations = cached.observations.filter((o) => o.recordedAt >= since);
    } else {
      if (histories.size >= HISTORY_CACHE_PATIENTS) histories.clear();
      const loaded = await loadObservations(em, tenantId, [patientId], now, { beforeSeq });
      cached = { beforeSeq, observations: loaded.get(patientId) ?? [] };
      histories.set(patientId, cached);
    }
    return [...cached.observations];
  }

  private evaluateSafely(active: ActiveProtocol, input: Parameters<typeof evaluateProtocol>[1]): ReturnType<typeof evaluateProtocol> | null {
    try {
      return evaluateProtocol(active.definition, input);
    } catch (err) {
      // An engine fault must not stall the tenant's whole stream; it is logged loudly (ids only).
      this.logger.error({ err, protocolId: active.protocol.id, versionId: active.version.id }, 'a protocol could not be evaluated');
      return null;
    }
  }

  /**
   * In one transaction: claims the tenant's cursor (skipping it if another instance holds it),
   * checks it is still at `expected`, applies the matches and moves the cursor to `to`. Returns
   * false when another instance got there first.
   */
  private async advance(tenantId: string, expected: number, to: number, matches: readonly MatchToApply[] | null): Promise<boolean> {
    const em = this.orm.em.fork();
    let changes: AlertChanges | null = null;
    const claimed = await em.transactional(async (tx) => {
      const [row] = await tx.execute<{ last_seq: string | number }[]>(
        'select last_seq from alerting_cursor where tenant_id = ? for update skip locked',
        [tenantId],
      );
      if (!row || Number(row.last_seq) !== expected) return false;
      const now = matches?.[0]?.now ?? this.now();
      changes = new AlertChanges(tx, tenantId, now);
      for (const match of matches ?? []) await applyMatch(tx, changes, match);
      await tx.execute('update alerting_cursor set last_seq = ? where tenant_id = ?', [to, tenantId]);
      await changes.commit();
      return true;
    });
    if (claimed && changes) this.committed(changes);
    return claimed;
  }
}
