import { afterAll } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from './postgres.js';

/**
 * One cluster for the test file, started at the first database asked for (so a run filtered to
 * SQLite starts none) and stopped after the file's tests.
 */
export function usePostgres(): { createDatabase(): Promise<string>; cluster(): Promise<PostgresCluster> } {
  let started: Promise<PostgresCluster> | undefined;
  afterAll(async () => {
    if (started) await (await started).stop();
  });
  const cluster = () => (started ??= startPostgresCluster());
  return { cluster, createDatabase: async () => (await cluster()).createDatabase() };
}
