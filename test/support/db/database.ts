import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import type { Actor } from '../../../src/core/actor.js';
import { servicesFor, type CoreServices } from '../../../src/core/services.js';
import type { DatabaseConfig } from '../../../src/config.js';
import { openDatabase, type Orm } from '../../../src/db/orm.js';
import { SecretBox } from '../../../src/secrets/secret-box.js';
import { tempDir } from '../temp-dir.js';

/** The stores the service, ownership and race tests run against (describe.each). */
export const STORE_KINDS = ['sqlite', 'postgresql'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface TestDatabase {
  orm: Orm;
  kind: StoreKind;
  /** SQLite: the file. PostgreSQL: empty. */
  path: string;
  /** What DATABASE_URL would say for this database (another process opens it with this). */
  url: string;
  /** The temp dir for the secret key and other files beside the database. */
  dataDir: string;
  secrets: SecretBox;
  /** Services over a fresh EntityManager fork, as one request would get them. */
  services(): CoreServices;
  em(): EntityManager;
  close(): Promise<void>;
}

/** DATABASE_URL → the config the bot would make of it (sqlite:<path> or postgresql://…). */
export function databaseConfig(url: string): DatabaseConfig {
  return url.startsWith('sqlite:') ? { kind: 'sqlite', path: url.slice('sqlite:'.length) } : { kind: 'postgresql', url };
}

/**
 * A real database migrated exactly as the bot migrates it at boot: a SQLite file in a temp dir, or
 * a fresh database on the test file's PostgreSQL cluster (test/support/db/postgres.ts, usePostgres()).
 */
export async function createTestDatabase(options: { defaultKeyPath?: string; kind?: StoreKind; postgres?: { createDatabase(): Promise<string> } } = {}): Promise<TestDatabase> {
  const kind = options.kind ?? 'sqlite';
  const dir = tempDir('deploybot-db-');
  const path = kind === 'sqlite' ? join(dir.path, 'deploybot.sqlite') : '';
  let url = `sqlite:${path}`;
  if (kind === 'postgresql') {
    if (!options.postgres) throw new Error('createTestDatabase({ kind: "postgresql" }) needs postgres: usePostgres()');
    url = await options.postgres.createDatabase();
  }
  const orm = await openDatabase(databaseConfig(url));
  const secrets = SecretBox.fromDataDir(dir.path);
  return {
    orm,
    kind,
    path,
    url,
    dataDir: dir.path,
    secrets,
    services: () => servicesFor(orm.em.fork(), { secrets, defaultKeyPath: options.defaultKeyPath }),
    em: () => orm.em.fork(),
    close: async () => {
      await orm.close(true);
      dir.cleanup();
    },
  };
}

export const admin: Actor = { id: 'UADMIN01', isAdmin: true };
export const alice: Actor = { id: 'UALICE01', isAdmin: false };
export const bob: Actor = { id: 'UBOB0001', isAdmin: false };
