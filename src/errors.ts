import { randomBytes } from 'node:crypto';

/**
 * The three error tiers (ARCHITECTURE.md, convention 4).
 *
 * - UserError: the user asked for something we refuse; the message is shown to them as is
 *   (ephemeral in Slack) and is not logged as a failure.
 * - OperationalError: the world misbehaved (SSH timeout, git remote down). Logged; may be retried
 *   when `transient` is true.
 * - anything else is a bug: logged with its stack, the user sees a short apology with an error id.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** Optional per-field messages, so a modal can show them beside the right input. */
  readonly fields: Readonly<Record<string, string>>;

  constructor(message: string, fields: Record<string, string> = {}) {
    super(message);
    this.fields = fields;
  }
}

export class OperationalError extends Error {
  override readonly name = 'OperationalError';
  readonly transient: boolean;

  constructor(message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.transient = options.transient ?? false;
  }
}

/** Short random id that ties an apology shown to a user to the logged stack. */
export function newErrorId(): string {
  return randomBytes(4).toString('hex');
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
