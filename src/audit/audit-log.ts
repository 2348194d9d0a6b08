import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { executeBound } from '../db/bound-query.js';
import type { AppLogger } from '../logger.js';
import type { AuditEntryInput, AuditSink } from './audit-entry.js';
import { encodeAuditRecord, GENESIS_HASH, hashEncoded, toAuditRecord } from './audit-hash.js';

/** Most records written by one transaction (bounds the size of its one JSON parameter and how long the head is locked). */
const MAX_BATCH_RECORDS = 500;

/** Records of one caller waiting for their batch. */
interface Waiting {
  readonly entries: readonly AuditEntryInput[];
  /** When the caller appended them, in milliseconds since the epoch (their `occurred_at`). */
  readonly at: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** One tenant's chain: callers waiting, and the batch being written (at most one per instance). */
interface ChainQueue {
  waiting: Waiting[];
  writing: boolean;
}

/** Called after records are committed, with the tenants whose chains grew (the compliance monitor listens). */
export type AppendedListener = (tenantId: string) => void;

/**
 * The audit trail's writer: appends records to each tenant's hash chain in PostgreSQL, durably,
 * before the caller's promise resolves.
 *
 * Group commit: while one transaction of a tenant's chain is in flight, records appended by other
 * requests queue up and are written together by the next transaction (one transaction per batch
 * per tenant chain, each caller awaiting its own batch), so a burst of requests costs a few
 * transactions, not one each. Each transaction takes the tenant's chain head `for update`, so
 * several instances appending to one chain interleave safely: the row lock orders them.
 *
 * It writes through the owning database role (outside the request's tenant wall): the chain head
 * and the records are system data, and the request's own EntityManager may be inside a transaction.
 */
export class AuditLog implements AuditSink {
  private readonly chains = new Map<string, ChainQueue>();
  private readonly listeners = new Set<AppendedListener>();
  private readonly inFlight = new Set<Promise<void>>();
  private committedBatches = 0;
  private committedRecords = 0;

  /**
   * @param orm the database (a fresh fork per batch)
   * @param now the clock, in milliseconds since the epoch (each record's `occurred_at`)
   */
  constructor(
    private readonly orm: MikroORM,
    private readonly now: () => number,
    private readonly logger: AppLogger,
  ) {}

  /** Appends records; resolves once they are committed. Records of several tenants go to their own chains. */
  append(entries: readonly AuditEntryInput[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const at = this.now();
    const first = entries[0]!.tenantId;
    if (entries.every((e) => e.tenantId === first)) return this.enqueue(first, entries, at);
    const byTenant = new Map<string, AuditEntryInput[]>();
    for (const entry of entries) {
      const list = byTenant.get(entry.tenantId);
      if (list) list.push(entry);
      else byTenant.set(entry.tenantId, [entry]);
    }
    return Promise.all([...byTenant].map(([tenantId, list]) => this.enqueue(tenantId, list, at))).then(() => undefined);
  }

  /** Queues one tenant's records for its chain's next batch; resolves once they are committed. */
  private enqueue(tenantId: string, entries: readonly AuditEntryInput[], at: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let chain = this.chains.get(tenantId);
      if (!chain) this.chains.set(tenantId, (chain = { waiting: [], writing: false }));
      chain.waiting.push({ entries, at, resolve, reject });
      if (!chain.writing) this.drain(tenantId, chain);
    });
  }

  /** Registers a listener told after each committed batch; returns its remover. */
  onAppended(listener: AppendedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Transactions and records committed by this instance so far (records ÷ batches is the group-commit factor). */
  get stats(): { readonly batches: number; readonly records: number } {
    return { batches: this.committedBatches, records: this.committedRecords };
  }

  /** Waits until every batch started so far is committed (shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private drain(tenantId: string, chain: ChainQueue): void {
    chain.writing = true;
    const run = (async () => {
      while (chain.waiting.length > 0) {
        const batch: Waiting[] = [];
        let size = 0;
        while (chain.waiting.length > 0 && (batch.length === 0 || size + chain.waiting[0]!.entries.length <= MAX_BATCH_RECORDS)) {
          const next = chain.waiting.shift()!;
          batch.push(next);
          size += next.entries.length;
        }
        try {
          await this.orm.em.fork().transactional((tx) => writeBatch(tx, tenantId, batch));
          this.committedBatches += 1;
          this.committedRecords += size;
          for (const w of batch) w.resolve();
          for (const listener of this.listeners) listener(tenantId);
        } catch (err) {
          this.logger.error({ err, tenantId, records: size }, 'audit append failed');
          for (const w of batch) w.reject(err);
        }
      }
      chain.writing = false;
      if (chain.waiting.length === 0) this.chains.delete(tenantId);
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }
}

/** Writes one batch in the caller's transaction (two statements): lock the head, chain the records, insert them and move the head. */
async function writeBatch(tx: EntityManager, tenantId: string, batch: readonly Waiting[]): Promise<void> {
  // Creates the head on a tenant's first record; either way the row is locked until commit.
  const [head] = await tx.execute<Array<{ seq: string; hash: string }>>(
    `insert into "audit_chain_head" ("tenant_id", "seq", "hash", "updated_at") values (?, 0, ?, now())
     on conflict ("tenant_id") do update set "tenant_id" = excluded."tenant_id" returning "seq", "hash"`,
    [tenantId, GENESIS_HASH],
  );
  let seq = Number(head!.seq);
  let prevHash = head!.hash.trim();
  // Each record travels as its hashed encoding (a JSON array of its columns, see
  // `encodeAuditRecord`) with its hash appended, all records as one JSON parameter: the text
  // built to hash a record is the text sent, and PostgreSQL parses one value per batch.
  const encodedRows: string[] = [];
  for (const waiting of batch) {
    for (const entry of waiting.entries) {
      seq += 1;
      const encoded = encodeAuditRecord(toAuditRecord(entry, seq, waiting.at, prevHash));
      prevHash = hashEncoded(encoded);
      encodedRows.push(`${encoded.slice(0, -1)},"${prevHash}"]`);
    }
  }
  await executeBound(
    tx,
    `with "appended" as (insert into "audit_event" ("tenant_id", "seq", "actor_type", "actor_id", "actor_role", "session_id", "patient_id", "action",
        "fields", "purpose", "outcome", "request_id", "client_ip", "user_agent", "details", "occurred_at", "prev_hash", "hash")
      select (e->>1)::uuid, (e->>2)::bigint, e->>3, e->>4, e->>5, e->>6, (e->>7)::uuid, e->>8,
        array(select jsonb_array_elements_text(e->9)), e->>10, e->>11, e->>12, e->>13, e->>14, e->15,
        timestamptz 'epoch' + (e->>16)::bigint * interval '1 millisecond', e->>17, e->>18
      from jsonb_array_elements($1::jsonb) as e)
     update "audit_chain_head" set "seq" = $2, "hash" = $3, "updated_at" = now() where "tenant_id" = $4`,
    [`[${encodedRows.join(',')}]`, String(seq), prevHash, tenantId],
  );
}
