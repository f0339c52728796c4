import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../../src/db/entities/index.js';
import { openDatabase } from '../../src/db/orm.js';
import { isTransientStoreError, isUniqueViolation, withStoreRetry } from '../../src/store/store-errors.js';
import { admin, createTestDatabase, type TestDatabase } from '../support/db/database.js';
import { freePort, startPostgresCluster, type PostgresCluster } from '../support/db/postgres.js';

/** The store's error classes, on errors a real PostgreSQL server produces. */
describe('store errors on PostgreSQL', () => {
  let pg: PostgresCluster;
  let db: TestDatabase;
  beforeAll(async () => {
    pg = await startPostgresCluster();
    db = await createTestDatabase({ kind: 'postgresql', postgres: pg });
    await db.services().servers.add(admin, { name: 'web-1', hostname: 'web-1.example.com', username: 'deploy', authKind: 'agent' });
    await db.services().projects.add(admin, { name: 'shop', repoUrl: 'https://example.com/shop.git', deployPath: '/srv/shop', servers: ['web-1'] });
  });
  afterAll(async () => {
    await db?.close();
    await pg?.stop();
  });

  it('a duplicate key (23505) is a unique violation, not worth retrying', async () => {
    const err = await db
      .em()
      .getConnection()
      .execute("insert into projects (name, title, repo_url, deploy_path, approvers, created_by, created_at, updated_at) values ('shop', 'x', 'x', '/x', '[]', 'x', now(), now())")
      .catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isTransientStoreError(err)).toBe(false);
  });

  it('a server that refuses connections is transient, and the message carries no password', async () => {
    const port = await freePort();
    const err = (await openDatabase({ kind: 'postgresql', url: `postgresql://postgres:${pg.password}@127.0.0.1:${port}/nothing` }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(isTransientStoreError(err)).toBe(true);
    expect(`${err.message} ${err.stack}`).not.toContain(pg.password);
  });

  it('a connection the server terminates (57P01) is transient', async () => {
    const em = db.em();
    let err: unknown;
    await em
      .transactional(async (tem) => {
        const ctx = tem.getTransactionContext();
        const rows = (await tem.getConnection().execute('select pg_backend_pid() as pid', [], 'all', ctx)) as { pid: number }[];
        // Another connection ends this transaction's one, as an administrator or a failover would.
        await db.em().getConnection().execute(`select pg_terminate_backend(${Number(rows[0]!.pid)})`);
        err = await tem.getConnection().execute('select 1', [], 'all', ctx).catch((e: unknown) => e);
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(String((err as Error)?.message)).toMatch(/terminat|Connection/i);
    expect(isTransientStoreError(err), String(err)).toBe(true);
  });

  it('withStoreRetry rides out a PostgreSQL restart', async () => {
    await pg.stopServer();
    const restarted = new Promise<void>((resolve, reject) => setTimeout(() => pg.start().then(resolve, reject), 300));
    const count = await withStoreRetry(() => db.em().count(Project, {}), [500, 1000, 2000, 4000, 8000]);
    await restarted;
    expect(count).toBe(1);
  }, 60_000);
});
