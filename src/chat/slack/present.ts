import type { webApi } from '@slack/bolt';
import { errorMessage } from '../../errors.js';
import type { CommandOutcome } from '../../commands/command-outcome.js';
import type { Reply } from '../../commands/reply.js';
import { decisionText } from './blocks/decisions.js';
import { replyMessage } from './blocks/reply-blocks.js';
import type { SlackDeps } from './slack-deps.js';

/** Showing outcomes in Slack: ephemeral answers, and task messages through TaskMessages. */

type TaskOutcome = Extract<CommandOutcome, { kind: 'task' }>;

/** A `respond()` payload only the user sees. */
export function ephemeral(reply: Reply): { response_type: 'ephemeral'; replace_original: false; text: string; blocks: ReturnType<typeof replyMessage>['blocks'] } {
  return { response_type: 'ephemeral', replace_original: false, ...replyMessage(reply) };
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
  const task = outcome.task;
  const zone = deps.runtime.app.config.timezone;
  try {
    if (createsTask(outcome)) {
      await deps.taskMessages.publish(task.id, context.channel);
      if (context.sourceTaskId !== undefined && context.sourceTaskId !== task.id) {
        await deps.taskMessages.thread(context.sourceTaskId, decisionText(outcome.event, task, context.actorId, zone));
      }
    } else {
      await deps.taskMessages.publish(task.id);
      await deps.taskMessages.thread(task.id, decisionText(outcome.event, task, context.actorId, zone));
    }
    return true;
  } catch (err) {
    deps.log.warn('task message failed', { taskId: task.id, event: outcome.event, error: errorMessage(err) });
    return false;
  }
}
