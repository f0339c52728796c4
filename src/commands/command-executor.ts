import { DuplicateRequests, isDuplicateOf } from './duplicate-requests.js';
import type { Actor } from '../core/actor.js';
import { errorMessage, newErrorId, OperationalError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CommandDeps } from './command-deps.js';
import type { CommandOutcome } from './replies/command-outcome.js';
import type { Command } from './grammar/command-types.js';
import { HELP_TEXT, parseCommand, usageFor } from './grammar/commands.js';
import { handleFreezeCommand } from './handlers/freeze-handlers.js';
import { handleProjectCommand } from './handlers/project-handlers.js';
import { handleServerCommand } from './handlers/server-handlers.js';
import { handleTaskCommand } from './handlers/task-handlers.js';
import { errorReply } from './replies/reply.js';

export interface RunOptions {
  /** Where the command was typed (Slack channel ID); task messages go there. */
  channel?: string;
  /** True for Slack text (HTML entities, <@U…> wrappers), false for the shell. */
  slackEscaped?: boolean;
  /** The person's time zone (Slack profile): `at 18:30` is read there. Default DEPLOYBOT_TIMEZONE. */
  timeZone?: string;
}

/**
 * An outcome, plus for refusals and failures: per-field messages (for adapters that show them
 * beside form inputs) and the error tier (user: refused; operational: the world failed;
 * internal: a bug, apologised for with an error id).
 */
export type ErrorOutcome = CommandOutcome & { fields?: Readonly<Record<string, string>>; tier?: 'user' | 'operational' | 'internal' };

/**
 * Runs `/deploy …` commands for every adapter: parse once, call the services, and funnel errors
 * into the three tiers (ARCHITECTURE.md, convention 4): a UserError is the answer itself; an
 * OperationalError is logged and explained; anything else is a bug, logged with its stack, and
 * the user sees an apology with an error id to quote.
 */
export class CommandExecutor {
  private readonly duplicates = new DuplicateRequests();

  constructor(readonly deps: CommandDeps) {}

  async run(userId: string, text: string, options: RunOptions = {}): Promise<ErrorOutcome> {
    const parsed = parseCommand(text, { slackEscaped: options.slackEscaped ?? true });
    if (!parsed.ok) return { kind: 'reply', reply: errorReply(parsed.error, parsed.usage), tier: 'user' };
    return this.execute(this.deps.app.actor(userId), parsed.command, options);
  }

  async execute(actor: Actor, command: Command, options: RunOptions = {}): Promise<ErrorOutcome> {
    if (command.kind === 'deploy') {
      // A retyped command while the first one is still fetching must not become a second task.
      const key = { user: actor.id, project: command.project, ref: command.ref };
      const recent = () =>
        this.deps.app
          .withServices((s) => s.tasks.list({ project: command.project, limit: 20 }))
          .then((tasks) => tasks.find((t) => isDuplicateOf(t, key, this.deps.now?.() ?? new Date())) ?? null)
          .catch(() => null);
      return this.duplicates.run(key, recent, () => this.executeOnce(actor, command, options));
    }
    return this.executeOnce(actor, command, options);
  }

  private async executeOnce(actor: Actor, command: Command, options: RunOptions): Promise<ErrorOutcome> {
    try {
      return await this.deps.app.withServices((services) => this.dispatch(actor, command, services, options));
    } catch (err) {
      return this.failure(err, actor, command);
    }
  }

  private async dispatch(actor: Actor, command: Command, services: Parameters<typeof handleServerCommand>[2], options: RunOptions): Promise<CommandOutcome> {
    switch (command.kind) {
      case 'help': {
        // Where local hooks cannot be isolated, everyone who reads the help learns it.
        const sandbox = await this.deps.hookSandbox?.status();
        const warning = sandbox?.kind === 'none' ? [{ type: 'text' as const, text: `:warning: ${sandbox.summary}` }] : [];
        const text = command.topic ? usageFor(command.topic) : HELP_TEXT;
        return { kind: 'reply', reply: { text: 'deploybot commands', blocks: [{ type: 'code', text }, ...warning], data: { help: text, ...(sandbox?.kind === 'none' ? { warning: sandbox.summary } : {}) } } };
      }
      case 'deploy-modal':
        return { kind: 'open-modal', modal: 'deploy' };
      case 'server-add-modal':
        return { kind: 'open-modal', modal: 'server-add' };
      case 'server-edit-modal':
        return { kind: 'open-modal', modal: 'server-edit', name: command.name };
      case 'project-add-modal':
        return { kind: 'open-modal', modal: 'project-add' };
      case 'project-edit-modal':
        return { kind: 'open-modal', modal: 'project-edit', name: command.name };
      case 'project-hooks-modal':
        return { kind: 'open-modal', modal: 'project-hooks', name: command.name };
      case 'server-add':
      case 'server-list':
      case 'server-show':
      case 'server-edit':
      case 'server-remove':
      case 'server-check':
        return handleServerCommand(command, actor, services, this.deps);
      case 'project-add':
      case 'project-list':
      case 'project-show':
      case 'project-edit':
      case 'project-remove':
      case 'project-hooks':
      case 'lock':
      case 'unlock':
        return handleProjectCommand(command, actor, services, this.deps);
      case 'deploy':
      case 'tasks':
      case 'status':
      case 'cancel':
      case 'retry':
      case 'rollback':
      case 'refs':
      case 'releases':
      case 'approve':
      case 'reject':
      case 'promote':
        return handleTaskCommand(command, actor, services, this.deps, options.channel, options.timeZone);
      case 'freeze-add':
      case 'freeze-list':
      case 'freeze-remove':
        return handleFreezeCommand(command, actor, services, this.deps);
    }
  }

  private failure(err: unknown, actor: Actor, command: Command): ErrorOutcome {
    return errorOutcome(err, this.deps.app.log, { command: command.kind, actor: actor.id });
  }
}

/**
 * The error funnel (ARCHITECTURE.md, convention 4), for every adapter: a UserError is the answer
 * itself; an OperationalError is logged and explained; anything else is a bug, logged with its
 * stack, and the user sees an apology with an error id to quote.
 */
export function errorOutcome(err: unknown, log: Logger, context: Record<string, unknown>): ErrorOutcome {
  if (err instanceof UserError) {
    return { kind: 'reply', reply: errorReply(err.message), fields: err.fields, tier: 'user' };
  }
  if (err instanceof OperationalError) {
    // The person already reads the message; at info the log keeps it without a second copy on their terminal.
    log.info('command failed', { ...context, error: err.message });
    return { kind: 'reply', reply: errorReply(`${err.message}${err.transient ? ' — this looks temporary: try again in a moment.' : ''}`), tier: 'operational' };
  }
  const id = newErrorId();
  log.error('command crashed', { ...context, errorId: id, err: err instanceof Error ? err : errorMessage(err) });
  return { kind: 'reply', reply: errorReply(`Sorry, something went wrong on deploybot's side (error id ${id}). The team can find the details in the bot's log.`), tier: 'internal' };
}
