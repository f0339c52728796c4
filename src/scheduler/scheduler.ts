import cron, { type ScheduledTask } from 'node-cron';
import type { DeployCoordinator } from '../core/tasks/deploy-coordinator.js';
import { DeployTask } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../log.js';

export interface SchedulerDeps {
  orm: Orm;
  coordinator: DeployCoordinator;
  log: Logger;
  /** A running task with no progress for this long is failed (DEPLOYBOT_STALL_MINUTES). */
  stallMinutes: number;
  timezone: string;
  now?: () => Date;
}

/**
 * The bot's clock, on node-cron: every minute it starts scheduled deploys that are due (the
 * coordinator arms a precise timer too; this sweep is the safety net) and reaps stuck tasks.
 */
export class Scheduler {
  private job: ScheduledTask | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.job ??= cron.schedule('* * * * *', () => this.sweep(), { timezone: this.deps.timezone, noOverlap: true, name: 'deploybot-sweep' });
  }

  async stop(): Promise<void> {
    await this.job?.destroy();
    this.job = null;
  }

  async sweep(): Promise<void> {
    try {
      await this.reap();
      await this.deps.coordinator.dispatch();
    } catch (err) {
      this.deps.log.error('scheduler sweep failed', { err: err instanceof Error ? err : String(err) });
    }
  }

  /** Fails running tasks that have been silent longer than the stall limit; returns their ids. */
  async reap(): Promise<number[]> {
    const now = this.deps.now?.() ?? new Date();
    const limit = new Date(now.getTime() - this.deps.stallMinutes * 60_000);
    const em = this.deps.orm.em.fork();
    const stuck = await em.find(DeployTask, { status: 'running', lastProgressAt: { $lt: limit } }, { fields: ['id', 'lastProgressAt'] });
    const reaped: number[] = [];
    for (const task of stuck) {
      const reason = `no progress for ${this.deps.stallMinutes} minute${this.deps.stallMinutes > 1 ? 's' : ''} (a hook hanging silently?)`;
      // Through the database: the owner stops it wherever it runs (and a dead owner's lease expires).
      if (await this.deps.coordinator.reap(task.id, reason, limit)) {
        this.deps.log.warn('reaping a stalled task', { taskId: task.id, lastProgressAt: task.lastProgressAt?.toISOString() });
        reaped.push(task.id);
      }
    }
    return reaped;
  }
}
