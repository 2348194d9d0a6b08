import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail's per-request index gains `seq`, so the compliance monitor's BULK_EXPORT rule can
 * ask whether an operation has records before the batch it is evaluating from the index alone (an
 * empty range for nearly every operation, such as each live delivery), and count the trail only for
 * the few that do.
 */
export class Migration20261204050000AuditRequestSeqIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "audit_event_request_seq_index" on "audit_event" ("tenant_id", "request_id", "seq");`);
    this.addSql(`drop index "audit_event_request_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "audit_event_request_index" on "audit_event" ("tenant_id", "request_id");`);
    this.addSql(`drop index "audit_event_request_seq_index";`);
  }
}
