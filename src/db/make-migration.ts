/**
 * Developer tool: writes a new migration for the difference between the entities and the schema
 * the committed migrations produce, in the two-dialect shape (DialectMigration: the SQLite
 * statements, and their PostgreSQL port). Run `npx tsx src/db/make-migration.ts`, check the
 * postgresql() side (booleans!), then list the new class in migrations/index.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { ormOptions } from './orm.js';

const dir = mkdtempSync(join(tmpdir(), 'deploybot-migration-'));
const base = ormOptions({ kind: 'sqlite', path: join(dir, 'scratch.sqlite') });
const migrationsDir = join(process.cwd(), 'src/db/migrations');
const orm = await MikroORM.init<AbstractSqlDriver>({
  ...base,
  migrations: { ...base.migrations, path: migrationsDir, emit: 'ts', fileName: (ts: string) => `migration-${ts}` },
});
const migrator = orm.getMigrator() as Migrator;
await migrator.up();
const result = await migrator.createMigration(undefined, false, false);
if (result.fileName) {
  const file = join(migrationsDir, result.fileName);
  const statements = [...readFileSync(file, 'utf8').matchAll(/this\.addSql\((`(?:[^`\\]|\\.)*`)\);/g)].map((m) => `      ${m[1]},`);
  const name = /export class (\w+)/.exec(readFileSync(file, 'utf8'))![1];
  writeFileSync(
    file,
    `import { DialectMigration, portFromSqlite } from './dialect-migration.js';\n\nexport class ${name} extends DialectMigration {\n  sqlite(): string[] {\n    return [\n${statements.join('\n')}\n    ];\n  }\n\n  postgresql(): string[] {\n    // Check booleans: SQLite writes them as integer, PostgreSQL needs boolean.\n    return this.sqlite().map(portFromSqlite);\n  }\n}\n`,
  );
}
console.log(result.fileName ? `wrote src/db/migrations/${result.fileName}` : 'no schema changes');
await orm.close(true);
