import { Migration } from '@mikro-orm/migrations';

/**
 * Quiet hours: a tenant may set a daily window (local start and end, IANA zone) during which pages
 * of non-critical alerts are held until it ends; a held page is a PAGE_DEFERRED step of the alert's
 * history, and the escalation job that sends it is due at the window's end.
 */
export class Migration20261203090000QuietHours extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "tenant" add column "quiet_hours" jsonb null;`);
    this.addSql(`alter table "alert_history" drop constraint if exists "alert_history_action_check";`);
    this.addSql(`alter table "alert_history" add constraint "alert_history_action_check"
      check ("action" in ('RAISED', 'EVIDENCE_ADDED', 'SEVERITY_RAISED', 'PAGED', 'PAGE_DEFERRED', 'ACKNOWLEDGED', 'RESOLVED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "alert_history" where "action" = 'PAGE_DEFERRED';`);
    this.addSql(`alter table "alert_history" drop constraint if exists "alert_history_action_check";`);
    this.addSql(`alter table "alert_history" add constraint "alert_history_action_check"
      check ("action" in ('RAISED', 'EVIDENCE_ADDED', 'SEVERITY_RAISED', 'PAGED', 'ACKNOWLEDGED', 'RESOLVED'));`);
    this.addSql(`alter table "tenant" drop column "quiet_hours";`);
  }
}
