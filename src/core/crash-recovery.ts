import { DeployTask, Release, TaskHost } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { PipelineEvents } from '../pipeline/events.js';
import { readCurrent } from '../pipeline/release/release-layout.js';
import { connectSsh } from '../pipeline/ssh/ssh.js';
import type { Redactor } from '../redact.js';
import { SYSTEM_ACTOR } from './actor.js';
import { audit } from './audit.js';
import { ServerService, type ServerServiceDeps } from './server-service.js';
import { transitionTask } from './task-status.js';

export interface RecoveryDeps extends ServerServiceDeps {
  orm: Orm;
  events: PipelineEvents;
  log: Logger;
  redactor: Redactor;
  connectTimeoutMs?: number;
}

/**
 * At boot, before anything starts: every task still marked running was cut off by a crash or a
 * kill. It becomes `interrupted`, and for each of its servers we read where `current` really
 * points and record that, so the next deploy and a rollback start from the truth. The project is
 * free again (nothing is running), so queued tasks can start.
 */
export async function recoverInterruptedTasks(deps: RecoveryDeps): Promise<number[]> {
  const em = deps.orm.em.fork();
  const tasks = await em.find(DeployTask, { status: 'running' }, { populate: ['project'] });
  const servers = new ServerService(em, deps);
  const recovered: number[] = [];

  for (const task of tasks) {
    const rows = await em.find(TaskHost, { task }, { populate: ['server'] });
    const hosts: { name: string; release: string | null; failed: boolean }[] = [];
    const unreachable: string[] = [];
    for (const row of rows) {
      let current: string | null = null;
      if (row.server) {
        try {
          const target = await servers.connectionDetails(row.server);
          const conn = await connectSsh(target, { connectTimeoutMs: deps.connectTimeoutMs ?? 15_000, keepaliveIntervalMs: 0, redactor: deps.redactor });
          try {
            current = await readCurrent(conn, task.project.deployPath);
          } finally {
            await conn.close();
          }
          await recordCurrent(em, task, row, current);
        } catch (err) {
          unreachable.push(row.serverName);
          deps.log.warn('crash recovery could not read a server', { taskId: task.id, server: row.serverName, error: errorMessage(err) });
        }
      }
      const wasDone = row.status === 'done' && row.stage === 'after_deploy';
      if (!wasDone && row.status !== 'failed' && row.status !== 'skipped') {
        row.status = 'failed';
        row.error = `interrupted: deploybot stopped during ${row.stage ?? 'the task'}${row.server && !unreachable.includes(row.serverName) ? `; current → ${current ?? 'nothing'}` : ''}`;
        row.finishedAt = new Date();
      }
      hosts.push({ name: row.serverName, release: current, failed: !wasDone });
    }
    task.error = `deploybot stopped while this task was running; ${unreachable.length ? `could not reach ${unreachable.join(', ')} to check them` : "each server's current release was checked and recorded"}`;
    transitionTask(task, 'interrupted');
    audit(em, SYSTEM_ACTOR, 'task.interrupted', `task:${task.id}`, { servers: hosts });
    await em.flush();
    recovered.push(task.id);
    deps.log.warn('marked an interrupted task', { taskId: task.id, project: task.project.name });
    deps.events.emit({ type: 'task.finished', taskId: task.id, status: 'interrupted', releaseId: task.releaseId ?? null, commit: task.commit ?? null, durationMs: task.startedAt ? Date.now() - task.startedAt.getTime() : 0, error: task.error, hosts, at: new Date() });
  }
  return recovered;
}

/** Makes the Release rows of that project+server say what the server itself says. */
async function recordCurrent(em: ReturnType<Orm['em']['fork']>, task: DeployTask, row: TaskHost, current: string | null): Promise<void> {
  const server = row.server!;
  const releases = await em.find(Release, { project: task.project, server });
  if (current && !releases.some((r) => r.releaseId === current)) {
    // A release the crash kept us from recording (switched but not yet written down).
    const commit = current === task.releaseId && task.commit ? task.commit : '';
    releases.push(em.create(Release, { project: task.project, server, releaseId: current, commit, path: `${task.project.deployPath}/releases/${current}`, taskId: task.id }));
  }
  for (const r of releases) r.isCurrent = r.releaseId === current;
}
