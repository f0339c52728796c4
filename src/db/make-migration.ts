/**
 * Developer tool: writes a new migration for the difference between the entities and the schema
 * the committed migrations produce. Run `npx tsx src/db/make-migration.ts`, then list the new
 * class in migrations/index.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/sqlite';
import { ormOptions } from './orm.js';

const dir = mkdtempSync(join(tmpdir(), 'deploybot-migration-'));
const base = ormOptions({ kind: 'sqlite', path: join(dir, 'scratch.sqlite') });
const orm = await MikroORM.init({
  ...base,
  migrations: { ...base.migrations, path: join(process.cwd(), 'src/db/migrations'), emit: 'ts', fileName: (ts: string) => `migration-${ts}` },
});
const migrator = orm.getMigrator();
await migrator.up();
const result = await migrator.createMigration(undefined, false, false);
console.log(result.fileName ? `wrote src/db/migrations/${result.fileName}` : 'no schema changes');
await orm.close(true);
