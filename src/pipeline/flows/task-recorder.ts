import type { EntityManager } from '@mikro-orm/core';
import { transitionTask } from '../../core/task-status.js';
import { AuditEvent, DeployTask, Release, Server, TaskHost, type TaskStatus } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import type { HostStage, StageState } from '../stages.js';

/** How often lastProgressAt is written at most: the reaper needs minutes, not milliseconds. */
const PROGRESS_WRITE_INTERVAL_MS = 5_000;

/**
 * Persists a running task as it goes, so a restarted bot can tell where every server stands.
 * Owns one EntityManager fork; writes are serialised through a queue because hosts progress in
 * parallel and an EntityManager must not flush concurrently.
 */
export class TaskRecorder {
  private readonly em: EntityManager;
  private queue: Promise<unknown> = Promise.resolve();
  private task!: DeployTask;
  private readonly hosts = new Map<string, TaskHost>();
  private lastProgressWrite = 0;

  constructor(
    orm: Orm,
    private readonly taskId: number,
  ) {
    this.em = orm.em.fork();
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Marks the task running and creates one TaskHost row per server. */
  start(hosts: { serverId: number; name: string }[], at = new Date()): Promise<DeployTask> {
    return this.enqueue(async () => {
      this.task = await this.em.findOneOrFail(DeployTask, { id: this.taskId }, { populate: ['project'] });
      // Normally the coordinator has claimed the task already (approved → running, atomically).
      if (this.task.status !== 'running') transitionTask(this.task, 'running', at);
      this.task.error = null;
      for (const h of hosts) {
        const row = this.em.create(TaskHost, {
          task: this.task,
          server: this.em.getReference(Server, h.serverId),
          serverName: h.name,
          status: 'waiting',
          stages: {},
          output: '',
        });
        this.hosts.set(h.name, row);
      }
      await this.em.flush();
      return this.task;
    });
  }

  setCommit(commit: string, releaseId: string | null): Promise<void> {
    return this.enqueue(async () => {
      this.task.commit = commit;
      if (releaseId) this.task.releaseId = releaseId;
      await this.em.flush();
    });
  }

  hostStage(
    host: string,
    stage: HostStage,
    state: StageState,
    extra: { durationMs?: number; exitCode?: number | null; output?: string; error?: string } = {},
    at = new Date(),
  ): Promise<void> {
    return this.enqueue(async () => {
      const row = this.hosts.get(host);
      if (!row) return;
      const timing = { ...(row.stages[stage] ?? { state }) };
      timing.state = state;
      if (state === 'running') timing.startedAt = at.toISOString();
      else timing.finishedAt = at.toISOString();
      if (extra.durationMs !== undefined) timing.durationMs = extra.durationMs;
      row.stages = { ...row.stages, [stage]: timing };
      if (state === 'skipped' && row.status === 'failed') {
        // A later stage skipped because this host failed must not hide where and how it failed.
      } else if (state === 'skipped' && stage === 'after_deploy' && row.stages.switch?.state === 'done') {
        // No after_deploy script: a host that switched is done.
        row.stage = stage;
        row.status = 'done';
        row.finishedAt = at;
      } else {
        row.stage = stage;
        row.status = state;
      }
      row.startedAt ??= at;
      if (state === 'failed' || (state === 'done' && stage === 'after_deploy')) row.finishedAt = at;
      if (extra.exitCode !== undefined) row.exitCode = extra.exitCode;
      if (extra.output !== undefined) row.output = extra.output.slice(-8000);
      if (extra.error !== undefined) row.error = extra.error;
      this.task.lastProgressAt = at;
      await this.em.flush();
    });
  }

  setPreviousRelease(host: string, release: string | null): Promise<void> {
    return this.enqueue(async () => {
      const row = this.hosts.get(host);
      if (row) row.previousRelease = release;
      await this.em.flush();
    });
  }

  /** Records a release directory that now exists on a server (not yet live). */
  addRelease(serverId: number, releaseId: string, commit: string, path: string): Promise<void> {
    return this.enqueue(async () => {
      const existing = await this.em.findOne(Release, { project: this.task.project, server: serverId, releaseId });
      if (!existing) {
        this.em.create(Release, { project: this.task.project, server: this.em.getReference(Server, serverId), releaseId, commit, path, taskId: this.taskId, isCurrent: false, createdAt: new Date() });
      }
      await this.em.flush();
    });
  }

  /** `current` on this server now points at releaseId (null: at nothing we know). */
  markCurrent(serverId: number, releaseId: string | null): Promise<void> {
    return this.enqueue(async () => {
      const rows = await this.em.find(Release, { project: this.task.project, server: serverId });
      for (const r of rows) r.isCurrent = r.releaseId === releaseId;
      await this.em.flush();
    });
  }

  forgetReleases(serverId: number, releaseIds: readonly string[]): Promise<void> {
    return this.enqueue(async () => {
      if (releaseIds.length === 0) return;
      await this.em.nativeDelete(Release, { project: this.task.project, server: serverId, releaseId: { $in: [...releaseIds] } });
    });
  }

  /** The commit a release was built from, as recorded when it was uploaded. */
  releaseCommit(releaseId: string): Promise<string | null> {
    return this.enqueue(async () => {
      const row = await this.em.findOne(Release, { project: this.task.project, releaseId });
      return row?.commit ?? null;
    });
  }

  /** Trust on first use: the first successful connection's host key becomes the pinned one. */
  pinHostKey(serverId: number, name: string, fingerprint: string): Promise<void> {
    return this.enqueue(async () => {
      const server = await this.em.findOne(Server, { id: serverId });
      if (!server || server.hostKeyFingerprint) return;
      server.hostKeyFingerprint = fingerprint;
      this.em.create(AuditEvent, { actor: 'deploybot', action: 'server.host_key.pin', target: `server:${name}`, details: { fingerprint, taskId: this.taskId }, createdAt: new Date() });
      await this.em.flush();
    });
  }

  /** Notes that the task is alive (upload bytes flowing, hook output); written at most every few seconds. */
  touch(at = new Date()): void {
    if (at.getTime() - this.lastProgressWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    this.lastProgressWrite = at.getTime();
    void this.enqueue(async () => {
      this.task.lastProgressAt = at;
      await this.em.flush();
    }).catch(() => undefined);
  }

  finish(status: Extract<TaskStatus, 'success' | 'failed' | 'cancelled'>, error: string | null, at = new Date()): Promise<void> {
    return this.enqueue(async () => {
      for (const row of this.hosts.values()) {
        if (row.status === 'running') {
          row.status = status === 'cancelled' ? 'skipped' : 'failed';
          row.finishedAt = at;
        }
      }
      this.task.error = error;
      transitionTask(this.task, status, at);
      await this.em.flush();
    });
  }
}
