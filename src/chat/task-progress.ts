import type { ChangeSummary } from '../core/tasks/change-summary.js';
import type { QueueState, TaskView } from '../core/views.js';
import type { TaskHost } from '../db/entities/index.js';
import type { PipelineEvent } from '../pipeline/events.js';
import { HOST_STAGES, TASK_STAGES, type HostStage, type StageState, type TaskStage } from '../pipeline/stages.js';
import type { FlowSnapshot, FlowStatus, StageView } from '../render/flow-model.js';
import { shortSha } from '../commands/replies/formatting.js';

interface LiveStage extends StageView {
  startedAt?: number;
}

export interface HostProgress {
  name: string;
  stages: Record<HostStage, LiveStage>;
  error?: string;
  failedStage?: HostStage;
  exitCode?: number | null;
  outputTail?: string;
  bytes?: number;
  totalBytes?: number;
  rolledBack?: boolean;
  /** Where its copy comes (came) from: `bot` or a server's name. */
  source?: string;
  /** Recent receive rate while uploading; the copy's average rate once done. */
  bytesPerSec?: number;
  /** When the current source was attached, and from which offset (for the average rate). */
  sourceSince?: number;
  sourceOffset?: number;
}

const waitingStages = <S extends string>(names: readonly S[]): Record<S, LiveStage> =>
  Object.fromEntries(names.map((n) => [n, { state: 'waiting' as StageState }])) as Record<S, LiveStage>;

/**
 * Where one task stands, folded from pipeline events (live) or seeded from the database (a task
 * the process did not watch, e.g. after a restart). Presenters (Slack message, flow snapshot,
 * shell) read it; it decides nothing.
 */
export class TaskProgress {
  task: TaskView;
  readonly taskStages: Record<TaskStage, LiveStage> = waitingStages(TASK_STAGES);
  readonly hosts = new Map<string, HostProgress>();
  done: LiveStage = { state: 'waiting' };
  finished = false;
  /** What the deploy changes, per group of servers (shown before and during the deploy). */
  changes?: ChangeSummary;
  /** The fleet-wide switch, once it happened: how many servers switched and its skew. */
  fleetSwitch?: { servers: number; of: number; skewMs: number };
  /** How the upload stage distributes the package (once it started). */
  distribution?: 'direct' | 'relay';
  /** For a queued task: its place in the project's queue and the task it waits for. */
  queue?: QueueState | null;
  /** The ref each release id shown was deployed from (rollback targets, the result). */
  releaseRefs?: ReadonlyMap<string, string>;
  /**
   * Canary first: the servers that go live first, and where the deploy stands with them (a prod
   * deploy waits for a Promote once they passed). restUntil: when the rest follows, once promoted.
   */
  canary?: { hosts: string[]; state: 'running' | 'awaiting_promotion' | 'promoted' | 'passed'; restUntil?: number };

  constructor(task: TaskView, hostNames: readonly string[] = []) {
    this.task = { ...task };
    for (const name of hostNames) this.addHost(name);
  }

  /** A task seen only in the database: its stored host rows give the per-server stages. */
  static fromRecords(task: TaskView, rows: readonly TaskHost[]): TaskProgress {
    const progress = new TaskProgress(task, rows.map((r) => r.serverName));
    for (const row of rows) {
      const host = progress.hosts.get(row.serverName)!;
      for (const stage of HOST_STAGES) {
        const t = row.stages[stage];
        if (t) host.stages[stage] = { state: t.state, durationMs: t.durationMs };
      }
      if (row.status === 'failed') {
        host.error = row.error ?? undefined;
        host.failedStage = row.stage ?? undefined;
        host.exitCode = row.exitCode;
        host.outputTail = row.output;
      }
    }
    // The fleet-wide switch's skew, from when each server's switch was recorded done.
    const switchedAt = rows.map((r) => r.stages.switch).filter((t) => t?.state === 'done' && t.finishedAt).map((t) => Date.parse(t!.finishedAt!));
    if (switchedAt.length) progress.fleetSwitch = { servers: switchedAt.length, of: rows.length, skewMs: Math.max(...switchedAt) - Math.min(...switchedAt) };
    // A prod canary that passed (seen only in the database): it waits for its Promote, or had it.
    if (task.canaryPassedAt && task.status === 'running') {
      const hosts = rows.filter((r) => r.stages.switch?.state === 'done').map((r) => r.serverName);
      progress.canary = { hosts, state: task.promotedBy ? 'promoted' : 'awaiting_promotion' };
    }
    const started = task.status !== 'pending' && task.status !== 'awaiting_approval' && task.status !== 'approved' && task.status !== 'scheduled' && task.status !== 'rejected';
    if (started) for (const stage of TASK_STAGES) progress.taskStages[stage] = { state: task.commit || stage === 'start' ? 'done' : 'skipped' };
    if (task.finishedAt) {
      progress.finished = true;
      progress.done = { state: task.status === 'success' ? 'done' : task.status === 'failed' || task.status === 'interrupted' ? 'failed' : 'skipped' };
    }
    return progress;
  }

  private addHost(name: string): HostProgress {
    const host: HostProgress = { name, stages: waitingStages(HOST_STAGES) };
    this.hosts.set(name, host);
    return host;
  }

  /** Folds one event in; returns whether anything a presenter shows has changed. */
  apply(event: PipelineEvent): boolean {
    const at = event.at.getTime();
    switch (event.type) {
      case 'task.started':
        this.task.status = 'running';
        this.task.startedAt = event.at;
        for (const name of event.hosts) if (!this.hosts.has(name)) this.addHost(name);
        return true;
      case 'commit.resolved':
        this.task.commit = event.commit;
        return true;
      case 'stage.started':
        this.taskStages[event.stage] = { state: 'running', startedAt: at };
        return true;
      case 'stage.finished':
        this.taskStages[event.stage] = { state: event.state, durationMs: event.durationMs };
        return true;
      case 'host.stage.started': {
        const host = this.hosts.get(event.host) ?? this.addHost(event.host);
        host.stages[event.stage] = { state: 'running', startedAt: at };
        return true;
      }
      case 'host.stage.finished': {
        const host = this.hosts.get(event.host) ?? this.addHost(event.host);
        host.stages[event.stage] = { state: event.state, durationMs: event.durationMs };
        if (event.state === 'failed') {
          host.error = event.error;
          host.failedStage = event.stage;
          host.exitCode = event.exitCode;
          host.outputTail = event.outputTail;
        }
        return true;
      }
      case 'progress': {
        const host = this.hosts.get(event.host);
        if (!host) return false;
        host.bytes = event.bytes;
        host.totalBytes = event.totalBytes;
        if (event.bytesPerSec !== undefined) host.bytesPerSec = event.bytesPerSec;
        // The copy is whole: keep its average rate from its last source, the figure worth showing.
        if (event.bytes >= event.totalBytes && host.sourceSince !== undefined && at > host.sourceSince) {
          host.bytesPerSec = ((event.bytes - (host.sourceOffset ?? 0)) * 1000) / (at - host.sourceSince);
        }
        return false; // bytes alone do not justify a Slack update; stage changes do
      }
      case 'fleet.switched':
        this.fleetSwitch = { servers: event.servers, of: event.of, skewMs: event.skewMs };
        return true;
      case 'distribution.started':
        this.distribution = event.strategy;
        return true;
      case 'host.source': {
        const host = this.hosts.get(event.host) ?? this.addHost(event.host);
        const changed = host.source !== event.source;
        host.source = event.source;
        host.sourceSince = at;
        host.sourceOffset = event.offset;
        return changed;
      }
      case 'distribution.note':
        return false;
      case 'canary.started':
        this.canary = { hosts: [...event.hosts], state: 'running' };
        return true;
      case 'canary.awaiting_promotion':
        this.canary = { hosts: [...event.hosts], state: 'awaiting_promotion' };
        this.task.canaryPassedAt = event.at;
        return true;
      case 'canary.promoted':
        this.canary = { hosts: [...event.hosts], state: 'promoted', restUntil: at + event.restInMs };
        this.task.promotedBy = event.by;
        this.task.promotedAt = event.at;
        this.task.promoteReason = event.reason;
        return true;
      case 'canary.passed':
        this.canary = { hosts: [...event.hosts], state: 'passed' };
        return true;
      case 'host.rolled_back': {
        const host = this.hosts.get(event.host);
        if (host) host.rolledBack = true;
        return true;
      }
      case 'task.finished':
        this.finished = true;
        this.task.status = event.status;
        this.task.error = event.error ?? null;
        this.task.finishedAt = event.at;
        if (event.releaseId) this.task.releaseId = event.releaseId;
        if (event.commit) this.task.commit = event.commit;
        this.done = { state: event.status === 'success' ? 'done' : event.status === 'failed' || event.status === 'interrupted' ? 'failed' : 'skipped', durationMs: event.durationMs };
        // Stages that never ran are shown as skipped, not as still waiting.
        for (const stage of TASK_STAGES) if (this.taskStages[stage].state === 'waiting' || this.taskStages[stage].state === 'running') this.taskStages[stage] = { state: 'skipped' };
        for (const host of this.hosts.values()) for (const stage of HOST_STAGES) if (host.stages[stage].state === 'waiting' || host.stages[stage].state === 'running') host.stages[stage] = { state: 'skipped' };
        return true;
      case 'output':
      case 'host.key.pinned':
        return false;
    }
  }

  /**
   * A running prod deploy whose canary passed and that nobody promoted yet (nor asked to cancel):
   * what the Promote button and the "waiting for an approver" line show.
   */
  get awaitingPromotion(): boolean {
    const t = this.task;
    if (t.status !== 'running' || t.promotedBy || t.cancelledBy) return false;
    return this.canary ? this.canary.state === 'awaiting_promotion' : Boolean(t.canaryPassedAt);
  }

  /**
   * Where the canary stands, in words (null: no canary, or nothing to say any more):
   * "canary healthy on web-1; waiting for an approver to Promote", "… promoted by @bob: the rest follows".
   */
  canaryWords(now: Date = new Date(), who: (id: string) => string = (id) => `@${id}`): string | null {
    const c = this.canary;
    const t = this.task;
    if (!c || t.status !== 'running' || c.state === 'running' || c.state === 'passed') return null;
    const on = c.hosts.length ? ` on ${c.hosts.length > 3 ? `${c.hosts.slice(0, 3).join(', ')} and ${c.hosts.length - 3} more` : c.hosts.join(', ')}` : '';
    if (c.state === 'awaiting_promotion') {
      if (t.cancelledBy) return `canary healthy${on}; being cancelled: it switches back`;
      return `canary healthy${on}; waiting for an approver to Promote`;
    }
    const left = c.restUntil !== undefined ? c.restUntil - now.getTime() : 0;
    const by = t.promotedBy ? ` by ${who(t.promotedBy)}` : '';
    return `canary healthy${on}; promoted${by}: the rest follows${left > 1000 ? ` in ${Math.ceil(left / 1000)} s (canary_wait)` : ''}`;
  }

  /** How many servers are past / at / failed in a host stage: "upload 14/20". */
  stageCounts(stage: HostStage): { done: number; running: number; failed: number; total: number } {
    let done = 0;
    let running = 0;
    let failed = 0;
    for (const host of this.hosts.values()) {
      const s = host.stages[stage].state;
      if (s === 'done') done++;
      else if (s === 'running') running++;
      else if (s === 'failed') failed++;
    }
    return { done, running, failed, total: this.hosts.size };
  }

  failedHosts(): HostProgress[] {
    return [...this.hosts.values()].filter((h) => h.failedStage);
  }

  /** The picture's model; running stages show the time spent so far. */
  snapshot(now: Date = new Date()): FlowSnapshot {
    const live = (s: LiveStage): StageView => ({ state: s.state, durationMs: s.state === 'running' && s.startedAt ? now.getTime() - s.startedAt : s.durationMs });
    const t = this.task;
    const what = t.kind === 'rollback' ? `rollback #${t.id} · ${t.project}${t.releaseId ? ` → ${t.releaseId}` : ''}` : `deploy #${t.id} · ${t.project} ${t.ref}`;
    const who = [`requested by @${t.requestedBy}`, t.approvedBy ? `approved by @${t.approvedBy}` : ''].filter(Boolean).join(' · ');
    return {
      title: `${what} → ${t.environment}`,
      subtitle: [t.commit ? `commit ${shortSha(t.commit)}` : '', who].filter(Boolean).join(' · '),
      status: flowStatus(t.status),
      taskStages: Object.fromEntries(TASK_STAGES.map((s) => [s, live(this.taskStages[s])])) as Record<TaskStage, StageView>,
      taskError: this.failedHosts().length === 0 ? (t.error ?? undefined) : undefined,
      hosts: [...this.hosts.values()].map((h) => ({
        name: h.name,
        stages: Object.fromEntries(HOST_STAGES.map((s) => [s, live(h.stages[s])])) as Record<HostStage, StageView>,
        ...(h.error ? { error: `${h.failedStage ? `${h.failedStage}: ` : ''}${h.error}` } : {}),
        ...(h.source ? { source: h.source } : {}),
        ...(h.bytesPerSec !== undefined ? { bytesPerSec: h.bytesPerSec } : {}),
      })),
      ...(this.distribution ? { distribution: this.distribution } : {}),
      done: live(this.done),
      ...(this.fleetSwitch ? { fleetSwitch: this.fleetSwitch } : {}),
      generatedAt: now,
    };
  }
}

function flowStatus(status: TaskView['status']): FlowStatus {
  switch (status) {
    case 'awaiting_approval':
      return 'awaiting_approval';
    case 'running':
      return 'running';
    case 'success':
      return 'success';
    case 'failed':
    case 'interrupted':
      return 'failed';
    case 'cancelled':
    case 'rejected':
      return 'cancelled';
    default:
      return 'pending';
  }
}
