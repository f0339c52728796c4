import { AuditEvent, DeployTask, Release, TaskHost } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { PipelineEvents } from '../../pipeline/events.js';
import { mapLimit } from '../../pipeline/exec/map-limit.js';
import { DEFAULT_HOOK_TIMEOUT_MS, hasScript, hookEnv, runRemoteHook } from '../../pipeline/hooks/hooks.js';
import { readCurrent, releaseDir, switchCurrent } from '../../pipeline/release/release-layout.js';
import { relayCleanupCommand } from '../../pipeline/distribution/relay-commands.js';
import { connectSsh, type SshConnection } from '../../pipeline/ssh/ssh.js';
import { planRepair } from './fleet-repair.js';
import type { Redactor } from '../../redact.js';
import { recordObserved } from '../../store/release-history-store.js';
import { LeaseLost } from '../../store/store-errors.js';
import { transitionWhere, type TaskStore } from '../../store/task-store.js';
import { ServerService, type ServerServiceDeps } from '../servers/server-service.js';

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
  /** For after_deploy on servers recovery switched back. */
  hookTimeoutMs?: number;
}

interface Reading {
  row: TaskHost;
  current: string | null;
  reached: boolean;
  /** Kept open for a repair; closed at the end of recovery. */
  conn: SshConnection | null;
  /** Set when recovery switched this server: from what. */
  repairedFrom?: string | null;
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
      if (!row.server) return { row, current: null, reached: false, conn: null };
      try {
        const target = await servers.connectionDetails(row.server);
        const conn = await connectSsh(target, { connectTimeoutMs: deps.connectTimeoutMs ?? 5_000, keepaliveIntervalMs: 0, redactor: deps.redactor });
        try {
          const current = await readCurrent(conn, task.project.deployPath, AbortSignal.timeout(deps.readTimeoutMs ?? 10_000));
          // A relay stage cut short leaves its task key and files behind: remove them now.
          await conn
            .exec(relayCleanupCommand(task.project.deployPath, task.project.id), { timeoutMs: deps.readTimeoutMs ?? 10_000 })
            .catch((err) => deps.log.warn('recovery could not remove relay leftovers', { taskId, server: row.serverName, error: errorMessage(err) }));
          return { row, current, reached: true, conn };
        } catch (err) {
          await conn.close();
          throw err;
        }
      } catch (err) {
        deps.log.warn('recovery could not read a server', { taskId, server: row.serverName, error: errorMessage(err) });
        return { row, current: null, reached: false, conn: null };
      }
    });
    const repaired = await repairFleet(deps, task, readings).finally(() => Promise.all(readings.map((r) => r.conn?.close())));

    const unreachable = readings.filter((r) => !r.reached).map((r) => r.row.serverName);
    const error = `deploybot stopped while this task was running (its owner stopped renewing its lease); ${unreachable.length ? `could not reach ${unreachable.join(', ')} to check them` : "each server's current release was checked and recorded"}${repaired ? `; ${repaired}` : ''}`;
    const now = new Date();
    const hosts: { name: string; release: string | null; failed: boolean }[] = [];
    await deps.orm.em.fork().transactional(async (tem) => {
      const held = await tem.nativeUpdate(DeployTask, { id: taskId, ownerId: store.owner, status: 'running' }, { leaseExpiresAt: new Date(Date.now() + store.leaseMs) });
      if (held !== 1) throw new LeaseLost(taskId);
      for (const reading of readings) {
        const { row, current, reached } = reading;
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
        const wasDone = row.status === 'done' && (row.stage === 'after_deploy' || row.stage === 'health' || row.stages.switch?.state === 'done');
        const repair = reading.repairedFrom !== undefined ? ` (recovery switched it from ${reading.repairedFrom ?? 'nothing'})` : '';
        if (!wasDone && row.status !== 'failed' && row.status !== 'skipped') {
          await tem.nativeUpdate(TaskHost, { id: row.id }, {
            status: 'failed',
            error: `interrupted: deploybot stopped during ${row.stage ?? 'the task'}${reached ? `; current → ${current ?? 'nothing'}${repair}` : ''}`,
            finishedAt: now,
          });
        } else if (repair) {
          await tem.nativeUpdate(TaskHost, { id: row.id }, { status: 'failed', error: `${row.error ? `${row.error}; ` : ''}current → ${current ?? 'nothing'}${repair}`, finishedAt: now });
        }
        hosts.push({ name: row.serverName, release: current, failed: !wasDone });
      }
      const done = await transitionWhere(tem, taskId, ['running'], 'interrupted', { error }, { ownerId: store.owner }, now);
      if (!done) throw new LeaseLost(taskId);
      await tem.insert(AuditEvent, { actor: 'deploybot', action: 'task.interrupted', target: `task:${taskId}`, details: { servers: hosts, recoveredBy: store.owner, previousOwner: task.ownerId ?? null, repaired: repaired ?? null }, createdAt: now } as never);
    });
    deps.log.warn('recovered an interrupted task', { taskId, project: task.project.name });
    deps.events.emit({ type: 'task.finished', taskId, status: 'interrupted', releaseId: task.releaseId ?? null, commit: task.commit ?? null, durationMs: task.startedAt ? now.getTime() - task.startedAt.getTime() : 0, error, hosts, ...(repaired ? { repaired } : {}), at: now });
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

/**
 * A task interrupted after the barrier can leave servers on different releases. Brings them back
 * to one (see planRepair): switches the servers that differ, runs after_deploy there (with
 * DEPLOY_ROLLBACK=1 when going back) so the code that runs matches the link, and updates each
 * reading. Returns what it did in words, or null when there was nothing to repair.
 */
async function repairFleet(deps: RecoveryDeps, task: DeployTask, readings: Reading[]): Promise<string | null> {
  const plan = planRepair(
    readings.map((r) => ({ name: r.row.serverName, current: r.current, reached: r.reached, previous: r.row.previousRelease ?? null, switchStarted: Boolean(r.row.stages.switch && r.row.stages.switch.state !== 'skipped') })),
    task.project.onFailure,
    task.releaseId ?? null,
  );
  if (!plan) return null;
  const mixed = readings.filter((r) => r.reached).map((r) => `${r.row.serverName}: ${r.current ?? 'nothing'}`).join(', ');
  if (plan.blocked) return `the servers were left on different releases (${mixed}) and could not be brought back to one: ${plan.blocked}`;
  const path = task.project.deployPath;
  const failures: string[] = [];
  const moved: string[] = [];
  await mapLimit(readings, deps.concurrency ?? 32, async (reading) => {
    const release = plan.moves.get(reading.row.serverName);
    if (!release || !reading.conn) return;
    try {
      await switchCurrent(reading.conn, path, release);
      reading.repairedFrom = reading.current;
      reading.current = release;
      moved.push(reading.row.serverName);
    } catch (err) {
      failures.push(`${reading.row.serverName} (${errorMessage(err)})`);
      return;
    }
    if (!hasScript(task.hookAfterDeploy)) return;
    const back = task.project.onFailure === 'rollback';
    const facts = { taskId: task.id, project: task.project.name, environment: task.project.environment, ref: task.ref, commit: back ? '' : (task.commit ?? ''), releaseId: release, requestedBy: task.requestedBy };
    const env = hookEnv(facts, { DEPLOY_RELEASE_DIR: releaseDir(path, release), DEPLOY_PATH: path, DEPLOY_SERVER: reading.row.serverName, ...(back ? { DEPLOY_ROLLBACK: '1' } : {}) });
    const result = await runRemoteHook(reading.conn, { script: task.hookAfterDeploy, dir: releaseDir(path, release), env, timeoutMs: deps.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS, redactor: deps.redactor });
    if (!result.ok) failures.push(`${reading.row.serverName} (after_deploy ${result.error})`);
  });
  moved.sort();
  const to = plan.release ? `\`${plan.release}\`` : 'the release each served before';
  const how = task.project.onFailure === 'rollback' ? 'back' : 'forward';
  const did = moved.length ? `switched ${moved.join(', ')} ${how} to ${to} (policy: ${task.project.onFailure})` : 'switched nothing';
  deps.log.warn('recovery repaired a fleet left on different releases', { taskId: task.id, mixed, moved, failures });
  return `the servers were left on different releases (${mixed}): ${did}${failures.length ? `; repair failed on ${failures.join(', ')}` : ''}`;
}
