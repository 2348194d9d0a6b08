import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import { openDatabase } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { purgeExpiredClinicalRecords, type RetentionPurgeResult } from './clinical-retention.js';

/** `cradle retention:purge [--dry-run]`: applies the clinical retention policy to the configured database. */
export async function runRetentionPurge(args: string[], config: Readonly<Config>, now: () => number = Date.now): Promise<RetentionPurgeResult> {
  const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, strict: true });
  const db = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true, owner: 'cradle retention:purge' });
  const audit = new AuditLog(db.orm, now, createLogger(config.logLevel, process.stderr));
  try {
    return await purgeExpiredClinicalRecords(db.orm.em.fork(), audit, {
      retentionYears: config.clinicalRetentionYears,
      now: now(),
      dryRun: values['dry-run'] ?? false,
    });
  } finally {
    await audit.idle();
    await db.close();
  }
}
