import { Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { Project } from './project.js';
import type { TaskHost } from './task-host.js';

export const TASK_STATUSES = [
  'pending',
  'awaiting_approval',
  'approved',
  'scheduled',
  'running',
  'success',
  'failed',
  'cancelled',
  'rejected',
  'interrupted',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** `deploy` ships a commit; `rollback` switches servers back to a release they already have. */
export type TaskKind = 'deploy' | 'rollback';

const OPEN = "('pending', 'awaiting_approval', 'approved', 'scheduled', 'running')";
export const ONE_RUNNING_PER_PROJECT = "create unique index deploy_tasks_one_running_per_project on deploy_tasks (project_id) where status = 'running'";
export const ONE_OPEN_ROLLBACK_PER_PROJECT = `create unique index deploy_tasks_one_open_rollback_per_project on deploy_tasks (project_id) where kind = 'rollback' and status in ${OPEN}`;
export const ONE_OPEN_RETRY_PER_PROJECT = `create unique index deploy_tasks_one_open_retry_per_project on deploy_tasks (project_id) where retry_of is not null and status in ${OPEN}`;

/** One requested release of a project. Its status changes only through core/tasks/task-status.ts. */
export class DeployTask {
  /** Properties with defaults: optional when creating. */
  declare [OptionalProps]?: 'kind' | 'status' | 'hookBeforeDownload' | 'hookAfterDownload' | 'hookBeforeDeploy' | 'hookAfterDeploy' | 'approvalCount' | 'createdAt' | 'updatedAt';
  id!: number;
  project!: Project;
  kind: TaskKind = 'deploy';
  ref!: string;
  commit?: string | null;
  /** Status is written only through transitionTask(), which enforces the allowed transitions. */
  status: TaskStatus = 'pending';
  hookBeforeDownload: string = '';
  hookAfterDownload: string = '';
  hookBeforeDeploy: string = '';
  hookAfterDeploy: string = '';
  requestedBy!: string;
  approvedBy?: string | null;
  approvedAt?: Date | null;
  /**
   * The approvals given so far, in order (the last one completes them and is approvedBy). The
   * count is its own column so each approval is one conditional update on it (one winner per count).
   */
  approvals?: { by: string; at: string }[] | null;
  approvalCount: number = 0;
  /** Where the commit succeeded before (the promotion gate), or an admin's reason to skip a gate. */
  promotion?: { project: string; taskId: number; at: string } | null;
  overrideReason?: string | null;
  rejectedBy?: string | null;
  rejectedAt?: Date | null;
  rejectReason?: string | null;
  cancelledBy?: string | null;
  scheduledAt?: Date | null;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  /** Last time the runner reported progress; the reaper fails tasks silent for too long. */
  lastProgressAt?: Date | null;
  slackChannel?: string | null;
  slackMessageTs?: string | null;
  releaseId?: string | null;
  /** For rollbacks to a named release; for retries, the task whose failed servers are retried. */
  targetRelease?: string | null;
  retryOf?: number | null;
  /** Server names this task is limited to (retry of failed servers); null means all. */
  onlyServers?: string[] | null;
  error?: string | null;
  /**
   * The process that runs this task (`<kind>@<host>:<pid>#<random>`), while it runs and after: the
   * fencing token of every write the runner makes. Set by the claim, changed only by a takeover.
   */
  ownerId?: string | null;
  /** The owner renews this every few seconds; past it, any process may recover the task. */
  leaseExpiresAt?: Date | null;
  /** Asked of the owner through the database (the reaper: "no progress for 30 minutes"). */
  stopReason?: string | null;
  /** A rollback that undoes this deploy task (the Roll back button on its message). */
  rollbackOf?: number | null;
  /** For a rollback: what was live on every server when it was requested (pinned with the target). */
  fromRelease?: string | null;
  /**
   * Canary first on a prod project: when the canary switched, finished after_deploy and passed its
   * health check (written by the runner); from then on the deploy waits for an approver's Promote.
   */
  canaryPassedAt?: Date | null;
  /** Who promoted the canary (one conditional update: one winner), and when. */
  promotedBy?: string | null;
  promotedAt?: Date | null;
  /** An admin who promoted their own deploy (or without being an approver) says why; audited. */
  promoteReason?: string | null;
  hosts = new Collection<TaskHost>(this);
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
}

export const DeployTaskSchema = new EntitySchema<DeployTask>({
  class: DeployTask,
  tableName: 'deploy_tasks',
  // Enforced by the database itself, whatever interleaving of processes: one running task per
  // project, one open rollback and one open retry per project (see the migration for the SQL).
  indexes: [
    { name: 'deploy_tasks_one_running_per_project', expression: ONE_RUNNING_PER_PROJECT },
    { name: 'deploy_tasks_one_open_rollback_per_project', expression: ONE_OPEN_ROLLBACK_PER_PROJECT },
    { name: 'deploy_tasks_one_open_retry_per_project', expression: ONE_OPEN_RETRY_PER_PROJECT },
  ],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    project: { kind: 'm:1', entity: 'Project', deleteRule: 'cascade' },
    kind: { type: 'string', length: 16, default: 'deploy' },
    ref: { type: 'string', length: 255 },
    commit: { type: 'string', length: 40, nullable: true },
    status: { type: 'string', length: 24, default: 'pending', index: true },
    hookBeforeDownload: { type: 'text', default: '' },
    hookAfterDownload: { type: 'text', default: '' },
    hookBeforeDeploy: { type: 'text', default: '' },
    hookAfterDeploy: { type: 'text', default: '' },
    requestedBy: { type: 'string', length: 64 },
    approvedBy: { type: 'string', length: 64, nullable: true },
    approvedAt: { type: 'datetime', nullable: true },
    approvals: { type: 'json', nullable: true },
    approvalCount: { type: 'integer', default: 0 },
    promotion: { type: 'json', nullable: true },
    overrideReason: { type: 'text', nullable: true },
    rejectedBy: { type: 'string', length: 64, nullable: true },
    rejectedAt: { type: 'datetime', nullable: true },
    rejectReason: { type: 'text', nullable: true },
    cancelledBy: { type: 'string', length: 64, nullable: true },
    scheduledAt: { type: 'datetime', nullable: true },
    startedAt: { type: 'datetime', nullable: true },
    finishedAt: { type: 'datetime', nullable: true },
    lastProgressAt: { type: 'datetime', nullable: true },
    slackChannel: { type: 'string', length: 32, nullable: true },
    slackMessageTs: { type: 'string', length: 32, nullable: true },
    releaseId: { type: 'string', length: 64, nullable: true },
    targetRelease: { type: 'string', length: 64, nullable: true },
    retryOf: { type: 'integer', nullable: true },
    onlyServers: { type: 'json', nullable: true },
    error: { type: 'text', nullable: true },
    ownerId: { type: 'string', length: 200, nullable: true },
    leaseExpiresAt: { type: 'datetime', nullable: true, index: true },
    stopReason: { type: 'text', nullable: true },
    rollbackOf: { type: 'integer', nullable: true },
    fromRelease: { type: 'string', length: 64, nullable: true },
    canaryPassedAt: { type: 'datetime', nullable: true },
    promotedBy: { type: 'string', length: 64, nullable: true },
    promotedAt: { type: 'datetime', nullable: true },
    promoteReason: { type: 'text', nullable: true },
    hosts: { kind: '1:m', entity: 'TaskHost', mappedBy: 'task' },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
    updatedAt: { type: 'datetime', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
