import { DeployTask, Release, TaskHost } from '../../../db/entities/index.js';
import type { PipelineEvent } from '../../../pipeline/events.js';
import { HOST_STAGES } from '../../../pipeline/stages.js';
import type { Runtime } from '../../../runtime.js';
import { describeOwner } from '../../../store/owner.js';
import { isTerminal } from '../../../store/task-transitions.js';

export interface FollowOptions {
  /** How often the database is read. */
  pollMs?: number;
  /** Said once when the task turns out to run in another process. */
  note(text: string): void;
}

/**
 * Follows a task from the database, for a one-shot command waiting on a task that another process
 * runs (a bot, a shell, another one-shot command): its progress and its end become the same events
 * a task running here emits, so the monitor prints and snapshots it alike. A task running here, or
 * recovered here, emits its own events and is left to them. Resolves when the task has ended (its
 * `task.finished` went out) or `stop()` was called.
 */
export class TaskFollower {
  private stopped = false;
  private finished = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly runtime: Runtime,
    private readonly taskId: number,
    private readonly options: FollowOptions,
  ) {}

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    const off = this.runtime.events.onTask(this.taskId, (e) => {
      if (e.type === 'task.finished') {
        this.finished = true;
        this.wake?.();
      }
    });
    const seen = new Map<string, string>();
    let announced = false;
    let startedSent = false;
    try {
      while (!this.stopped && !this.finished) {
        const em = this.runtime.app.orm.em.fork();
        const task = await em.findOne(DeployTask, { id: this.taskId }, { populate: ['project'] }).catch(() => null);
        const mine = !!task && task.ownerId === this.runtime.store.owner;
        // Ran (or was recovered) here: its own events tell the monitor; nothing to read back.
        if (task && mine && isTerminal(task.status)) return;
        if (task && !mine && (task.status === 'running' || isTerminal(task.status)) && task.ownerId) {
          if (!announced && task.status === 'running') {
            announced = true;
            this.options.note(`#${task.id} runs in ${describeOwner(task.ownerId)}: following it from the database.`);
          }
          const rows = await em.find(TaskHost, { task }, { orderBy: { serverName: 'asc' } });
          if (!startedSent && rows.length) {
            startedSent = true;
            this.emit({ type: 'task.started', kind: task.kind, project: task.project.name, ref: task.ref, releaseId: task.releaseId ?? null, hosts: rows.map((r) => r.serverName) });
          }
          for (const row of rows) {
            for (const stage of HOST_STAGES) {
              const t = row.stages[stage];
              const key = `${row.serverName}:${stage}`;
              if (!t || seen.get(key) === t.state) continue;
              seen.set(key, t.state);
              if (t.state === 'running') this.emit({ type: 'host.stage.started', host: row.serverName, stage });
              else if (t.state !== 'waiting') {
                this.emit({ type: 'host.stage.finished', host: row.serverName, stage, state: t.state, durationMs: t.durationMs ?? 0, ...(t.state === 'failed' ? { error: row.error ?? undefined, exitCode: row.exitCode ?? null, outputTail: row.output } : {}) });
              }
            }
          }
          // Canary first on prod: its wait for a Promote, and who gave it, as the runner tells them.
          const canary = rows.filter((r) => r.stages.switch?.state === 'done').map((r) => r.serverName);
          if (task.canaryPassedAt && !seen.has('canary:passed')) {
            seen.set('canary:passed', 'yes');
            if (!task.promotedBy && task.status === 'running') this.emit({ type: 'canary.awaiting_promotion', hosts: canary, minWaitMs: 0 });
          }
          if (task.promotedBy && !seen.has('canary:promoted')) {
            seen.set('canary:promoted', 'yes');
            this.emit({ type: 'canary.promoted', hosts: canary, by: task.promotedBy, reason: task.promoteReason ?? null, restInMs: 0 });
          }
          if (isTerminal(task.status) && !this.finished && task.status !== 'rejected') {
            const live = await em.find(Release, { project: task.project, isCurrent: true }, { populate: ['server'] });
            this.emit({
              type: 'task.finished',
              status: task.status as 'success' | 'failed' | 'cancelled' | 'interrupted',
              releaseId: task.releaseId ?? null,
              commit: task.commit ?? null,
              durationMs: task.startedAt && task.finishedAt ? task.finishedAt.getTime() - task.startedAt.getTime() : 0,
              ...(task.error ? { error: task.error } : {}),
              hosts: rows.map((r) => ({ name: r.serverName, release: live.find((l) => l.server.name === r.serverName)?.releaseId ?? null, failed: r.status === 'failed' })),
            });
            return;
          }
        } else if (task && isTerminal(task.status) && !mine) {
          // Ended without ever running (cancelled or rejected while it waited).
          this.emit({ type: 'task.finished', status: task.status === 'cancelled' ? 'cancelled' : 'failed', releaseId: null, commit: null, durationMs: 0, ...(task.error || task.rejectReason ? { error: task.error ?? `rejected: ${task.rejectReason}` } : {}), hosts: [] });
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollMs ?? 500);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    } finally {
      off();
    }
  }

  private emit(body: Record<string, unknown>): void {
    this.runtime.events.emit({ ...body, taskId: this.taskId, at: new Date() } as PipelineEvent);
  }
}
