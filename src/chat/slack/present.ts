import { channelRef } from '../../core/mention.js';
import type { webApi } from '@slack/bolt';
import { errorMessage } from '../../errors.js';
import type { CommandOutcome } from '../../commands/replies/command-outcome.js';
import type { Reply } from '../../commands/replies/reply.js';
import { decisionText } from './blocks/decisions.js';
import { replyMessage } from './blocks/reply-blocks.js';
import type { SlackDeps } from './slack-deps.js';

/** Showing outcomes in Slack: ephemeral answers, and task messages through TaskMessages. */

type TaskOutcome = Extract<CommandOutcome, { kind: 'task' }>;

/** A `respond()` payload only the user sees; `replace` takes the place of an earlier one (a progress note). */
export function ephemeral(reply: Reply, replace = false): { response_type: 'ephemeral'; replace_original: boolean; text: string; blocks: ReturnType<typeof replyMessage>['blocks'] } {
  return { response_type: 'ephemeral', replace_original: replace, ...replyMessage(reply) };
}

/**
 * An ephemeral message to `user` in `channel` (chat.postEphemeral). Where that is impossible (no
 * channel, or the bot cannot post there) the user gets it as a direct message instead.
 */
export async function tellUser(deps: SlackDeps, client: webApi.WebClient, target: { user: string; channel?: string | undefined }, message: { text: string; blocks?: unknown[] }): Promise<void> {
  const blocks = message.blocks as never;
  if (target.channel) {
    try {
      await client.chat.postEphemeral({ channel: target.channel, user: target.user, text: message.text, ...(blocks ? { blocks } : {}) });
      return;
    } catch (err) {
      deps.log.warn('ephemeral message failed, sending a direct message', { channel: target.channel, error: errorMessage(err) });
    }
  }
  try {
    await client.chat.postMessage({ channel: target.user, text: message.text, ...(blocks ? { blocks } : {}), unfurl_links: false });
  } catch (err) {
    deps.log.warn('direct message failed', { error: errorMessage(err) });
  }
}

export const tellUserReply = (deps: SlackDeps, client: webApi.WebClient, target: { user: string; channel?: string | undefined }, reply: Reply): Promise<void> =>
  tellUser(deps, client, target, replyMessage(reply));

/** True for events that create a task (its message is posted where the request came from). */
export const createsTask = (outcome: TaskOutcome): boolean => outcome.event === 'requested' || outcome.event === 'retry' || outcome.event === 'rollback';

/**
 * Shows a task outcome on the task's status message: a new task gets its message in `channel`;
 * a decision updates the message and is written in its thread. A retry or rollback started from
 * another task's button is also noted in that task's thread. Returns false if Slack refused
 * (the caller then shows the reply to the user instead).
 */
export async function announceTask(deps: SlackDeps, outcome: TaskOutcome, context: { channel?: string | undefined; actorId: string; sourceTaskId?: number }): Promise<boolean> {
  return (await announceTaskWhere(deps, outcome, context)).shown;
}

/** What the requester should be told when the bot could not post where they asked. */
export function cannotPostReply(taskId: number, refused: { channel: string; error: string }, postedIn: string | null): Reply {
  const where = postedIn ? `Its message, with the buttons, is in ${channelRef(postedIn)}.` : 'The approvers got it in a direct message.';
  const text = `I cannot post in this conversation (${refused.error}), so deploy #${taskId} has no message here. ${where} To follow deploys here, invite me: \`/invite @deploybot\`.`;
  return { text, blocks: [{ type: 'text', text: `:information_source: ${text}` }] };
}

/** announceTask, also saying when the task's message could not go where it was asked for. */
export async function announceTaskWhere(
  deps: SlackDeps,
  outcome: TaskOutcome,
  context: { channel?: string | undefined; actorId: string; sourceTaskId?: number },
): Promise<{ shown: boolean; cannotPost: Reply | null }> {
  const task = outcome.task;
  const zone = deps.runtime.app.config.timezone;
  let cannotPost: Reply | null = null;
  try {
    if (createsTask(outcome)) {
      const published = await deps.taskMessages.publish(task.id, context.channel);
      if (published.refused) cannotPost = cannotPostReply(task.id, published.refused, published.channel);
      if (context.sourceTaskId !== undefined && context.sourceTaskId !== task.id) {
        await deps.taskMessages.thread(context.sourceTaskId, decisionText(outcome.event, task, context.actorId, zone));
      }
    } else {
      await deps.taskMessages.publish(task.id);
      await deps.taskMessages.thread(task.id, decisionText(outcome.event, task, context.actorId, zone));
    }
    return { shown: cannotPost === null, cannotPost };
  } catch (err) {
    deps.log.warn('task message failed', { taskId: task.id, event: outcome.event, error: errorMessage(err) });
    return { shown: false, cannotPost };
  }
}
