import type { MikroORM } from '@mikro-orm/postgresql';
import { Patient, Protocol, ProtocolVersion } from '../db/entities/index.js';
import type { AppLogger } from '../logger.js';
import { categoriesOfMatch, categoriesReadBy } from '../protocols/condition-reads.js';
import { evaluateProtocol } from '../protocols/engine.js';
import { AlertChanges } from './alert-changes.js';
import { drainDueJobs } from './due-work.js';
import type { CommittedChanges } from './event-evaluator.js';
import { applyMatch } from './match-actions.js';
import { loadObservations, loadPatientFacts } from './patient-facts.js';
import { definitionOf, scheduleIntervalMs } from './protocol-catalog.js';

/** Most schedules run in one pass. */
const MAX_SCHEDULES_PER_PASS = 100;

/**
 * Runs SCHEDULED protocols (rules about absence, such as a missed check-in) when their durable
 * schedule (`protocol_schedule`) comes due: the schedule row is taken with `FOR UPDATE SKIP LOCKED`,
 * the protocol's active version is evaluated for every patient of the tenant (no triggering update),
 * the matches are acted on and the schedule moves one interval past now, all in one transaction, so
 * each run happens once with several instances and a run missed while the server was down happens
 * on start (once, not once per missed interval).
 */
export class ScheduleRunner {
  constructor(
    private readonly orm: MikroORM,
    private readonly logger: AppLogger,
    private readonly now: () => number,
    private readonly committed: CommittedChanges,
    /** Whether the worker is stopping: the pass ends between transactions. */
    private readonly stopping: () => boolean = () => false,
  ) {}

  /** Runs every schedule due now; returns how many ran. */
  runOnce(): Promise<number> {
    return drainDueJobs(async () => ((await this.runNext()) ? true : null), {
      limit: MAX_SCHEDULES_PER_PASS,
      stopping: this.stopping,
      logger: this.logger,
      failure: 'a scheduled protocol run failed; will retry',
    });
  }

  private async runNext(): Promise<boolean> {
    const now = this.now();
    let changes: AlertChanges | null = null;
    const ran = await this.orm.em.fork().transactional(async (tx) => {
      const [due] = await tx.execute<{ protocol_id: string; tenant_id: string }[]>(
        'select protocol_id, tenant_id from protocol_schedule where due_at <= ? order by due_at limit 1 for update skip locked',
        [new Date(now)],
      );
      if (!due) return false;
      const { protocol_id: protocolId, tenant_id: tenantId } = due;
      const protocol = await tx.findOne(Protocol, { id: protocolId, tenantId });
      const version = protocol?.activeVersionId ? await tx.findOne(ProtocolVersion, { id: protocol.activeVersionId }) : null;
      const definition = version ? definitionOf(version) : null;
      const interval = definition ? scheduleIntervalMs(definition) : null;
      if (!protocol || !version || !definition || interval === null) {
        await tx.execute('delete from protocol_schedule where protocol_id = ?', [protocolId]);
        return true;
      }
      await tx.execute('update protocol_schedule set due_at = ? where protocol_id = ?', [new Date(now + interval), protocolId]);
      changes = new AlertChanges(tx, tenantId, now);
      if (protocol.enabled) {
        const readCategories = categoriesReadBy(definition);
        const patientIds = (await tx.find(Patient, { tenantId }, { fields: ['id'] })).map((p) => p.id);
        const [facts, history] = await Promise.all([loadPatientFacts(tx, tenantId, patientIds, { factColumnsOnly: true }), loadObservations(tx, tenantId, patientIds, now)]);
        for (const patientId of patientIds) {
          const patient = facts.get(patientId);
          if (!patient) continue;
          const input = { now, patient, update: null, history: history.get(patientId) ?? [] };
          let result;
          try {
            result = evaluateProtocol(definition, input);
          } catch (err) {
            this.logger.error({ err, protocolId, versionId: version.id }, 'a scheduled protocol could not be evaluated');
            continue;
          }
          await applyMatch(tx, changes, {
            tenantId, patientId, protocolId, versionId: version.id, definition, result,
            categories: categoriesOfMatch(readCategories, input, result.evidenceIds), scheduled: true, now,
          });
        }
      }
      await changes.commit();
      return true;
    });
    if (changes) this.committed(changes);
    return ran;
  }
}
