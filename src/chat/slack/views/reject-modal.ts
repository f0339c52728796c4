import type { types } from '@slack/bolt';
import { mention } from '../../../commands/replies/formatting.js';
import { CALLBACKS } from '../ids.js';
import { encodeMetadata, type ViewMetadata } from '../metadata.js';
import { context, modal, textInput } from './elements.js';

/** Asks an approver why they reject a deploy; the reason goes to the requester and the audit log. */
export const REJECT_BLOCK = 'reason';

export function rejectModal(options: { taskId: number; project: string; ref: string; requestedBy: string; metadata: ViewMetadata }): types.ModalView {
  return modal(
    CALLBACKS.reject,
    `Reject deploy #${options.taskId}`,
    'Reject',
    [
      context(`Deploy #${options.taskId} of *${options.project}* \`${options.ref}\`, requested by ${mention(options.requestedBy)}.`),
      textInput(REJECT_BLOCK, 'Why?', { multiline: true, maxLength: 1000, placeholder: 'The requester reads this.' }),
    ],
    encodeMetadata({ ...options.metadata, taskId: options.taskId }),
  );
}
