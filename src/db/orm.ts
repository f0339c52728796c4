import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import type { DatabaseConfig } from '../config.js';
import { ENTITY_SCHEMAS } from './entities/index.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { postgresConnection } from './postgres-connection.js';

export type Orm = MikroORM<AbstractSqlDriver>;

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * The MikroORM options for a database. Migrations are listed in code (not discovered on disk) so
 * the same build runs from TypeScript sources, from dist/ and inside the Docker image.
 */
export function ormOptions(db: DatabaseConfig): Options<AbstractSqlDriver> {
  const common = {
    entities: ENTITY_SCHEMAS,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // No request may use the global EntityManager: each request/job forks its own (convention 2).
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
  };
  if (db.kind === 'postgresql') {
    const pg = postgresConnection(db.url);
    const statementTimeout = db.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: pg.clientUrl,
      // Several replicas share the server: each holds at most this many connections, and gives
      // idle ones back, so a restarted server is met with fresh connections, not dead ones.
      pool: { min: 0, max: db.poolSize ?? DEFAULT_POOL_SIZE, idleTimeoutMillis: 10_000, acquireTimeoutMillis: 10_000 },
      driverOptions: {
        connection: {
          ssl: pg.ssl,
          // Server-side: a statement stuck behind a lock or a runaway query is cancelled, not waited on forever.
          statement_timeout: statementTimeout,
          lock_timeout: statementTimeout,
          idle_in_transaction_session_timeout: statementTimeout * 2,
          connectionTimeoutMillis: 10_000,
          keepAlive: true,
          application_name: 'deploybot',
        },
      },
    } as Options<AbstractSqlDriver>;
  }
  return {
    ...common,
    driver: SqliteDriver,
    dbName: db.path,
    // SQLite serialises writers; a short busy wait turns brief contention into waiting, not errors.
    pool: { min: 1, max: 1 },
  } as unknown as Options<AbstractSqlDriver>;
}

/** Opens the database and brings its schema up to date before anything else touches it. */
export async function openDatabase(db: DatabaseConfig): Promise<Orm> {
  if (db.kind === 'sqlite' && db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
  const orm = await MikroORM.init<AbstractSqlDriver>(ormOptions(db));
  try {
    const connection = orm.em.getConnection();
    if (db.kind === 'sqlite') {
      await connection.execute('PRAGMA foreign_keys = ON');
      await connection.execute('PRAGMA busy_timeout = 5000');
      // WAL lets readers (status queries) proceed while the runner writes progress.
      if (db.path !== ':memory:') await connection.execute('PRAGMA journal_mode = WAL');
    }
    await migrate(orm, db.kind);
  } catch (err) {
    await orm.close(true).catch(() => {});
    throw err;
  }
  if (db.kind === 'sqlite' && db.path !== ':memory:') restrictToOwner(db.path);
  return orm;
}

/** The database holds encrypted secrets and the audit log: owner-only, like the key file (0600). */
function restrictToOwner(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
