import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/orm.js';
import { usePostgres } from '../support/db/use-postgres.js';

const postgres = usePostgres();

/** What the bot asks of each PostgreSQL connection: a statement timeout and a bounded pool. */
describe('PostgreSQL connections', () => {
  it('cancel a statement longer than DEPLOYBOT_DB_STATEMENT_TIMEOUT_MS', async () => {
    const orm = await openDatabase({ kind: 'postgresql', url: await postgres.createDatabase(), statementTimeoutMs: 500 });
    try {
      const conn = orm.em.getConnection();
      expect(await conn.execute('show statement_timeout')).toEqual([{ statement_timeout: '500ms' }]);
      const err = (await conn.execute('select pg_sleep(3)').catch((e: unknown) => e)) as { code?: string; message: string };
      expect(err.code).toBe('57014');
      expect(err.message).toMatch(/statement timeout/);
    } finally {
      await orm.close(true);
    }
  });

  it('hold at most DEPLOYBOT_DB_POOL_SIZE connections, however many queries wait', async () => {
    const url = await postgres.createDatabase();
    const orm = await openDatabase({ kind: 'postgresql', url, poolSize: 3 });
    try {
      const conn = orm.em.getConnection();
      const database = new URL(url).pathname.slice(1);
      let most = 0;
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          await conn.execute('select pg_sleep(0.2)');
          const [row] = (await conn.execute('select count(*)::int as n from pg_stat_activity where datname = ? and application_name = ?', [database, 'deploybot'])) as { n: number }[];
          most = Math.max(most, row!.n);
        }),
      );
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(3);
    } finally {
      await orm.close(true);
    }
  });
});
