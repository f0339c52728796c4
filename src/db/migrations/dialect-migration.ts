import { Migration } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';

export type Dialect = 'sqlite' | 'postgresql';

/**
 * A migration with its SQL for each dialect side by side, so the two schemas move in one commit.
 * test/db/schema-divergence.test.ts builds both schemas from these and fails when they (or the
 * entities) disagree. For simple statements the PostgreSQL side can be `portFromSqlite(...)`.
 */
export abstract class DialectMigration extends Migration {
  /** The statements for SQLite (backtick quoting, `datetime`, `json`, `integer` booleans). */
  abstract sqlite(): string[];
  /** The same change for PostgreSQL (`timestamptz`, `jsonb`, `boolean`, `serial`). */
  abstract postgresql(): string[];

  override async up(): Promise<void> {
    for (const sql of this.driver instanceof PostgreSqlDriver ? this.postgresql() : this.sqlite()) this.addSql(sql);
  }
}

/**
 * Mechanical SQLite → PostgreSQL for the statements small migrations are made of (create table,
 * add column, create index, update): identifier quotes, and the types MikroORM maps differently.
 * Booleans are `integer` in SQLite and cannot be told from numbers here: write those by hand.
 */
export function portFromSqlite(sql: string): string {
  return sql
    .replace(/`([^`]+)`/g, '"$1"')
    .replace(/\binteger not null primary key autoincrement\b/gi, 'serial primary key')
    .replace(/(\s)datetime(?=[\s,)])/gi, '$1timestamptz')
    .replace(/(\s)json(?=[\s,)])/gi, '$1jsonb');
}
