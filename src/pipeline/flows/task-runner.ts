import { setMaxListeners } from 'node:events';
import type { Orm } from '../../db/orm.js';
import { RunRecords } from '../../store/run-records.js';
import { LeaseLost } from '../../store/store-errors.js';
import type { TaskStore } from '../../store/task-store.js';
import type { DeployPlan } from '../deploy-plan.js';
import type { PipelineEvent } from '../events.js';
import { runDeployFlow } from './deploy-flow.js';
import { runRollbackFlow } from './rollback-flow.js';
import { CancelledAtSafePoint, errorText, RunContext, StageFailure, type RunnerDeps } from './run-context.js';
import { TaskRecorder } from './task-recorder.js';

export type TaskOutcome = Extract<PipelineEvent, { type: 'task.finished' }>;

/** Why the reaper stopped a task: it made no progress for too long. */
export class StalledTask extends Error {}

/** Builds the fenced writes of one task; tests wrap it to fail chosen writes. */
export type RunRecordsFactory = (orm: Orm, taskId: number, owner: string, leaseMs: number) => RunRecords;

interface Running {
  controller: AbortController;
  cancelSeen: boolean;
}

/**
 * Runs deploy and rollback tasks this process has claimed, and keeps their leases alive. Every
 * second or so it renews the leases in one statement and reads what was asked of its tasks through
 * the database (cancel, the reaper's stop), so a request reaches the task wherever it was made. A
 * task found owned by someone else (its lease expired and it was taken over) stops at its next
 * safe point without switching anything more.
 */
export class TaskRunner {
  private readonly running = new Map<number, Running>();
  private heartbeat: NodeJS.Timeout | null = null;
  private beating = false;

  constructor(readonly deps: RunnerDeps & { store: TaskStore; records?: RunRecordsFactory; heartbeatMs?: number }) {}

  isRunning(taskId: number): boolean {
    return this.running.has(taskId);
  }

  get runningTaskIds(): number[] {
    return [...this.running.keys()];
  }

  /**
   * Asks a task running here to stop at its next safe point. Returns false if it is not running here.
   * A `stalled` stop (the reaper's) ends the task as failed, with `reason` as its error.
   */
  cancel(taskId: number, stop: { stalled?: boolean; reason?: string } = {}): boolean {
    const run = this.running.get(taskId);
    if (!run) return false;
    if (!run.controller.signal.aborted) run.controller.abort(stop.stalled ? new StalledTask(stop.reason ?? 'no progress for too long') : new Error('cancelled by request'));
    return true;
  }

  /** Gives up the leases of tasks still running here (shutdown): another process recovers them at once. */
  async handOver(): Promise<void> {
    await this.deps.store.handOver(this.runningTaskIds).catch(() => undefined);
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    const every = this.deps.heartbeatMs ?? Math.max(100, Math.min(1000, this.deps.store.leaseMs / 4));
    this.heartbeat = setInterval(() => void this.beat(), every);
    this.heartbeat.unref();
  }

  private async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const beats = await this.deps.store.heartbeat(this.runningTaskIds);
      for (const [taskId, beat] of beats) {
        const run = this.running.get(taskId);
        if (!run) continue;
        if (!beat.held) run.controller.abort(new LeaseLost(taskId));
        else if (beat.stopReason) this.cancel(taskId, { stalled: true, reason: beat.stopReason });
        else if (beat.cancelledBy && !run.cancelSeen) {
          run.cancelSeen = true;
          this.cancel(taskId);
        }
      }
    } catch (err) {
      // The store is busy or down: the lease is renewed at the next beat, or it expires and the
      // task is recovered from the servers. Either way the runner goes on from its own record.
      this.deps.log.debug('lease heartbeat failed', { error: errorText(err) });
    } finally {
      this.beating = false;
    }
  }

  async run(plan: DeployPlan): Promise<TaskOutcome> {
    if (this.running.has(plan.taskId)) throw new Error(`task ${plan.taskId} is already running`);
    const controller = new AbortController();
    // Every command on every server listens to this one signal: hundreds on a big fleet.
    setMaxListeners(0, controller.signal);
    this.running.set(plan.taskId, { controller, cancelSeen: false });
    this.startHeartbeat();
    const started = Date.now();
    const { store } = this.deps;
    const records = (this.deps.records ?? ((orm, id, owner, leaseMs) => new RunRecords(orm, id, owner, leaseMs)))(this.deps.orm, plan.taskId, store.owner, store.leaseMs);
    const recorder = new TaskRecorder(records, {
      log: this.deps.log,
      onLeaseLost: () => controller.abort(new LeaseLost(plan.taskId)),
      finishPatienceMs: Math.min(120_000, Math.max(5_000, store.leaseMs * 2)),
    });
    const ctx = new RunContext(plan, this.deps, recorder, controller.signal);
    let status: TaskOutcome['status'] = 'success';
    let error: string | undefined;
    let releaseId: string | null = null;
    let commit: string | null = null;
    const log = this.deps.log.child({ taskId: plan.taskId, project: plan.project.name });

    try {
      const task = await recorder.start(plan.hosts.map((h) => ({ serverId: h.serverId, name: h.target.name })));
      ctx.emit({ type: 'task.started', kind: plan.kind, project: plan.project.name, ref: plan.ref, releaseId: null, hosts: ctx.hosts.map((h) => h.name) });
      log.info('task started', { kind: plan.kind, ref: plan.ref, hosts: plan.hosts.length });
      try {
        if (plan.kind === 'deploy') await runDeployFlow(ctx);
        else await runRollbackFlow(ctx);
      } catch (err) {
        const reason = controller.signal.reason;
        if (reason instanceof LeaseLost || recorder.lost) {
          status = 'interrupted';
          error = `${new LeaseLost(plan.taskId).message}; this process stopped at a safe point: ${ctx.whereServersAre()}`;
        } else if (reason instanceof StalledTask) {
          status = 'failed';
          error = `${reason.message}; ${ctx.whereServersAre()}`;
        } else if (err instanceof CancelledAtSafePoint || controller.signal.aborted) {
          status = 'cancelled';
          error = `cancelled; ${ctx.whereServersAre()}`;
        } else if (err instanceof StageFailure) {
          status = 'failed';
          error = err.message;
        } else {
          status = 'failed';
          error = `internal error: ${this.deps.redactor.redact(errorText(err))}`;
          log.error('task crashed', { err });
        }
      }
      releaseId = recorder.releaseId ?? task.releaseId;
      commit = recorder.commit ?? task.commit;
      if (status !== 'interrupted') {
        const recorded = await recorder.finish(status, error ?? null);
        if (!recorded && recorder.lost) {
          status = 'interrupted';
          error = `${new LeaseLost(plan.taskId).message}; ${ctx.whereServersAre()}`;
        }
      }
    } finally {
      ctx.closeAll();
      this.running.delete(plan.taskId);
      if (this.running.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    }

    const outcome: TaskOutcome = {
      type: 'task.finished',
      taskId: plan.taskId,
      status,
      releaseId,
      commit,
      durationMs: Date.now() - started,
      error,
      hosts: ctx.hosts.map((h) => ({ name: h.name, release: h.serving !== undefined ? h.serving : h.switchAttempted ? null : h.previous, failed: h.failed })),
      ...(ctx.switchSkewMs !== null ? { switchSkewMs: ctx.switchSkewMs } : {}),
      at: new Date(),
    };
    log.info('task finished', { status, error, durationMs: outcome.durationMs });
    this.deps.events.emit(outcome);
    return outcome;
  }
}
