import type { EntityManager } from '@mikro-orm/postgresql';
import { sealForSql } from '../crypto/field-crypto.js';
import type { ProtocolVersion } from '../db/entities/index.js';
import { BUILT_IN_PROTOCOLS } from '../protocols/built-in/index.js';
import type { BuiltInProtocol, ProtocolDefinition } from '../protocols/protocol.js';

/** The stored definition of a version, as the engine's type (stored exactly as validated). */
export function definitionOf(version: ProtocolVersion): ProtocolDefinition {
  return version.definition as unknown as ProtocolDefinition;
}

/** The built-in library entry with this key, or null (a key from a newer or older library). */
export function builtInOf(key: string | null | undefined): BuiltInProtocol | null {
  if (!key) return null;
  return BUILT_IN_PROTOCOLS.find((b) => b.key === key) ?? null;
}

/** The default parameter values of a built-in. */
export function defaultParameters(builtIn: BuiltInProtocol): Record<string, number> {
  return Object.fromEntries(Object.entries(builtIn.parameters).map(([name, parameter]) => [name, parameter.value]));
}

/** Milliseconds until a SCHEDULED definition's next run, or null for ON_UPDATE ones. */
export function scheduleIntervalMs(definition: ProtocolDefinition): number | null {
  return definition.trigger.type === 'SCHEDULED' ? Math.max(1, definition.trigger.everyMinutes) * 60_000 : null;
}

/**
 * Makes a SCHEDULED version's protocol run on its schedule (first run one interval from `now`), or
 * takes an ON_UPDATE one off the schedule. Called whenever a version becomes active.
 */
export async function syncSchedule(em: EntityManager, tenantId: string, protocolId: string, definition: ProtocolDefinition, now: number): Promise<void> {
  const interval = scheduleIntervalMs(definition);
  if (interval === null) {
    await em.execute('delete from protocol_schedule where protocol_id = ?', [protocolId]);
    return;
  }
  await em.execute(
    `insert into protocol_schedule (protocol_id, tenant_id, due_at) values (?, ?, ?)
     on conflict (protocol_id) do update set due_at = least(protocol_schedule.due_at, excluded.due_at)`,
    [protocolId, tenantId, new Date(now + interval)],
  );
}

/**
 * Installs the built-in protocol library for a tenant: each library entry missing for the tenant
 * gets a protocol (keyed by the built-in key) and an ACTIVE version 1 built from the default
 * parameters. Idempotent and safe to run concurrently on several instances (a unique index on
 * tenant and key; a conflicting insert does nothing). Plain SQL, with the one encrypted column (`change_note`) sealed here.
 */
export async function ensureBuiltInProtocols(em: EntityManager, tenantId: string, now: number): Promise<number> {
  const present = await em.execute<{ built_in_key: string }[]>(
    'select built_in_key from protocol where tenant_id = ? and built_in_key is not null',
    [tenantId],
  );
  const have = new Set(present.map((r) => r.built_in_key));
  const missing = BUILT_IN_PROTOCOLS.filter((b) => !have.has(b.key));
  if (missing.length === 0) return 0;
  let installed = 0;
  await em.transactional(async (tx) => {
    for (const builtIn of missing) {
      const parameters = defaultParameters(builtIn);
      const definition = builtIn.build(parameters);
      const protocolId = crypto.randomUUID();
      const versionId = crypto.randomUUID();
      const inserted = await tx.execute<{ id: string }[]>(
        `insert into protocol (id, tenant_id, built_in_key, enabled, active_version_id, created_at, created_by)
         values (?, ?, ?, true, ?, ?, null)
         on conflict (tenant_id, built_in_key) where built_in_key is not null do nothing returning id`,
        [protocolId, tenantId, builtIn.key, versionId, new Date(now)],
      );
      if (inserted.length === 0) continue;
      await tx.execute(
        `insert into protocol_version (id, tenant_id, protocol_id, number, status, definition, parameters, author_id, change_note, guideline, created_at)
         values (?, ?, ?, 1, 'ACTIVE', cast(? as jsonb), cast(? as jsonb), null, ?, ?, ?)`,
        [
          versionId, tenantId, protocolId, JSON.stringify(definition), JSON.stringify(parameters),
          // change_note is encrypted at rest like every author's note (crypto/encrypted-fields.ts).
          await sealForSql(tx, 'ProtocolVersion', 'changeNote', { tenantId, recordId: versionId }, 'Built-in baseline'),
          definition.guideline, new Date(now),
        ],
      );
      await syncSchedule(tx, tenantId, protocolId, definition, now);
      installed += 1;
    }
  });
  return installed;
}
