import type { ConnectionOptions } from 'node:tls';

export interface PostgresConnection {
  /** The URL without its query (MikroORM reads host, port, user, password and database from it). */
  clientUrl: string;
  /** `ssl` for the pg driver, from `?sslmode=` (libpq's meanings). */
  ssl: false | ConnectionOptions;
  /** Where the server is, for messages: never the user or password. */
  where: string;
}

/**
 * Reads `postgresql://user:pass@host:5432/db?sslmode=…` (or `postgres://`). `disable` (or none)
 * connects in the clear, as libpq's default `prefer` would on a server without TLS; `require` and
 * `no-verify` encrypt without checking the certificate; `verify-ca` and `verify-full` check it.
 */
export function postgresConnection(url: string): PostgresConnection {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode') ?? 'disable';
  const ssl: false | ConnectionOptions =
    sslmode === 'verify-ca' || sslmode === 'verify-full' ? { rejectUnauthorized: true } : sslmode === 'require' || sslmode === 'no-verify' ? { rejectUnauthorized: false } : false;
  const where = `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  parsed.search = '';
  return { clientUrl: parsed.toString(), ssl, where };
}
