import type { TaskView } from '../../../core/views.js';
import { mention, shortSha } from '../../../commands/replies/formatting.js';
import { linkRef } from '../../../core/mention.js';
import { TASK_ACTIONS } from '../action-ids.js';
import { plainText, safeMrkdwn } from '../blocks/mrkdwn.js';
import { truncate } from '../blocks/text.js';
import type { Block } from './task-message-blocks.js';

/**
 * What approvers and requesters are told directly (a DM, or a mention in the thread). Pure.
 * Refs and reasons come from people and repositories: texts are written with the bot's marks
 * (mention, linkRef) and go through the one escaping rule (safeMrkdwn) on their way out.
 */

const what = (t: TaskView): string =>
  t.kind === 'rollback' ? `rollback #${t.id} of *${t.project}*` : `deploy #${t.id} of *${t.project}* \`${t.ref}\` → \`${shortSha(t.commit)}\``;

const link = (permalink: string | null): string => (permalink ? ` ${linkRef(permalink, 'Open the request')}` : '');

/** The request as an approver's DM: who asks, what changes, the buttons, and a link to the message. */
export function approverRequest(t: TaskView, changes: string[], permalink: string | null): { text: string; blocks: Block[] } {
  const head = `:raised_hand: ${mention(t.requestedBy)} asks you to approve ${what(t)} on *${t.environment}*.`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`${head}${link(permalink)}`) } }];
  if (changes.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(truncate(changes.join('\n'), 1400)) } });
  const button = (text: string, action: string, style: 'primary' | 'danger') => ({ type: 'button', text: { type: 'plain_text', text }, action_id: action, value: String(t.id), style });
  blocks.push({ type: 'actions', block_id: `approver_actions_${t.id}`, elements: [button('Approve', TASK_ACTIONS.approve, 'primary'), button('Reject', TASK_ACTIONS.reject, 'danger')] });
  return { text: plainText(`${mention(t.requestedBy)} asks you to approve ${t.kind} #${t.id} of ${t.project}`), blocks };
}

/** The same DM once someone decided: no buttons left to click. */
export function approverDecided(t: TaskView, permalink: string | null): { text: string; blocks: Block[] } {
  const by = t.rejectedBy ? `rejected by ${mention(t.rejectedBy)}` : t.approvedBy ? `approved by ${mention(t.approvedBy)}` : t.status.replace('_', ' ');
  const text = `${what(t)} was ${by}.${link(permalink)}`;
  return { text: plainText(`Deploy #${t.id} of ${t.project}: ${by}`), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`:ballot_box_with_check: ${text}`) } }] };
}

/** A prod deploy's canary passed: each approver (but the requester) may Promote it from the DM. */
export function promoteRequest(t: TaskView, canary: readonly string[], permalink: string | null): { text: string; blocks: Block[] } {
  const on = canary.length ? ` on ${canary.slice(0, 5).join(', ')}${canary.length > 5 ? ` and ${canary.length - 5} more` : ''}` : '';
  const head = `:hourglass_flowing_sand: The canary of ${what(t)} (requested by ${mention(t.requestedBy)}) is healthy${on}; the other servers wait for an approver to Promote.`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`${head}${link(permalink)}`) } }];
  const button = (text: string, action: string, style: 'primary' | 'danger') => ({ type: 'button', text: { type: 'plain_text', text }, action_id: action, value: String(t.id), style });
  blocks.push({ type: 'actions', block_id: `promote_actions_${t.id}`, elements: [button('Promote', TASK_ACTIONS.promote, 'primary')] });
  return { text: plainText(`The canary of deploy #${t.id} of ${t.project} is healthy: Promote it`), blocks };
}

/** The same DM once the deploy was promoted, or ended without it: no button left to click. */
export function promoteDecided(t: TaskView, permalink: string | null): { text: string; blocks: Block[] } {
  const by = t.promotedBy ? `promoted by ${mention(t.promotedBy)}` : `no longer waits for a Promote (${t.status.replace('_', ' ')})`;
  return { text: plainText(`Deploy #${t.id} of ${t.project}: ${by}`), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`:ballot_box_with_check: ${what(t)} ${t.promotedBy ? 'was ' : ''}${by}.${link(permalink)}`) } }] };
}

export type RequesterMoment = 'approved' | 'rejected' | 'promoted' | 'success' | 'failed' | 'interrupted' | 'cancelled';

/** The requester's news: approved, rejected (with the reason), succeeded, failed, interrupted. */
export function requesterNotice(t: TaskView, moment: RequesterMoment, permalink: string | null, error?: string): string {
  return safeMrkdwn(requesterWords(t, moment, permalink, error));
}

function requesterWords(t: TaskView, moment: RequesterMoment, permalink: string | null, error?: string): string {
  const you = mention(t.requestedBy);
  switch (moment) {
    case 'approved':
      return `${you} your ${what(t)} was approved by ${mention(t.approvedBy ?? 'someone')}${t.status === 'scheduled' ? ' and is scheduled' : ''}.${link(permalink)}`;
    case 'rejected':
      return `${you} your ${what(t)} was rejected by ${mention(t.rejectedBy ?? 'someone')}: ${truncate(t.rejectReason ?? 'no reason given', 1000)}${link(permalink)}`;
    case 'promoted':
      return `${you} the canary of your ${what(t)} was promoted by ${mention(t.promotedBy ?? 'someone')}${t.promoteReason ? ` (${truncate(t.promoteReason, 300)})` : ''}: the other servers follow.${link(permalink)}`;
    case 'success':
      return `${you} your ${what(t)} succeeded.${link(permalink)}`;
    case 'failed':
      return `${you} your ${what(t)} failed${error ? `: ${truncate(error, 500)}` : '.'}${link(permalink)}`;
    case 'interrupted':
      return `${you} your ${what(t)} was interrupted (the bot stopped while it ran); every server stays on a complete release.${link(permalink)}`;
    case 'cancelled':
      return `${you} your ${what(t)} was cancelled.${link(permalink)}`;
  }
}
