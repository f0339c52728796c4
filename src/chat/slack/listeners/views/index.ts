import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs } from '@slack/bolt';
import { failure, withinBudget } from '../../guard.js';
import { CALLBACKS } from '../../ids.js';
import { decodeMetadata } from '../../metadata.js';
import { tellUserReply } from '../../present.js';
import { ACK_BUDGET_MS, type SlackDeps } from '../../slack-deps.js';
import { submitProjectAdd, submitProjectEdit, submitProjectHooks, submitServerAdd, submitServerEdit } from '../../submissions/setup-submissions.js';
import type { Submission, Submitter } from '../../submissions/submission.js';
import { submitDeploy, submitReject } from '../../submissions/task-submissions.js';
import type { Reply } from '../../../../commands/replies/reply.js';
import { readDeployForm } from '../../views/deploy-modal.js';
import type { StateValues } from '../../views/view-state.js';

/**
 * Form submissions. Each is validated by the services before the ack, so a refusal is shown
 * beside the right input (`response_action: 'errors'`; Slack keeps what the user typed). Work
 * that outlasts Slack's 3 seconds (a slow git fetch behind the deploy form) is not cut short: the
 * form closes and the outcome reaches the user in the channel.
 */
export const SUBMITTERS: Record<string, Submitter> = {
  [CALLBACKS.serverAdd]: submitServerAdd,
  [CALLBACKS.serverEdit]: submitServerEdit,
  [CALLBACKS.projectAdd]: submitProjectAdd,
  [CALLBACKS.projectEdit]: submitProjectEdit,
  [CALLBACKS.projectHooks]: submitProjectHooks,
  [CALLBACKS.deploy]: submitDeploy,
  [CALLBACKS.reject]: submitReject,
};

export function register(app: App, deps: SlackDeps): void {
  for (const [callbackId, submit] of Object.entries(SUBMITTERS)) {
    app.view(callbackId, (args) => handleSubmission(deps, args, submit));
  }
}

/** What a person sees while a submission outlasts the form: "Resolving v2 of shop…". */
export function pendingNote(callbackId: string, values: StateValues): Reply {
  const form = callbackId === CALLBACKS.deploy ? readDeployForm(values) : null;
  const text = form?.project && form.ref ? `Resolving ${form.ref} of ${form.project}…` : 'Working on it…';
  const shown = form?.project && form.ref ? `:hourglass_flowing_sand: Resolving \`${form.ref}\` of *${form.project}*…` : ':hourglass_flowing_sand: Working on it…';
  return { text, blocks: [{ type: 'context', text: shown }] };
}

type ViewArgs = Pick<SlackViewMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'body' | 'view' | 'client'>;

export async function handleSubmission(deps: SlackDeps, args: ViewArgs, submit: Submitter): Promise<void> {
  const { ack, body, view, client } = args;
  if (body.type !== 'view_submission') {
    await ack();
    return;
  }
  const userId = body.user.id;
  const metadata = decodeMetadata(view.private_metadata);
  const context = { userId, actor: deps.runtime.app.actor(userId), values: view.state.values as StateValues, metadata };
  const work: Promise<Submission> = submit(deps, context).catch((err: unknown) => ({ kind: 'failed' as const, reply: failure(deps.log, `submit ${view.callback_id}`, err).reply }));
  const early = await withinBudget(work, ACK_BUDGET_MS);
  if (early.done && early.value.kind === 'invalid') {
    await ack({ response_action: 'errors', errors: early.value.errors });
    return;
  }
  await ack();
  const target = { user: userId, channel: metadata.channel };
  // The form has closed and the work goes on (a slow fetch): say so at once, or people submit again.
  if (!early.done) await tellUserReply(deps, client, target, pendingNote(view.callback_id, context.values));
  const result = early.done ? early.value : await work;
  if (result.kind === 'done') await result.after(client);
  else await tellUserReply(deps, client, target, result.reply);
}
