import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/sqlite';
import type { DatabaseConfig } from '../config.js';
import { ENTITY_SCHEMAS } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

export type Orm = MikroORM;

/**
 * The MikroORM options for a database. Migrations are listed in code (not discovered on disk) so
 * the same build runs from TypeScript sources, from dist/ and inside the Docker image.
 */
export function ormOptions(db: DatabaseConfig): Options {
  if (db.kind !== 'sqlite') {
    throw new Error('PostgreSQL (DATABASE_URL=postgresql://…) is not supported yet; use sqlite:<path>.');
  }
  return {
    dbName: db.path,
    entities: ENTITY_SCHEMAS,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // No request may use the global EntityManager: each request/job forks its own (convention 2).
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
    // SQLite serialises writers; a short busy wait turns brief contention into waiting, not errors.
    pool: { min: 1, max: 1 },
  } as Options;
}

/** Opens the database and brings its schema up to date before anything else touches it. */
export async function openDatabase(db: DatabaseConfig): Promise<Orm> {
  if (db.kind === 'sqlite' && db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
  const orm = await MikroORM.init(ormOptions(db));
  const connection = orm.em.getConnection();
  if (db.kind === 'sqlite') {
    await connection.execute('PRAGMA foreign_keys = ON');
    await connection.execute('PRAGMA busy_timeout = 5000');
    // WAL lets readers (status queries) proceed while the runner writes progress.
    if (db.path !== ':memory:') await connection.execute('PRAGMA journal_mode = WAL');
  }
  await orm.getMigrator().up();
  if (db.kind === 'sqlite' && db.path !== ':memory:') restrictToOwner(db.path);
  return orm;
}

/** The database holds encrypted secrets and the audit log: owner-only, like the key file (0600). */
function restrictToOwner(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
