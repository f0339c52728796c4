import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123184844 } from './migration-20261123184844.js';
import { Migration20261202090800 } from './migration-20261202090800.js';
import { Migration20261202150000 } from './migration-20261202150000.js';
import { Migration20261202150500 } from './migration-20261202150500.js';
import { Migration20261202151000 } from './migration-20261202151000.js';
import { Migration20261202152000 } from './migration-20261202152000.js';
import { Migration20261202152902 } from './migration-20261202152902.js';
import { Migration20261202160000 } from './migration-20261202160000.js';
import { Migration20261202163000 } from './migration-20261202163000.js';
import { Migration20261203090000 } from './migration-20261203090000.js';

/** Every migration in order. Append new ones here (see src/db/make-migration.ts). */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261123184844', class: Migration20261123184844 },
  { name: 'Migration20261202090800', class: Migration20261202090800 },
  { name: 'Migration20261202150000', class: Migration20261202150000 },
  { name: 'Migration20261202150500', class: Migration20261202150500 },
  { name: 'Migration20261202151000', class: Migration20261202151000 },
  { name: 'Migration20261202152000', class: Migration20261202152000 },
  { name: 'Migration20261202152902', class: Migration20261202152902 },
  { name: 'Migration20261202160000', class: Migration20261202160000 },
  { name: 'Migration20261202163000', class: Migration20261202163000 },
  { name: 'Migration20261203090000', class: Migration20261203090000 },
];
