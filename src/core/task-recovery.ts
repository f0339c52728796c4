import { AuditEvent, DeployTask, Release, TaskHost } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { PipelineEvents } from '../pipeline/events.js';
import { mapLimit } from '../pipeline/exec/map-limit.js';
import { readCurrent } from '../pipeline/release/release-layout.js';
import { relayCleanupCommand } from '../pipeline/distribution/relay-commands.js';
import { connectSsh } from '../pipeline/ssh/ssh.js';
import type { Redactor } from '../redact.js';
import { recordObserved } from '../store/release-history-store.js';
import { LeaseLost } from '../store/store-errors.js';
import { transitionWhere, type TaskStore } from '../store/task-store.js';
import { ServerService, type ServerServiceDeps } from './server-service.js';

export interface RecoveryDeps extends ServerServiceDeps {
  orm: Orm;
  events: PipelineEvents;
  log: Logger;
  redactor: Redactor;
  store: TaskStore;
  /** Short on purpose: 200 unreachable servers must take seconds, not an hour. */
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Servers read at once. */
  concurrency?: number;
}

interface Reading {
  row: TaskHost;
  current: string | null;
  reached: boolean;
}

/**
 * Recovers every running task whose owner stopped renewing its lease (killed, paused, cut off
 * from the database), in any process: a bot, a shell, or the next one-shot command.
 */
export async function recoverExpiredTasks(deps: RecoveryDeps, filter: { projectId?: number } = {}): Promise<number[]> {
  const recovered: number[] = [];
  for (const task of await deps.store.expired(filter)) {
    if (await recoverTask(deps, task.id)) recovered.push(task.id);
  }
  return recovered;
}

/**
 * Takes the task over (one winner among the processes that noticed), reads where `current` really
 * points on each of its servers, in parallel with short timeouts, records that (releases, history,
 * host rows), and marks the task interrupted, which frees its project. Returns false when another
 * process got to it first or its owner came back in time.
 */
export async function recoverTask(deps: RecoveryDeps, taskId: number): Promise<boolean> {
  const { store } = deps;
  if (!(await store.takeOver(taskId))) return false;
  // Reading many servers can outlast a lease: keep ours alive meanwhile.
  const keepAlive = setInterval(() => void store.heartbeat([taskId]).catch(() => undefined), Math.max(100, store.leaseMs / 4));
  keepAlive.unref();
  try {
    const em = deps.orm.em.fork();
    const task = await em.findOneOrFail(DeployTask, { id: taskId }, { populate: ['project'] });
    const rows = await em.find(TaskHost, { task }, { populate: ['server'], orderBy: { serverName: 'asc' } });
    const servers = new ServerService(em, deps);
    const readings = await mapLimit(rows, deps.concurrency ?? 32, async (row): Promise<Reading> => {
      if (!row.server) return { row, current: null, reached: false };
      try {
        const target = await servers.connectionDetails(row.server);
        const conn = await connectSsh(target, { connectTimeoutMs: deps.connectTimeoutMs ?? 5_000, keepaliveIntervalMs: 0, redactor: deps.redactor });
        try {
          const current = await readCurrent(conn, task.project.deployPath, AbortSignal.timeout(deps.readTimeoutMs ?? 10_000));
          // A relay stage cut short leaves its task key and files behind: remove them now.
          await conn
            .exec(relayCleanupCommand(task.project.deployPath, task.project.id), { timeoutMs: deps.readTimeoutMs ?? 10_000 })
            .catch((err) => deps.log.warn('recovery could not remove relay leftovers', { taskId, server: row.serverName, error: errorMessage(err) }));
          return { row, current, reached: true };
        } finally {
          await conn.close();
        }
      } catch (err) {
        deps.log.warn('recovery could not read a server', { taskId, server: row.serverName, error: errorMessage(err) });
        return { row, current: null, reached: false };
      }
    });

    const unreachable = readings.filter((r) => !r.reached).map((r) => r.row.serverName);
    const error = `deploybot stopped while this task was running (its owner stopped renewing its lease); ${unreachable.length ? `could not reach ${unreachable.join(', ')} to check them` : "each server's current release was checked and recorded"}`;
    const now = new Date();
    const hosts: { name: string; release: string | null; failed: boolean }[] = [];
    await deps.orm.em.fork().transactional(async (tem) => {
      const held = await tem.nativeUpdate(DeployTask, { id: taskId, ownerId: store.owner, status: 'running' }, { leaseExpiresAt: new Date(Date.now() + store.leaseMs) });
      if (held !== 1) throw new LeaseLost(taskId);
      for (const { row, current, reached } of readings) {
        if (reached && row.server) {
          const serverId = row.server.id;
          const known = await tem.count(Release, { project: task.project.id, server: serverId, releaseId: current ?? '' });
          if (current && !known) {
            // A release the crash kept us from recording (switched but not yet written down).
            const commit = current === task.releaseId && task.commit ? task.commit : '';
            await tem.insert(Release, { project: task.project.id, server: serverId, releaseId: current, commit, path: `${task.project.deployPath}/releases/${current}`, taskId, isCurrent: false, createdAt: now } as never);
          }
          await tem.nativeUpdate(Release, { project: task.project.id, server: serverId }, { isCurrent: false });
          if (current) await tem.nativeUpdate(Release, { project: task.project.id, server: serverId, releaseId: current }, { isCurrent: true });
          await recordObserved(tem, task.project.id, serverId, current, taskId);
        }
        const wasDone = row.status === 'done' && (row.stage === 'after_deploy' || row.stages.switch?.state === 'done');
        if (!wasDone && row.status !== 'failed' && row.status !== 'skipped') {
          await tem.nativeUpdate(TaskHost, { id: row.id }, {
            status: 'failed',
            error: `interrupted: deploybot stopped during ${row.stage ?? 'the task'}${reached ? `; current → ${current ?? 'nothing'}` : ''}`,
            finishedAt: now,
          });
        }
        hosts.push({ name: row.serverName, release: current, failed: !wasDone });
      }
      const done = await transitionWhere(tem, taskId, ['running'], 'interrupted', { error }, { ownerId: store.owner }, now);
      if (!done) throw new LeaseLost(taskId);
      await tem.insert(AuditEvent, { actor: 'deploybot', action: 'task.interrupted', target: `task:${taskId}`, details: { servers: hosts, recoveredBy: store.owner, previousOwner: task.ownerId ?? null }, createdAt: now } as never);
    });
    deps.log.warn('recovered an interrupted task', { taskId, project: task.project.name });
    deps.events.emit({ type: 'task.finished', taskId, status: 'interrupted', releaseId: task.releaseId ?? null, commit: task.commit ?? null, durationMs: task.startedAt ? now.getTime() - task.startedAt.getTime() : 0, error, hosts, at: now });
    return true;
  } catch (err) {
    if (err instanceof LeaseLost) return false;
    // The lease we took expires and the next process tries again: nothing stays stuck.
    deps.log.error('recovering a task failed', { taskId, error: errorMessage(err) });
    return false;
  } finally {
    clearInterval(keepAlive);
  }
}
