import type { EntityManager } from '@mikro-orm/core';
import { DeployTask, type TaskStatus } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { isUniqueViolation } from './store-errors.js';
import { canTransition, isTerminal } from './task-transitions.js';

export interface LeaseClock {
  /** How long a lease lasts without renewal (DEPLOYBOT_LEASE_SECONDS). */
  leaseMs: number;
  now?: () => Date;
}

/** What the owner of a running task learns at each heartbeat. */
export interface Heartbeat {
  /** False: another process took the task over (or it ended): stop at the next safe point. */
  held: boolean;
  /** Someone asked for a cancel (through the database, from whichever process). */
  cancelledBy: string | null;
  /** Someone asked the owner to stop (the reaper: no progress for too long). */
  stopReason: string | null;
}

type Changes = Partial<Pick<DeployTask, 'approvedBy' | 'approvedAt' | 'rejectedBy' | 'rejectedAt' | 'rejectReason' | 'cancelledBy' | 'error' | 'ownerId' | 'leaseExpiresAt' | 'startedAt' | 'lastProgressAt' | 'stopReason' | 'approvals' | 'approvalCount'>>;

/**
 * One conditional UPDATE per status change: from the statuses expected, optionally only by the
 * owner; returns whether this call won. Standard SQL (no reliance on SQLite's single writer), so
 * the same guarantee holds on PostgreSQL with several replicas.
 */
export async function transitionWhere(
  em: EntityManager,
  taskId: number,
  from: readonly TaskStatus[],
  to: TaskStatus,
  changes: Changes = {},
  where: { ownerId?: string; scheduledBy?: Date; approvalCount?: number } = {},
  at: Date = new Date(),
): Promise<boolean> {
  const allowed = from.filter((f) => canTransition(f, to));
  if (allowed.length === 0) return false;
  const condition: Record<string, unknown> = { id: taskId, status: { $in: allowed } };
  if (where.ownerId !== undefined) condition.ownerId = where.ownerId;
  if (where.approvalCount !== undefined) condition.approvalCount = where.approvalCount;
  if (where.scheduledBy) condition.$or = [{ scheduledAt: null }, { scheduledAt: { $lte: where.scheduledBy } }];
  const data: Record<string, unknown> = { ...changes, status: to, updatedAt: at };
  if (isTerminal(to)) {
    data.finishedAt = at;
    data.leaseExpiresAt = null;
  }
  return (await em.nativeUpdate(DeployTask, condition, data)) === 1;
}

/**
 * Ownership of running tasks, held in the database: the claim, the lease its owner renews, the
 * takeover by a process that finds the lease expired, and requests (cancel, stop) that reach the
 * owner wherever it runs. `owner` is this process's id (store/owner.ts).
 */
export class TaskStore {
  constructor(
    private readonly orm: Orm,
    readonly owner: string,
    private readonly clock: LeaseClock,
  ) {}

  get leaseMs(): number {
    return this.clock.leaseMs;
  }

  now(): Date {
    return this.clock.now?.() ?? new Date();
  }

  private expiry(now = this.now()): Date {
    return new Date(now.getTime() + this.clock.leaseMs);
  }

  /**
   * approved (or scheduled and due) → running, owned by this process. False when another process
   * got there first, the project runs another task (the unique index refuses a second), or the
   * project is locked: a lock holds queued and scheduled tasks too.
   */
  async claim(taskId: number): Promise<boolean> {
    const now = this.now();
    const em = this.orm.em.fork();
    try {
      const n = await em.nativeUpdate(
        DeployTask,
        { id: taskId, project: { lockedBy: null }, $or: [{ status: 'approved' }, { status: 'scheduled', scheduledAt: { $lte: now } }] },
        { status: 'running', ownerId: this.owner, leaseExpiresAt: this.expiry(now), startedAt: now, lastProgressAt: now, error: null, stopReason: null, updatedAt: now },
      );
      return n === 1;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Renews the leases of the tasks this process runs, and reads what was asked of them. */
  async heartbeat(taskIds: readonly number[]): Promise<Map<number, Heartbeat>> {
    const beats = new Map<number, Heartbeat>();
    if (taskIds.length === 0) return beats;
    const em = this.orm.em.fork();
    await em.nativeUpdate(DeployTask, { id: { $in: [...taskIds] }, ownerId: this.owner, status: 'running' }, { leaseExpiresAt: this.expiry() });
    const rows = await em.find(DeployTask, { id: { $in: [...taskIds] } }, { fields: ['id', 'status', 'ownerId', 'cancelledBy', 'stopReason'] });
    for (const id of taskIds) {
      const row = rows.find((r) => r.id === id);
      const held = !!row && row.status === 'running' && row.ownerId === this.owner;
      beats.set(id, { held, cancelledBy: row?.cancelledBy ?? null, stopReason: row?.stopReason ?? null });
    }
    return beats;
  }

  /** Running tasks whose owner stopped renewing: candidates for recovery. */
  async expired(filter: { projectId?: number } = {}): Promise<{ id: number; projectId: number; ownerId: string | null }[]> {
    const where: Record<string, unknown> = { status: 'running', $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lt: this.now() } }] };
    if (filter.projectId !== undefined) where.project = filter.projectId;
    const rows = await this.orm.em.fork().find(DeployTask, where, { fields: ['id', 'project', 'ownerId'], orderBy: { id: 'asc' } });
    return rows.map((r) => ({ id: r.id, projectId: r.project.id, ownerId: r.ownerId ?? null }));
  }

  /**
   * Takes over a running task whose lease has expired, to recover it. One winner: the update is
   * conditional on the lease still being expired, so two recoverers never both proceed, and the
   * previous owner's fenced writes fail from now on (they name the old owner).
   */
  async takeOver(taskId: number): Promise<boolean> {
    const now = this.now();
    const n = await this.orm.em.fork().nativeUpdate(
      DeployTask,
      { id: taskId, status: 'running', $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lt: now } }] },
      { ownerId: this.owner, leaseExpiresAt: this.expiry(now), updatedAt: now },
    );
    return n === 1;
  }

  /** Gives up this process's leases at once (shutdown), so the next process recovers without waiting. */
  async handOver(taskIds: readonly number[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.orm.em.fork().nativeUpdate(DeployTask, { id: { $in: [...taskIds] }, ownerId: this.owner, status: 'running' }, { leaseExpiresAt: new Date(0) });
  }

  /** Asks the owner of a running task to stop (reaper). True if this call placed the request. */
  async requestStop(taskId: number, reason: string, where: { lastProgressBefore?: Date } = {}): Promise<boolean> {
    const condition: Record<string, unknown> = { id: taskId, status: 'running', stopReason: null };
    if (where.lastProgressBefore) condition.lastProgressAt = { $lt: where.lastProgressBefore };
    return (await this.orm.em.fork().nativeUpdate(DeployTask, condition, { stopReason: reason })) === 1;
  }
}
