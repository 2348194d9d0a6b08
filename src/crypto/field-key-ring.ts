import { randomBytes } from 'node:crypto';
import { blindIndex, blindIndexSubkey, type BlindIndexKind } from './blind-index.js';
import { DATA_KEY_BYTES, type DataKey } from './field-cipher.js';
import type { KeyEncryptionKeys } from './key-encryption-key.js';
import { KmsError } from './vault-transit-kek.js';

/**
 * Most encryptions under one data key. AES-GCM with random 96-bit nonces must stay well under
 * 2^32 invocations per key (NIST SP 800-38D 8.3); at 2^28 the chance of any nonce repeating is
 * below 2^-40. Past it, a tenant's next encryption rolls over to a new data key.
 */
export const DATA_KEY_MAX_USES = 2 ** 28;

/** Encryptions an instance reserves at once in the key's shared counter (`field_data_key.uses`). */
export const DATA_KEY_RESERVATION = 1024;

/**
 * Runs SQL on the database, bypassing field encryption's own hooks, in `ctx` (a transaction) when
 * given, else on a connection of its own (autocommit). Rows come back keyed by column name.
 */
export type RawExecutor = (sql: string, params: unknown[], ctx?: unknown) => Promise<Array<Record<string, unknown>>>;

/** Tuning of a key ring (tests use small limits to see rollover). */
export interface FieldKeyRingOptions {
  /** Most encryptions per data key. */
  readonly maxUsesPerKey?: number;
  /** Encryptions reserved per round trip. */
  readonly reservation?: number;
  /**
   * Whether the database is a single embedded connection (PGlite): then nothing can run beside an
   * open transaction, and a key needed inside one is created inside it (see {@link FieldKeyRing.acquire}).
   */
  readonly singleConnection: boolean;
}

interface CurrentKey {
  readonly key: DataKey;
  remaining: number;
}

/** A data-key row as stored. */
interface KeyRow {
  id: string;
  tenant_id: string | null;
  purpose: string;
  kek_id: string;
  wrapped_key: string;
}

/** Thrown when no configured key-encryption key can unwrap the keys the database holds. */
export class WrongKeyEncryptionKeyError extends Error {
  constructor(kekId: string) {
    super(
      `The configured key-encryption key cannot unwrap the data keys (they were wrapped by KEK ${kekId}). ` +
        'Set CRADLE_KEK (or CRADLE_KEK_FILE) to the key this database was encrypted with, or list it in CRADLE_KEK_PREVIOUS during a rotation.',
    );
    this.name = 'WrongKeyEncryptionKeyError';
  }
}

/** The context string bound to a wrapped key: the key's own row, so a wrapped key copied elsewhere does not unwrap. */
export function wrapContext(row: Pick<KeyRow, 'id' | 'tenant_id' | 'purpose'>): string {
  return `field-key|${row.purpose}|${row.id}|${row.tenant_id ?? ''}`;
}

/**
 * The data keys of field encryption, per tenant, wrapped by the KEK in `field_data_key`, and the
 * installation-wide blind-index key. Unwrapped keys are cached in memory so decryption (which the
 * ORM does synchronously while mapping rows) never waits: keys are loaded, asynchronously, when a
 * query result first names them ({@link ensureLoaded}), and a tenant's current key when it first
 * encrypts. One ring per database handle (`db/orm.ts`), shared by every server using it.
 */
export class FieldKeyRing {
  private exec: RawExecutor | null = null;
  private maintenance: RawExecutor | null = null;
  private readonly keys = new Map<string, DataKey>();
  private readonly current = new Map<string, CurrentKey>();
  private readonly refilling = new Map<string, Promise<void>>();
  private readonly inTransaction = new WeakMap<object, Map<string, Promise<CurrentKey>>>();
  private readonly background = new Set<Promise<unknown>>();
  private indexRoot: Buffer | null = null;
  private unusable: Error | null = null;
  private readonly subkeys = new Map<string, Buffer>();
  private readonly maxUses: number;
  private readonly reservation: number;

  constructor(
    readonly keks: KeyEncryptionKeys,
    private readonly options: FieldKeyRingOptions,
  ) {
    this.maxUses = options.maxUsesPerKey ?? DATA_KEY_MAX_USES;
    this.reservation = Math.min(options.reservation ?? DATA_KEY_RESERVATION, this.maxUses);
  }

  /** Connects the ring to the database (called by the connection once it exists). */
  attach(exec: RawExecutor): void {
    this.exec = exec;
  }

  /**
   * Gives key maintenance (reservations, new keys, rotation) a connection of its own, apart from
   * the ORM's pool (PostgreSQL). Without one, maintenance uses the ORM's connections.
   */
  attachMaintenance(exec: RawExecutor): void {
    this.maintenance = exec;
  }

  private get sql(): RawExecutor {
    if (!this.exec) throw new Error('The field key ring is not attached to a database');
    const inTransaction = this.exec;
    const maintenance = this.maintenance;
    return maintenance ? (sql, params, ctx) => (ctx ? inTransaction(sql, params, ctx) : maintenance(sql, params)) : inTransaction;
  }

  /** SQL outside any transaction and outside field encryption's hooks, for key maintenance (`key-rotation.ts`). */
  get rawSql(): RawExecutor {
    return this.sql;
  }

  /**
   * Loads (creating on first start) the blind-index key, then readies the current data key of
   * every tenant. Call after migrations. When the configured KEKs cannot unwrap the stored keys
   * the ring is unusable: {@link assertUsable} (called by the server and the CLI at start) throws
   * {@link WrongKeyEncryptionKeyError}, so a server with the wrong KEK refuses to start instead of
   * serving unreadable records or writing keys no other instance can read.
   */
  async start(): Promise<void> {
    const kek = this.keks.current;
    const id = crypto.randomUUID();
    const row = { id, tenant_id: null, purpose: 'INDEX' };
    const wrapped = await kek.wrap(randomBytes(DATA_KEY_BYTES), wrapContext(row));
    await this.sql(
      `insert into "field_data_key" ("id", "tenant_id", "purpose", "kek_id", "wrapped_key", "uses", "max_uses") values (?, null, 'INDEX', ?, ?, 0, 0)
       on conflict ("purpose") where "tenant_id" is null do nothing`,
      [id, kek.id, wrapped],
    );
    const [stored] = (await this.sql(`select "id", "tenant_id", "purpose", "kek_id", "wrapped_key" from "field_data_key" where "purpose" = 'INDEX' and "tenant_id" is null`, [])) as unknown as KeyRow[];
    if (!stored) throw new Error('The blind-index key could not be created');
    const root = await this.unwrapRow(stored);
    if (!root) {
      this.unusable = new WrongKeyEncryptionKeyError(stored.kek_id);
      return;
    }
    this.indexRoot = root;
    const tenants = await this.sql(`select "id" from "tenant"`, []);
    for (const tenant of tenants) await this.refill(String(tenant['id']));
  }

  /** Whether the ring started and its KEKs unwrap the stored keys (see {@link assertUsable}). */
  get usable(): boolean {
    return this.unusable === null && this.indexRoot !== null;
  }

  /** Throws {@link WrongKeyEncryptionKeyError} (or says the ring never started) unless keys can be used. */
  assertUsable(): void {
    if (this.unusable) throw this.unusable;
    if (!this.indexRoot) throw new Error('The field key ring has not started (blind-index key not loaded)');
  }

  /** Waits for background key reservations, so the database can close. */
  async close(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /**
   * Unwraps a stored data key; null when no configured KEK can (not configured, or it refuses the
   * wrapped key). A KMS that could not be reached is not a wrong key: its error is thrown as it is,
   * so the operator reads "KMS unavailable", not "set CRADLE_KEK".
   */
  private async unwrapRow(row: KeyRow): Promise<Buffer | null> {
    const kek = this.keks.get(row.kek_id);
    if (!kek) return null;
    try {
      return await kek.unwrap(row.wrapped_key, wrapContext(row));
    } catch (err) {
      if (err instanceof KmsError && err.code === 'KMS_UNAVAILABLE') throw err;
      return null;
    }
  }

  /** A loaded data key by id, or null (unknown, or its KEK is not configured). Synchronous. */
  keyById(id: string): DataKey | null {
    return this.keys.get(id) ?? null;
  }

  /**
   * Loads the data keys of these ids that are not cached yet, reading through `ctx` (so keys
   * created in the same transaction, and rows under row-level security, are visible). Ids whose
   * KEK is not configured stay unloaded; decrypting their values then fails with a clear error.
   */
  async ensureLoaded(ids: Iterable<string>, ctx?: unknown): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.keys.has(id));
    if (missing.length === 0) return;
    if (!this.exec) throw new Error('The field key ring is not attached to a database');
    // Through the ORM's connection (its `in (?)` expands the list), in the caller's transaction if any.
    const rows = (await this.exec(
      `select "id", "tenant_id", "purpose", "kek_id", "wrapped_key" from "field_data_key" where "id" in (?) and "purpose" = 'DATA'`,
      [missing],
      ctx,
    )) as unknown as KeyRow[];
    for (const row of rows) {
      const key = await this.unwrapRow(row);
      if (key && row.tenant_id) this.keys.set(row.id, { id: row.id, tenantId: row.tenant_id, key });
    }
  }

  /**
   * A data key of the tenant for one encryption, counted against the key's limit. The tenant's
   * current key is used while this instance's reservation lasts; reservations (and, past the
   * limit, a new key) are written on a connection of their own, outside the caller's transaction,
   * so a rollback never un-counts them. On the embedded single-connection database nothing can run
   * beside an open transaction: a key needed there while none is reserved is created inside the
   * transaction and used only by it (it commits or rolls back with the values it encrypted), and
   * a shared key is reserved as soon as the connection is free.
   *
   * @param ctx the caller's transaction, if any
   */
  async acquire(tenantId: string, ctx?: unknown): Promise<DataKey> {
    this.assertUsable();
    for (let attempt = 0; attempt < 3; attempt++) {
      const shared = this.current.get(tenantId);
      if (shared && shared.remaining > 0) {
        shared.remaining--;
        if (shared.remaining < this.reservation / 4) this.refillInBackground(tenantId);
        return shared.key;
      }
      if (ctx && this.options.singleConnection) return this.acquireInTransaction(tenantId, ctx);
      await this.refill(tenantId);
    }
    throw new Error('Could not reserve a data key');
  }

  private async acquireInTransaction(tenantId: string, ctx: object): Promise<DataKey> {
    let keys = this.inTransaction.get(ctx);
    if (!keys) this.inTransaction.set(ctx, (keys = new Map()));
    for (;;) {
      let pending = keys.get(tenantId);
      if (!pending) {
        // Concurrent encryptions of one flush share the creation instead of each making a key.
        pending = this.createKey(tenantId, this.reservation, ctx).then((key) => ({ key, remaining: this.reservation }));
        keys.set(tenantId, pending);
      }
      const local = await pending;
      if (local.remaining > 0) {
        local.remaining--;
        this.refillInBackground(tenantId);
        return local.key;
      }
      if (keys.get(tenantId) === pending) keys.delete(tenantId);
    }
  }

  private refillInBackground(tenantId: string): void {
    if (this.refilling.has(tenantId)) return;
    const task = this.refill(tenantId).catch(() => undefined);
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Reserves more encryptions under the tenant's current key, or rolls over to a new key (limit reached, key retired, none yet). */
  private refill(tenantId: string): Promise<void> {
    const running = this.refilling.get(tenantId);
    if (running) return running;
    const task = (async () => {
      let shared = this.current.get(tenantId);
      if (!shared) {
        const [latest] = (await this.sql(
          `select "id", "tenant_id", "purpose", "kek_id", "wrapped_key" from "field_data_key"
           where "tenant_id" = ? and "purpose" = 'DATA' and "retired_at" is null and "uses" < "max_uses" order by "created_at" desc limit 1`,
          [tenantId],
        )) as unknown as KeyRow[];
        const key = latest ? await this.unwrapRow(latest) : null;
        if (latest && key) {
          this.keys.set(latest.id, { id: latest.id, tenantId, key });
          shared = { key: this.keys.get(latest.id)!, remaining: 0 };
        }
      }
      if (shared) {
        const reserved = await this.sql(
          `update "field_data_key" set "uses" = "uses" + ? where "id" = ? and "retired_at" is null and "uses" + ? <= "max_uses" returning "uses"`,
          [this.reservation, shared.key.id, this.reservation],
        );
        if (reserved.length > 0) {
          this.current.set(tenantId, { key: shared.key, remaining: shared.remaining + this.reservation });
          return;
        }
      }
      const key = await this.createKey(tenantId, this.reservation);
      this.current.set(tenantId, { key, remaining: this.reservation });
    })().finally(() => this.refilling.delete(tenantId));
    this.refilling.set(tenantId, task);
    return task;
  }

  /** Creates a data key for the tenant, wrapped by the current KEK, with `reserved` uses already counted. */
  private async createKey(tenantId: string, reserved: number, ctx?: unknown): Promise<DataKey> {
    const kek = this.keks.current;
    const row = { id: crypto.randomUUID(), tenant_id: tenantId, purpose: 'DATA' };
    const key = randomBytes(DATA_KEY_BYTES);
    const wrapped = await kek.wrap(key, wrapContext(row));
    await this.sql(
      `insert into "field_data_key" ("id", "tenant_id", "purpose", "kek_id", "wrapped_key", "uses", "max_uses") values (?, ?, 'DATA', ?, ?, ?, ?)`,
      [row.id, tenantId, kek.id, wrapped, reserved, this.maxUses],
      ctx,
    );
    const dataKey: DataKey = { id: row.id, tenantId, key };
    this.keys.set(row.id, dataKey);
    return dataKey;
  }

  /**
   * Stops using every current data key (`keys:reencrypt` retires them, then re-encrypts values
   * under new ones). Instances still holding a reservation on a retired key use it up, at most
   * {@link DATA_KEY_RESERVATION} encryptions; a later run re-encrypts those values too.
   */
  forgetCurrentKeys(): void {
    this.current.clear();
  }

  /** The blind index of a value: e-mail installation-wide, MRN per tenant. Synchronous; needs {@link start}. */
  blindIndex(kind: BlindIndexKind, value: string, tenantId: string | null = null): string {
    this.assertUsable();
    const root = this.indexRoot!;
    const name = `${kind}|${kind === 'email' ? '' : (tenantId ?? '')}`;
    let subkey = this.subkeys.get(name);
    if (!subkey) this.subkeys.set(name, (subkey = blindIndexSubkey(root, kind, kind === 'email' ? null : tenantId)));
    return blindIndex(subkey, kind, value);
  }
}
