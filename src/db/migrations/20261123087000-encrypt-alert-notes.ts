import { Migration } from '@mikro-orm/migrations';

/** An alert's resolution note is clinical free text: it is stored encrypted, so the column holds ciphertext. */
export class Migration20261123087000EncryptAlertNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "alert" alter column "resolution_note" type text;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert" alter column "resolution_note" type varchar(2000);`);
  }
}
