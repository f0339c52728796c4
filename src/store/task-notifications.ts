import type { Logger } from '../log.js';
import type { Orm } from '../db/orm.js';

/** The channel the PostgreSQL trigger on deploy_tasks notifies (migration 20261202150000). */
export const TASK_CHANNEL = 'deploybot_tasks';

export interface TaskChangeFeed {
  close(): Promise<void>;
}

interface RawPgClient {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: (msg: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', listener: (err?: Error) => void): void;
  removeAllListeners(): void;
}

interface KnexClientInternals {
  acquireRawConnection(): Promise<RawPgClient>;
  destroyRawConnection(connection: RawPgClient): Promise<void>;
}

/**
 * PostgreSQL only: calls `onChange(taskId)` when a task is created or changes status in any process
 * (LISTEN on its own connection, outside the pool), so a replica starts a task another replica
 * approved, or the next one queued behind a task another replica finished, at once rather than at
 * its next poll. The poll stays the safety net: a lost connection is re-opened after a pause, and
 * notifications sent meanwhile are simply missed.
 */
export function listenForTaskChanges(orm: Orm, onChange: (taskId: number) => void, log: Logger, retryMs = 1_000): TaskChangeFeed {
  const client = orm.em.getConnection().getKnex().client as unknown as KnexClientInternals;
  let closed = false;
  let current: RawPgClient | undefined;
  let timer: NodeJS.Timeout | undefined;

  const drop = (conn: RawPgClient) => {
    conn.removeAllListeners();
    conn.on('error', () => {}); // a late socket error on a connection already given up
    void client.destroyRawConnection(conn).catch(() => {});
  };
  const retry = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void open();
    }, retryMs);
    timer.unref();
  };
  const open = async () => {
    if (closed) return;
    try {
      const conn = await client.acquireRawConnection();
      if (closed) return drop(conn);
      conn.on('notification', (msg) => {
        const id = Number(msg.payload);
        if (msg.channel === TASK_CHANNEL && Number.isInteger(id)) onChange(id);
      });
      const lost = (err?: Error) => {
        if (current !== conn) return;
        current = undefined;
        drop(conn);
        if (!closed) log.warn('task notifications lost their connection; polling until it is back', { error: err?.message ?? 'connection ended' });
        retry();
      };
      conn.on('error', lost);
      conn.on('end', lost);
      current = conn;
      await conn.query(`LISTEN ${TASK_CHANNEL}`);
    } catch (err) {
      log.debug('task notifications: could not listen yet', { error: (err as Error).message });
      retry();
    }
  };
  void open();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const conn = current;
      current = undefined;
      if (conn) drop(conn);
    },
  };
}
