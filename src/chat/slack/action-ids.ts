/**
 * Block Kit action IDs of the task status message's buttons. The message builder and the action
 * listeners share them; each button's `value` is the task id.
 */
export const TASK_ACTIONS = {
  approve: 'task_approve',
  reject: 'task_reject',
  cancel: 'task_cancel',
  rollback: 'task_rollback',
  retry: 'task_retry',
  promote: 'task_promote',
} as const;

export type TaskAction = (typeof TASK_ACTIONS)[keyof typeof TASK_ACTIONS];
