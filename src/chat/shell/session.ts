import type { TaskView } from '../../core/views.js';
import { errorOutcome, type ErrorOutcome } from '../../commands/command-executor.js';
import type { Runtime } from '../../runtime.js';
import type { CommandOutcome } from '../../commands/replies/command-outcome.js';
import { parseCommand } from '../../commands/grammar/commands.js';
import { errorReply, type Reply } from '../../commands/replies/reply.js';
import { askDeploy, askServerAdd, editHooks, modalReply, modalWithoutPrompts, serverAddWithSecrets, serverEditWithSecrets } from './modal-flows.js';
import type { Style } from './output/style.js';
import { CANCELLED, type ReadResult } from './output/terminal.js';

/** What a command ends with in the shell: forms have been asked as questions by then. */
export type ShellOutcome = Exclude<ErrorOutcome, { kind: 'open-modal' }>;

/** A line typed at the shell (or given to the one-shot CLI), once handled. */
export type LineResult =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | {
      kind: 'outcome';
      /** Who acted (the shell user, or the `as <user>` / `--as` user). */
      actor: string;
      outcome: ShellOutcome;
      /** A task this command set going (started, queued, or approved): its progress is worth following. */
      follow?: TaskView;
    };

/** How a session talks to the person: questions (server add, y/N), and lines printed meanwhile. */
export interface SessionIO {
  /** Asks one question and returns the answer; `null` at end of input, CANCELLED on Ctrl-C. */
  ask(question: string, options?: { hidden?: boolean }): Promise<ReadResult>;
  print(text: string): void;
  style: Style;
  /** There is someone (or a script) to answer questions; false for a one-shot run without a TTY. */
  canAsk: boolean;
  /** The terminal belongs to a person: an editor can be opened on it. */
  interactive: boolean;
  /** Confirm self-approval without asking (`--yes`). */
  assumeYes?: boolean;
  /** Runs a child process (the editor) with the terminal handed over to it. */
  suspend<T>(fn: () => Promise<T>): Promise<T>;
  env?: Record<string, string | undefined>;
}

const USER_NAME = /^(?:[UW][A-Z0-9]{2,}|[a-z_][a-z0-9_.-]{0,31})$/;
const PREFIX = /^\s*\/deploy(?=\s|$)/i;
/** Task states in which the task will run in this process without anyone else acting. */
const WILL_RUN = new Set<TaskView['status']>(['approved', 'running']);

export const SHELL_HELP = [
  'Shell:',
  '  as <user> <command>  —  run one command as another user (as bob approve 12)',
  '  deploy | server add  —  without arguments: asks for what it needs',
  '  project hooks <name>  —  without arguments: edits the four hook scripts in $EDITOR',
  '  exit | quit | Ctrl-D  —  leave (waits for running deploys)',
].join('\n');

/**
 * The shell's command layer, shared by the interactive shell and the one-shot CLI: shell-only words
 * (`as`, `exit`), the /deploy grammar through the shared executor, and what Slack does with forms
 * and buttons done with questions instead (self-approval confirmation, server add, deploy, hooks).
 */
export class ShellSession {
  constructor(
    readonly runtime: Runtime,
    readonly io: SessionIO,
  ) {}

  get shellUser(): string {
    return this.runtime.app.config.shellUser;
  }

  async run(line: string, user: string = this.shellUser): Promise<LineResult> {
    const text = line.trim();
    const body = text.replace(PREFIX, '').trim();
    if (body === '' && text === '') return { kind: 'empty' };
    if (body.startsWith('#')) return { kind: 'empty' };
    const [first = '', ...rest] = body.split(/\s+/);
    const word = first.toLowerCase();
    if (word === 'exit' || word === 'quit') return { kind: 'exit' };
    // `as <user> <command>`; `as <x>` alone stays a deploy of a project named "as".
    if (word === 'as' && rest.length >= 2) {
      const [who = '', ...command] = rest;
      if (!USER_NAME.test(who)) return this.answer(user, errorReply(`\`${who}\` is not a user name. Write \`as <user> <command>\`, e.g. \`as bob approve 12\`.`));
      return this.run(command.join(' '), who);
    }
    // `deploy` alone asks what to deploy, like the bare `/deploy` (the grammar wants a project after it).
    if (body.toLowerCase() === 'deploy') return this.modal(user, { kind: 'open-modal', modal: 'deploy' });
    const parsed = parseCommand(text, { slackEscaped: false });
    if (parsed.ok && parsed.command.kind === 'server-add') {
      // A password, or an encrypted key's passphrase: asked here, hidden, never part of the text.
      const asked = await serverAddWithSecrets(this, this.runtime.app.actor(user), parsed.command);
      if (asked) return this.settle(user, asked);
    }
    if (parsed.ok && parsed.command.kind === 'server-edit') {
      const asked = await serverEditWithSecrets(this, this.runtime.app.actor(user), parsed.command);
      if (asked) return this.settle(user, asked);
    }
    const outcome = await this.runtime.executor.run(user, text, { slackEscaped: false });
    if (parsed.ok && parsed.command.kind === 'help' && parsed.command.topic === undefined && outcome.kind === 'reply') {
      // The general help, plus what only the shell understands.
      return this.answer(user, {
        ...outcome.reply,
        blocks: [...outcome.reply.blocks, { type: 'code', text: `\n${SHELL_HELP}` }, { type: 'context', text: 'Commands work with or without /deploy in front.' }],
      });
    }
    return this.settle(user, outcome);
  }

  /** What the shell does with an outcome the Slack adapter would answer with a form or a button. */
  private async settle(user: string, outcome: CommandOutcome): Promise<LineResult> {
    switch (outcome.kind) {
      case 'reply':
        return { kind: 'outcome', actor: user, outcome };
      case 'task':
        return { kind: 'outcome', actor: user, outcome, ...(WILL_RUN.has(outcome.task.status) ? { follow: outcome.task } : {}) };
      case 'confirm-self-approval':
        return this.confirmSelfApproval(user, outcome.taskId, outcome.reply);
      case 'open-modal':
        return this.modal(user, outcome);
    }
  }

  private async confirmSelfApproval(user: string, taskId: number, why: Reply): Promise<LineResult> {
    let confirmed = this.io.assumeYes === true;
    if (!confirmed) {
      if (!this.io.canAsk) return this.answer(user, errorReply(`${why.text} Run the command again with --yes to confirm.`));
      this.io.print(why.text);
      const answer = await this.io.ask(`Approve your own request #${taskId}? [y/N] `);
      confirmed = typeof answer === 'string' && /^y(es)?$/i.test(answer.trim());
    }
    if (!confirmed) return this.answer(user, errorReply(`Not approved: deploy #${taskId} still waits for approval.`));
    const outcome = await this.runtime.executor.execute(this.runtime.app.actor(user), { kind: 'approve', taskId, confirmSelf: true, raw: `approve ${taskId}` });
    return this.settle(user, outcome);
  }

  private async modal(user: string, outcome: Extract<CommandOutcome, { kind: 'open-modal' }>): Promise<LineResult> {
    const actor = this.runtime.app.actor(user);
    let next: CommandOutcome;
    switch (outcome.modal) {
      case 'deploy':
        next = await askDeploy(this, actor);
        break;
      case 'server-add':
        next = await askServerAdd(this, actor);
        break;
      case 'project-hooks':
        next = await editHooks(this, actor, outcome.name ?? '');
        break;
      default:
        next = modalWithoutPrompts(outcome.modal);
    }
    return next.kind === 'open-modal' ? this.answer(user, modalReply(next.modal)) : this.settle(user, next);
  }

  private answer(user: string, r: Reply): LineResult {
    return { kind: 'outcome', actor: user, outcome: { kind: 'reply', reply: r } };
  }

  /** Asks until answered; `undefined` when the person gave up (Ctrl-C, end of input). */
  async question(text: string, options: { hidden?: boolean; default?: string; required?: boolean } = {}): Promise<string | undefined> {
    for (;;) {
      const answer = await this.io.ask(text, options);
      if (answer === null || answer === CANCELLED) return undefined;
      const value = answer.trim() === '' ? (options.default ?? '') : options.hidden ? answer : answer.trim();
      if (value !== '' || !options.required) return value;
      if (!this.io.interactive) return undefined; // a script that answers nothing must not loop forever
      this.io.print('An answer is needed here (Ctrl-C to give up).');
    }
  }

  /** Runs work that calls services directly, with the executor's error tiers (a UserError is the answer). */
  async attempt<T>(what: string, fn: () => Promise<T>): Promise<{ value: T } | { failed: ErrorOutcome }> {
    try {
      return { value: await fn() };
    } catch (err) {
      return { failed: errorOutcome(err, this.runtime.app.log, { what }) };
    }
  }

  cancelled(what: string): CommandOutcome {
    return { kind: 'reply', reply: errorReply(`Cancelled: ${what}.`) };
  }
}
