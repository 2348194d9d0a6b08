import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000Foundation } from './20261123000000-foundation.js';
import { Migration20261123010000LiveRouting } from './20261123010000-live-routing.js';
import { Migration20261123020000Sessions } from './20261123020000-sessions.js';
import { Migration20261123030000ConsentEmergency } from './20261123030000-consent-emergency.js';
import { Migration20261123040000Totp } from './20261123040000-totp.js';

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
];
