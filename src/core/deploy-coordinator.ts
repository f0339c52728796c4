import type { EntityManager } from '@mikro-orm/core';
import { DeployTask } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeployPlan } from '../pipeline/deploy-plan.js';
import type { PipelineEvents } from '../pipeline/events.js';
import type { TaskOutcome, TaskRunner } from '../pipeline/flows/task-runner.js';
import { SYSTEM_ACTOR } from './actor.js';
import { audit } from './audit.js';
import { ServerService, type ServerServiceDeps } from './server-service.js';
import { transitionTask } from './task-status.js';
import { projectHooks } from './views.js';

export interface CoordinatorDeps extends ServerServiceDeps {
  orm: Orm;
  runner: TaskRunner;
  events: PipelineEvents;
  log: Logger;
  now?: () => Date;
}

/**
 * Decides when tasks run: at most one running task per project; approved tasks wait in a queue
 * (oldest first) and start by themselves when their project is free. Builds each task's plan,
 * decrypting server credentials here so the pipeline never handles stored secrets itself.
 */
export class DeployCoordinator {
  /** Dispatch passes run one after another, so two can never start tasks for one project. */
  private dispatching: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<number, Promise<TaskOutcome>>();
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: CoordinatorDeps) {}

  /** Starts every approved task whose project has nothing running. Safe to call at any time. */
  dispatch(): Promise<void> {
    const pass = this.dispatching.then(() => this.dispatchOnce());
    this.dispatching = pass.catch((err) => this.deps.log.error('dispatch failed', { err }));
    return pass;
  }

  /** Resolves when the task finishes, if it is running in this process. */
  whenFinished(taskId: number): Promise<TaskOutcome> | undefined {
    return this.inFlight.get(taskId);
  }

  cancelRunning(taskId: number): boolean {
    return this.deps.runner.cancel(taskId);
  }

  /** Stops starting new tasks and waits for the running ones (graceful shutdown). */
  /**
   * Stops starting new tasks and gives running ones a grace period to finish. A task still
   * running after it is left as it is: the next boot marks it interrupted and re-reads its servers.
   */
  async stop(graceMs = 25_000): Promise<void> {
    this.stopped = true;
    this.armTimer(null);
    await this.dispatching.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled(this.inFlight.values()), grace]);
    clearTimeout(timer);
  }

  /** Stops a running task that has made no progress for too long; it ends as failed. */
  reap(taskId: number, reason: string): boolean {
    return this.deps.runner.cancel(taskId, { stalled: true, reason });
  }

  /** Where a queued task stands in its project's queue (1 = next), and which task it waits for. */
  async queuePosition(taskId: number): Promise<{ position: number; blockedBy: number | null } | null> {
    const em = this.deps.orm.em.fork();
    const task = await em.findOne(DeployTask, { id: taskId }, { populate: ['project'] });
    if (!task || task.status !== 'approved') return null;
    const ahead = await em.count(DeployTask, { project: task.project, status: 'approved', id: { $lt: task.id } });
    const running = await em.findOne(DeployTask, { project: task.project, status: 'running' }, { fields: ['id'] });
    return { position: ahead + 1, blockedBy: running?.id ?? null };
  }

  private async dispatchOnce(): Promise<void> {
    if (this.stopped) return;
    const em = this.deps.orm.em.fork();
    await this.promoteDueSchedules(em);
    const ready = await em.find(DeployTask, { status: 'approved' }, { orderBy: { id: 'asc' }, populate: ['project', 'project.servers'] });
    const busy = new Set((await em.find(DeployTask, { status: 'running' }, { fields: ['project'] })).map((t) => t.project.id));
    for (const task of ready) {
      if (busy.has(task.project.id)) continue;
      busy.add(task.project.id);
      await this.start(em, task);
    }
  }

  /**
   * Scheduled tasks whose time has come join the queue; the next future one gets a timer, so it
   * starts on time (the scheduler's minute sweep is only the safety net). Schedules live in the
   * database, so the dispatch at boot re-arms them after a restart.
   */
  private async promoteDueSchedules(em: EntityManager): Promise<void> {
    const now = this.now();
    const due = await em.find(DeployTask, { status: 'scheduled', scheduledAt: { $lte: now } }, { orderBy: { scheduledAt: 'asc' } });
    for (const task of due) {
      transitionTask(task, 'approved', now);
      audit(em, SYSTEM_ACTOR, 'task.schedule_due', `task:${task.id}`, { scheduledAt: task.scheduledAt?.toISOString() ?? null });
    }
    if (due.length) await em.flush();
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

  private async start(em: EntityManager, task: DeployTask): Promise<void> {
    // The claim is the approved/scheduled → running transition, made atomic in SQL: a one-shot CLI
    // and a bot sharing one database may both see this task as ready, only one of them gets it.
    const now = this.now();
    const claimed = await em.nativeUpdate(DeployTask, { id: task.id, status: { $in: ['approved', 'scheduled'] } }, { status: 'running', startedAt: now, lastProgressAt: now, error: null });
    if (claimed === 0) return;
    task.status = 'running';
    task.startedAt = now;
    let plan: DeployPlan;
    try {
      plan = await this.buildPlan(em, task);
    } catch (err) {
      await this.failBeforeStart(em, task, errorMessage(err));
      return;
    }
    const run = this.deps.runner
      .run(plan)
      .catch(async (err): Promise<TaskOutcome> => {
        this.deps.log.error('task could not run', { taskId: task.id, err });
        await this.failBeforeStart(this.deps.orm.em.fork(), await this.deps.orm.em.fork().findOneOrFail(DeployTask, { id: task.id }, { populate: ['project'] }), errorMessage(err)).catch(() => undefined);
        return { type: 'task.finished', taskId: task.id, status: 'failed', releaseId: null, commit: null, durationMs: 0, error: errorMessage(err), hosts: [], at: new Date() };
      })
      .finally(() => {
        this.inFlight.delete(task.id);
        // The project is free again: start whatever waited behind this task.
        void this.dispatch();
      });
    this.inFlight.set(task.id, run);
  }

  private async buildPlan(em: EntityManager, task: DeployTask): Promise<DeployPlan> {
    const project = task.project;
    const servers = new ServerService(em, this.deps);
    const all = project.servers.getItems();
    const chosen = task.onlyServers ? all.filter((s) => task.onlyServers!.includes(s.name)) : all;
    if (chosen.length === 0) throw new Error(`project ${project.name} has no servers to deploy to`);
    const hosts = [];
    for (const server of chosen) hosts.push({ serverId: server.id, target: await servers.connectionDetails(server) });
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
      },
      ref: task.ref,
      commit: task.kind === 'deploy' ? (task.commit ?? null) : null,
      targetRelease: task.targetRelease ?? null,
      requestedBy: task.requestedBy,
      hooks: projectHooks(task),
      hosts,
    };
  }

  /** A task that cannot even start (no key, server gone) still ends properly and says why. */
  private async failBeforeStart(em: EntityManager, task: DeployTask, error: string): Promise<void> {
    const now = new Date();
    if (task.status === 'running') transitionTask(task, 'failed', now);
    task.error = error;
    await em.flush();
    this.deps.events.emit({ type: 'task.finished', taskId: task.id, status: 'failed', releaseId: null, commit: null, durationMs: 0, error, hosts: [], at: now });
  }
}
