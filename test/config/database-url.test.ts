import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ormOptions } from '../../src/db/orm.js';
import { postgresConnection } from '../../src/db/postgres-connection.js';
import { tempDir } from '../support/temp-dir.js';

const load = (env: Record<string, string>) => {
  const dir = tempDir('deploybot-config-');
  try {
    return loadConfig(env, dir.path);
  } finally {
    dir.cleanup();
  }
};
const errorOf = (env: Record<string, string>): Error => {
  try {
    load(env);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a ConfigError');
};

describe('DATABASE_URL for PostgreSQL', () => {
  it('takes postgresql:// and postgres://, with pool size and statement timeout', () => {
    for (const url of ['postgresql://bot:s3cret-pw@db.internal:5433/deploybot', 'postgres://bot:s3cret-pw@db.internal:5433/deploybot']) {
      expect(load({ DATABASE_URL: url }).database).toEqual({ kind: 'postgresql', url, poolSize: 10, statementTimeoutMs: 30_000 });
    }
    expect(load({ DATABASE_URL: 'postgres://bot@db/deploybot', DEPLOYBOT_DB_POOL_SIZE: '4', DEPLOYBOT_DB_STATEMENT_TIMEOUT_MS: '5000' }).database).toMatchObject({ poolSize: 4, statementTimeoutMs: 5000 });
  });

  it('hands pool, timeouts and TLS to the driver, from ?sslmode=', () => {
    const options = ormOptions({ kind: 'postgresql', url: 'postgresql://bot:pw@db:5432/deploybot?sslmode=require', poolSize: 3, statementTimeoutMs: 7000 }) as unknown as {
      clientUrl: string;
      pool: { max: number };
      driverOptions: { connection: { ssl: unknown; statement_timeout: number } };
    };
    expect(options.clientUrl).toBe('postgresql://bot:pw@db:5432/deploybot');
    expect(options.pool.max).toBe(3);
    expect(options.driverOptions.connection).toMatchObject({ ssl: { rejectUnauthorized: false }, statement_timeout: 7000 });
    expect(postgresConnection('postgres://u:p@h/d?sslmode=verify-full').ssl).toEqual({ rejectUnauthorized: true });
    expect(postgresConnection('postgres://u:p@h/d?sslmode=disable').ssl).toBe(false);
    expect(postgresConnection('postgres://u:p@h/d').where).toBe('h:5432/d');
  });

  it('refuses a URL without a database, a bad sslmode or pool size, and never repeats the password', () => {
    for (const [env, fragment] of [
      [{ DATABASE_URL: 'postgresql://bot:s3cret-pw@db.internal:5432' }, 'must name a host and a database'],
      [{ DATABASE_URL: 'postgresql://bot:s3cret-pw@db.internal/deploybot?sslmode=always' }, 'sslmode=always, which is not known'],
      [{ DATABASE_URL: 'postgresql://bot:s3cret-pw@db.internal/deploybot', DEPLOYBOT_DB_POOL_SIZE: '1' }, 'DEPLOYBOT_DB_POOL_SIZE must be at least 2'],
    ] as const) {
      const err = errorOf(env);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain(fragment);
      expect(err.message).not.toContain('s3cret-pw');
    }
  });
});
