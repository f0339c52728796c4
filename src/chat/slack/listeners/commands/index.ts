import type { App, RespondFn, SlashCommand, webApi } from '@slack/bolt';
import { errorMessage } from '../../../../errors.js';
import { selfApprovalBlocks } from '../../blocks/decisions.js';
import { failure } from '../../guard.js';
import { SLASH_COMMAND } from '../../ids.js';
import { openModal } from '../../modals.js';
import { announceTaskWhere, createsTask, ephemeral } from '../../present.js';
import type { SlackDeps } from '../../slack-deps.js';

/**
 * `/deploy …`: ack at once (an empty ack shows nothing), then parse and run the command, and
 * answer through the response_url: ephemeral for replies and refusals, a modal for the forms,
 * the task's status message (TaskMessages) for deploys and decisions.
 */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async ({ ack, command, respond, client }) => {
    await ack();
    await handleDeployCommand(deps, { command, respond, client });
  });
}

export async function handleDeployCommand(deps: SlackDeps, args: { command: SlashCommand; respond: RespondFn; client: webApi.WebClient }): Promise<void> {
  const { command, respond, client } = args;
  const channel = command.channel_id;
  let outcome: Awaited<ReturnType<typeof deps.runtime.executor.run>>;
  try {
    outcome = await deps.runtime.executor.run(command.user_id, command.text, { channel, slackEscaped: true });
  } catch (err) {
    outcome = { kind: 'reply', reply: failure(deps.log, 'slash command', err).reply };
  }
  try {
    switch (outcome.kind) {
      case 'reply':
        await respond(ephemeral(outcome.reply));
        return;
      case 'open-modal': {
        const refusal = await openModal(deps, client, { triggerId: command.trigger_id, actor: deps.runtime.app.actor(command.user_id), modal: outcome.modal, name: outcome.name, channel });
        if (refusal) await respond(ephemeral(refusal));
        return;
      }
      case 'confirm-self-approval':
        await respond({ response_type: 'ephemeral', replace_original: false, ...selfApprovalBlocks(outcome.taskId, outcome.reply.text) });
        return;
      case 'task': {
        const { shown, cannotPost } = await announceTaskWhere(deps, outcome, { channel, actorId: command.user_id });
        // A new task's message appears right here; a decision's may be in another channel: confirm it.
        if (cannotPost) await respond(ephemeral({ ...outcome.reply, blocks: [...outcome.reply.blocks, ...cannotPost.blocks], text: `${outcome.reply.text} ${cannotPost.text}` }));
        else if (!shown || !createsTask(outcome)) await respond(ephemeral(outcome.reply));
        return;
      }
    }
  } catch (err) {
    // respond() itself failed (response_url expired): nothing else can reach the user.
    deps.log.warn('slash command answer failed', { command: outcome.kind, error: errorMessage(err) });
  }
}
