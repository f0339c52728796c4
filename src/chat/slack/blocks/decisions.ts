import type { types } from '@slack/bolt';
import type { TaskEvent } from '../../../commands/replies/command-outcome.js';
import type { TaskView } from '../../../core/views.js';
import { approvalProgress, mention } from '../../../commands/replies/formatting.js';
import { slackDate } from './slack-date.js';
import { ACTIONS } from '../ids.js';
import { LIMITS, truncate } from './text.js';
import { safeMrkdwn } from './mrkdwn.js';

/**
 * What the task message's thread says about a decision, and the self-approval confirmation.
 * Pure. The result is safe mrkdwn: text a person typed (a reject reason) is escaped, as the thread
 * is public and a reason must never be able to ping @here or fake a mention.
 */
export function decisionText(event: TaskEvent, task: TaskView, actorId: string, timeZone: string): string {
  return safeMrkdwn(decisionWords(event, task, actorId, timeZone));
}

function decisionWords(event: TaskEvent, task: TaskView, actorId: string, timeZone: string): string {
  const who = mention(actorId);
  switch (event) {
    case 'approved': {
      const self = task.requestedBy === actorId ? ' (self-approved: no other reviewer)' : '';
      const when = task.status === 'scheduled' && task.scheduledAt ? ` It runs ${slackDate(task.scheduledAt, timeZone)}.` : '';
      const progress = approvalProgress(task);
      return `:white_check_mark: Approved by ${who}${self}${progress ? `: ${progress}` : ''}.${when}`;
    }
    case 'rejected':
      return `:no_entry: Rejected by ${who}: ${truncate(task.rejectReason ?? '', 1000)}`;
    case 'cancelled':
      return `:no_entry_sign: Cancelled by ${who}.`;
    case 'cancel-requested':
      if (task.canaryPassedAt && !task.promotedBy) return `:octagonal_sign: ${who} asked to cancel: the canary is switched back to its previous release; the other servers were never switched.`;
      return `:octagonal_sign: ${who} asked to cancel: the deploy stops at the next safe point and leaves every server on a complete release.`;
    case 'promoted':
      return `:rocket: Promoted by ${who}${task.promoteReason ? ` (${task.requestedBy === actorId ? 'own deploy' : 'as an admin'}: _${truncate(task.promoteReason, 500)}_)` : ''}: the rest of the servers follow the canary.`;
    case 'retry':
      return `:repeat: ${who} retries the failed servers as #${task.id}.`;
    case 'rollback':
      return `:rewind: ${who} started rollback #${task.id} of ${task.project}.`;
    case 'requested':
      return `${who} requested deploy #${task.id}.`;
  }
}

/** The ephemeral question an admin gets when approving their own request. */
export function selfApprovalBlocks(taskId: number, explanation: string): { text: string; blocks: types.KnownBlock[] } {
  return {
    text: safeMrkdwn(explanation),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`:raised_hand: ${truncate(explanation, 1400)}`) } },
      {
        type: 'actions',
        block_id: `self_approve_${taskId}`,
        elements: [
          {
            type: 'button',
            action_id: ACTIONS.selfApprove,
            value: String(taskId),
            style: 'danger',
            text: { type: 'plain_text', text: 'Approve my own request' },
            confirm: {
              title: { type: 'plain_text', text: 'Approve your own deploy?' },
              text: {
                type: 'mrkdwn',
                text: `You requested deploy #${taskId}. Approve it only if no one else can review it: the approval is recorded as a self-approval.`,
              },
              confirm: { type: 'plain_text', text: 'Approve my own request' },
              deny: { type: 'plain_text', text: 'Cancel' },
              style: 'danger',
            },
          },
        ],
      },
    ],
  };
}
