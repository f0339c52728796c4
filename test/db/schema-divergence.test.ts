import { Migration } from '@mikro-orm/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPortable } from '../../src/db/migrate.js';
import { portFromSqlite } from '../../src/db/migrations/dialect-migration.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { openDatabase } from '../../src/db/orm.js';
import { createTestDatabase, type TestDatabase } from '../support/db/database.js';
import { usePostgres } from '../support/db/use-postgres.js';
import { entityColumns, snapshotSchema, type SchemaSnapshot } from '../support/db/schema-snapshot.js';

const postgres = usePostgres();

/**
 * The migrations hold SQL for each dialect side by side; this builds both schemas from them and
 * fails when they drift apart, or away from the entities.
 */
describe('SQLite and PostgreSQL schemas from the same migrations', () => {
  let sqlite: TestDatabase;
  let pg: TestDatabase;
  let a: SchemaSnapshot;
  let b: SchemaSnapshot;
  beforeAll(async () => {
    sqlite = await createTestDatabase({ kind: 'sqlite' });
    pg = await createTestDatabase({ kind: 'postgresql', postgres });
    a = await snapshotSchema(sqlite.orm, 'sqlite');
    b = await snapshotSchema(pg.orm, 'postgresql');
  });
  afterAll(async () => {
    await sqlite?.close();
    await pg?.close();
  });

  it('have the same tables, columns, nullability, defaults and indexes', () => {
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const table of Object.keys(a)) {
      // SQLite has no boolean type: its integer stands for PostgreSQL's boolean, nothing else does.
      const sqliteColumns = Object.fromEntries(Object.entries(a[table]!.columns).map(([name, c]) => [name, { ...c, type: c.type === 'integer' && b[table]!.columns[name]?.type === 'boolean' ? 'boolean' : c.type }]));
      expect({ table, columns: b[table]!.columns }).toEqual({ table, columns: sqliteColumns });
      expect({ table, indexes: b[table]!.indexes }).toEqual({ table, indexes: a[table]!.indexes });
    }
  });

  it('match the entities on both dialects', () => {
    const entities = entityColumns(sqlite.orm);
    for (const [dialect, snap] of [['sqlite', a], ['postgresql', b]] as const) {
      expect(Object.keys(snap).sort()).toEqual(Object.keys(entities).sort());
      for (const [table, columns] of Object.entries(entities)) {
        const actual = Object.fromEntries(
          Object.entries(snap[table]!.columns).map(([name, c]) => [name, { type: dialect === 'sqlite' && c.type === 'integer' && columns[name]?.type === 'boolean' ? 'boolean' : c.type, nullable: c.nullable }]),
        );
        expect({ dialect, table, columns: actual }).toEqual({ dialect, table, columns });
      }
    }
  });

  it('the store-enforced one-running-task rule exists on both, as a partial unique index', () => {
    for (const snap of [a, b]) expect(snap.deploy_tasks!.indexes.deploy_tasks_one_running_per_project).toEqual({ columns: ['project_id'], unique: true, partial: true });
  });
});

describe('migrating PostgreSQL', () => {
  it('two replicas starting together on an empty database migrate it once (advisory lock)', async () => {
    const url = await postgres.createDatabase();
    const orms = await Promise.all([0, 1, 2].map(() => openDatabase({ kind: 'postgresql', url })));
    try {
      const rows = (await orms[0]!.em.getConnection().execute('select name from mikro_orm_migrations order by id')) as { name: string }[];
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await Promise.all(orms.map((o) => o.close(true)));
    }
  });

  it('refuses a migration written for SQLite only, saying how to port it', () => {
    class Migration20991231000000 extends Migration {
      override async up(): Promise<void> {
        this.addSql('alter table `deploy_tasks` add column `note` text null;');
      }
    }
    expect(() => assertPortable([...MIGRATIONS, { name: 'Migration20991231000000', class: Migration20991231000000 }])).toThrow(
      'migration Migration20991231000000 is written for SQLite only: extend DialectMigration and give it a postgresql() variant (README, "Writing a migration")',
    );
    expect(() => assertPortable(MIGRATIONS)).not.toThrow();
  });

  it('ports the statements small migrations are made of', () => {
    expect(portFromSqlite('alter table `deploy_tasks` add column `note` text null;')).toBe('alter table "deploy_tasks" add column "note" text null;');
    expect(portFromSqlite('alter table `deploy_tasks` add column `seen_at` datetime null;')).toBe('alter table "deploy_tasks" add column "seen_at" timestamptz null;');
    expect(portFromSqlite('alter table `projects` add column `tags` json not null default \'[]\';')).toBe('alter table "projects" add column "tags" jsonb not null default \'[]\';');
    expect(portFromSqlite('create index `deploy_tasks_note_index` on `deploy_tasks` (`note`);')).toBe('create index "deploy_tasks_note_index" on "deploy_tasks" ("note");');
  });
});
