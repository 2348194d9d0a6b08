import type { AuditEntryInput, AuditSink } from '../audit/audit-entry.js';
import type { AppLogger } from '../logger.js';

/**
 * The one place where alert steps (raised, evidence added, severity raised, paged, acknowledged,
 * resolved; who, role, when) reach the audit trail. Every step is first recorded in `alert_history`
 * inside the transaction that made it; after that transaction commits, its entries are appended
 * here. Without an audit sink (the audit issue not wired yet) the alert history alone holds them.
 */
export class AlertAuditTrail {
  constructor(
    private readonly sink: AuditSink | null,
    private readonly logger: AppLogger,
  ) {}

  /** Appends committed alert steps to the audit trail; a failure is logged (the alert history keeps the steps). */
  async record(entries: readonly AuditEntryInput[]): Promise<void> {
    if (!this.sink || entries.length === 0) return;
    try {
      await this.sink.append(entries);
    } catch (err) {
      this.logger.error({ err, entries: entries.length }, 'could not append alert steps to the audit trail');
    }
  }
}
