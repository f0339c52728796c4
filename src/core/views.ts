import type { DeployTask, Project, Server } from '../db/entities/index.js';

/**
 * What the services hand to adapters: plain data, never entities (so a presenter cannot lazily
 * load or change anything) and never secrets.
 */
export interface ServerView {
  name: string;
  hostname: string;
  port: number;
  username: string;
  authKind: Server['authKind'];
  keyPath: string | null;
  hasOwnKey: boolean;
  hostKeyFingerprint: string | null;
  internalAddress: string | null;
  labels: string[];
  projects: string[];
  createdBy: string;
  createdAt: Date;
}

export interface ProjectView {
  name: string;
  title: string;
  repoUrl: string;
  environment: Project['environment'];
  deployPath: string;
  servers: string[];
  defaultBranch: string;
  keepReleases: number;
  approvers: string[];
  notifyChannel: string | null;
  maxParallel: number;
  /** Distinct approvers a prod deploy needs. */
  requiredApprovals: number;
  /** The test project a commit must have succeeded on first. */
  promoteFrom: string | null;
  /** Run on each server after after_deploy ('' = none), retried for up to healthTimeout seconds. */
  healthCheck: string;
  healthTimeout: number;
  /** `all` or `canary:<n|p%>`. */
  rollout: string;
  canaryWait: number;
  onFailure: Project['onFailure'];
  distribution: Project['distribution'];
  notifyApprovers: Project['notifyApprovers'];
  notifyRequester: Project['notifyRequester'];
  hooks: HookScripts;
  lock: { by: string; reason: string | null; at: Date } | null;
  createdBy: string;
  createdAt: Date;
}

export type { HookScripts } from '../store/hook-scripts.js';
import type { HookScripts } from '../store/hook-scripts.js';

export interface TaskView {
  id: number;
  project: string;
  environment: Project['environment'];
  kind: DeployTask['kind'];
  ref: string;
  commit: string | null;
  status: DeployTask['status'];
  requestedBy: string;
  approvedBy: string | null;
  approvedAt: Date | null;
  /** Approvals given so far (a prod deploy may need several), and how many it needs in all. */
  approvals?: { by: string; at: Date }[];
  requiredApprovals?: number;
  /** Where the commit succeeded before this prod deploy (the promotion gate). */
  promotion?: { project: string; taskId: number; at: Date } | null;
  /** An admin's reason for skipping a gate. */
  overrideReason?: string | null;
  rejectedBy: string | null;
  rejectReason: string | null;
  cancelledBy: string | null;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  releaseId: string | null;
  /** A rollback's pinned target, and what was live when it was requested. */
  targetRelease?: string | null;
  fromRelease?: string | null;
  /** The process running the task (while it runs), e.g. `cli@web-1:4242#…`. */
  owner?: string | null;
  /** Canary first on prod: when the canary passed (then it waits for a Promote), and who promoted it. */
  canaryPassedAt?: Date | null;
  promotedBy?: string | null;
  promotedAt?: Date | null;
  /** An admin's reason for promoting their own deploy. */
  promoteReason?: string | null;
  error: string | null;
  hooks: HookScripts;
  slack: { channel: string; ts: string } | null;
  createdAt: Date;
}

export function serverView(s: Server): ServerView {
  return {
    name: s.name,
    hostname: s.hostname,
    port: s.port,
    username: s.username,
    authKind: s.authKind,
    keyPath: s.keyPath ?? null,
    hasOwnKey: Boolean(s.privateKeyEnc) || Boolean(s.keyPath),
    hostKeyFingerprint: s.hostKeyFingerprint ?? null,
    internalAddress: s.internalAddress ?? null,
    labels: [...s.labels],
    projects: s.projects.isInitialized() ? s.projects.getItems().map((p) => p.name).sort() : [],
    createdBy: s.createdBy,
    createdAt: s.createdAt,
  };
}

export function projectHooks(p: Pick<Project, 'hookBeforeDownload' | 'hookAfterDownload' | 'hookBeforeDeploy' | 'hookAfterDeploy'>): HookScripts {
  return {
    before_download: p.hookBeforeDownload,
    after_download: p.hookAfterDownload,
    before_deploy: p.hookBeforeDeploy,
    after_deploy: p.hookAfterDeploy,
  };
}

export function projectView(p: Project): ProjectView {
  return {
    name: p.name,
    title: p.title,
    repoUrl: p.repoUrl,
    environment: p.environment,
    deployPath: p.deployPath,
    servers: p.servers.isInitialized() ? p.servers.getItems().map((s) => s.name).sort() : [],
    defaultBranch: p.defaultBranch,
    keepReleases: p.keepReleases,
    approvers: [...p.approvers],
    notifyChannel: p.notifyChannel ?? null,
    maxParallel: p.maxParallel,
    requiredApprovals: p.requiredApprovals,
    promoteFrom: p.promoteFrom ?? null,
    healthCheck: p.healthCheck ?? '',
    healthTimeout: p.healthTimeout ?? 30,
    rollout: p.rollout ?? 'all',
    canaryWait: p.canaryWait ?? 60,
    onFailure: p.onFailure,
    distribution: p.distribution,
    notifyApprovers: p.notifyApprovers,
    notifyRequester: p.notifyRequester,
    hooks: projectHooks(p),
    lock: p.lockedBy ? { by: p.lockedBy, reason: p.lockReason ?? null, at: p.lockedAt ?? new Date(0) } : null,
    createdBy: p.createdBy,
    createdAt: p.createdAt,
  };
}

export function taskView(t: DeployTask): TaskView {
  return {
    id: t.id,
    project: t.project.name,
    environment: t.project.environment,
    kind: t.kind,
    ref: t.ref,
    commit: t.commit ?? null,
    status: t.status,
    requestedBy: t.requestedBy,
    approvedBy: t.approvedBy ?? null,
    approvedAt: t.approvedAt ?? null,
    approvals: (t.approvals ?? (t.approvedBy ? [{ by: t.approvedBy, at: (t.approvedAt ?? t.createdAt).toISOString() }] : [])).map((a) => ({ by: a.by, at: new Date(a.at) })),
    requiredApprovals: t.project.requiredApprovals ?? 1,
    promotion: t.promotion ? { project: t.promotion.project, taskId: t.promotion.taskId, at: new Date(t.promotion.at) } : null,
    overrideReason: t.overrideReason ?? null,
    rejectedBy: t.rejectedBy ?? null,
    rejectReason: t.rejectReason ?? null,
    cancelledBy: t.cancelledBy ?? null,
    scheduledAt: t.scheduledAt ?? null,
    startedAt: t.startedAt ?? null,
    finishedAt: t.finishedAt ?? null,
    releaseId: t.releaseId ?? null,
    targetRelease: t.targetRelease ?? null,
    fromRelease: t.fromRelease ?? null,
    owner: t.status === 'running' ? (t.ownerId ?? null) : null,
    canaryPassedAt: t.canaryPassedAt ?? null,
    promotedBy: t.promotedBy ?? null,
    promotedAt: t.promotedAt ?? null,
    promoteReason: t.promoteReason ?? null,
    error: t.error ?? null,
    hooks: projectHooks(t),
    slack: t.slackChannel && t.slackMessageTs ? { channel: t.slackChannel, ts: t.slackMessageTs } : null,
    createdAt: t.createdAt,
  };
}

/** Why a task that may run has not started: its place in the project's queue, and a lock that holds it. */
export interface QueueState {
  /** 1 = next in its project (0 for a scheduled task, which is not in the queue yet). */
  position: number;
  /** The task running in the project now, if any. */
  blockedBy: number | null;
  /** The project is locked: the task waits until it is unlocked. */
  lock: { by: string; reason: string | null } | null;
  /** A freeze window holds the project: the task waits until it ends. */
  freeze?: { reason: string; endsAt: Date; timeZone: string; allProjects: boolean } | null;
}
