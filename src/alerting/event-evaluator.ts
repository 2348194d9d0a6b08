import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { executeBound } from '../db/bound-query.js';
import { StatusUpdate } from '../db/entities/index.js';
import type { AppLogger } from '../logger.js';
import { categoriesOfMatch } from '../protocols/condition-reads.js';
import { evaluateProtocol } from '../protocols/engine.js';
import { withoutSuperseded } from '../protocols/supersession.js';
import type { EvaluationInput, EvaluationResult, ObservationFact, PatientFacts } from '../protocols/protocol.js';
import { ActiveProtocols, protocolsFingerprintSql, type ActiveProtocol, type ActiveProtocolSet } from './active-protocols.js';
import { AlertChanges } from './alert-changes.js';
import type { TenantStream } from './due-work.js';
import { applyMatch, type MatchToApply } from './match-actions.js';
import { HISTORY_LOOKBACK_DAYS, loadPatientFacts, loadSequencedObservations, observationOf, type SequencedObservation } from './patient-facts.js';
import { ensureBuiltInProtocols } from './protocol-catalog.js';

/** Outbox events a tenant's turn reads and evaluates at most, unless configured (`CRADLE_ALERTING_PAGE_EVENTS`). */
const DEFAULT_PAGE_EVENTS = 100;
/** How long a tenant's turn evaluates before it yields to the next tenant, in milliseconds. */
const TURN_MS = 100;
/** Tenants whose walk state (loaded histories) is kept between turns; beyond it the oldest starts afresh. */
const KEPT_WALKS = 16;
/** Patients whose loaded history one walk of a tenant's stream keeps, to extend it page by page. */
const HISTORY_CACHE_PATIENTS = 500;

/**
 * A patient's updates as loaded while walking her tenant's stream: every one before `beforeSeq`
 * (in the look-back window), in cursor order. The history of her update `seq` is the part before it.
 */
interface CachedHistory {
  beforeSeq: number;
  entries: SequencedObservation[];
}

interface StreamEvent {
  readonly seq: number;
  readonly type: string;
  readonly patientId: string;
  readonly subjectId: string;
  /** The update's kind (status events), as the outbox row carries it. */
  readonly kind: string;
}

/** One page of a tenant's stream, read in one statement with her cursor and her protocols' fingerprint. */
interface StreamPage {
  /** The tenant's cursor when the page was read: every event at or below it has been evaluated. */
  readonly lastSeq: number;
  /** See `protocolsFingerprintSql`: which protocols were active when the page was read. */
  readonly fingerprint: string;
  /** Events after the cursor, in order, at most the page size. */
  readonly events: readonly StreamEvent[];
}

/** A logged status update as an evaluation reads it. */
interface LoggedUpdate {
  readonly patientId: string;
  /** Its tenant cursor. */
  readonly seq: number;
  readonly observation: ObservationFact;
}

/** What the evaluations of one page read, loaded once for the page. */
interface PageInputs {
  /** The page's status updates by id. */
  readonly updates: ReadonlyMap<string, LoggedUpdate>;
  /** The facts of their patients by patient id. */
  readonly facts: ReadonlyMap<string, PatientFacts>;
}

/** What walking one page did. */
interface PageWalk {
  /** Evaluations committed (the cursor moved past them). */
  readonly evaluated: number;
  /** Whether alert events were written (they follow the page in the stream). */
  readonly announced: boolean;
  /** False when the walk stopped early (another instance moved the cursor, or the worker is stopping). */
  readonly finished: boolean;
  /** True when the turn's time ran out inside the page: the cursor stands before the first event not evaluated. */
  readonly cut: boolean;
}

/** What a tenant's walk keeps from one turn to the next, while her cursor stays where the walk left it. */
interface TenantWalk {
  /** Her cursor after the last turn. */
  cursor: number;
  readonly histories: Map<string, CachedHistory>;
}

/** What one tenant's turn did. */
export interface TenantTurn {
  /** Evaluations committed in the turn. */
  readonly evaluated: number;
  /** Whether her stream may hold more events to evaluate now. */
  readonly more: boolean;
}

/**
 * Whether a tenant's stream may hold more after a turn: the turn was cut short by its time, its
 * page was full, or it wrote alert events (which follow the page in the stream). A walk that
 * stopped early (another instance moved the cursor, or the worker is stopping) leaves the rest to
 * the next pass.
 */
export function turnLeavesMore(pageSize: number, eventsRead: number, walk: Pick<PageWalk, 'finished' | 'cut' | 'announced'>): boolean {
  if (!walk.finished) return false;
  return walk.cut || walk.announced || eventsRead >= pageSize;
}

/** The history of a patient before update `beforeSeq`, within the look-back window from `now`. */
function historyBefore(cached: CachedHistory | undefined, beforeSeq: number, now: number): ObservationFact[] {
  const since = now - HISTORY_LOOKBACK_DAYS * 86_400_000;
  const history: ObservationFact[] = [];
  for (const entry of cached?.entries ?? []) {
    if (entry.seq >= beforeSeq) break;
    if (entry.observation.recordedAt >= since) history.push(entry.observation);
  }
  return history;
}

/** What a committed unit of alert changes hands back (the worker wakes the relay and audits). */
export type CommittedChanges = (changes: AlertChanges) => void;

/**
 * Evaluates committed status updates against the tenant's active protocols, from PostgreSQL (the
 * outbox), after the patient's write has committed: a slow rule never slows her write, and a crash
 * between the write and the evaluation loses nothing.
 *
 * Each tenant has a cursor (`alerting_cursor`): every event at or below it has been evaluated. The
 * stream is read a page at a time, in one statement with the cursor and the fingerprint of the
 * tenant's active protocols (kept in memory per fingerprint, see {@link ActiveProtocols}: a page is
 * evaluated with the protocols active when it was read). The rules run outside any lock, on the
 * history committed before each event (so the result does not depend on when it runs). An event
 * whose evaluation acts (matches) is applied in one transaction that takes the tenant's cursor with
 * `FOR UPDATE SKIP LOCKED`, checks that it has not moved, writes the alerts, evidence, tasks,
 * messages, escalation jobs and outbox events, and advances the cursor to that event. Evaluations
 * that do nothing, and events no protocol listens to, are stepped over together: one conditional
 * update moves the cursor to the end of the page, only if it has not moved. With several
 * instances, one evaluates a tenant's event exactly once; an instance that loses the race throws
 * its results away (work that changed nothing, or was not applied).
 */
export class EventEvaluator {
  /** Tenants whose built-in library this instance has already ensured. */
  private readonly ensured = new Set<string>();
  /** Whether the next pass sets up every tenant (the first pass, and after a failed installation). */
  private setupNeeded = true;
  private readonly protocols = new ActiveProtocols();
  /** Walks of tenants whose last turn left more, by tenant id, oldest first. */
  private readonly walks = new Map<string, TenantWalk>();

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: AppLogger,
    private readonly now: () => number,
    private readonly committed: CommittedChanges,
    /** Whether the worker is stopping: a long walk ends between events (the rest waits for the next start). */
    private readonly stopping: () => boolean = () => false,
    /** Most events one tenant's turn evaluates. */
    private readonly pageSize: number = DEFAULT_PAGE_EVENTS,
  ) {}

  /**
   * Gives each tenant of `streams` (as `readDueWork` found them) one turn: at most one page of her
   * events, for at most {@link TURN_MS}. Tenants without a cursor are set up first. Returns how many
   * status updates were evaluated and whether any tenant has more: the worker then reads its due work
   * again and gives another round, so a tenant whose events arrive during another's backlog waits
   * for one turn of each, not for the backlog.
   */
  async runOnce(streams: readonly TenantStream[]): Promise<{ evaluated: number; more: boolean }> {
    if (this.setupNeeded || streams.some((s) => !s.hasCursor)) await this.setUpTenants();
    let evaluated = 0;
    let more = false;
    for (const { tenantId } of streams) {
      if (this.stopping()) break;
      try {
        const turn = await this.takeTurn(tenantId);
        evaluated += turn.evaluated;
        more ||= turn.more;
      } catch (err) {
        this.walks.delete(tenantId);
        this.logger.error({ err, tenantId }, 'protocol evaluation failed; will retry');
      }
    }
    return { evaluated, more };
  }

  /** Installs the built-in library for a tenant once per instance (idempotent across instances). */
  async ensureBuiltIns(em: EntityManager, tenantId: string): Promise<void> {
    if (this.ensured.has(tenantId)) return;
    await ensureBuiltInProtocols(em, tenantId, this.now());
    this.ensured.add(tenantId);
  }

  /**
   * Gives tenants created after the migration (CLI, demo seed, tests) a cursor at the beginning of
   * their stream, and every tenant the built-in library, even one where nobody has logged anything
   * yet (the missed check-in rule is about exactly those patients).
   */
  private async setUpTenants(): Promise<void> {
    const em = this.orm.em.fork();
    await em.execute(
      `insert into alerting_cursor (tenant_id, last_seq)
       select t.id, 0 from tenant t where not exists (select 1 from alerting_cursor c where c.tenant_id = t.id)
       on conflict (tenant_id) do nothing`,
    );
    const tenants = await em.execute<{ id: string }[]>('select id from tenant');
    let failed = false;
    for (const { id } of tenants) {
      if (this.ensured.has(id)) continue;
      try {
        await this.ensureBuiltIns(em, id);
      } catch (err) {
        failed = true;
        this.logger.error({ err, tenantId: id }, 'could not install the built-in protocols; will retry');
      }
    }
    this.setupNeeded = failed;
  }

  /**
   * One turn of a tenant: reads a page after her cursor and evaluates it. The histories loaded for
   * her patients are kept for her next turn while her cursor stays where this walk left it (another
   * instance moving it, or her stream's end, drops them).
   */
  private async takeTurn(tenantId: string): Promise<TenantTurn> {
    const em = this.orm.em.fork();
    await this.ensureBuiltIns(em, tenantId);
    const page = await this.readPage(em, tenantId);
    if (!page || page.events.length === 0) {
      this.walks.delete(tenantId);
      return { evaluated: 0, more: false };
    }
    const walkState = this.walkOf(tenantId, page.lastSeq);
    const protocols = await this.protocols.at(em, tenantId, page.fingerprint);
    const walk = await this.walkPage(em, tenantId, page, protocols, walkState.histories, performance.now() + TURN_MS);
    const more = turnLeavesMore(this.pageSize, page.events.length, walk);
    if (more) {
      walkState.cursor = walk.cursor;
      this.walks.delete(tenantId);
      this.walks.set(tenantId, walkState);
    } else {
      this.walks.delete(tenantId);
    }
    return { evaluated: walk.evaluated, more };
  }

  /** The kept walk of a tenant whose cursor is still at `cursor`, or a new one (evicting the oldest beyond {@link KEPT_WALKS}). */
  private walkOf(tenantId: string, cursor: number): TenantWalk {
    const kept = this.walks.get(tenantId);
    if (kept && kept.cursor === cursor) return kept;
    this.walks.delete(tenantId);
    while (this.walks.size >= KEPT_WALKS) this.walks.delete(this.walks.keys().next().value!);
    return { cursor, histories: new Map() };
  }

  /** The tenant's cursor, her protocols' fingerprint and the next page of events, in one statement; null without a cursor. */
  private async readPage(em: EntityManager, tenantId: string): Promise<StreamPage | null> {
    const rows = await em.execute<{
      last_seq: string | number; fingerprint: string; seq: string | number | null; type: string; patient_id: string; subject_id: string; kind: string;
    }[]>(
      `select c.last_seq, ${protocolsFingerprintSql()} as fingerprint, e.seq, e.type, e.patient_id, e.subject_id, e.kind
       from alerting_cursor c
       left join lateral (select o.seq, o.type, o.patient_id, o.subject_id, o.kind from outbox_event o
                          where o.tenant_id = c.tenant_id and o.seq > c.last_seq order by o.seq limit ?) e on true
       where c.tenant_id = ?
       order by e.seq`,
      [tenantId, this.pageSize, tenantId],
    );
    const [first] = rows;
    if (!first) return null;
    const events = rows
      .filter((r) => r.seq !== null)
      .map((r) => ({ seq: Number(r.seq), type: r.type, patientId: r.patient_id, subjectId: r.subject_id, kind: r.kind }));
    return { lastSeq: Number(first.last_seq), fingerprint: first.fingerprint, events };
  }

  /**
   * Evaluates the page's events that an active protocol listens to, applying each that acts in its
   * own transaction, then steps the cursor over the rest of the page, or, once `deadline`
   * (`performance.now()` time) has passed, over what was evaluated so far.
   */
  private async walkPage(
    em: EntityManager,
    tenantId: string,
    page: StreamPage,
    protocols: ActiveProtocolSet,
    histories: Map<string, CachedHistory>,
    deadline: number,
  ): Promise<PageWalk & { readonly cursor: number }> {
    let cursor = page.lastSeq;
    let evaluated = 0;
    /** Evaluations that changed nothing since the cursor last moved: they count once it moves past them. */
    let unconfirmed = 0;
    let announced = false;
    const listened = page.events.filter((e) => e.type === 'STATUS_UPDATE_LOGGED' && protocols.listenersOf(e.kind).length > 0);
    const inputs = listened.length > 0 ? await this.loadInputs(em, tenantId, listened, histories) : null;
    let end = page.events.at(-1)!.seq;
    let cut = false;
    for (const event of listened) {
      if (this.stopping()) return { evaluated, announced, finished: false, cut, cursor };
      if (performance.now() > deadline && event.seq - 1 > cursor) {
        // Every event before this one has been evaluated: the rest waits for the tenant's next turn.
        end = event.seq - 1;
        cut = true;
        break;
      }
      const matches = this.evaluate(tenantId, event, protocols.listenersOf(event.kind), inputs!, histories);
      unconfirmed += 1;
      if (matches.length > 0) {
        const changes = await this.advance(tenantId, cursor, event.seq, matches);
        if (!changes) return { evaluated, announced, finished: false, cut, cursor };
        cursor = event.seq;
        evaluated += unconfirmed;
        unconfirmed = 0;
        announced ||= changes.announced;
      }
      // Let requests waiting for the database (a single connection on the embedded default) go first.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (end > cursor) {
      if (!(await this.step(em, tenantId, cursor, end))) return { evaluated, announced, finished: false, cut, cursor };
      evaluated += unconfirmed;
      cursor = end;
    }
    return { evaluated, announced, finished: true, cut, cursor };
  }

  /**
   * Loads what the evaluations of a page's events read, in a few statements for the whole page:
   * their patients' facts, and their histories through the page's updates themselves (extending
   * those loaded for earlier pages instead of reading, and decrypting, all of them again).
   */
  private async loadInputs(em: EntityManager, tenantId: string, events: readonly StreamEvent[], histories: Map<string, CachedHistory>): Promise<PageInputs> {
    /** Each patient's latest event in the page (the outbox row carries her id and the update's seq): her updates are needed through it. */
    const through = new Map<string, number>();
    for (const e of events) through.set(e.patientId, Math.max(through.get(e.patientId) ?? 0, e.seq));
    const [facts] = await Promise.all([
      loadPatientFacts(em, tenantId, [...through.keys()], { factColumnsOnly: true }),
      this.extendHistories(em, tenantId, through, this.now(), histories),
    ]);
    const wanted = new Set(events.map((e) => e.subjectId));
    const firstSeq = events[0]!.seq;
    const updates = new Map<string, LoggedUpdate>();
    for (const patientId of through.keys()) {
      const entries = histories.get(patientId)?.entries ?? [];
      for (let i = entries.length - 1; i >= 0 && entries[i]!.seq >= firstSeq; i--) {
        const { seq, observation } = entries[i]!;
        if (wanted.has(observation.id)) updates.set(observation.id, { patientId, seq, observation });
      }
    }
    // An update recorded before the look-back window is not in any history: read it alone.
    const missing = [...wanted].filter((id) => !updates.has(id));
    if (missing.length > 0) {
      for (const row of await em.find(StatusUpdate, { tenantId, id: { $in: missing } })) {
        updates.set(row.id, { patientId: row.patientId, seq: row.seq, observation: observationOf(row) });
      }
    }
    return { updates, facts };
  }

  /**
   * Makes `histories` hold, for each patient in `through`, every update up to and including her
   * seq there (within the look-back window from `now`): one statement for patients seen earlier
   * in the walk (from where their updates end) and one for the others.
   */
  private async extendHistories(
    em: EntityManager,
    tenantId: string,
    through: ReadonlyMap<string, number>,
    now: number,
    histories: Map<string, CachedHistory>,
  ): Promise<void> {
    if ([...through.keys()].filter((id) => !histories.has(id)).length + histories.size > HISTORY_CACHE_PATIENTS) histories.clear();
    const fresh: string[] = [];
    const stale: string[] = [];
    let beforeSeq = 0;
    for (const [patientId, seq] of through) {
      const cached = histories.get(patientId);
      if (cached && cached.beforeSeq > seq) continue;
      (cached ? stale : fresh).push(patientId);
      beforeSeq = Math.max(beforeSeq, seq + 1);
    }
    const since = now - HISTORY_LOOKBACK_DAYS * 86_400_000;
    const fromSeq = Math.min(...stale.map((id) => histories.get(id)!.beforeSeq));
    const [loaded, more] = await Promise.all([
      loadSequencedObservations(em, tenantId, fresh, now, { beforeSeq }),
      loadSequencedObservations(em, tenantId, stale, now, { fromSeq, beforeSeq }),
    ]);
    for (const patientId of fresh) histories.set(patientId, { beforeSeq, entries: loaded.get(patientId) ?? [] });
    for (const patientId of stale) {
      const cached = histories.get(patientId)!;
      const added = (more.get(patientId) ?? []).filter((e) => e.seq >= cached.beforeSeq);
      cached.entries = [...cached.entries.filter((e) => e.observation.recordedAt >= since), ...added];
      cached.beforeSeq = beforeSeq;
    }
  }

  /** Runs the ON_UPDATE protocols listening to one event's kind; pure evaluation on the page's inputs. */
  private evaluate(
    tenantId: string,
    event: StreamEvent,
    protocols: readonly ActiveProtocol[],
    inputs: PageInputs,
    histories: ReadonlyMap<string, CachedHistory>,
  ): MatchToApply[] {
    const update = inputs.updates.get(event.subjectId);
    if (!update || protocols.length === 0) return [];
    const patient = inputs.facts.get(update.patientId);
    if (!patient) return [];
    const now = this.now();
    const input: EvaluationInput = { now, patient, update: update.observation, history: historyBefore(histories.get(update.patientId), update.seq, now) };
    const results: Array<{ active: ActiveProtocol; builtInKey: string | null; result: EvaluationResult }> = [];
    for (const active of protocols) {
      const result = this.evaluateSafely(active, input);
      if (result && result.actions.length > 0) results.push({ active, builtInKey: active.builtInKey, result });
    }
    const matches: MatchToApply[] = [];
    for (const { active, result } of withoutSuperseded(results)) {
      matches.push({
        tenantId,
        patientId: update.patientId,
        protocolId: active.protocolId,
        versionId: active.versionId,
        definition: active.definition,
        result,
        categories: categoriesOfMatch(active.readCategories, input, result.evidenceIds),
        scheduled: false,
        now,
      });
    }
    return matches;
  }

  private evaluateSafely(active: ActiveProtocol, input: EvaluationInput): EvaluationResult | null {
    try {
      const result = evaluateProtocol(active.definition, input);
      if (result.budgetExceeded) {
        // Raised as an incomplete-data alert by the caller; logged so operators see which protocol (ids only).
        this.logger.warn({ protocolId: active.protocolId, versionId: active.versionId, code: 'evaluation_budget_exceeded' }, 'a protocol was stopped by its evaluation budget');
      }
      return result;
    } catch (err) {
      // An engine fault must not stall the tenant's whole stream; it is logged loudly (ids only).
      this.logger.error({ err, protocolId: active.protocolId, versionId: active.versionId }, 'a protocol could not be evaluated');
      return null;
    }
  }

  /**
   * In one transaction: claims the tenant's cursor (skipping it if another instance holds it),
   * checks it is still at `expected`, applies the matches and moves the cursor to `to`. Returns the
   * committed changes, or null when another instance got there first.
   */
  private async advance(tenantId: string, expected: number, to: number, matches: readonly MatchToApply[]): Promise<AlertChanges | null> {
    const em = this.orm.em.fork();
    let committed: AlertChanges | null = null;
    await em.transactional(async (tx) => {
      const [row] = await executeBound<{ last_seq: string | number }>(
        tx,
        'select last_seq from alerting_cursor where tenant_id = $1 for update skip locked',
        [tenantId],
      );
      if (!row || Number(row.last_seq) !== expected) return;
      const changes = new AlertChanges(tx, tenantId, matches[0]!.now);
      for (const match of matches) await applyMatch(tx, changes, match);
      await executeBound(tx, 'update alerting_cursor set last_seq = $1 where tenant_id = $2', [to, tenantId]);
      await changes.commit();
      committed = changes;
    });
    if (committed) this.committed(committed);
    return committed;
  }

  /**
   * Moves the tenant's cursor from `expected` to `to` over events whose evaluation changed nothing,
   * in one statement that does nothing if another instance moved it first (waiting, at most, for
   * that instance's transaction to end). Returns whether it moved.
   */
  private async step(em: EntityManager, tenantId: string, expected: number, to: number): Promise<boolean> {
    const moved = await em.execute<{ last_seq: string | number }[]>(
      'update alerting_cursor set last_seq = ? where tenant_id = ? and last_seq = ? returning last_seq',
      [to, tenantId, expected],
    );
    return moved.length === 1;
  }
}
