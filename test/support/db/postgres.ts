import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { knex } from '@mikro-orm/knex';
import { makeScratchDir, removeScratchDir } from '../scratch-dirs.js';

const BIN = '/usr/lib/postgresql/15/bin';

/**
 * A throwaway PostgreSQL 15 cluster for tests: `initdb` and `postgres` run as the `postgres` user
 * (PostgreSQL refuses root) through `runuser`, in a temp dir that user owns, on a free loopback
 * port, with a random password (scram) so tests also prove the password stays out of logs.
 * Durability is off (fsync, synchronous_commit): the cluster lives for one test file.
 */
export interface PostgresCluster {
  readonly port: number;
  readonly password: string;
  /** A fresh, empty database; its DATABASE_URL. */
  createDatabase(): Promise<string>;
  /** Fast shutdown (SIGINT) and start again on the same port and data: a "PostgreSQL restart". */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops the server (fast shutdown); `start()` brings it back. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
  logs(): string;
  /** Stops the server and removes its files. Idempotent. */
  stop(): Promise<void>;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const root = makeScratchDir('deploybot-pg-');
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const sockets = join(root, 'run');
  mkdirSync(sockets);
  chownSync(root, uid, gid);
  chownSync(sockets, uid, gid);
  const password = randomBytes(12).toString('hex');
  const pwfile = join(root, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  chownSync(pwfile, uid, gid);
  const init = spawnSync('runuser', ['-u', 'postgres', '--', `${BIN}/initdb`, '-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  let server: ChildProcess | undefined;
  let log = '';
  let stopped = false;

  const start = async () => {
    const args = ['-D', data, '-p', String(port), '-k', sockets, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'];
    const child = spawn('runuser', ['-u', 'postgres', '--', `${BIN}/postgres`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    server = child;
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${log.slice(-2000)}`);
      try {
        await query(port, password, 'postgres', 'select 1');
        return;
      } catch {
        if (Date.now() > until) throw new Error(`postgres did not accept connections: ${log.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const stopServer = async () => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Signal the postmaster itself (runuser forks): SIGINT is PostgreSQL's fast shutdown.
    const pid = postmasterPid(data);
    if (pid) process.kill(pid, 'SIGINT');
    else child.kill('SIGINT');
    const timer = setTimeout(() => (pid ? process.kill(pid, 'SIGQUIT') : child.kill('SIGKILL')), 15_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  let n = 0;
  const cluster: PostgresCluster = {
    port,
    password,
    async createDatabase() {
      const name = `deploybot_t${process.pid}_${++n}_${randomBytes(3).toString('hex')}`;
      await query(port, password, 'postgres', `create database "${name}"`);
      return `postgresql://postgres:${password}@127.0.0.1:${port}/${name}`;
    },
    async restart(options = {}) {
      await stopServer();
      if (options.downMs) await new Promise((r) => setTimeout(r, options.downMs));
      await start();
    },
    stopServer,
    start,
    logs: () => log,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer();
      removeScratchDir(root);
    },
  };
  return cluster;
}

async function query(port: number, password: string, database: string, sql: string): Promise<unknown> {
  const db = knex({ client: 'pg', connection: { host: '127.0.0.1', port, user: 'postgres', password, database, connectionTimeoutMillis: 5_000 }, pool: { min: 0, max: 1 } });
  try {
    return await db.raw(sql);
  } finally {
    await db.destroy();
  }
}

function postmasterPid(data: string): number | undefined {
  try {
    return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
