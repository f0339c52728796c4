import { OperationalError } from '../../errors.js';

/** How many characters of stderr an error carries: the end of the output is what explains a failure. */
export const ERROR_TAIL_CHARS = 4000;

export function tail(text: string, maxChars = ERROR_TAIL_CHARS): string {
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars)}`;
}

/** The last non-empty line of some output: short enough for an error message shown in Slack. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines[lines.length - 1] ?? '';
  return last.length > 300 ? `${last.slice(0, 300)}…` : last;
}

export interface CommandFailure {
  /** What ran, for people: a redacted program + arguments, or a redacted remote command line. */
  command: string;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  /** Where it ran: "local" or the server's name. */
  where: string;
  /** Local commands only: the program and its arguments, each redacted. */
  cmd?: string;
  args?: readonly string[];
}

/**
 * A command ran and failed (non-zero exit or killed by a signal). Both exec seams throw it from
 * their "checked" variants; the message is safe to show (redacted) and names the command and the
 * last line of stderr, the full (capped) tail is on `stderrTail`.
 */
export class CommandError extends OperationalError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  readonly where: string;
  readonly cmd: string | undefined;
  readonly args: readonly string[] | undefined;

  constructor(failure: CommandFailure, options: { transient?: boolean } = {}) {
    const how = failure.exitCode !== null ? `exited with code ${failure.exitCode}` : `was killed by ${failure.signal ?? 'a signal'}`;
    const why = lastLine(failure.stderrTail);
    const on = failure.where === 'local' ? '' : ` on ${failure.where}`;
    super(`\`${failure.command}\`${on} ${how}${why ? `: ${why}` : ''}`, { transient: options.transient ?? false });
    this.command = failure.command;
    this.exitCode = failure.exitCode;
    this.signal = failure.signal;
    this.stderrTail = tail(failure.stderrTail);
    this.where = failure.where;
    this.cmd = failure.cmd;
    this.args = failure.args;
  }
}

/**
 * A command outlived its time budget and was killed. Not transient: a build or hook that hangs
 * once usually hangs again, and re-running a half-done remote command blindly is not safe.
 */
export class CommandTimeoutError extends OperationalError {
  readonly command: string;
  readonly timeoutMs: number;
  readonly stderrTail: string;
  readonly where: string;

  constructor(command: string, timeoutMs: number, stderrTail: string, where: string) {
    const on = where === 'local' ? '' : ` on ${where}`;
    super(`\`${command}\`${on} timed out after ${formatDuration(timeoutMs)} and was stopped`);
    this.command = command;
    this.timeoutMs = timeoutMs;
    this.stderrTail = tail(stderrTail);
    this.where = where;
  }
}

/** The caller cancelled (AbortSignal), e.g. a user pressed "Cancel" on a running deploy. */
export class CommandCancelledError extends OperationalError {
  readonly command: string;
  readonly where: string;

  constructor(command: string, where: string) {
    const on = where === 'local' ? '' : ` on ${where}`;
    super(`\`${command}\`${on} was cancelled`);
    this.command = command;
    this.where = where;
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  return `${Math.round(s / 60)} min`;
}
