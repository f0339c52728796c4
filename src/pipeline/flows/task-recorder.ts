import type { TaskStatus } from '../../db/entities/index.js';
import type { Logger } from '../../log.js';
import type { HostRecord, RunRecords, SwitchKind } from '../../store/run-records.js';
import { LeaseLost, withStoreRetry } from '../../store/store-errors.js';
import type { HostStage, StageState } from '../stages.js';

/** How often lastProgressAt is written at most: the reaper needs minutes, not milliseconds. */
const PROGRESS_WRITE_INTERVAL_MS = 5_000;
/** Pauses between attempts of one write while the store is healthy. */
const WRITE_RETRY_DELAYS_MS = [100, 400, 1000, 2000];

export interface RecorderOptions {
  log: Logger;
  /** Called once when a write finds the task owned by another process (fenced out). */
  onLeaseLost(): void;
  /** How long the final write keeps trying before leaving the truth to recovery. */
  finishPatienceMs: number;
}

/**
 * Persists a running task as it goes, so any process can tell where every server stands. The
 * runner decides from its own memory (HostRun), never from what it could write: a store that is
 * busy or down never splits the fleet. Writes are serialised (hosts progress in parallel); one that
 * still fails after retries waits in a backlog, replayed in order before the next write and, with
 * patience, before the final one. A write refused by the fence (LeaseLost) stops all writing and
 * tells the runner, which stops at its next safe point.
 */
export class TaskRecorder {
  /** The last store error not yet overcome (writes are in the backlog); null when all is written. */
  storeTrouble: string | null = null;
  lost = false;
  /** What the task ships, as known to the runner (written to the store as it becomes known). */
  commit: string | null = null;
  releaseId: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly backlog = new Map<string, () => Promise<void>>();
  private readonly rows = new Map<string, HostRecord>();
  private lastProgressWrite = 0;
  private seq = 0;

  constructor(
    private readonly records: RunRecords,
    private readonly options: RecorderOptions,
  ) {}

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Queues a write. `key` lets a later write of the same thing (a host's row) replace an earlier
   * one still in the backlog; writes with distinct keys replay in order.
   */
  private write(key: string | null, op: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      if (this.lost) return;
      const id = key ?? `#${++this.seq}`;
      if (this.backlog.size > 0) {
        this.backlog.delete(id);
        this.backlog.set(id, op);
        await this.drain([]);
        return;
      }
      try {
        await withStoreRetry(op, WRITE_RETRY_DELAYS_MS);
      } catch (err) {
        this.failed(err, id, op);
      }
    });
  }

  /** Replays the backlog in order; stops at the first failure (and keeps the rest). */
  private async drain(delays: readonly number[]): Promise<boolean> {
    for (const [id, op] of [...this.backlog]) {
      try {
        await withStoreRetry(op, delays);
        this.backlog.delete(id);
      } catch (err) {
        this.failed(err, id, op);
        return false;
      }
    }
    this.storeTrouble = null;
    return true;
  }

  private failed(err: unknown, id: string, op: () => Promise<void>): void {
    if (err instanceof LeaseLost) {
      this.backlog.clear();
      if (!this.lost) {
        this.lost = true;
        this.options.onLeaseLost();
      }
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (!this.storeTrouble) this.options.log.warn('task record could not be written; the runner goes on from its own record', { taskId: this.records.taskId, error: message });
    this.storeTrouble = message;
    if (!this.backlog.has(id)) this.backlog.set(id, op);
  }

  /** Creates one TaskHost row per server. Throws if even that cannot be written: nothing has started. */
  start(hosts: { serverId: number; name: string }[]): Promise<{ releaseId: string | null; commit: string | null }> {
    return this.enqueue(async () => {
      const started = await withStoreRetry(() => this.records.start(hosts), WRITE_RETRY_DELAYS_MS);
      for (const row of started.rows) this.rows.set(row.name, row);
      this.commit = started.commit;
      this.releaseId = started.releaseId;
      return { releaseId: started.releaseId, commit: started.commit };
    });
  }

  setCommit(commit: string, releaseId: string | null): Promise<void> {
    this.commit = commit;
    if (releaseId) this.releaseId = releaseId;
    return this.write('commit', () => this.records.setCommit(commit, releaseId));
  }

  hostStage(
    host: string,
    stage: HostStage,
    state: StageState,
    extra: { durationMs?: number; exitCode?: number | null; output?: string; error?: string } = {},
    at = new Date(),
  ): Promise<void> {
    const row = this.rows.get(host);
    if (!row) return Promise.resolve();
    const timing = { ...(row.stages[stage] ?? { state }) };
    timing.state = state;
    if (state === 'running') timing.startedAt = at.toISOString();
    else timing.finishedAt = at.toISOString();
    if (extra.durationMs !== undefined) timing.durationMs = extra.durationMs;
    row.stages = { ...row.stages, [stage]: timing };
    if (state === 'skipped' && row.status === 'failed') {
      // A later stage skipped because this host failed must not hide where and how it failed.
    } else if (state === 'skipped' && (stage === 'after_deploy' || stage === 'health') && row.stages.switch?.state === 'done') {
      // No after_deploy script (or no health check): a host that switched is done.
      row.stage = stage;
      row.status = 'done';
      row.finishedAt = at;
    } else {
      row.stage = stage;
      row.status = state;
    }
    row.startedAt ??= at;
    if (state === 'failed' || (state === 'done' && (stage === 'after_deploy' || stage === 'health'))) row.finishedAt = at;
    if (extra.exitCode !== undefined) row.exitCode = extra.exitCode;
    if (extra.output !== undefined) row.output = extra.output.slice(-8000);
    if (extra.error !== undefined) row.error = extra.error;
    return this.writeRow(row, at);
  }

  private writeRow(row: HostRecord, at: Date): Promise<void> {
    const copy = { ...row, stages: { ...row.stages } };
    return this.write(`host:${row.name}`, () => this.records.writeHost(copy, at));
  }

  /** Marks a host failed with a note, outside any stage (a switch-back that failed on it). */
  hostNote(host: string, error: string, at = new Date()): Promise<void> {
    const row = this.rows.get(host);
    if (!row) return Promise.resolve();
    row.status = 'failed';
    row.error = row.error ? `${row.error}; ${error}` : error;
    row.finishedAt = at;
    return this.writeRow(row, at);
  }

  setPreviousRelease(host: string, release: string | null): Promise<void> {
    const row = this.rows.get(host);
    if (!row) return Promise.resolve();
    row.previousRelease = release;
    return this.writeRow(row, new Date());
  }

  /** Records a release directory that now exists on a server (not yet live). */
  addRelease(serverId: number, releaseId: string, commit: string, path: string): Promise<void> {
    return this.write(null, () => this.records.addRelease(serverId, releaseId, commit, path));
  }

  /** `current` on this server now points at releaseId (null: at nothing we know). */
  markCurrent(serverId: number, releaseId: string | null, kind: SwitchKind): Promise<void> {
    return this.write(null, () => this.records.markCurrent(serverId, releaseId, kind));
  }

  forgetReleases(serverId: number, releaseIds: readonly string[]): Promise<void> {
    return this.write(null, () => this.records.forgetReleases(serverId, releaseIds));
  }

  /** Releases cleanup must keep (live anywhere, rollback targets); null when the store cannot say. */
  protectedReleases(): Promise<string[] | null> {
    return this.enqueue(() => withStoreRetry(() => this.records.protectedReleases()).catch(() => null));
  }

  /** The commit a release was built from, as recorded when it was uploaded. */
  releaseCommit(releaseId: string): Promise<string | null> {
    return this.enqueue(() => withStoreRetry(() => this.records.releaseCommit(releaseId)).catch(() => null));
  }

  pinHostKey(serverId: number, name: string, fingerprint: string): Promise<void> {
    return this.write(null, () => this.records.pinHostKey(serverId, name, fingerprint));
  }

  /** The canary passed: from now on the task waits for a Promote, and the store must say so. */
  canaryPassed(at = new Date()): Promise<void> {
    return this.write('canary', () => this.records.markCanaryPassed(at));
  }

  /** Notes that the task is alive (upload bytes flowing, hook output); written at most every few seconds. */
  touch(at = new Date()): void {
    if (at.getTime() - this.lastProgressWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    this.lastProgressWrite = at.getTime();
    void this.write('touch', () => this.records.touch(at));
  }

  /**
   * Writes the end: the backlog first (patiently: the store may be coming back), then every host
   * row and the final status. Returns false when it could not: the task then stays `running` with
   * a lease nobody renews, and whichever process recovers it reads the servers and records the truth.
   */
  finish(status: Extract<TaskStatus, 'success' | 'failed' | 'cancelled'>, error: string | null, at = new Date()): Promise<boolean> {
    return this.enqueue(async () => {
      if (this.lost) return false;
      for (const row of this.rows.values()) {
        if (row.status === 'running') {
          row.status = status === 'cancelled' ? 'skipped' : 'failed';
          row.finishedAt = at;
        }
      }
      const deadline = Date.now() + this.options.finishPatienceMs;
      const final = async () => this.records.finish(status, error, [...this.rows.values()], at);
      for (;;) {
        try {
          if (this.backlog.size === 0 || (await this.drain([200, 500]))) {
            await withStoreRetry(final, [200, 500, 1000]);
            return true;
          }
        } catch (err) {
          this.failed(err, 'finish', final);
          this.backlog.delete('finish');
        }
        if (this.lost) return false;
        if (Date.now() >= deadline) {
          this.options.log.error('could not record the end of a task; it will be recovered from the servers', { taskId: this.records.taskId, status, error: this.storeTrouble });
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    });
  }
}
