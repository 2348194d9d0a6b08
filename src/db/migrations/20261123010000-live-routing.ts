import { Migration } from '@mikro-orm/migrations';

/** A tenant's overrides of the default live-routing table (kind → care-team roles). */
export class Migration20261123010000LiveRouting extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "tenant" add column "live_routing" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "tenant" drop column "live_routing";`);
  }
}
