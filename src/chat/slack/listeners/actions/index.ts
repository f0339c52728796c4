import type { App, BlockAction, ButtonAction, RespondFn, StaticSelectAction, webApi } from '@slack/bolt';
import type { Actor } from '../../../../core/actor.js';
import { describeStatus } from '../../../../core/tasks/task-status.js';
import { UserError } from '../../../../errors.js';
import type { Command } from '../../../../commands/grammar/command-types.js';
import { mention } from '../../../../commands/replies/formatting.js';
import { errorReply } from '../../../../commands/replies/reply.js';
import { TASK_ACTIONS } from '../../action-ids.js';
import { selfApprovalBlocks } from '../../blocks/decisions.js';
import { guard } from '../../guard.js';
import { ACTIONS } from '../../ids.js';
import { decodeMetadata } from '../../metadata.js';
import { slackErrorCode } from '../../modals.js';
import { announceTask, tellUser, tellUserReply } from '../../present.js';
import type { SlackDeps } from '../../slack-deps.js';
import { deployModal } from '../../views/deploy-modal.js';
import { rejectModal } from '../../views/reject-modal.js';

/**
 * The task message's buttons, the self-approval confirmation, and the deploy form's project
 * select. Every button acks at once and then runs the matching command as the person who clicked;
 * a refusal (not an approver, own request…) is told to that person only and changes nothing.
 */
export type TaskButton = 'approve' | 'approve-self' | 'cancel' | 'rollback' | 'retry' | 'promote';

export function register(app: App, deps: SlackDeps): void {
  const buttons: [string, TaskButton][] = [
    [TASK_ACTIONS.approve, 'approve'],
    [ACTIONS.selfApprove, 'approve-self'],
    [TASK_ACTIONS.cancel, 'cancel'],
    [TASK_ACTIONS.rollback, 'rollback'],
    [TASK_ACTIONS.retry, 'retry'],
    [TASK_ACTIONS.promote, 'promote'],
  ];
  for (const [actionId, button] of buttons) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, respond }) => {
      await ack();
      await handleTaskButton(deps, { body, action, client, respond }, button);
    });
  }
  app.action<BlockAction<ButtonAction>>(TASK_ACTIONS.reject, async ({ ack, body, action, client }) => {
    await ack();
    await handleRejectButton(deps, { body, action, client });
  });
  app.action<BlockAction<StaticSelectAction>>(ACTIONS.deployProject, async ({ ack, body, action, client }) => {
    await ack();
    await handleDeployProjectPicked(deps, { body, action, client });
  });
}

interface ButtonArgs {
  body: BlockAction;
  action: ButtonAction;
  client: webApi.WebClient;
  respond?: RespondFn;
}

const channelOf = (body: BlockAction): string | undefined => body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;

function taskIdOf(action: ButtonAction): number | undefined {
  const id = Number(action.value);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * The rollback button undoes *this* deploy: the core pins the target and refuses if another
 * release went live since, or if another click already rolled it back.
 */
async function rollbackCommand(deps: SlackDeps, taskId: number): Promise<Command> {
  const task = await deps.runtime.app.withServices((services) => services.tasks.show(taskId));
  return { kind: 'rollback', project: task.project, undoes: taskId, raw: `rollback ${task.project} (button on #${task.id})` };
}

async function commandFor(deps: SlackDeps, button: TaskButton, taskId: number): Promise<Command> {
  switch (button) {
    case 'approve':
      return { kind: 'approve', taskId, raw: `approve ${taskId} (button)` };
    case 'approve-self':
      return { kind: 'approve', taskId, confirmSelf: true, raw: `approve ${taskId} --self (button)` };
    case 'cancel':
      return { kind: 'cancel', taskId, raw: `cancel ${taskId} (button)` };
    case 'retry':
      return { kind: 'retry', taskId, raw: `retry ${taskId} (button)` };
    case 'promote':
      return { kind: 'promote', taskId, raw: `promote ${taskId} (button)` };
    case 'rollback':
      return rollbackCommand(deps, taskId);
  }
}

export async function handleTaskButton(deps: SlackDeps, args: ButtonArgs, button: TaskButton): Promise<void> {
  const { body, action, client } = args;
  const user = body.user.id;
  const channel = channelOf(body);
  const target = { user, channel };
  const taskId = taskIdOf(action);
  if (taskId === undefined) {
    await tellUserReply(deps, client, target, errorReply('This button does not name a deploy. Use `/deploy tasks` to find it.'));
    return;
  }
  const actor: Actor = deps.runtime.app.actor(user);
  const command = await guard(deps.log, `${button} button`, () => commandFor(deps, button, taskId));
  if (!command.ok) {
    await tellUserReply(deps, client, target, command.reply);
    return;
  }
  const outcome = await deps.runtime.executor.execute(actor, command.value, { channel });
  switch (outcome.kind) {
    case 'task': {
      if (button === 'approve-self' && args.respond) {
        // The confirmation has done its job: remove it (best effort).
        await args.respond({ delete_original: true }).catch(() => undefined);
      }
      const shown = await announceTask(deps, outcome, { channel, actorId: user, sourceTaskId: taskId });
      if (!shown) await tellUserReply(deps, client, target, outcome.reply);
      return;
    }
    case 'confirm-self-approval':
      await tellUser(deps, client, target, selfApprovalBlocks(outcome.taskId, outcome.reply.text));
      return;
    case 'reply':
      await tellUserReply(deps, client, target, outcome.reply);
      return;
    case 'open-modal':
      return;
  }
}

/** Reject asks for a reason first. The approver check here only spares a form that would be refused. */
export async function handleRejectButton(deps: SlackDeps, args: Omit<ButtonArgs, 'respond'>): Promise<void> {
  const { body, action, client } = args;
  const user = body.user.id;
  const channel = channelOf(body);
  const taskId = taskIdOf(action);
  const opened = await guard(deps.log, 'open the reject form', async () => {
    if (taskId === undefined) throw new UserError('This button does not name a deploy. Use `/deploy tasks` to find it.');
    const { task, project } = await deps.runtime.app.withServices(async (services) => {
      const t = await services.tasks.show(taskId);
      return { task: t, project: await services.projects.show(t.project) };
    });
    if (task.status !== 'awaiting_approval') throw new UserError(`Deploy #${task.id} is ${describeStatus(task.status)}: there is nothing to reject.`);
    if (!project.approvers.includes(user)) {
      throw new UserError(`Only the approvers of ${project.name} (${project.approvers.map(mention).join(', ')}) can reject deploy #${task.id}.`);
    }
    const view = rejectModal({ taskId: task.id, project: task.project, ref: task.ref, requestedBy: task.requestedBy, metadata: channel ? { channel } : {} });
    try {
      await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (err) {
      throw new UserError(`Slack did not open the form (${slackErrorCode(err)}): click Reject again.`);
    }
  });
  if (!opened.ok) await tellUserReply(deps, client, { user, channel }, opened.reply);
}

/** The deploy form follows the picked project: its versions, its hooks; the fetch starts now. */
export async function handleDeployProjectPicked(deps: SlackDeps, args: { body: BlockAction; action: StaticSelectAction; client: webApi.WebClient }): Promise<void> {
  const { body, action, client } = args;
  const view = body.view;
  const name = action.selected_option?.value;
  if (!view || !name) return;
  const actor = deps.runtime.app.actor(body.user.id);
  const result = await guard(deps.log, 'update the deploy form', async () => {
    const { projects, selected } = await deps.runtime.app.withServices(async (s) => ({ projects: await s.projects.list(), selected: await s.projects.show(name) }));
    deps.versions.prefetch(selected.repoUrl);
    const next = deployModal({ projects, selected, isAdmin: actor.isAdmin, actorId: actor.id, metadata: decodeMetadata(view.private_metadata) });
    try {
      await client.views.update({ view_id: view.id, hash: view.hash, view: next });
    } catch (err) {
      // hash_conflict: the user changed the form again meanwhile; that newer change wins.
      if (slackErrorCode(err) !== 'hash_conflict') throw err;
    }
  });
  if (!result.ok) deps.log.warn('deploy form update failed', { error: result.reply.text });
}
