import type { MigrationObject, MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/knex';
import type { Migrator } from '@mikro-orm/migrations';
import { DialectMigration } from './migrations/dialect-migration.js';
import { MIGRATIONS } from './migrations/index.js';

/** Any fixed number: every deploybot replica asks for the same lock. */
export const MIGRATION_LOCK_KEY = 7_204_611_003;

/**
 * Brings the schema up to date. On PostgreSQL, replicas starting together take turns through a
 * session advisory lock held on its own connection: the first migrates, the others find nothing
 * left to do. (SQLite needs no lock: the migration is one write transaction.)
 */
export async function migrate(orm: MikroORM<AbstractSqlDriver>, dialect: 'sqlite' | 'postgresql'): Promise<void> {
  const migrator = orm.getMigrator() as Migrator;
  if (dialect === 'sqlite') {
    await migrator.up();
    return;
  }
  assertPortable(MIGRATIONS);
  const knex = orm.em.getConnection().getKnex();
  const client = knex.client as { acquireConnection(): Promise<PgClient>; releaseConnection(c: PgClient): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    // A replica waits as long as the first one migrates, not the statement timeout.
    await conn.query('set statement_timeout = 0; set lock_timeout = 0');
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrator.up();
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await conn.query('reset statement_timeout; reset lock_timeout');
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Every migration must say what it does on PostgreSQL too; one written for SQLite alone is refused. */
export function assertPortable(migrations: readonly MigrationObject[]): void {
  for (const m of migrations) {
    if (!((m.class as unknown as { prototype: unknown }).prototype instanceof DialectMigration)) {
      throw new Error(`migration ${m.name} is written for SQLite only: extend DialectMigration and give it a postgresql() variant (README, "Writing a migration")`);
    }
  }
}

interface PgClient {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}
