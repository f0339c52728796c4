/**
 * Identifiers the Slack adapter shares between the views/messages it builds and the listeners
 * that receive them. (The task message's buttons are in action-ids.ts.)
 */
export const SLASH_COMMAND = '/deploy';

/** `callback_id` of each modal. */
export const CALLBACKS = {
  serverAdd: 'server_add',
  serverEdit: 'server_edit',
  projectAdd: 'project_add',
  projectEdit: 'project_edit',
  projectHooks: 'project_hooks',
  deploy: 'deploy',
  reject: 'task_reject_reason',
} as const;

export const ACTIONS = {
  /** The button of the ephemeral "approve your own request?" message (value: task id). */
  selfApprove: 'task_approve_self',
  /** The deploy modal's project select (dispatches, so the modal follows the project). */
  deployProject: 'deploy_project',
  /** The deploy modal's version picker (external_select: options come from the options load URL). */
  deployVersion: 'deploy_version',
  /** The project form's server pickers beyond 100 servers (multi_external_select). */
  serverOptions: 'server_options',
} as const;

/** The action_id of every single-value input in our modals: `values[blockId][INPUT]`. */
export const INPUT = 'value';
