import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import type { Actor } from '../../src/core/actor.js';
import { servicesFor, type CoreServices } from '../../src/core/services.js';
import { openDatabase, type Orm } from '../../src/db/orm.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { tempDir } from './temp-dir.js';

export interface TestDatabase {
  orm: Orm;
  path: string;
  secrets: SecretBox;
  /** Services over a fresh EntityManager fork, as one request would get them. */
  services(): CoreServices;
  em(): EntityManager;
  close(): Promise<void>;
}

/** A real SQLite database file in a temp dir, migrated exactly as the bot migrates it at boot. */
export async function createTestDatabase(options: { defaultKeyPath?: string } = {}): Promise<TestDatabase> {
  const dir = tempDir('deploybot-db-');
  const path = join(dir.path, 'deploybot.sqlite');
  const orm = await openDatabase({ kind: 'sqlite', path });
  const secrets = SecretBox.fromDataDir(dir.path);
  return {
    orm,
    path,
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
