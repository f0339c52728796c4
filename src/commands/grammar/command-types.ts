import type { HookName } from '../../pipeline/stages.js';

/**
 * The commands `/deploy` understands, as data. Values are what the user typed (decoded from Slack's
 * escaping); checking that a name is a valid slug, that a server exists, etc. is the services' job.
 * Every variant carries `raw`, the original text exactly as received.
 */

/** When a scheduled deploy should run; turning it into a Date (with the user's zone) is the caller's job. */
export type ScheduleTime =
  /** `at 18:30 [Europe/Paris]`: the next occurrence of that wall-clock time. */
  | { kind: 'time-of-day'; hour: number; minute: number; tz?: string }
  /**
   * `at 2026-11-24T09:00`, `at 2026-11-24 09:00 Europe/Paris`, `at 2026-11-24T09:00+01:00`.
   * `iso` is `YYYY-MM-DDTHH:MM[:SS]` plus the offset (`Z` / `±HH:MM`) only when one was typed;
   * `tz` is a canonical IANA zone name; never both.
   */
  | { kind: 'datetime'; iso: string; tz?: string };

/** `key=<path>`: a key file the bot reads at each connection; `key=@<file>`: read now, stored encrypted (shell only). */
export type ServerAuth = { method: 'key'; keyPath: string } | { method: 'key'; keyFile: string } | { method: 'password' } | { method: 'agent' };

/** A Slack channel: `<#C123|name>` gives both, `<#C123>` only the id, `#name` / `name` only the name. */
export type ChannelRef = { id: string; name?: string } | { id?: undefined; name: string };

/** Where a hook script comes from. `@path` (unquoted) is a file the adapter reads; `""` clears the hook. */
export type HookSource = { kind: 'file'; path: string } | { kind: 'inline'; script: string } | { kind: 'clear' };

export type DeployEnv = 'test' | 'prod';
export type OnFailure = 'rollback' | 'continue';

export interface ServerChanges {
  host?: string;
  user?: string;
  port?: number;
  keyPath?: string;
  /** `labels=` (empty) clears the labels. */
  labels?: string[];
  /** How peers reach it (relay distribution); null forgets it. */
  internal?: string | null;
}

export interface ProjectSettings {
  repo: string;
  path: string;
  servers: string[];
  env?: DeployEnv;
  keep?: number;
  branch?: string;
  /** Slack user ids (`U…` / `W…`). */
  approvers?: string[];
  channel?: ChannelRef;
  parallel?: number;
  /** Distinct approvers a prod deploy needs (N of M). */
  approvals?: number;
  /** The test project a commit must succeed on first; '' clears it. */
  promoteFrom?: string;
  /** Run on each server after after_deploy until it exits 0; '' clears it. */
  health?: string;
  /** Seconds the health check may take on one server (default 30). */
  healthTimeout?: number;
  /** `all` or `canary:<n|p%>`. */
  rollout?: string;
  /** Seconds the canary runs alone before the rest follows. */
  canaryWait?: number;
  title?: string;
  onFailure?: OnFailure;
  distribution?: 'auto' | 'direct' | 'relay';
  notifyApprovers?: NoticeMode;
  notifyRequester?: NoticeMode;
}

/** How approvers / the requester hear about a deploy: mention, dm (and mention), none. */
export type NoticeMode = 'mention' | 'dm' | 'none';

export type ProjectChanges = Partial<ProjectSettings>;
export type HookChanges = Partial<Record<HookName, HookSource>>;

type C<K extends string, Fields = object> = { kind: K; raw: string } & Fields;

export type Command =
  | C<'help', { topic?: string }>
  | C<'deploy-modal'>
  | C<'server-add-modal'>
  | C<'server-add', { name: string; user: string; host: string; port?: number; auth?: ServerAuth; labels?: string[]; internal?: string }>
  | C<'server-list'>
  | C<'server-show', { name: string }>
  | C<'server-edit-modal', { name: string }>
  | C<'server-edit', { name: string; changes: ServerChanges }>
  | C<'server-remove', { name: string }>
  | C<'server-check', { name: string; acceptKey?: string }>
  | C<'project-add-modal'>
  | C<'project-add', { name: string; settings: ProjectSettings; /** `offline`: save without asking the repository. */ offline?: boolean }>
  | C<'project-list'>
  | C<'project-show', { name: string }>
  | C<'project-edit-modal', { name: string }>
  | C<'project-edit', { name: string; changes: ProjectChanges; offline?: boolean }>
  | C<'project-remove', { name: string }>
  | C<'project-hooks-modal', { name: string }>
  | C<'project-hooks', { name: string; hooks: HookChanges }>
  | C<'deploy', { project: string; ref: string; at?: ScheduleTime; /** Per-deploy hook scripts (the deploy form; admins only). */ hooks?: Partial<Record<HookName, string>>; /** An exact instant (the deploy form's date picker), instead of `at`. */ scheduledAt?: Date; /** An admin's reason to pass a gate (`override="…"`). */ override?: string }>
  | C<'tasks', { project?: string }>
  | C<'status', { taskId: number }>
  | C<'cancel', { taskId: number }>
  | C<'retry', { taskId: number }>
  | C<'rollback', { project: string; release?: string; /** The deploy whose Roll back button was clicked. */ undoes?: number }>
  | C<'refs', { project: string }>
  | C<'releases', { project: string }>
  | C<'lock', { project: string; reason?: string }>
  | C<'unlock', { project: string }>
  | C<'approve', { taskId: number; /** Set by an adapter after an explicit confirmation (button, `--self`). */ confirmSelf?: boolean }>
  | C<'reject', { taskId: number; reason: string }>
  /** A prod deploy whose canary passed goes on to the rest; `override=`: an admin's own deploy, with why. */
  | C<'promote', { taskId: number; override?: string }>
  | C<'freeze-add', { scope: string; from?: ScheduleTime; to?: ScheduleTime; cron?: string; durationSeconds?: number; tz?: string; reason: string }>
  | C<'freeze-list', { scope?: string }>
  | C<'freeze-remove', { id: number }>;

export type CommandKind = Command['kind'];
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;

export type ParseResult =
  | { ok: true; command: Command }
  | {
      ok: false;
      /** One or two sentences saying what is wrong (Slack mrkdwn-friendly: code in backticks). */
      error: string;
      /** The usage line(s) of the command concerned, or the general help when the verb is unknown. */
      usage: string;
      /** A corrected command line to offer ("did you mean"), without the `/deploy` prefix. */
      suggestion?: string;
    };

export interface ParseOptions {
  /**
   * True (default) for text from Slack, where `&amp;` `&lt;` `&gt;` are entities; false for text
   * typed in the local shell, which is taken literally.
   */
  slackEscaped?: boolean;
}
