import type { App, RespondFn, SlashCommand, webApi } from '@slack/bolt';
import { parseCommand } from '../../../../commands/grammar/commands.js';
import type { Reply } from '../../../../commands/replies/reply.js';
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

/** The note shown at once while a deploy's ref is fetched and resolved (a slow fetch takes seconds). */
export function resolvingNote(text: string): Reply | null {
  const parsed = parseCommand(text, { slackEscaped: true });
  if (!parsed.ok || parsed.command.kind !== 'deploy') return null;
  const note = `Resolving ${parsed.command.ref} of ${parsed.command.project}…`;
  return { text: note, blocks: [{ type: 'context', text: `:hourglass_flowing_sand: Resolving \`${parsed.command.ref}\` of *${parsed.command.project}*…` }] };
}

export async function handleDeployCommand(deps: SlackDeps, args: { command: SlashCommand; respond: RespondFn; client: webApi.WebClient }): Promise<void> {
  const { command, respond, client } = args;
  const channel = command.channel_id;
  // Feedback before the fetch, so nobody retypes the command; the answer below replaces it.
  const note = resolvingNote(command.text);
  if (note) await respond(ephemeral(note)).catch((err: unknown) => deps.log.warn('progress note failed', { error: errorMessage(err) }));
  const replace = note !== null;
  let outcome: Awaited<ReturnType<typeof deps.runtime.executor.run>>;
  try {
    // `at 18:30` means 18:30 where the person is (only looked up when a time is given).
    const timeZone = /\bat\s/i.test(command.text) ? await deps.zones.of(command.user_id) : undefined;
    outcome = await deps.runtime.executor.run(command.user_id, command.text, { channel, slackEscaped: true, ...(timeZone ? { timeZone } : {}) });
  } catch (err) {
    outcome = { kind: 'reply', reply: failure(deps.log, 'slash command', err).reply };
  }
  try {
    switch (outcome.kind) {
      case 'reply':
        await respond(ephemeral(outcome.reply, replace));
        // A lock or unlock changes what waiting tasks' messages say.
        for (const taskId of outcome.touched ?? []) await deps.taskMessages.publish(taskId).catch((err) => deps.log.warn('task message refresh failed', { taskId, error: errorMessage(err) }));
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
        if (cannotPost) await respond(ephemeral({ ...outcome.reply, blocks: [...outcome.reply.blocks, ...cannotPost.blocks], text: `${outcome.reply.text} ${cannotPost.text}` }, replace));
        else if (!shown || !createsTask(outcome) || replace) await respond(ephemeral(outcome.reply, replace));
        return;
      }
    }
  } catch (err) {
    // respond() itself failed (response_url expired): nothing else can reach the user.
    deps.log.warn('slash command answer failed', { command: outcome.kind, error: errorMessage(err) });
  }
}
