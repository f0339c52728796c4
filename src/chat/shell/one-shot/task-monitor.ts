import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskView } from '../../../core/views.js';
import { errorMessage } from '../../../errors.js';
import type { PipelineEvent } from '../../../pipeline/events.js';
import type { TaskOutcome } from '../../../pipeline/flows/task-runner.js';
import { renderFlowPng } from '../../../render/index.js';
import type { Runtime } from '../../../runtime.js';
import { TaskProgress } from '../../task-progress.js';
import { ProgressLines } from '../output/progress-lines.js';
import type { Style } from '../output/style.js';

export interface WatchResult {
  outcome: TaskOutcome;
  /** The task as it ended (static fields from the database, the rest from its events). */
  task: TaskView;
  /** `<dataDir>/snapshots/task-<id>.png`, when it could be written. */
  snapshotPath?: string;
}

export interface TaskMonitorOptions {
  print(text: string): void;
  style: Style;
  /** Where flow snapshots go (`<dataDir>/snapshots`). */
  snapshotsDir: string;
  detailLimit?: number;
}

interface Watch {
  progress: TaskProgress;
  lines: ProgressLines;
  view: Promise<TaskView | undefined>;
  result: Promise<WatchResult>;
  resolve(result: WatchResult): void;
  finished: boolean;
}

/**
 * Follows every task this process runs and prints its progress (ProgressLines), so a deploy
 * started by one command, approved by `as bob approve 12`, or queued behind another shows up
 * whoever set it going. At the end it saves the flow snapshot PNG and prints where.
 */
export class TaskMonitor {
  private readonly watches = new Map<number, Watch>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: TaskMonitorOptions,
  ) {}

  start(): void {
    this.unsubscribe ??= this.runtime.events.on((event) => this.onEvent(event));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Resolves when the task finishes (it may not have started yet: queued behind another task). */
  watch(taskId: number): Promise<WatchResult> {
    return this.ensure(taskId).result;
  }

  /** Tasks seen starting (or awaited) that have not finished. */
  active(): number[] {
    return [...this.watches.entries()].filter(([, w]) => !w.finished).map(([id]) => id);
  }

  /** Waits until every task being followed has finished and its snapshot is written. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.watches.values()].filter((w) => !w.finished);
      if (pending.length === 0) return;
      await Promise.all(pending.map((w) => w.result));
    }
  }

  private ensure(taskId: number, started?: Extract<PipelineEvent, { type: 'task.started' }>): Watch {
    const existing = this.watches.get(taskId);
    if (existing) return existing;
    let resolve!: (r: WatchResult) => void;
    const result = new Promise<WatchResult>((r) => (resolve = r));
    const watch: Watch = {
      progress: new TaskProgress(placeholderView(taskId, started), started?.hosts ?? []),
      lines: new ProgressLines(taskId, { style: this.options.style, detailLimit: this.options.detailLimit }),
      view: this.runtime.app.withServices((s) => s.tasks.show(taskId)).catch(() => undefined),
      result,
      resolve,
      finished: false,
    };
    this.watches.set(taskId, watch);
    return watch;
  }

  private onEvent(event: PipelineEvent): void {
    const watch = this.ensure(event.taskId, event.type === 'task.started' ? event : undefined);
    if (watch.finished) return;
    if (event.type === 'task.started') {
      Object.assign(watch.progress.task, { kind: event.kind, project: event.project, ref: event.ref, releaseId: event.releaseId });
    }
    watch.progress.apply(event);
    for (const line of watch.lines.lines(event, watch.progress)) this.options.print(line);
    if (event.type === 'task.finished') {
      watch.finished = true;
      void this.finish(watch, event);
    }
  }

  private async finish(watch: Watch, outcome: TaskOutcome): Promise<void> {
    const stored = await watch.view;
    const task = watch.progress.task;
    if (stored) {
      // Who asked and approved, the environment…: what the events do not carry.
      Object.assign(task, { environment: stored.environment, requestedBy: stored.requestedBy, approvedBy: stored.approvedBy, approvedAt: stored.approvedAt, scheduledAt: stored.scheduledAt, createdAt: stored.createdAt, hooks: stored.hooks, kind: stored.kind, project: stored.project, ref: stored.ref });
    }
    this.options.print(watch.lines.result(outcome, watch.progress));
    let snapshotPath: string | undefined;
    try {
      snapshotPath = join(this.options.snapshotsDir, `task-${outcome.taskId}.png`);
      await mkdir(this.options.snapshotsDir, { recursive: true });
      await writeFile(snapshotPath, renderFlowPng(watch.progress.snapshot(outcome.at)));
      this.options.print(`${watch.lines.prefix} flow snapshot: ${snapshotPath}`);
    } catch (err) {
      snapshotPath = undefined;
      this.options.print(`${watch.lines.prefix} could not save the flow snapshot: ${errorMessage(err)}`);
    }
    watch.resolve({ outcome, task: { ...task }, ...(snapshotPath ? { snapshotPath } : {}) });
  }
}

/** What a task looks like before its row is read: enough for progress lines and the snapshot. */
function placeholderView(taskId: number, started?: Extract<PipelineEvent, { type: 'task.started' }>): TaskView {
  const none = '';
  return {
    id: taskId,
    project: started?.project ?? '?',
    environment: 'test',
    kind: started?.kind ?? 'deploy',
    ref: started?.ref ?? '',
    commit: null,
    status: 'approved',
    requestedBy: '?',
    approvedBy: null,
    approvedAt: null,
    rejectedBy: null,
    rejectReason: null,
    cancelledBy: null,
    scheduledAt: null,
    startedAt: null,
    finishedAt: null,
    releaseId: started?.releaseId ?? null,
    error: null,
    hooks: { before_download: none, after_download: none, before_deploy: none, after_deploy: none },
    slack: null,
    createdAt: started?.at ?? new Date(),
  };
}
