import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** The task's lease was taken over by another process: this process must not change it any more. */
export class LeaseLost extends Error {
  constructor(readonly taskId: number) {
    super(`deploy #${taskId} is no longer owned by this process: its lease expired and another process took it over`);
  }
}

export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof UniqueConstraintViolationException) return true;
  const text = String((err as { message?: unknown })?.message ?? err);
  return /UNIQUE constraint failed|duplicate key value violates unique constraint/i.test(text);
}

/**
 * Errors worth trying again: a busy or locked SQLite file, a full or failing disk that may be
 * freed, a PostgreSQL restart or failover, a pool that could not hand out a connection in time.
 */
export function isTransientStoreError(err: unknown): boolean {
  if (err instanceof LeaseLost || isUniqueViolation(err)) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const text = `${String(e?.code ?? '')} ${String(e?.message ?? err)}`;
  if (/SQLITE_(BUSY|LOCKED|FULL|IOERR|PROTOCOL)|database is locked|disk I\/O error|database or disk is full/i.test(text)) return true;
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|Connection ended unexpectedly|Client has encountered a connection error|terminating connection|the database system is (starting up|shutting down)|Timeout acquiring a connection|timeout exceeded when trying to connect/i.test(text)) return true;
  // PostgreSQL SQLSTATEs: connection exceptions, admin shutdown, serialization failure, deadlock.
  if (/\b(08000|08001|08003|08006|57P01|57P02|57P03|40001|40P01)\b/.test(text)) return true;
  return e?.cause !== undefined && e.cause !== err ? isTransientStoreError(e.cause) : false;
}

/**
 * Runs a store operation, retrying transient errors with growing pauses. Non-transient errors and
 * the last transient one are thrown.
 */
export async function withStoreRetry<T>(fn: () => Promise<T>, delaysMs: readonly number[] = [100, 400, 1000]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isTransientStoreError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
