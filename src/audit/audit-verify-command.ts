import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { openDatabase } from '../db/orm.js';
import { verifyTenantChain } from './audit-services.js';

/** The `audit:*` lines of the command line's usage. */
export const AUDIT_COMMANDS_USAGE = `  audit:verify [--tenant <id>]
      Walks every tenant's audit hash chain (or one), compares its end with the latest signed
      checkpoint (CRADLE_AUDIT_CHECKPOINT_FILE) and prints {"valid","tenants":[{"tenantId","valid","brokenAt","lastSeq","reason"}]};
      exits 1 when a chain is broken.`;

/** What `audit:verify` reports. */
export interface AuditVerifyReport {
  /** Whether every chain checked is intact. */
  readonly valid: boolean;
  readonly checkpointFile: string | null;
  readonly tenants: ReadonlyArray<{ tenantId: string; valid: boolean; brokenAt: number | null; lastSeq: number; reason: string | null }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Verifies the chains of every tenant with audit records (or only `tenantId`) on an open database. */
export async function verifyAllChains(em: EntityManager, config: Readonly<Config>, tenantId: string | null): Promise<AuditVerifyReport> {
  const ids =
    tenantId !== null
      ? [tenantId]
      : (
          await em.execute<Array<{ tenant_id: string }>>(
            `select "tenant_id" from "audit_chain_head" union select distinct "tenant_id" from "audit_event" order by 1`,
          )
        ).map((r) => r.tenant_id);
  const tenants = [];
  for (const id of ids) tenants.push({ tenantId: id, ...(await verifyTenantChain(em, config, id)) });
  return { valid: tenants.every((t) => t.valid), checkpointFile: config.auditCheckpoint.file, tenants };
}

/** `cradle audit:verify [--tenant id]`: opens the configured database and verifies its audit chains. */
export async function runAuditVerify(args: string[], config: Readonly<Config>): Promise<AuditVerifyReport> {
  const { values } = parseArgs({ args, options: { tenant: { type: 'string' } }, strict: true });
  const tenantId = values.tenant ?? null;
  if (tenantId !== null && !UUID.test(tenantId)) throw new Error('--tenant must be a tenant id (a UUID)');
  const db = await openDatabase(config.database);
  try {
    return await verifyAllChains(db.orm.em.fork(), config, tenantId);
  } finally {
    await db.close();
  }
}
