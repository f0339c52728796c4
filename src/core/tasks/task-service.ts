import { projectFreeze } from '../gates/freeze-service.js';
import { checkPromotion } from '../gates/promotion.js';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { DeployTask, Project, Release, TaskHost, type TaskStatus } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { mention } from '../mention.js';
import { hooksSchema } from '../projects/project-schemas.js';
import { describeStatus, OPEN_STATUSES, transitionTask, WAITING_STATUSES } from './task-status.js';
import { pinRollback } from './rollback-target.js';
import { isUniqueViolation } from '../../store/store-errors.js';
import { transitionWhere } from '../../store/task-store.js';
import { gitRefSchema, slugSchema } from '../validation.js';
import { projectHooks, taskView, type HookScripts, type TaskView } from '../views.js';
import { parseInput } from '../zod-errors.js';

const deployRequestSchema = z.object({
  project: slugSchema('project name'),
  ref: gitRefSchema,
  /** The commit the ref resolved to when requested: pinned, so what is approved is what ships. */
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'commit must be a full 40-character sha').optional(),
  scheduledAt: z.date().nullable().optional(),
  hooks: hooksSchema.partial().optional(),
  channel: z.string().optional(),
  /** An admin's reason to deploy past a gate (a commit not yet proven on the test project). */
  override: z.string().trim().max(500, 'keep the override reason under 500 characters').optional(),
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

    const promotion = await checkPromotion(this.em, project, { ref: data.ref, commit: data.commit ?? null, override: data.override }, actor);
    const frozen = await projectFreeze(this.em, project.id, now);
    if (data.override !== undefined && !actor.isAdmin) throw new UserError('Only admins can override a release gate (a freeze window, the promotion rule).');
    const passed = [project.promoteFrom && !promotion ? 'promotion' : null, frozen ? 'freeze' : null].filter((g): g is string => g !== null);
    const overridden = passed.length && data.override ? data.override : null;
    const task = this.em.create(DeployTask, {
      project,
      kind: 'deploy',
      ref: data.ref,
      commit: data.commit ?? null,
      promotion,
      overrideReason: overridden,
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
    for (const gate of overridden ? passed : []) {
      const what = gate === 'promotion' ? { from: project.promoteFrom } : { freeze: frozen!.reason, until: frozen!.endsAt.toISOString() };
      audit(this.em, actor, 'task.gate_override', `task:${task.id}`, { gate, ...what, commit: data.commit ?? null, reason: overridden });
    }
    await this.em.flush();
    return taskView(task);
  }

  /**
   * A rollback task: no approval needed beyond who may ask (admins and the project's approvers).
   * Its target is pinned now (store history), with what was live then, and shown in the reply; at
   * most one rollback per project is open at a time (the database refuses a second).
   */
  async requestRollback(actor: Actor, projectName: string, targetRelease: string | undefined, now: Date = new Date(), options: { undoes?: number } = {}): Promise<TaskView> {
    const project = await this.em.findOne(Project, { name: projectName.trim().toLowerCase() }, { populate: ['servers'] });
    if (!project) throw new UserError(`No project named ${projectName}. See \`project list\`.`);
    if (!actor.isAdmin && !project.approvers.includes(actor.id)) {
      throw new UserError(`Only admins and the approvers of ${project.name} can roll it back.`);
    }
    if (targetRelease !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(targetRelease)) {
      throw new UserError(`"${targetRelease}" is not a release id: see \`/deploy tasks ${project.name}\` or the release list in \`project show ${project.name}\`.`);
    }
    assertUnlocked(project);
    await this.refuseOpen(project, { kind: 'rollback' });
    const undoes = options.undoes ? await this.require(options.undoes) : undefined;
    const pinned = await pinRollback(this.em, project, { target: targetRelease, undoes });
    const task = this.em.create(DeployTask, {
      project,
      kind: 'rollback',
      ref: targetRelease ?? 'previous',
      targetRelease: pinned.target,
      fromRelease: pinned.from,
      rollbackOf: undoes?.id ?? null,
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
    await this.flushNew(task, project, 'rollback');
    transitionTask(task, 'approved', now);
    audit(this.em, actor, 'task.rollback', `task:${task.id}`, { project: project.name, targetRelease: pinned.target, fromRelease: pinned.from, undoes: undoes?.id ?? null });
    await this.em.flush();
    return taskView(task);
  }

  /** One winner: among simultaneous clicks, exactly one approval is recorded; the others are told who won. */
  async approve(actor: Actor, taskId: number, options: { confirmSelf?: boolean } = {}, now: Date = new Date(), attempt = 0): Promise<TaskView> {
    const task = attempt ? await this.reload(taskId) : await this.require(taskId);
    if (task.status !== 'awaiting_approval') throw decidedAlready(task, 'approve');
    const approvers = task.project.approvers;
    if (!approvers.includes(actor.id)) {
      throw new UserError(`Only the approvers of ${task.project.name} (${approvers.map(mention).join(', ')}) can approve deploy #${task.id}.`);
    }
    const required = task.project.requiredApprovals ?? 1;
    if (actor.id === task.requestedBy && required > 1) {
      throw new UserError(`You requested deploy #${task.id}, so your approval does not count: it needs ${required} approvals from other approvers (${approvers.filter((a) => a !== actor.id).map(mention).join(', ')}).`);
    }
    if (actor.id === task.requestedBy) {
      if (!actor.isAdmin) {
        throw new UserError(`You requested deploy #${task.id}, so you cannot approve it yourself: ask another approver (${approvers.filter((a) => a !== actor.id).map(mention).join(', ') || 'add one with `project edit`'}).`);
      }
      if (!options.confirmSelf) throw new SelfApprovalNeedsConfirmation(task.id);
    }
    const given = task.approvals ?? [];
    if (given.some((a) => a.by === actor.id)) throw alreadyApprovedByYou(task, required);
    const approvals = [...given, { by: actor.id, at: now.toISOString() }];
    const complete = approvals.length >= required;
    // One conditional update per approval, on the count read above: of two simultaneous clicks on
    // one count, one wins and the other looks again (a second person's approval is then added on top).
    const counted = { approvalCount: task.approvalCount ?? 0 };
    const details = { selfApproved: actor.id === task.requestedBy, ...(required > 1 ? { approval: approvals.length, of: required } : {}) };
    const won = complete
      ? await this.decide(task.id, ['awaiting_approval'], scheduledOrApproved(task, now), { approvedBy: actor.id, approvedAt: now, approvals, approvalCount: approvals.length }, now, (em) => audit(em, actor, 'task.approve', `task:${task.id}`, details), counted)
      : await this.em.fork().transactional(async (em) => {
          const n = await em.nativeUpdate(DeployTask, { id: task.id, status: 'awaiting_approval', ...counted }, { approvals, approvalCount: approvals.length, updatedAt: now });
          if (n === 1) audit(em, actor, 'task.approve', `task:${task.id}`, details);
          return n === 1;
        });
    const fresh = await this.reload(task.id);
    if (won) return taskView(fresh);
    // Lost the race: decided meanwhile, or someone else's approval came first; in that case try again on top of it.
    if (fresh.status !== 'awaiting_approval') throw decidedAlready(fresh, 'approve');
    if (attempt >= 5) throw new UserError(`Deploy #${task.id} is being approved by several people at once: try again in a moment.`);
    return this.approve(actor, taskId, options, now, attempt + 1);
  }

  async reject(actor: Actor, taskId: number, reason: string, now: Date = new Date()): Promise<TaskView> {
    const task = await this.require(taskId);
    if (task.status !== 'awaiting_approval') throw decidedAlready(task, 'reject');
    if (!task.project.approvers.includes(actor.id)) {
      throw new UserError(`Only the approvers of ${task.project.name} (${task.project.approvers.map(mention).join(', ')}) can reject deploy #${task.id}.`);
    }
    const why = reason.trim();
    if (!why) throw new UserError('Say why you reject this deploy: the requester will read it.', { reason: 'a reason is required' });
    if (why.length > 1000) throw new UserError('Keep the reason under 1000 characters.', { reason: 'too long' });
    const won = await this.decide(task.id, ['awaiting_approval'], 'rejected', { rejectedBy: actor.id, rejectedAt: now, rejectReason: why }, now, (em) =>
      audit(em, actor, 'task.reject', `task:${task.id}`, { reason: why }),
    );
    const fresh = await this.reload(task.id);
    if (!won) throw decidedAlready(fresh, 'reject');
    return taskView(fresh);
  }

  /**
   * Promotes a prod deploy whose canary passed (it waits for this before the rest of the fleet
   * switches). Who may: an approver of the project who did not request it; an admin promoting their
   * own deploy (or one of a project they do not approve) only with a reason, audited. One
   * conditional update on the task row: of simultaneous clicks in any processes, one wins and the
   * others are told who promoted it. The runner, wherever it runs, hears it through the database.
   */
  async promote(actor: Actor, taskId: number, options: { override?: string } = {}, now: Date = new Date()): Promise<TaskView> {
    const task = await this.require(taskId);
    if (!awaitingPromotion(task)) throw notAwaitingPromotion(task);
    const reason = options.override?.trim();
    if (options.override !== undefined && !actor.isAdmin) throw new UserError('Only admins can promote with `override="why"`; an approver promotes without one.');
    if (options.override !== undefined && !reason) throw new UserError(`Say why you override: \`promote ${task.id} override="why"\`.`);
    const approvers = task.project.approvers;
    const others = approvers.filter((a) => a !== task.requestedBy);
    const ask = others.length ? `ask another approver (${others.map(mention).join(', ')})` : 'ask an approver (add one with `project edit`)';
    const withReason = `\`promote ${task.id} override="why"\``;
    if (actor.id === task.requestedBy) {
      if (!actor.isAdmin) throw new UserError(`You requested deploy #${task.id}, so you cannot promote it yourself: ${ask}.`);
      if (!reason) throw new UserError(`You requested deploy #${task.id} yourself. As an admin you may promote it, but only with a reason, which is audited: ${withReason}.`);
    } else if (!approvers.includes(actor.id)) {
      const who = `Only the approvers of ${task.project.name} (${approvers.map(mention).join(', ') || 'none yet'}) can promote deploy #${task.id}.`;
      if (!actor.isAdmin) throw new UserError(who);
      if (!reason) throw new UserError(`${who} As an admin you may promote it with a reason, which is audited: ${withReason}.`);
    }
    const overridden = reason && (actor.id === task.requestedBy || !approvers.includes(actor.id)) ? reason : null;
    const won = await this.em.fork().transactional(async (em) => {
      const n = await em.nativeUpdate(
        DeployTask,
        { id: task.id, status: 'running', canaryPassedAt: { $ne: null }, promotedBy: null, cancelledBy: null, stopReason: null },
        { promotedBy: actor.id, promotedAt: now, promoteReason: reason ?? null, updatedAt: now },
      );
      if (n !== 1) return false;
      audit(em, actor, 'task.promote', `task:${task.id}`, { selfPromoted: actor.id === task.requestedBy, reason: reason ?? null });
      if (overridden) audit(em, actor, 'task.gate_override', `task:${task.id}`, { gate: 'canary promote', reason: overridden, requestedBy: task.requestedBy });
      return true;
    });
    const fresh = await this.reload(task.id);
    if (!won) throw notAwaitingPromotion(fresh);
    return taskView(fresh);
  }

  /**
   * Cancels a task that has not started, or records the request to stop a running one, wherever it
   * runs: its owner hears it through the database and stops at its next safe point, then sets the
   * final status. One conditional update either way, so a cancel racing the claim lands on one
   * side: cancelled before it started, or a running task asked to stop. Returns whether it was running.
   */
  async cancel(actor: Actor, taskId: number, now: Date = new Date()): Promise<{ task: TaskView; wasRunning: boolean }> {
    const task = await this.require(taskId);
    const allowed = actor.isAdmin || actor.id === task.requestedBy || task.project.approvers.includes(actor.id);
    if (!allowed) throw new UserError(`Only the requester, the approvers of ${task.project.name} or an admin can cancel deploy #${task.id}.`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.reload(task.id);
      if (WAITING_STATUSES.includes(current.status)) {
        const won = await this.decide(task.id, [current.status], 'cancelled', { cancelledBy: actor.id }, now, (em) => audit(em, actor, 'task.cancel', `task:${task.id}`));
        if (won) return { task: taskView(await this.reload(task.id)), wasRunning: false };
        continue; // it moved on (claimed, approved…): look again
      }
      if (current.status === 'running') {
        if (current.cancelledBy) return { task: taskView(current), wasRunning: true };
        const asked = await this.em.fork().transactional(async (em) => {
          const n = await em.nativeUpdate(DeployTask, { id: task.id, status: 'running', cancelledBy: null }, { cancelledBy: actor.id });
          if (n === 1) audit(em, actor, 'task.cancel_requested', `task:${task.id}`);
          return n === 1;
        });
        if (asked) return { task: taskView(await this.reload(task.id)), wasRunning: true };
        continue;
      }
      throw new UserError(`Deploy #${task.id} is ${describeStatus(current.status)}: there is nothing to cancel.`);
    }
    throw new UserError(`Deploy #${task.id} changed while cancelling it; look at \`status ${task.id}\` and try again.`);
  }

  /**
   * A new task that deploys the same commit to the servers that failed in `taskId` only. It goes
   * through the same approval rules as any deploy of that project; one open retry per project.
   */
  async requestRetry(actor: Actor, taskId: number, now: Date = new Date()): Promise<TaskView> {
    const original = await this.require(taskId);
    if (original.kind !== 'deploy') throw new UserError(`Deploy #${taskId} is a rollback: roll back again instead of retrying it.`);
    if (!['failed', 'interrupted', 'cancelled'].includes(original.status)) {
      throw new UserError(`Deploy #${taskId} is ${describeStatus(original.status)}: only a failed, interrupted or cancelled deploy can be retried.`);
    }
    if (!original.commit) throw new UserError(`Deploy #${taskId} ${original.status === 'cancelled' ? 'was cancelled' : 'failed'} before its commit was known: request a new deploy of ${original.ref} instead.`);
    // The servers that failed in this task, or that do not serve its release now: after a
    // rollback-on-failure that is every server (none kept it); with on_failure=continue, the ones
    // that failed (even one that switched before its after_deploy failed).
    const rows = await this.em.find(TaskHost, { task: original }, { populate: ['server'] });
    const live = await this.em.find(Release, { project: original.project, isCurrent: true, releaseId: original.releaseId ?? '' });
    const failed = rows
      .filter((h) => h.server && (h.status === 'failed' || h.status === 'skipped' || !live.some((r) => r.server.id === h.server!.id)))
      .map((h) => h.serverName);
    if (failed.length === 0) throw new UserError(`Every server of deploy #${taskId} serves its release and none failed: there is nothing to retry.`);
    assertUnlocked(original.project);
    const project = original.project;
    await this.refuseOpen(project, { retry: true });
    const task = this.em.create(DeployTask, {
      project,
      kind: 'deploy',
      // The exact commit, so a retry ships what the others got even if the tag has moved.
      ref: original.commit,
      commit: original.commit,
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
    await this.flushNew(task, project, 'retry');
    transitionTask(task, project.environment === 'prod' ? 'awaiting_approval' : 'approved', now);
    audit(this.em, actor, 'task.retry', `task:${task.id}`, { retryOf: original.id, servers: failed });
    await this.em.flush();
    return taskView(task);
  }

  /** One conditional status change and its audit row, in one transaction; true if this call won. */
  private decide(taskId: number, from: readonly TaskStatus[], to: TaskStatus, changes: Parameters<typeof transitionWhere>[4], now: Date, record: (em: EntityManager) => void, where: Parameters<typeof transitionWhere>[5] = {}): Promise<boolean> {
    return this.em.fork().transactional(async (em) => {
      const won = await transitionWhere(em, taskId, from, to, changes, where, now);
      if (won) record(em);
      return won;
    });
  }

  private reload(taskId: number): Promise<DeployTask> {
    return this.em.findOneOrFail(DeployTask, { id: taskId }, { populate: ['project'], refresh: true });
  }

  /** A friendly refusal before the database's own (the unique index), which the race can still hit. */
  private async refuseOpen(project: Project, what: { kind?: 'rollback'; retry?: boolean }): Promise<void> {
    const where: Record<string, unknown> = { project, status: { $in: [...OPEN_STATUSES] } };
    if (what.kind) where.kind = what.kind;
    if (what.retry) where.retryOf = { $ne: null };
    const open = await this.em.findOne(DeployTask, where, { fields: ['id', 'status', 'targetRelease', 'retryOf'] });
    if (open) throw openRefusal(project, open, what.kind ? 'rollback' : 'retry');
  }

  /** Inserts a new task; the unique indexes turn a concurrent twin into a clear refusal. */
  private async flushNew(task: DeployTask, project: Project, what: 'rollback' | 'retry'): Promise<void> {
    try {
      await this.em.flush();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      this.em.clear();
      const open = await this.em.findOne(DeployTask, { project: project.id, status: { $in: [...OPEN_STATUSES] }, ...(what === 'rollback' ? { kind: 'rollback' } : { retryOf: { $ne: null } }) });
      throw open ? openRefusal(project, open, what) : new UserError(`Another ${what} of ${project.name} was requested at the same moment: look at \`tasks ${project.name}\`.`);
    }
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

/** Why a decision cannot be taken any more, naming who took the one that won. */
function decidedAlready(task: DeployTask, verb: 'approve' | 'reject'): UserError {
  const what = `${task.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${task.id}`;
  if (task.approvedBy && ['approved', 'scheduled', 'running', 'success', 'failed', 'interrupted'].includes(task.status)) {
    return new UserError(`${what} was already approved by ${mention(task.approvedBy)}${task.status === 'approved' || task.status === 'scheduled' ? '' : ` (it is ${describeStatus(task.status)})`}: there is nothing to ${verb}.`);
  }
  if (task.status === 'rejected') return new UserError(`${what} was already rejected by ${mention(task.rejectedBy ?? 'someone')}${task.rejectReason ? `: ${task.rejectReason}` : ''}.`);
  if (task.status === 'cancelled') return new UserError(`${what} was cancelled${task.cancelledBy ? ` by ${mention(task.cancelledBy)}` : ''}: there is nothing to ${verb}.`);
  return new UserError(`${what} is ${describeStatus(task.status)}: there is nothing to ${verb}.`);
}

/** A running deploy whose canary passed and that nobody promoted (nor asked to stop) yet. */
function awaitingPromotion(task: DeployTask): boolean {
  return task.kind === 'deploy' && task.status === 'running' && Boolean(task.canaryPassedAt) && !task.promotedBy && !task.cancelledBy && !task.stopReason;
}

/** Why `promote` has nothing to do, naming who promoted it when someone did. */
function notAwaitingPromotion(task: DeployTask): UserError {
  if (task.kind !== 'deploy') return new UserError(`Rollback #${task.id} has no canary: there is nothing to promote.`);
  const what = `Deploy #${task.id}`;
  if (task.promotedBy) {
    const state = task.status === 'running' ? 'the rest of its servers are following' : `it is ${describeStatus(task.status)}`;
    return new UserError(`${what} was already promoted by ${mention(task.promotedBy)}${task.promoteReason ? ` (${task.promoteReason})` : ''}; ${state}: there is nothing to promote.`);
  }
  if ((WAITING_STATUSES as readonly TaskStatus[]).includes(task.status)) return new UserError(`${what} is ${describeStatus(task.status)}: it has not started, so there is no canary to promote yet.`);
  if (task.status !== 'running') return new UserError(`${what} is ${describeStatus(task.status)}: there is nothing to promote.`);
  if (task.cancelledBy) return new UserError(`${what} is being cancelled by ${mention(task.cancelledBy)}: there is nothing to promote.`);
  if (task.stopReason) return new UserError(`${what} is being stopped (${task.stopReason}): there is nothing to promote.`);
  const gated = task.project.environment === 'prod' && /^canary:/.test(task.project.rollout ?? 'all');
  if (!gated) return new UserError(`${what} does not wait for a Promote: only deploys of prod projects with a canary (\`rollout=canary:…\`) do.`);
  return new UserError(`${what} is not waiting for a Promote yet: its canary has not passed its checks. Promote it once its message says so.`);
}

function openRefusal(project: Project, open: Pick<DeployTask, 'id' | 'status' | 'targetRelease' | 'retryOf'>, what: 'rollback' | 'retry'): UserError {
  const detail = what === 'rollback' ? (open.targetRelease ? ` (to \`${open.targetRelease}\`)` : '') : open.retryOf ? ` (retrying #${open.retryOf})` : '';
  return new UserError(`${what === 'rollback' ? 'Rollback' : 'Retry'} #${open.id} of ${project.name}${detail} is already ${describeStatus(open.status)}: one ${what} at a time. Wait for it, or \`cancel ${open.id}\`.`);
}

function assertUnlocked(project: Project): void {
  if (project.lockedBy) {
    throw new UserError(`Project ${project.name} is locked by ${mention(project.lockedBy)}${project.lockReason ? `: ${project.lockReason}` : ''}. It can be unlocked with \`/deploy unlock ${project.name}\`.`);
  }
}

/** A scheduled deploy keeps its time: approval never makes it run early. */
const scheduledOrApproved = (task: DeployTask, now: Date): 'scheduled' | 'approved' =>
  task.scheduledAt && task.scheduledAt.getTime() > now.getTime() ? 'scheduled' : 'approved';

function alreadyApprovedByYou(task: DeployTask, required: number): UserError {
  const missing = required - (task.approvals?.length ?? 0);
  const others = task.project.approvers.filter((a) => a !== task.requestedBy && !(task.approvals ?? []).some((g) => g.by === a));
  return new UserError(`You already approved deploy #${task.id}: it needs ${missing} more approval${missing > 1 ? 's' : ''} from another approver (${others.map(mention).join(', ')}).`);
}
