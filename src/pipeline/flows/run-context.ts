import type { Logger } from '../../log.js';
import type { Redactor } from '../../redact.js';
import type { DeployPlan, PlannedHost } from '../deploy-plan.js';
import type { PackageDistributor } from '../distribution/distributor.js';
import type { PipelineEvent, PipelineEvents } from '../events.js';
import type { GitMirrors } from '../git/git.js';
import type { HookResult } from '../hooks/hooks.js';
import type { HookSandbox } from '../hooks/sandbox/hook-sandbox.js';
import { HOST_STAGES, type HostStage, type TaskStage } from '../stages.js';
import { connectSsh, type SshConnection } from '../ssh/ssh.js';
import type { TaskRecorder } from './task-recorder.js';
import type { Orm } from '../../db/orm.js';
import { LeaseLost } from '../../store/store-errors.js';

export interface RunnerDeps {
  orm: Orm;
  dataDir: string;
  git: GitMirrors;
  events: PipelineEvents;
  log: Logger;
  redactor: Redactor;
  distributor: PackageDistributor;
  ssh: { connectTimeoutMs: number; keepaliveIntervalMs: number };
  hookTimeoutMs: number;
  /** Where local hooks run (default: bubblewrap if it works here, else local hooks are refused). */
  hookSandbox?: HookSandbox;
}

/** A stage failed: the message is for people (Slack, shell), already redacted. */
export class StageFailure extends Error {
  constructor(
    message: string,
    readonly host: string | null,
    readonly stage: TaskStage | HostStage,
    readonly exitCode: number | null = null,
    readonly outputTail = '',
  ) {
    super(message);
  }
}

/** The task was cancelled and reached a safe point. */
export class CancelledAtSafePoint extends Error {
  constructor() {
    super('cancelled');
  }
}

/** One server's state during a task. */
export class HostRun {
  conn: SshConnection | null = null;
  previous: string | null = null;
  releases: string[] = [];
  switched = false;
  /** Switched to the new release at some point in this task (even if switched back since). */
  everSwitched = false;
  /** Switching back to the previous release was needed and failed: this server serves the new one. */
  switchBackFailed = false;
  switchBackError: string | null = null;
  /** The switch command was sent (its answer may have been lost with the link). */
  switchAttempted = false;
  afterDeployStarted = false;
  /**
   * What `current` serves as last known: set by each switch and by every read-back after a
   * failure; undefined when the server could not be read (then it may serve either release).
   */
  serving: string | null | undefined = undefined;
  /** The host key seen at the first connection of this task: a reconnect must see the same. */
  pinnedFingerprint: string | null = null;
  failed = false;
  error: string | null = null;

  constructor(readonly planned: PlannedHost) {}

  get name(): string {
    return this.planned.target.name;
  }
}

type EventBody = PipelineEvent extends infer E ? (E extends PipelineEvent ? Omit<E, 'taskId' | 'at'> : never) : never;

export class RunContext {
  readonly hosts: HostRun[];
  /** First to last server switched, in the fleet-wide switch (null: no switch happened). */
  switchSkewMs: number | null = null;

  constructor(
    readonly plan: DeployPlan,
    readonly deps: RunnerDeps,
    readonly recorder: TaskRecorder,
    readonly signal: AbortSignal,
  ) {
    this.hosts = plan.hosts.map((h) => new HostRun(h));
  }

  emit(body: EventBody): void {
    this.deps.events.emit({ ...body, taskId: this.plan.taskId, at: new Date() } as PipelineEvent);
  }

  /** Throws at a safe point when the task was cancelled, stopped, or its lease was lost. */
  checkpoint(): void {
    if (this.signal.aborted) throw new CancelledAtSafePoint();
  }

  /** This process no longer owns the task: it must not switch anything more. */
  get fenced(): boolean {
    return this.recorder.lost || this.signal.reason instanceof LeaseLost;
  }

  /** Where the servers stand, in words, for a task's final error: never "none switched" when some did. */
  whereServersAre(): string {
    const onNew = this.hosts.filter((h) => h.switched);
    const back = this.hosts.filter((h) => h.everSwitched && !h.switched);
    if (onNew.length === 0 && back.length === 0) return 'stopped before any server was switched';
    const parts: string[] = [];
    if (onNew.length) parts.push(`${names(onNew)} serve${onNew.length === 1 ? 's' : ''} the new release`);
    if (back.length) parts.push(`${names(back)} switched back to ${back.length === 1 ? 'its' : 'their'} previous release`);
    const untouched = this.hosts.length - onNew.length - back.length;
    if (untouched) parts.push(`${untouched} other server${untouched === 1 ? '' : 's'} never switched`);
    return parts.join('; ');
  }

  /** Forwards a line of hook output to listeners and tells the recorder the task is alive. */
  outputListener(host: string | null, stage: TaskStage | HostStage) {
    return (stream: 'stdout' | 'stderr', line: string) => {
      this.emit({ type: 'output', host, stage, stream, line });
      this.recorder.touch();
    };
  }

  async taskStage<T>(stage: TaskStage, fn: () => Promise<T>): Promise<T> {
    this.checkpoint();
    const started = Date.now();
    this.emit({ type: 'stage.started', stage });
    try {
      const value = await fn();
      this.emit({ type: 'stage.finished', stage, state: 'done', durationMs: Date.now() - started });
      return value;
    } catch (err) {
      const failure = err instanceof StageFailure || err instanceof CancelledAtSafePoint ? err : new StageFailure(this.deps.redactor.redact(errorText(err)), null, stage);
      this.emit({ type: 'stage.finished', stage, state: this.signal.aborted ? 'skipped' : 'failed', durationMs: Date.now() - started, error: failure.message });
      throw failure;
    }
  }

  skipTaskStage(stage: TaskStage): void {
    this.emit({ type: 'stage.started', stage });
    this.emit({ type: 'stage.finished', stage, state: 'skipped', durationMs: 0 });
  }

  /** A local hook as a task stage: a non-zero exit fails the stage with the output tail. */
  async localHookStage(stage: TaskStage, run: () => Promise<HookResult>): Promise<void> {
    await this.taskStage(stage, async () => {
      const result = await run();
      if (!result.ok) throw new StageFailure(`${stage} hook ${result.error}`, null, stage, result.exitCode, result.outputTail);
    });
  }

  /**
   * Runs one stage on one server, recording it. Returns false (and marks the host failed) instead
   * of throwing, so the other servers carry on to the barrier.
   */
  async hostStage(host: HostRun, stage: HostStage, fn: () => Promise<HookResult | void>): Promise<boolean> {
    const started = Date.now();
    this.emit({ type: 'host.stage.started', host: host.name, stage });
    // The switch does not wait for its "running" row: writes are serialised, and waiting for
    // each would spread the fleet-wide rename over as many store round trips as servers.
    const running = this.recorder.hostStage(host.name, stage, 'running');
    if (stage !== 'switch') await running;
    let result: HookResult | void;
    try {
      result = await fn();
    } catch (err) {
      result = { ok: false, exitCode: null, outputTail: '', error: this.deps.redactor.redact(errorText(err)) };
    }
    const durationMs = Date.now() - started;
    if (!result || result.ok) {
      this.emit({ type: 'host.stage.finished', host: host.name, stage, state: 'done', durationMs, exitCode: result ? result.exitCode : undefined });
      await this.recorder.hostStage(host.name, stage, 'done', { durationMs, exitCode: result?.exitCode, output: result?.outputTail });
      return true;
    }
    const cancelled = this.signal.aborted && stage !== 'switch' && stage !== 'after_deploy' && stage !== 'health';
    host.failed = !cancelled;
    host.error = `${stage}: ${result.error ?? 'failed'}`;
    const state = cancelled ? 'skipped' : 'failed';
    this.emit({ type: 'host.stage.finished', host: host.name, stage, state, durationMs, exitCode: result.exitCode, error: result.error, outputTail: result.outputTail });
    await this.recorder.hostStage(host.name, stage, state, { durationMs, exitCode: result.exitCode, output: result.outputTail, error: result.error ?? 'failed' });
    return false;
  }

  skipHostStage(host: HostRun, stage: HostStage): void {
    this.emit({ type: 'host.stage.started', host: host.name, stage });
    this.emit({ type: 'host.stage.finished', host: host.name, stage, state: 'skipped', durationMs: 0 });
    void this.recorder.hostStage(host.name, stage, 'skipped');
  }

  /** Runs fn for each host, at most `limit` (default: the project's max parallel hosts) at once. */
  async eachHost(hosts: readonly HostRun[], fn: (host: HostRun) => Promise<void>, limit = this.plan.project.maxParallel): Promise<void> {
    const queue = [...hosts];
    const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let host = queue.shift(); host; host = queue.shift()) await fn(host);
    });
    await Promise.all(workers);
  }

  /**
   * Connects to every server before any work (one connection per server for the whole task).
   * Host keys: a pinned key must match; an unpinned one is pinned now (trust on first use).
   */
  async connectAll(): Promise<void> {
    await this.eachHost(this.hosts, async (host) => {
      try {
        host.conn = await connectSsh(host.planned.target, { ...this.deps.ssh, redactor: this.deps.redactor });
        host.pinnedFingerprint = host.conn.fingerprint;
        if (!host.planned.target.hostKeyFingerprint) {
          await this.recorder.pinHostKey(host.planned.serverId, host.name, host.conn.fingerprint);
          this.emit({ type: 'host.key.pinned', host: host.name, fingerprint: host.conn.fingerprint });
        }
      } catch (err) {
        host.failed = true;
        host.error = `connect: ${this.deps.redactor.redact(errorText(err))}`;
      }
    });
  }

  closeAll(): void {
    for (const host of this.hosts) host.conn?.close();
  }

  failedHosts(): HostRun[] {
    return this.hosts.filter((h) => h.failed);
  }
}

/**
 * The start stage of every task: connect to all servers, and if any cannot be reached, record
 * that on its row and stop before anything is changed anywhere.
 */
export async function connectOrFail(ctx: RunContext): Promise<void> {
  await ctx.connectAll();
  const unreachable = ctx.failedHosts();
  if (unreachable.length === 0) return;
  // The connect error as it was, before the host row's "upload: " prefix is put on it.
  const firstError = unreachable[0]!.error ?? 'cannot connect';
  for (const host of unreachable) {
    const error = host.error ?? 'cannot connect';
    await ctx.hostStage(host, 'upload', async () => ({ ok: false, exitCode: null, outputTail: '', error }));
  }
  for (const host of ctx.hosts) for (const stage of HOST_STAGES) if (!(host.failed && stage === 'upload')) ctx.skipHostStage(host, stage);
  const first = unreachable[0]!;
  throw new StageFailure(`cannot reach ${unreachable.map((h) => h.name).join(', ')} (${firstError}); no server was changed`, first.name, 'start');
}

function names(hosts: readonly HostRun[]): string {
  const shown = hosts.slice(0, 5).map((h) => h.name).join(', ');
  return hosts.length > 5 ? `${shown} and ${hosts.length - 5} more` : shown;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
