import type { EntityManager } from '@mikro-orm/postgresql';
import { categoriesReadBy } from '../protocols/condition-reads.js';
import type { DataCategory } from '../auth/data-category.js';
import type { ProtocolDefinition } from '../protocols/protocol.js';

/** A protocol that is evaluated now: enabled, with its active version's definition. */
export interface ActiveProtocol {
  readonly protocolId: string;
  readonly versionId: string;
  /** The built-in library key (`severe-blood-pressure`), or null for a coordinator's own protocol. */
  readonly builtInKey: string | null;
  /** Shared by every evaluation that uses this set: frozen, never to be changed. */
  readonly definition: ProtocolDefinition;
  /** The data categories the definition reads whatever triggers it (`categoriesReadBy`), found once per load. */
  readonly readCategories: readonly DataCategory[];
}

/** A tenant's active protocols as of one fingerprint, with the ON_UPDATE ones indexed by kind. */
export interface ActiveProtocolSet {
  /** See {@link protocolsFingerprintSql}. */
  readonly fingerprint: string;
  /** Every active protocol, built-ins first, then by creation. */
  readonly all: readonly ActiveProtocol[];
  /** The ON_UPDATE protocols evaluated for updates of `kind` (an empty list when none listens). */
  listenersOf(kind: string): readonly ActiveProtocol[];
}

/** Tenants whose active set one instance keeps in memory; beyond it the least recently used goes. */
const MAX_TENANTS = 1000;

/**
 * SQL of one scalar expression, with one `?` for the tenant id: a digest of which protocols are
 * active for the tenant and which version of each (enabled protocols and their active version ids,
 * in evaluation order). Versions are immutable, so the digest changes exactly when the set of
 * definitions to evaluate does, whoever changed it (any instance, the CLI, a migration, plain SQL).
 * A parameter rather than a column reference keeps it an init-plan: computed once per statement.
 */
export function protocolsFingerprintSql(): string {
  return `(select md5(coalesce(string_agg(cast(fp.id as text) || ':' || cast(fp.active_version_id as text), ',' order by fp.created_at, fp.id), ''))
     from protocol fp where fp.tenant_id = ? and fp.enabled and fp.active_version_id is not null)`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function setOf(fingerprint: string, all: ActiveProtocol[]): ActiveProtocolSet {
  const byKind = new Map<string, ActiveProtocol[]>();
  for (const active of all) {
    const trigger = active.definition.trigger;
    if (trigger.type !== 'ON_UPDATE') continue;
    for (const kind of new Set(trigger.kinds)) {
      const listeners = byKind.get(kind) ?? [];
      listeners.push(active);
      byKind.set(kind, listeners);
    }
  }
  return { fingerprint, all, listenersOf: (kind) => byKind.get(kind) ?? [] };
}

/**
 * Each tenant's active protocols on this instance, loaded (one statement) only when the tenant's
 * fingerprint differs from the one they were loaded at. The caller reads the fingerprint in the
 * same statement as the events it is about to evaluate, so those events are evaluated with the
 * protocols that were active when they were read: a protocol change committed before an event is
 * always seen by that event's evaluation, on every instance, with no message between instances.
 *
 * Conditions are compiled once per expression text by the engine's own cache (`default-compiler.ts`),
 * so a cached definition is never compiled again either.
 */
export class ActiveProtocols {
  private readonly byTenant = new Map<string, ActiveProtocolSet>();

  /** The tenant's active set at `fingerprint` (as just read from the database). */
  async at(em: EntityManager, tenantId: string, fingerprint: string): Promise<ActiveProtocolSet> {
    const cached = this.byTenant.get(tenantId);
    if (cached && cached.fingerprint === fingerprint) {
      this.byTenant.delete(tenantId);
      this.byTenant.set(tenantId, cached);
      return cached;
    }
    const loaded = await this.load(em, tenantId);
    this.byTenant.delete(tenantId);
    this.byTenant.set(tenantId, loaded);
    if (this.byTenant.size > MAX_TENANTS) {
      const oldest = this.byTenant.keys().next();
      if (!oldest.done) this.byTenant.delete(oldest.value);
    }
    return loaded;
  }

  /**
   * Reads the active set and its fingerprint in one statement (one snapshot), so the set is cached
   * under the fingerprint it really has, even if it changed again since the caller's read.
   * Protocols hold no PHI, so plain SQL is fine.
   */
  private async load(em: EntityManager, tenantId: string): Promise<ActiveProtocolSet> {
    const rows = await em.execute<{ fingerprint: string; protocol_id: string | null; built_in_key: string | null; version_id: string | null; definition: unknown }[]>(
      `select f.fingerprint, p.id as protocol_id, p.built_in_key, v.id as version_id, v.definition
       from (select ${protocolsFingerprintSql()} as fingerprint) f
       left join protocol p on p.tenant_id = ? and p.enabled and p.active_version_id is not null
       left join protocol_version v on v.id = p.active_version_id
       order by p.created_at, p.id`,
      [tenantId, tenantId],
    );
    const all: ActiveProtocol[] = [];
    for (const row of rows) {
      if (!row.protocol_id || !row.version_id) continue;
      const definition = (typeof row.definition === 'string' ? JSON.parse(row.definition) : row.definition) as ProtocolDefinition;
      all.push(Object.freeze({
        protocolId: row.protocol_id, versionId: row.version_id, builtInKey: row.built_in_key, definition: deepFreeze(definition),
        readCategories: Object.freeze(categoriesReadBy(definition)),
      }));
    }
    return setOf(rows[0]?.fingerprint ?? '', all);
  }
}
