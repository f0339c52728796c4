import { projectFreeze } from '../gates/freeze-service.js';
import type { EntityManager } from '@mikro-orm/core';
import { DeployTask } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Redactor } from '../../redact.js';
import type { DeployPlan, Promotion } from '../../pipeline/deploy-plan.js';
import type { PipelineEvents } from '../../pipeline/events.js';
import type { TaskOutcome, TaskRunner } from '../../pipeline/flows/task-runner.js';
import { transitionWhere, type TaskStore } from '../../store/task-store.js';
import { SYSTEM_ACTOR } from '../actor.js';
import { audit } from '../audit.js';
import { ServerService, type ServerServiceDeps } from '../servers/server-service.js';
import { recoverTask } from './task-recovery.js';
import { isTransientStoreError } from '../../store/store-errors.js';
import { projectHooks } from '../views.js';

/**
 * `all`: a bot or a shell, which runs whatever is ready in any project. `own`: a one-shot command,
 * which runs only the tasks it adopted (the one it started, approved or was asked to wait for).
 */
export type DispatchLane = 'all' | 'own';

export interface CoordinatorDeps extends ServerServiceDeps {
  orm: Orm;
  runner: TaskRunner;
  events: PipelineEvents;
  log: Logger;
  redactor: Redactor;
  lane?: DispatchLane;
  /** How often the ticker looks for ready tasks and expired leases (work other processes left). */
  pollMs?: number;
  /** How often a deploy waiting for its Promote looks in the database (default 1 s; PostgreSQL's NOTIFY wakes it sooner). */
  promotionPollMs?: number;
  now?: () => Date;
}

import type { QueueState } from '../views.js';

export type { QueueState };

/**
 * Decides when tasks run. At most one running task per project (the database refuses a second);
 * approved tasks wait in a queue (oldest first) and start by themselves when their project is free
 * and unlocked. Any process may start a task (the claim is one conditional update), and any process
 * recovers a task whose owner stopped renewing its lease. Builds each task's plan, decrypting server
 * credentials here so the pipeline never handles stored secrets itself.
 */
export class DeployCoordinator {
  /** Dispatch passes of this process run one after another. */
  private dispatching: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<number, Promise<TaskOutcome>>();
  private readonly adopted = new Set<number>();
  private readonly recovering = new Set<number>();
  /** Runners here waiting for a task's Promote: woken when the task changes. */
  private readonly promotionWaiters = new Map<number, Set<() => void>>();
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly deps: CoordinatorDeps) {}

  get store(): TaskStore {
    return this.deps.runner.deps.store;
  }

  get lane(): DispatchLane {
    return this.deps.lane ?? 'all';
  }

  /**
   * Starts every ready task this process may run whose project is free. Safe to call at any time,
   * and never rejects: many callers fire and forget it, and a pass that fails (the database
   * restarting) is logged and simply repeated by the next tick, so an error must not end the process.
   */
  dispatch(): Promise<void> {
    const pass = this.dispatching.then(() => this.dispatchOnce());
    this.dispatching = pass.catch((err) =>
      isTransientStoreError(err) ? this.deps.log.warn('dispatch failed, retrying at the next tick', { error: errorMessage(err) }) : this.deps.log.error('dispatch failed', { err }),
    );
    return this.dispatching;
  }

  /** A one-shot command takes responsibility for one task: it runs it when it is ready. */
  adopt(taskId: number): void {
    this.adopted.add(taskId);
  }

  /** Resolves when the task finishes, if it is running in this process. */
  whenFinished(taskId: number): Promise<TaskOutcome> | undefined {
    return this.inFlight.get(taskId);
  }

  /**
   * A task changed in the database (PostgreSQL's NOTIFY from any process, or a command run here):
   * a runner waiting for its Promote looks again at once instead of at its next poll.
   */
  taskChanged(taskId: number): void {
    for (const wake of [...(this.promotionWaiters.get(taskId) ?? [])]) wake();
  }

  /** Stops a task running in this process at its next safe point (others hear it through the database). */
  cancelRunning(taskId: number): boolean {
    return this.deps.runner.cancel(taskId);
  }

  /**
   * Looks for work every few seconds: leases that expired (recovered in the background, so a slow
   * recovery never delays other projects) and ready tasks, including those other processes left.
   */
  startTicker(): void {
    if (this.ticker || this.stopped) return;
    this.ticker = setInterval(() => void this.tick(), this.deps.pollMs ?? 2_000);
    this.ticker.unref();
  }

  async tick(): Promise<void> {
    if (this.stopped) return;
    await this.recoverExpired().catch((err) => this.deps.log.warn('looking for expired leases failed', { error: errorMessage(err) }));
    await this.dispatch();
  }

  /**
   * Starts recovering every expired task this process is concerned with (a one-shot command: the
   * projects of its own tasks); resolves with the ids it recovered once all are done.
   */
  async recoverExpired(): Promise<number[]> {
    let projectIds: number[] | null = null;
    if (this.lane === 'own') {
      if (this.adopted.size === 0) return [];
      const mine = await this.deps.orm.em.fork().find(DeployTask, { id: { $in: [...this.adopted] } }, { fields: ['project'] });
      projectIds = [...new Set(mine.map((t) => t.project.id))];
    }
    const expired = (await this.store.expired()).filter((t) => !projectIds || projectIds.includes(t.projectId));
    const runs = expired
      .filter((t) => !this.recovering.has(t.id) && !this.deps.runner.isRunning(t.id))
      .map(async (t) => {
        this.recovering.add(t.id);
        try {
          return (await recoverTask({ ...this.deps, store: this.store }, t.id)) ? t.id : null;
        } finally {
          this.recovering.delete(t.id);
          void this.dispatch();
        }
      });
    return (await Promise.all(runs)).filter((id): id is number => id !== null);
  }

  /**
   * Stops starting new tasks and gives running ones a grace period to finish. A task still running
   * after it gives its lease up, so another process recovers it at once rather than a lease later.
   */
  async stop(graceMs = 25_000): Promise<void> {
    this.stopped = true;
    this.armTimer(null);
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    await this.dispatching.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled(this.inFlight.values()), grace]);
    clearTimeout(timer);
    await this.deps.runner.handOver();
  }

  /** Asks a running task, wherever it runs, to stop: it ends as failed with that reason. */
  async reap(taskId: number, reason: string, lastProgressBefore?: Date): Promise<boolean> {
    const asked = await this.store.requestStop(taskId, reason, { lastProgressBefore });
    // Here, act at once; elsewhere, the owner hears it at its next heartbeat.
    if (asked) this.deps.runner.cancel(taskId, { stalled: true, reason });
    return asked;
  }

  /** Where a queued task stands in its project's queue, what it waits for, and whether a lock holds it. */
  async queuePosition(taskId: number): Promise<QueueState | null> {
    const em = this.deps.orm.em.fork();
    const task = await em.findOne(DeployTask, { id: taskId }, { populate: ['project'] });
    if (!task || (task.status !== 'approved' && task.status !== 'scheduled')) return null;
    const running = await em.findOne(DeployTask, { project: task.project, status: 'running' }, { fields: ['id'] });
    const lock = task.project.lockedBy ? { by: task.project.lockedBy, reason: task.project.lockReason ?? null } : null;
    const freeze = task.overrideReason ? null : await projectFreeze(em, task.project.id, this.now());
    if (task.status === 'scheduled') return { position: 0, blockedBy: running?.id ?? null, lock, freeze };
    const ahead = await em.count(DeployTask, { project: task.project, status: 'approved', id: { $lt: task.id } });
    return { position: ahead + 1, blockedBy: running?.id ?? null, lock, freeze };
  }

  private async dispatchOnce(): Promise<void> {
    if (this.stopped) return;
    const em = this.deps.orm.em.fork();
    if (this.lane === 'all') await this.promoteDueSchedules(em);
    const now = this.now();
    const where: Record<string, unknown> = { $or: [{ status: 'approved' }, { status: 'scheduled', scheduledAt: { $lte: now } }] };
    if (this.lane === 'own') {
      if (this.adopted.size === 0) return;
      where.id = { $in: [...this.adopted] };
    }
    const ready = await em.find(DeployTask, where, { orderBy: { id: 'asc' }, fields: ['id', 'project', 'overrideReason'] });
    const tried = new Set<number>();
    for (const task of ready) {
      // Oldest first within a project: only the head of each queue may start.
      if (tried.has(task.project.id)) continue;
      tried.add(task.project.id);
      if (this.stopped) return;
      // A freeze window holds the queue (an admin's override passes); the ticker looks again.
      if (!task.overrideReason && (await projectFreeze(em, task.project.id, now))) continue;
      if (!(await this.store.claim(task.id))) continue;
      await this.start(task.id);
    }
  }

  /**
   * Scheduled tasks whose time has come join the queue (one conditional update each: with several
   * processes, exactly one records it); the next future one gets a timer, so it starts on time
   * (the ticker and the scheduler's minute sweep are the safety nets).
   */
  private async promoteDueSchedules(em: EntityManager): Promise<void> {
    const now = this.now();
    const due = await em.find(DeployTask, { status: 'scheduled', scheduledAt: { $lte: now } }, { orderBy: { scheduledAt: 'asc' }, fields: ['id', 'scheduledAt'] });
    for (const task of due) {
      await em.fork().transactional(async (tem) => {
        if (await transitionWhere(tem, task.id, ['scheduled'], 'approved', {}, { scheduledBy: now }, now)) {
          audit(tem, SYSTEM_ACTOR, 'task.schedule_due', `task:${task.id}`, { scheduledAt: task.scheduledAt?.toISOString() ?? null });
        }
      });
    }
    const next = await em.findOne(DeployTask, { status: 'scheduled' }, { orderBy: { scheduledAt: 'asc' }, fields: ['scheduledAt'] });
    this.armTimer(next?.scheduledAt ?? null);
  }

  private armTimer(at: Date | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!at || this.stopped) return;
    // setTimeout holds at most ~24.8 days; an hour-long cap keeps the timer honest across clock changes.
    const delay = Math.min(Math.max(0, at.getTime() - this.now().getTime()), 3_600_000);
    this.timer = setTimeout(() => void this.dispatch(), delay);
    this.timer.unref();
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Runs a task this process has just claimed. */
  private async start(taskId: number): Promise<void> {
    const em = this.deps.orm.em.fork();
    let plan: DeployPlan;
    try {
      const task = await em.findOneOrFail(DeployTask, { id: taskId }, { populate: ['project', 'project.servers'] });
      plan = await this.buildPlan(em, task);
    } catch (err) {
      await this.failBeforeStart(taskId, errorMessage(err));
      return;
    }
    const run = this.deps.runner
      .run(plan)
      .catch(async (err): Promise<TaskOutcome> => {
        this.deps.log.error('task could not run', { taskId, err });
        await this.failBeforeStart(taskId, errorMessage(err)).catch(() => undefined);
        return { type: 'task.finished', taskId, status: 'failed', releaseId: null, commit: null, durationMs: 0, error: errorMessage(err), hosts: [], at: new Date() };
      })
      .finally(() => {
        this.inFlight.delete(taskId);
        this.adopted.delete(taskId);
        // The project is free again: start whatever waited behind this task.
        void this.dispatch();
      });
    this.inFlight.set(taskId, run);
  }

  private async buildPlan(em: EntityManager, task: DeployTask): Promise<DeployPlan> {
    const project = task.project;
    const servers = new ServerService(em, this.deps);
    const all = project.servers.getItems();
    const chosen = task.onlyServers ? all.filter((s) => task.onlyServers!.includes(s.name)) : all;
    if (chosen.length === 0) throw new Error(`project ${project.name} has no servers to deploy to`);
    const hosts = [];
    for (const server of chosen) hosts.push({ serverId: server.id, target: await servers.connectionDetails(server), internalAddress: server.internalAddress ?? null });
    const canary = canaryPlan(project.rollout, project.canaryWait);
    return {
      taskId: task.id,
      kind: task.kind,
      project: {
        id: project.id,
        name: project.name,
        repoUrl: project.repoUrl,
        environment: project.environment,
        deployPath: project.deployPath,
        keepReleases: project.keepReleases,
        maxParallel: project.maxParallel,
        onFailure: project.onFailure,
        distribution: project.distribution,
        canary,
        health: project.healthCheck ? { command: project.healthCheck, timeoutMs: (project.healthTimeout ?? 30) * 1000 } : null,
      },
      // Prod: after its canary passed, a deploy goes on only when an approver promotes it.
      promotion: canary && task.kind === 'deploy' && project.environment === 'prod' ? { wait: (signal) => this.waitForPromotion(task.id, signal) } : null,
      ref: task.ref,
      commit: task.kind === 'deploy' ? (task.commit ?? null) : null,
      targetRelease: task.targetRelease ?? null,
      fromRelease: task.fromRelease ?? null,
      requestedBy: task.requestedBy,
      hooks: projectHooks(task),
      hosts,
    };
  }

  /**
   * Resolves once the task's row says who promoted it (written by `promote` in whichever process);
   * looks every promotionPollMs, or at once when taskChanged() wakes it. A store that is down is
   * simply asked again at the next look; the signal (cancel, stop, lost lease) ends the wait.
   */
  private async waitForPromotion(taskId: number, signal: AbortSignal): Promise<Promotion> {
    const every = this.deps.promotionPollMs ?? 1_000;
    for (;;) {
      signal.throwIfAborted();
      try {
        const row = await this.deps.orm.em.fork().findOne(DeployTask, { id: taskId }, { fields: ['promotedBy', 'promotedAt', 'promoteReason'] });
        if (row?.promotedBy) return { by: row.promotedBy, at: row.promotedAt ?? new Date(), reason: row.promoteReason ?? null };
      } catch (err) {
        this.deps.log.debug('looking for a promotion failed; looking again', { taskId, error: errorMessage(err) });
      }
      await new Promise<void>((resolve) => {
        let waiters = this.promotionWaiters.get(taskId);
        if (!waiters) this.promotionWaiters.set(taskId, (waiters = new Set()));
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (waiters.size === 0) this.promotionWaiters.delete(taskId);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, every);
        waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** A task that cannot even start (no key, server gone) still ends properly and says why. */
  private async failBeforeStart(taskId: number, error: string): Promise<void> {
    const now = new Date();
    await transitionWhere(this.deps.orm.em.fork(), taskId, ['running'], 'failed', { error }, { ownerId: this.store.owner }, now);
    this.deps.events.emit({ type: 'task.finished', taskId, status: 'failed', releaseId: null, commit: null, durationMs: 0, error, hosts: [], at: now });
  }
}

/** `canary:<n>` / `canary:<p>%` as the runner's plan; `all` (or anything else) is no canary. */
function canaryPlan(rollout: string | undefined, waitSeconds: number | undefined): { count: number; percent: boolean; waitMs: number } | null {
  const m = /^canary:(\d+)(%?)$/.exec(rollout ?? 'all');
  return m ? { count: Number(m[1]), percent: m[2] === '%', waitMs: (waitSeconds ?? 60) * 1000 } : null;
}
