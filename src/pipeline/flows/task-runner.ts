import { setMaxListeners } from 'node:events';
import type { DeployPlan } from '../deploy-plan.js';
import { runDeployFlow } from './deploy-flow.js';
import type { PipelineEvent } from '../events.js';
import { runRollbackFlow } from './rollback-flow.js';
import { CancelledAtSafePoint, errorText, RunContext, StageFailure, type RunnerDeps } from './run-context.js';
import { TaskRecorder } from './task-recorder.js';

export type TaskOutcome = Extract<PipelineEvent, { type: 'task.finished' }>;

/** Why the reaper stopped a task: it made no progress for too long. */
export class StalledTask extends Error {}

/**
 * Runs deploy and rollback tasks, and stops them on request. One instance per bot process; it
 * holds each running task's AbortController so `cancel` can reach it.
 */
export class TaskRunner {
  private readonly running = new Map<number, AbortController>();

  constructor(readonly deps: RunnerDeps) {}

  isRunning(taskId: number): boolean {
    return this.running.has(taskId);
  }

  get runningTaskIds(): number[] {
    return [...this.running.keys()];
  }

  /**
   * Asks a running task to stop at its next safe point. Returns false if it is not running here.
   * A `stalled` stop (the reaper's) ends the task as failed, with `reason` as its error.
   */
  cancel(taskId: number, stop: { stalled?: boolean; reason?: string } = {}): boolean {
    const controller = this.running.get(taskId);
    if (!controller) return false;
    controller.abort(stop.stalled ? new StalledTask(stop.reason ?? 'no progress for too long') : new Error('cancelled by request'));
    return true;
  }

  async run(plan: DeployPlan): Promise<TaskOutcome> {
    if (this.running.has(plan.taskId)) throw new Error(`task ${plan.taskId} is already running`);
    const controller = new AbortController();
    // Every command on every server listens to this one signal: hundreds on a big fleet.
    setMaxListeners(0, controller.signal);
    this.running.set(plan.taskId, controller);
    const started = Date.now();
    const recorder = new TaskRecorder(this.deps.orm, plan.taskId);
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
        if (controller.signal.reason instanceof StalledTask) {
          status = 'failed';
          error = `${controller.signal.reason.message}; stopped before any server was switched`;
        } else if (err instanceof CancelledAtSafePoint || controller.signal.aborted) {
          status = 'cancelled';
          error = 'cancelled before any server was switched';
        } else if (err instanceof StageFailure) {
          status = 'failed';
          error = err.message;
        } else {
          status = 'failed';
          error = `internal error: ${this.deps.redactor.redact(errorText(err))}`;
          log.error('task crashed', { err });
        }
      }
      releaseId = task.releaseId ?? null;
      commit = task.commit ?? null;
      await recorder.finish(status, error ?? null);
    } finally {
      ctx.closeAll();
      this.running.delete(plan.taskId);
    }

    const outcome: TaskOutcome = {
      type: 'task.finished',
      taskId: plan.taskId,
      status,
      releaseId,
      commit,
      durationMs: Date.now() - started,
      error,
      hosts: ctx.hosts.map((h) => ({ name: h.name, release: h.switched ? releaseId : h.previous, failed: h.failed })),
      at: new Date(),
    };
    log.info('task finished', { status, error, durationMs: outcome.durationMs });
    this.deps.events.emit(outcome);
    return outcome;
  }
}
