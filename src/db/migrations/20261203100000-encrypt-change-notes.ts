import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from './20261123090000-row-level-security.js';

/**
 * A protocol version's change note is a coordinator's free text, so it is encrypted at rest like
 * an alert's resolution note. The column widens to text (ciphertext is longer than the 2000
 * characters allowed), and existing rows are queued in `field_encryption_backfill`: SQL cannot
 * encrypt (the keys are unwrapped by the application), so `openDatabase` seals the queued rows,
 * in batches and resumably, right after the key ring starts (`encryptQueuedColumns`), then
 * removes the marker. Until then the driver reads them as legacy plaintext.
 */
export class Migration20261203100000EncryptChangeNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "protocol_version" alter column "change_note" type text;`);
    this.addSql(`create table if not exists "field_encryption_backfill" (
      "table_name" text primary key,
      "last_id" text not null default '',
      "created_at" timestamptz not null default now());`);
    for (const statement of tenantIsolationSql('field_encryption_backfill', { hasTenantId: false })) this.addSql(statement);
    this.addSql(`insert into "field_encryption_backfill" ("table_name")
      select 'protocol_version' where exists (select 1 from "protocol_version") on conflict do nothing;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "field_encryption_backfill";`);
    // Sealed notes do not fit the old width; they stay text (decrypting them needs the application).
  }
}
