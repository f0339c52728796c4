import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { DeployTask, Project, Release, TaskHost, type TaskStatus } from '../db/entities/index.js';
import { UserError } from '../errors.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { mention } from './mention.js';
import { hooksSchema } from './project-schemas.js';
import { describeStatus, transitionTask, WAITING_STATUSES } from './task-status.js';
import { gitRefSchema, slugSchema } from './validation.js';
import { projectHooks, taskView, type HookScripts, type TaskView } from './views.js';
import { parseInput } from './zod-errors.js';

const deployRequestSchema = z.object({
  project: slugSchema('project name'),
  ref: gitRefSchema,
  /** The commit the ref resolved to when requested: pinned, so what is approved is what ships. */
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'commit must be a full 40-character sha').optional(),
  scheduledAt: z.date().nullable().optional(),
  hooks: hooksSchema.partial().optional(),
  channel: z.string().optional(),
});
export type DeployRequestInput = z.input<typeof deployRequestSchema>;

/** Raised when an admin approves their own request without the explicit confirmation. */
export class SelfApprovalNeedsConfirmation extends UserError {
  constructor(readonly taskId: number) {
    super(`You requested deploy #${taskId} yourself. As an admin you may approve it, but only by confirming that no one else can review it.`);
  }
}

export class TaskService {
  constructor(private readonly em: EntityManager) {}

  /** Records a deploy request. Test projects are ready at once; prod projects wait for an approver. */
  async requestDeploy(actor: Actor, input: DeployRequestInput, now: Date = new Date()): Promise<TaskView> {
    const data = parseInput(deployRequestSchema, input, 'request the deploy');
    const project = await this.em.findOne(Project, { name: data.project });
    if (!project) throw new UserError(`No project named ${data.project}. See \`project list\`.`, { project: 'unknown project' });
    assertUnlocked(project);
    if (data.scheduledAt && data.scheduledAt.getTime() <= now.getTime()) {
      throw new UserError(`Cannot schedule a deploy in the past (${data.scheduledAt.toISOString()}): give a later time.`, { schedule: 'this time has passed' });
    }
    const hooks = { ...projectHooks(project), ...(data.hooks ?? {}) };
    const customised = (Object.keys(hooks) as (keyof HookScripts)[]).filter((h) => hooks[h] !== projectHooks(project)[h]);
    if (customised.length && !actor.isAdmin) {
      throw new UserError(`Only admins can change hook scripts (${customised.join(', ')}); deploy with the project's hooks, or ask an admin.`, { hooks: 'only admins can change hook scripts' });
    }

    const task = this.em.create(DeployTask, {
      project,
      kind: 'deploy',
      ref: data.ref,
      commit: data.commit ?? null,
      status: 'pending',
      hookBeforeDownload: hooks.before_download,
      hookAfterDownload: hooks.after_download,
      hookBeforeDeploy: hooks.before_deploy,
      hookAfterDeploy: hooks.after_deploy,
      requestedBy: actor.id,
      scheduledAt: data.scheduledAt ?? null,
      slackChannel: data.channel ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await this.em.flush(); // the id is part of every message from here on
    transitionTask(task, project.environment === 'prod' ? 'awaiting_approval' : data.scheduledAt ? 'scheduled' : 'approved', now);
    audit(this.em, actor, 'task.request', `task:${task.id}`, { project: project.name, ref: data.ref, scheduledAt: data.scheduledAt ?? null, customisedHooks: customised });
    await this.em.flush();
    return taskView(task);
  }

  /** A rollback task: no approval needed beyond who may ask (admins and the project's approvers). */
  async requestRollback(actor: Actor, projectName: string, targetRelease: string | undefined, now: Date = new Date()): Promise<TaskView> {
    const project = await this.em.findOne(Project, { name: projectName.trim().toLowerCase() });
    if (!project) throw new UserError(`No project named ${projectName}. See \`project list\`.`);
    if (!actor.isAdmin && !project.approvers.includes(actor.id)) {
      throw new UserError(`Only admins and the approvers of ${project.name} can roll it back.`);
    }
    if (targetRelease !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(targetRelease)) {
      throw new UserError(`"${targetRelease}" is not a release id: see \`/deploy tasks ${project.name}\` or the release list in \`project show ${project.name}\`.`);
    }
    assertUnlocked(project);
    const task = this.em.create(DeployTask, {
      project,
      kind: 'rollback',
      ref: targetRelease ?? 'previous',
      targetRelease: targetRelease ?? null,
      status: 'pending',
      // after_deploy usually restarts the app: a rollback needs it as much as a deploy does.
      hookBeforeDownload: project.hookBeforeDownload,
      hookAfterDownload: project.hookAfterDownload,
      hookBeforeDeploy: project.hookBeforeDeploy,
      hookAfterDeploy: project.hookAfterDeploy,
      requestedBy: actor.id,
      approvedBy: actor.id,
      approvedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await this.em.flush();
    transitionTask(task, 'approved', now);
    audit(this.em, actor, 'task.rollback', `task:${task.id}`, { project: project.name, targetRelease: targetRelease ?? null });
    await this.em.flush();
    return taskView(task);
  }

  async approve(actor: Actor, taskId: number, options: { confirmSelf?: boolean } = {}, now: Date = new Date()): Promise<TaskView> {
    const task = await this.require(taskId);
    if (task.status !== 'awaiting_approval') {
      throw new UserError(`Deploy #${task.id} is ${describeStatus(task.status)}${task.approvedBy ? ` (approved by ${task.approvedBy})` : ''}: there is nothing to approve.`);
    }
    const approvers = task.project.approvers;
    if (!approvers.includes(actor.id)) {
      throw new UserError(`Only the approvers of ${task.project.name} (${approvers.map(mention).join(', ')}) can approve deploy #${task.id}.`);
    }
    if (actor.id === task.requestedBy) {
      if (!actor.isAdmin) {
        throw new UserError(`You requested deploy #${task.id}, so you cannot approve it yourself: ask another approver (${approvers.filter((a) => a !== actor.id).map(mention).join(', ') || 'add one with `project edit`'}).`);
      }
      if (!options.confirmSelf) throw new SelfApprovalNeedsConfirmation(task.id);
    }
    task.approvedBy = actor.id;
    task.approvedAt = now;
    // A scheduled deploy keeps its time: approval never makes it run early.
    transitionTask(task, task.scheduledAt && task.scheduledAt.getTime() > now.getTime() ? 'scheduled' : 'approved', now);
    audit(this.em, actor, 'task.approve', `task:${task.id}`, { selfApproved: actor.id === task.requestedBy });
    await this.em.flush();
    return taskView(task);
  }

  async reject(actor: Actor, taskId: number, reason: string, now: Date = new Date()): Promise<TaskView> {
    const task = await this.require(taskId);
    if (task.status !== 'awaiting_approval') {
      throw new UserError(`Deploy #${task.id} is ${describeStatus(task.status)}: there is nothing to reject.`);
    }
    if (!task.project.approvers.includes(actor.id)) {
      throw new UserError(`Only the approvers of ${task.project.name} (${task.project.approvers.map(mention).join(', ')}) can reject deploy #${task.id}.`);
    }
    const why = reason.trim();
    if (!why) throw new UserError('Say why you reject this deploy: the requester will read it.', { reason: 'a reason is required' });
    if (why.length > 1000) throw new UserError('Keep the reason under 1000 characters.', { reason: 'too long' });
    task.rejectedBy = actor.id;
    task.rejectedAt = now;
    task.rejectReason = why;
    transitionTask(task, 'rejected', now);
    audit(this.em, actor, 'task.reject', `task:${task.id}`, { reason: why });
    await this.em.flush();
    return taskView(task);
  }

  /**
   * Cancels a task that has not started, or records the request to stop a running one (the
   * runner stops at its next safe point and sets the final status). Returns whether it was running.
   */
  async cancel(actor: Actor, taskId: number, now: Date = new Date()): Promise<{ task: TaskView; wasRunning: boolean }> {
    const task = await this.require(taskId);
    const allowed = actor.isAdmin || actor.id === task.requestedBy || task.project.approvers.includes(actor.id);
    if (!allowed) throw new UserError(`Only the requester, the approvers of ${task.project.name} or an admin can cancel deploy #${task.id}.`);
    if (task.status === 'running') {
      task.cancelledBy = actor.id;
      audit(this.em, actor, 'task.cancel_requested', `task:${task.id}`);
      await this.em.flush();
      return { task: taskView(task), wasRunning: true };
    }
    if (!WAITING_STATUSES.includes(task.status)) {
      throw new UserError(`Deploy #${task.id} is ${describeStatus(task.status)}: there is nothing to cancel.`);
    }
    task.cancelledBy = actor.id;
    transitionTask(task, 'cancelled', now);
    audit(this.em, actor, 'task.cancel', `task:${task.id}`);
    await this.em.flush();
    return { task: taskView(task), wasRunning: false };
  }

  /**
   * A new task that deploys the same commit to the servers that failed in `taskId` only. It goes
   * through the same approval rules as any deploy of that project.
   */
  async requestRetry(actor: Actor, taskId: number, now: Date = new Date()): Promise<TaskView> {
    const original = await this.require(taskId);
    if (original.kind !== 'deploy') throw new UserError(`Deploy #${taskId} is a rollback: roll back again instead of retrying it.`);
    if (!['failed', 'interrupted'].includes(original.status)) {
      throw new UserError(`Deploy #${taskId} is ${describeStatus(original.status)}: only a failed or interrupted deploy can be retried.`);
    }
    if (!original.commit) throw new UserError(`Deploy #${taskId} failed before its commit was known: request a new deploy of ${original.ref} instead.`);
    // The servers that failed in this task, or that do not serve its release now: after a
    // rollback-on-failure that is every server (none kept it); with on_failure=continue, the ones
    // that failed (even one that switched before its after_deploy failed).
    const rows = await this.em.find(TaskHost, { task: original }, { populate: ['server'] });
    const live = await this.em.find(Release, { project: original.project, isCurrent: true, releaseId: original.releaseId ?? '' });
    const failed = rows
      .filter((h) => h.server && (h.status === 'failed' || !live.some((r) => r.server.id === h.server!.id)))
      .map((h) => h.serverName);
    if (failed.length === 0) throw new UserError(`Every server of deploy #${taskId} serves its release and none failed: there is nothing to retry.`);
    assertUnlocked(original.project);
    const project = original.project;
    const task = this.em.create(DeployTask, {
      project,
      kind: 'deploy',
      // The exact commit, so a retry ships what the others got even if the tag has moved.
      ref: original.commit,
      status: 'pending',
      hookBeforeDownload: original.hookBeforeDownload,
      hookAfterDownload: original.hookAfterDownload,
      hookBeforeDeploy: original.hookBeforeDeploy,
      hookAfterDeploy: original.hookAfterDeploy,
      requestedBy: actor.id,
      retryOf: original.id,
      onlyServers: failed,
      slackChannel: original.slackChannel ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await this.em.flush();
    transitionTask(task, project.environment === 'prod' ? 'awaiting_approval' : 'approved', now);
    audit(this.em, actor, 'task.retry', `task:${task.id}`, { retryOf: original.id, servers: failed });
    await this.em.flush();
    return taskView(task);
  }

  /** One task with where each of its servers stands. */
  async details(taskId: number): Promise<{ task: TaskView; hosts: TaskHost[] }> {
    const task = await this.require(taskId);
    const hosts = await this.em.find(TaskHost, { task }, { orderBy: { serverName: 'asc' } });
    return { task: taskView(task), hosts };
  }

  async show(taskId: number): Promise<TaskView> {
    return taskView(await this.require(taskId));
  }

  async list(filter: { project?: string; statuses?: TaskStatus[]; limit?: number } = {}): Promise<TaskView[]> {
    const where: Record<string, unknown> = {};
    if (filter.project) {
      const project = await this.em.findOne(Project, { name: filter.project.trim().toLowerCase() });
      if (!project) throw new UserError(`No project named ${filter.project}. See \`project list\`.`);
      where.project = project;
    }
    if (filter.statuses) where.status = { $in: filter.statuses };
    const tasks = await this.em.find(DeployTask, where, { orderBy: { id: 'desc' }, limit: filter.limit ?? 20, populate: ['project'] });
    return tasks.map(taskView);
  }

  /** Remembers where a task's status message lives, so every later update edits the same message. */
  async attachMessage(taskId: number, channel: string, ts: string): Promise<void> {
    const task = await this.require(taskId);
    task.slackChannel = channel;
    task.slackMessageTs = ts;
    await this.em.flush();
  }

  async require(taskId: number): Promise<DeployTask> {
    if (!Number.isSafeInteger(taskId) || taskId <= 0) throw new UserError(`"${taskId}" is not a task number: use the number shown as #12 in the task message.`);
    const task = await this.em.findOne(DeployTask, { id: taskId }, { populate: ['project'] });
    if (!task) throw new UserError(`There is no deploy #${taskId}. See \`/deploy tasks\`.`);
    return task;
  }
}

function assertUnlocked(project: Project): void {
  if (project.lockedBy) {
    throw new UserError(`Project ${project.name} is locked by ${mention(project.lockedBy)}${project.lockReason ? `: ${project.lockReason}` : ''}. It can be unlocked with \`/deploy unlock ${project.name}\`.`);
  }
}
