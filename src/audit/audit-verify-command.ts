import { appendFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { openDatabase } from '../db/orm.js';
import { currentHeads, signCheckpoint } from './audit-checkpoint.js';
import { verifyTenantChain } from './audit-services.js';

/** What `audit:verify` reports. */
export interface AuditVerifyReport {
  /** Whether every chain checked is intact. */
  readonly valid: boolean;
  /** The checkpoint file compared with; null when none. */
  readonly checkpointFile: string | null;
  readonly tenants: ReadonlyArray<{ tenantId: string; valid: boolean; brokenAt: number | null; lastSeq: number; reason: string | null }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies the chains of every tenant with audit records (or only `tenantId`) on an open database,
 * against the checkpoints of `checkpointFile` (the configured file unless given).
 */
export async function verifyAllChains(
  em: EntityManager,
  config: Readonly<Config>,
  tenantId: string | null,
  checkpointFile: string | null = config.auditCheckpoint.file,
): Promise<AuditVerifyReport> {
  const ids =
    tenantId !== null
      ? [tenantId]
      : (
          await em.execute<Array<{ tenant_id: string }>>(
            `select "tenant_id" from "audit_chain_head" union select distinct "tenant_id" from "audit_event" order by 1`,
          )
        ).map((r) => r.tenant_id);
  const tenants = [];
  for (const id of ids) tenants.push({ tenantId: id, ...(await verifyTenantChain(em, config, id, checkpointFile)) });
  return { valid: tenants.every((t) => t.valid), checkpointFile, tenants };
}

/** `cradle audit:verify [--tenant id] [--checkpoint file]`: opens the configured database and verifies its audit chains. */
export async function runAuditVerify(args: string[], config: Readonly<Config>): Promise<AuditVerifyReport> {
  const { values } = parseArgs({ args, options: { tenant: { type: 'string' }, checkpoint: { type: 'string' } }, strict: true });
  const tenantId = values.tenant ?? null;
  if (tenantId !== null && !UUID.test(tenantId)) throw new Error('--tenant must be a tenant id (a UUID)');
  if (values.checkpoint === '') throw new Error('--checkpoint must name a checkpoint file');
  const db = await openDatabase(config.database, { owner: 'cradle audit:verify' });
  try {
    return await verifyAllChains(db.orm.em.fork(), config, tenantId, values.checkpoint ?? config.auditCheckpoint.file);
  } finally {
    await db.close();
  }
}

/**
 * `cradle audit:checkpoint [--out file|-]`: the signed checkpoint lines of every tenant's current
 * chain head (newline-terminated), appended to `--out` when it names a file. Resolves with the
 * lines, for the caller to print when the output is `-`.
 */
export async function runAuditCheckpoint(args: string[], config: Readonly<Config>, now: () => number = Date.now): Promise<{ out: string; text: string; count: number }> {
  const { values } = parseArgs({ args, options: { out: { type: 'string', default: '-' } }, strict: true });
  const out = values.out;
  if (out === '') throw new Error('--out must name a file, or - for standard output');
  const db = await openDatabase(config.database, { owner: 'cradle audit:checkpoint' });
  let text: string;
  let count: number;
  try {
    const heads = await currentHeads(db.orm.em.fork(), new Date(now()));
    text = heads.map((cp) => `${signCheckpoint(config.auditCheckpoint.key, cp)}\n`).join('');
    count = heads.length;
  } finally {
    await db.close();
  }
  if (out !== '-') await appendFile(out, text, { encoding: 'utf8', mode: 0o600 });
  return { out, text, count };
}
