import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000Foundation } from './20261123000000-foundation.js';
import { Migration20261123010000LiveRouting } from './20261123010000-live-routing.js';
import { Migration20261123020000Sessions } from './20261123020000-sessions.js';
import { Migration20261123030000ConsentEmergency } from './20261123030000-consent-emergency.js';
import { Migration20261123040000Totp } from './20261123040000-totp.js';
import { Migration20261123050000Protocols } from './20261123050000-protocols.js';
import { Migration20261123060000Audit } from './20261123060000-audit.js';
import { Migration20261123070000FieldEncryption } from './20261123070000-field-encryption.js';
import { Migration20261123080000Messaging } from './20261123080000-messaging.js';
import { Migration20261123085000RolePermissions } from './20261123085000-role-permissions.js';
import { Migration20261123086000AccountAdministration } from './20261123086000-account-administration.js';
import { Migration20261123087000EncryptAlertNotes } from './20261123087000-encrypt-alert-notes.js';
import { Migration20261123090000RowLevelSecurity } from './20261123090000-row-level-security.js';
import { Migration20261123091000FollowUpTaskCompletion } from './20261123091000-follow-up-task-completion.js';
import { Migration20261203090000QuietHours } from './20261203090000-quiet-hours.js';
import { Migration20261203100000EncryptChangeNotes } from './20261203100000-encrypt-change-notes.js';
import { Migration20261203100100StatusUpdateSoftDelete } from './20261203100100-status-update-soft-delete.js';
import { Migration20261203200000AuditActorHours } from './20261203200000-audit-actor-hours.js';
import { Migration20261204040000AuditActorPatients } from './20261204040000-audit-actor-patients.js';
import { Migration20261204050000AuditRequestSeqIndex } from './20261204050000-audit-request-seq-index.js';
import { Migration20261207010000AlertCategories } from './20261207010000-alert-categories.js';
import { Migration20261207010100EmailUniquePerTenant } from './20261207010100-email-unique-per-tenant.js';

/**
 * Every migration, oldest first. Listed explicitly (not discovered from files) so the same list
 * runs from TypeScript sources in tests and from compiled JavaScript in production.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261123000000Foundation', class: Migration20261123000000Foundation },
  { name: 'Migration20261123010000LiveRouting', class: Migration20261123010000LiveRouting },
  { name: 'Migration20261123020000Sessions', class: Migration20261123020000Sessions },
  { name: 'Migration20261123030000ConsentEmergency', class: Migration20261123030000ConsentEmergency },
  { name: 'Migration20261123040000Totp', class: Migration20261123040000Totp },
  { name: 'Migration20261123050000Protocols', class: Migration20261123050000Protocols },
  { name: 'Migration20261123060000Audit', class: Migration20261123060000Audit },
  { name: 'Migration20261123070000FieldEncryption', class: Migration20261123070000FieldEncryption },
  { name: 'Migration20261123080000Messaging', class: Migration20261123080000Messaging },
  { name: 'Migration20261123085000RolePermissions', class: Migration20261123085000RolePermissions },
  { name: 'Migration20261123086000AccountAdministration', class: Migration20261123086000AccountAdministration },
  { name: 'Migration20261123087000EncryptAlertNotes', class: Migration20261123087000EncryptAlertNotes },
  // Keep after every migration that creates a table: it puts every table existing by then behind the tenant wall.
  { name: 'Migration20261123090000RowLevelSecurity', class: Migration20261123090000RowLevelSecurity },
  { name: 'Migration20261123091000FollowUpTaskCompletion', class: Migration20261123091000FollowUpTaskCompletion },
  { name: 'Migration20261203090000QuietHours', class: Migration20261203090000QuietHours },
  { name: 'Migration20261203100000EncryptChangeNotes', class: Migration20261203100000EncryptChangeNotes },
  { name: 'Migration20261203100100StatusUpdateSoftDelete', class: Migration20261203100100StatusUpdateSoftDelete },
  { name: 'Migration20261203200000AuditActorHours', class: Migration20261203200000AuditActorHours },
  { name: 'Migration20261204040000AuditActorPatients', class: Migration20261204040000AuditActorPatients },
  { name: 'Migration20261204050000AuditRequestSeqIndex', class: Migration20261204050000AuditRequestSeqIndex },
  { name: 'Migration20261207010000AlertCategories', class: Migration20261207010000AlertCategories },
  { name: 'Migration20261207010100EmailUniquePerTenant', class: Migration20261207010100EmailUniquePerTenant },
];
