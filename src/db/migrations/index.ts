import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123184844 } from './migration-20261123184844.js';
import { Migration20261202090800 } from './migration-20261202090800.js';
import { Migration20261202150000 } from './migration-20261202150000.js';

/** Every migration in order. Append new ones here (see src/db/make-migration.ts). */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261123184844', class: Migration20261123184844 },
  { name: 'Migration20261202090800', class: Migration20261202090800 },
  { name: 'Migration20261202150000', class: Migration20261202150000 },
];
