import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { AppLogger } from '../logger.js';
import type { EventBus } from '../realtime/event-bus.js';
import { verifyAuditChain, type ChainVerification } from './audit-chain.js';
import { AuditCheckpoints, readCheckpoints } from './audit-checkpoint.js';
import { AuditLog } from './audit-log.js';
import { ComplianceMonitor } from './compliance/compliance-monitor.js';

/** What `startAuditTrail` needs from the server. */
export interface AuditTrailDeps {
  readonly orm: MikroORM;
  readonly config: Readonly<Config>;
  readonly bus: EventBus;
  readonly logger: AppLogger;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
}

/** The audit trail of one server: the writer, and what runs beside it. Built by {@link startAuditTrail}. */
export interface AuditTrail {
  /** The writer (the `AuditSink` every capability appends to). */
  readonly log: AuditLog;
  /** Signed chain-head checkpoints; null when neither a checkpoint file nor a hook is configured. */
  readonly checkpoints: AuditCheckpoints | null;
  /** The compliance rules over the audit stream. */
  readonly compliance: ComplianceMonitor;
  /** Verifies a tenant's chain against its table, its head row and the valid checkpoints of the configured file. */
  verify(em: EntityManager, tenantId: string): Promise<ChainVerification>;
  /** Waits for pending appends, writes a last checkpoint and stops background work (shutdown). */
  close(): Promise<void>;
}

/**
 * Verifies one tenant's chain against every validly signed checkpoint of a checkpoint file: the
 * configured one, or `checkpointFile` (an off-host copy). Shared by the `verifyAuditChain` query and
 * `cradle audit:verify`.
 */
export async function verifyTenantChain(
  em: EntityManager,
  config: Readonly<Config>,
  tenantId: string,
  checkpointFile: string | null = config.auditCheckpoint.file,
): Promise<ChainVerification> {
  const checkpoints = checkpointFile ? ((await readCheckpoints(checkpointFile, config.auditCheckpoint.key)).all.get(tenantId) ?? []) : [];
  return verifyAuditChain(em, tenantId, checkpoints);
}

/** Starts the audit trail of a server: the writer and, when configured, the checkpoint interval. */
export function startAuditTrail(deps: AuditTrailDeps): AuditTrail {
  const log = new AuditLog(deps.orm, deps.now, deps.logger);
  const settings = deps.config.auditCheckpoint;
  const checkpoints = settings.file || settings.hook ? new AuditCheckpoints(deps.orm, settings, deps.now, deps.logger) : null;
  checkpoints?.start(deps.config.auditCheckpoint.intervalMs);
  const compliance = new ComplianceMonitor(deps.orm, deps.bus, deps.logger, deps.now);
  log.onAppended((tenantId) => compliance.wake(tenantId));
  compliance.start();
  if (!checkpoints) deps.logger.warn('no CRADLE_AUDIT_CHECKPOINT_FILE or CRADLE_AUDIT_CHECKPOINT_HOOK: audit chain heads are not checkpointed outside the database');
  return {
    log,
    checkpoints,
    compliance,
    verify: (em, tenantId) => verifyTenantChain(em, deps.config, tenantId),
    async close() {
      await log.idle();
      await compliance.stop();
      await checkpoints?.stop().catch((err: unknown) => deps.logger.error({ err }, 'final audit checkpoint failed'));
    },
  };
}
