import type { EntityManager } from '@mikro-orm/core';
import { AuditEvent, DeployTask, Release, ReleaseHistory, Server, TaskHost, type TaskStatus } from '../db/entities/index.js';
import type { StageTiming } from '../db/entities/task-host.js';
import type { Orm } from '../db/orm.js';
import { popTo, pushRelease, undoTask } from './release-history-store.js';
import { LeaseLost } from './store-errors.js';
import { transitionWhere } from './task-store.js';

/** One server's row within a task, as the runner keeps it in memory and writes it whole. */
export interface HostRecord {
  id: number;
  serverId: number;
  name: string;
  stage: string | null;
  status: string;
  stages: Record<string, StageTiming>;
  startedAt: Date | null;
  finishedAt: Date | null;
  exitCode: number | null;
  output: string;
  error: string | null;
  previousRelease: string | null;
}

/** How a switch changes the server's release history. */
export type SwitchKind = 'deploy' | 'rollback' | 'revert';

/**
 * The runner's writes for one task, each in its own transaction that first proves this process
 * still owns the task: the fence is a conditional UPDATE of the task row naming the owner (it also
 * renews the lease). A process that lost the task gets LeaseLost and changes nothing. On
 * PostgreSQL the fence's row lock is held to the commit, so a takeover cannot slip in between.
 */
export class RunRecords {
  projectId = 0;

  constructor(
    private readonly orm: Orm,
    readonly taskId: number,
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  async fenced<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.orm.em.fork().transactional(async (em) => {
      const held = await em.nativeUpdate(DeployTask, { id: this.taskId, ownerId: this.owner, status: 'running' }, { leaseExpiresAt: new Date(Date.now() + this.leaseMs) });
      if (held !== 1) throw new LeaseLost(this.taskId);
      return fn(em);
    });
  }

  /** Creates one TaskHost row per server; returns the rows (with their ids) and the task's facts. */
  async start(hosts: readonly { serverId: number; name: string }[]): Promise<{ rows: HostRecord[]; releaseId: string | null; commit: string | null }> {
    return this.fenced(async (em) => {
      const task = await em.findOneOrFail(DeployTask, { id: this.taskId }, { fields: ['id', 'project', 'releaseId', 'commit'] });
      this.projectId = task.project.id;
      await em.nativeUpdate(DeployTask, { id: this.taskId }, { error: null });
      const rows: HostRecord[] = [];
      for (const h of hosts) {
        const id = (await em.insert(TaskHost, { task: this.taskId, server: h.serverId, serverName: h.name, status: 'waiting', stages: {}, output: '' } as never)) as number;
        rows.push({ id, serverId: h.serverId, name: h.name, stage: null, status: 'waiting', stages: {}, startedAt: null, finishedAt: null, exitCode: null, output: '', error: null, previousRelease: null });
      }
      return { rows, releaseId: task.releaseId ?? null, commit: task.commit ?? null };
    });
  }

  writeHost(row: HostRecord, progressAt: Date): Promise<void> {
    return this.fenced(async (em) => {
      await em.nativeUpdate(TaskHost, { id: row.id }, hostColumns(row));
      await em.nativeUpdate(DeployTask, { id: this.taskId }, { lastProgressAt: progressAt });
    });
  }

  setCommit(commit: string, releaseId: string | null): Promise<void> {
    return this.fenced(async (em) => {
      await em.nativeUpdate(DeployTask, { id: this.taskId }, releaseId ? { commit, releaseId } : { commit });
    });
  }

  /** Canary first: the canary passed, and the deploy now waits for a Promote (which any process may record). */
  markCanaryPassed(at: Date): Promise<void> {
    return this.fenced(async (em) => {
      await em.nativeUpdate(DeployTask, { id: this.taskId }, { canaryPassedAt: at, lastProgressAt: at });
    });
  }

  touch(at: Date): Promise<void> {
    return this.fenced(async (em) => {
      await em.nativeUpdate(DeployTask, { id: this.taskId }, { lastProgressAt: at });
    });
  }

  addRelease(serverId: number, releaseId: string, commit: string, path: string): Promise<void> {
    return this.fenced(async (em) => {
      const existing = await em.count(Release, { project: this.projectId, server: serverId, releaseId });
      if (!existing) await em.insert(Release, { project: this.projectId, server: serverId, releaseId, commit, path, taskId: this.taskId, isCurrent: false, createdAt: new Date() } as never);
    });
  }

  /** `current` on this server now points at releaseId; the history records how it got there. */
  markCurrent(serverId: number, releaseId: string | null, kind: SwitchKind): Promise<void> {
    return this.fenced(async (em) => {
      await em.nativeUpdate(Release, { project: this.projectId, server: serverId }, { isCurrent: false });
      if (releaseId) await em.nativeUpdate(Release, { project: this.projectId, server: serverId, releaseId }, { isCurrent: true });
      if (kind === 'revert') await undoTask(em, this.projectId, serverId, this.taskId);
      else if (releaseId && kind === 'rollback') await popTo(em, this.projectId, serverId, releaseId, this.taskId);
      else if (releaseId) await pushRelease(em, this.projectId, serverId, releaseId, this.taskId);
    });
  }

  forgetReleases(serverId: number, releaseIds: readonly string[]): Promise<void> {
    if (releaseIds.length === 0) return Promise.resolve();
    return this.fenced(async (em) => {
      await em.nativeDelete(Release, { project: this.projectId, server: serverId, releaseId: { $in: [...releaseIds] } });
    });
  }

  /**
   * Releases keep-N cleanup must leave on every server: those recorded as live on any server of
   * the project, and each server's rollback target (the entry below the top of its history).
   */
  async protectedReleases(): Promise<string[]> {
    const em = this.orm.em.fork();
    const live = await em.find(Release, { project: this.projectId, isCurrent: true }, { fields: ['releaseId'] });
    const history = await em.find(ReleaseHistory, { project: this.projectId, poppedAt: null }, { orderBy: { seq: 'asc' }, fields: ['releaseId', 'server', 'seq'] });
    const stacks = new Map<number, string[]>();
    for (const row of history) stacks.set(row.server.id, [...(stacks.get(row.server.id) ?? []), row.releaseId]);
    const targets = [...stacks.values()].flatMap((stack) => stack.slice(-2));
    return [...new Set([...live.map((r) => r.releaseId), ...targets])];
  }

  async releaseCommit(releaseId: string): Promise<string | null> {
    const row = await this.orm.em.fork().findOne(Release, { project: this.projectId, releaseId }, { fields: ['commit'] });
    return row?.commit ?? null;
  }

  /** Trust on first use: the first connection's host key becomes the pinned one (never overwritten). */
  pinHostKey(serverId: number, name: string, fingerprint: string): Promise<void> {
    return this.fenced(async (em) => {
      const pinned = await em.nativeUpdate(Server, { id: serverId, hostKeyFingerprint: null }, { hostKeyFingerprint: fingerprint });
      if (pinned) await em.insert(AuditEvent, { actor: 'deploybot', action: 'server.host_key.pin', target: `server:${name}`, details: { fingerprint, taskId: this.taskId }, createdAt: new Date() } as never);
    });
  }

  /** The final word: every host row as the runner knows it, then running → status, by this owner. */
  finish(status: Extract<TaskStatus, 'success' | 'failed' | 'cancelled'>, error: string | null, rows: readonly HostRecord[], at: Date): Promise<void> {
    return this.fenced(async (em) => {
      for (const row of rows) await em.nativeUpdate(TaskHost, { id: row.id }, hostColumns(row));
      const done = await transitionWhere(em, this.taskId, ['running'], status, { error }, { ownerId: this.owner }, at);
      if (!done) throw new LeaseLost(this.taskId);
    });
  }
}

function hostColumns(row: HostRecord): Record<string, unknown> {
  return {
    stage: row.stage,
    status: row.status,
    stages: row.stages,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    exitCode: row.exitCode,
    output: row.output,
    error: row.error,
    previousRelease: row.previousRelease,
  };
}
