import { Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { OperationalError } from '../../errors.js';
import { CommandCancelledError, CommandTimeoutError } from '../exec/command-errors.js';
import { DEFAULT_MAX_OUTPUT_BYTES, OutputCapture, chainRedactors, type TextRedactor } from '../exec/output-capture.js';
import type { SshExecOptions, SshExecResult } from './ssh-types.js';

/** The server refused a new channel (usually its MaxSessions, briefly, see SshConnection.exec). */
export class ChannelOpenError extends OperationalError {
  constructor(message: string) {
    super(message, { transient: true });
  }
}

export interface ChannelContext {
  serverName: string;
  redactor: TextRedactor;
  /** Why the connection went away, if it did: a channel closed without exit status is then explained. */
  lostError: () => Error | null;
  /** The command as people should see it (when what is sent is wrapped); default: the command. */
  display?: string;
  /** Called once when a timeout/cancel stops the command: kill it by other means too. */
  onStop?: () => void;
}

/** How a command line is shown in errors: redacted and short (a long one-liner is not a message). */
export function showCommand(command: string, redactor: TextRedactor): string {
  const oneLine = redactor.redact(command).replace(/\s*\n\s*/g, ' ; ');
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

/**
 * ssh2's `Channel.signal()` silently does nothing once our side of the channel is ended, and we
 * end it right away (stdin EOF, like `ssh -n`) for commands without input. The protocol-level
 * call has no such condition, so use it when present (ssh2 1.x), else the public method.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as {
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
    outgoing?: { id?: number; state?: string };
  };
  try {
    const protocol = internals._client?._protocol;
    const id = internals.outgoing?.id;
    if (protocol?.signal && typeof id === 'number' && internals.outgoing?.state !== 'closed') protocol.signal(id, name);
    else channel.signal(name);
  } catch {
    // best effort: closing the channel below is what matters for us
  }
}

/** If the server never confirms the close after a timeout, give up waiting after this long. */
const CLOSE_GRACE_MS = 5000;

/**
 * Runs one command on an already-authenticated client, on its own session channel.
 * Resolves with the exit status whatever it is; rejects on timeout, cancel, or a channel that
 * could not be opened or closed without an exit status (connection lost).
 */
export function execOnChannel(client: Client, command: string, opts: SshExecOptions, ctx: ChannelContext): Promise<SshExecResult> {
  const redactor = chainRedactors(ctx.redactor, opts.redactor);
  const shown = showCommand(ctx.display ?? command, redactor);
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!(opts.timeoutMs > 0)) return Promise.reject(new TypeError('ssh exec: timeoutMs must be > 0'));
  if (opts.signal?.aborted) return Promise.reject(new CommandCancelledError(shown, ctx.serverName));

  return new Promise<SshExecResult>((resolve, reject) => {
    const stdout = new OutputCapture('stdout', maxBytes, redactor, opts.onLine);
    const stderr = new OutputCapture('stderr', maxBytes, redactor, opts.onLine);
    let channel: ClientChannel | null = null;
    let exit: { code: number | null; signal: string | null } | null = null;
    let stoppedBy: 'timeout' | 'cancel' | 'input' | null = null;
    let inputError: Error | null = null;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = (err: Error | null, result?: SshExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (channel && opts.input instanceof Readable) opts.input.unpipe(channel);
      if (err) reject(err);
      else resolve(result!);
    };
    const stoppedError = (): Error =>
      stoppedBy === 'timeout'
        ? new CommandTimeoutError(shown, opts.timeoutMs, stderr.text(), ctx.serverName)
        : stoppedBy === 'input'
          ? new OperationalError(`could not send input to \`${shown}\` on ${ctx.serverName}: ${redactor.redact(inputError?.message ?? '')}`)
          : new CommandCancelledError(shown, ctx.serverName);

    const stop = (why: 'timeout' | 'cancel' | 'input') => {
      if (stoppedBy || settled) return;
      stoppedBy = why;
      if (!channel) return; // still opening: closed as soon as it arrives
      // Ask sshd to kill the process group (OpenSSH >= 7.9 honours "signal"), then drop the
      // channel. Without a pty, closing alone would leave the remote process running.
      sendSignal(channel, 'KILL');
      channel.close();
      ctx.onStop?.();
      graceTimer = setTimeout(() => finish(stoppedError()), CLOSE_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = () => stop('cancel');
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    client.exec(command, (err, ch) => {
      if (err) {
        const lost = ctx.lostError();
        const message = `could not start \`${shown}\` on ${ctx.serverName}: ${redactor.redact((lost ?? err).message)}`;
        return finish(lost ? new OperationalError(message, { transient: true }) : new ChannelOpenError(message));
      }
      channel = ch;
      if (stoppedBy) {
        ch.close();
        return finish(stoppedError());
      }
      ch.on('data', (c: Buffer) => stdout.push(c));
      ch.stderr.on('data', (c: Buffer) => stderr.push(c));
      ch.on('error', () => {
        // surfaced through 'close' without an exit status
      });
      ch.on('exit', (code: number | null, signal?: string) => {
        exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
      });
      ch.on('close', () => {
        stdout.end();
        stderr.end();
        if (stoppedBy) return finish(stoppedError());
        if (exit) return finish(null, { exitCode: exit.code, signal: exit.signal, stdout: stdout.text(), stderr: stderr.text() });
        const lost = ctx.lostError();
        finish(
          new OperationalError(
            `\`${shown}\` on ${ctx.serverName} ended without an exit status` + (lost ? `: ${redactor.redact(lost.message)}` : ' (connection lost?)'),
            { transient: true },
          ),
        );
      });

      const input = opts.input;
      if (input === undefined) ch.end();
      else if (input instanceof Readable) {
        input.once('error', (e: Error) => {
          inputError = e;
          stop('input');
        });
        input.pipe(ch);
      } else ch.end(input);
    });
  });
}
