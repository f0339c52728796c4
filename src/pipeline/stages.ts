/**
 * The release flow's vocabulary, shared by the runner, the persisted TaskHost rows and every
 * presenter (Slack blocks, flow snapshot, shell output).
 *
 * Task-level stages run once per task on the bot's host; host stages run once per server.
 */
export const TASK_STAGES = ['start', 'before_download', 'download', 'after_download', 'package'] as const;
export const HOST_STAGES = ['upload', 'before_deploy', 'switch', 'after_deploy', 'health'] as const;
export const FINAL_STAGE = 'done' as const;

export type TaskStage = (typeof TASK_STAGES)[number];
export type HostStage = (typeof HOST_STAGES)[number];
export type Stage = TaskStage | HostStage | typeof FINAL_STAGE;

/** What a node of the flow (a stage, or a stage on one server) is doing. */
export type StageState = 'waiting' | 'running' | 'done' | 'failed' | 'skipped';

export const HOOK_NAMES = ['before_download', 'after_download', 'before_deploy', 'after_deploy'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Hooks that run on the bot's host, in the build workspace; the others run on each server. */
export const LOCAL_HOOKS: readonly HookName[] = ['before_download', 'after_download'];
