import { spawn } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OperationalError } from '../../errors.js';
import { shapeRedactor, type Redactor } from '../../redact.js';
import { CommandCancelledError, CommandError, CommandTimeoutError } from './command-errors.js';
import { DEFAULT_MAX_OUTPUT_BYTES, OutputCapture, type LineListener } from './output-capture.js';
import { shq } from '../ssh/remote-quote.js';

export { CommandCancelledError, CommandError, CommandTimeoutError } from './command-errors.js';

/**
 * THE seam for local processes (ARCHITECTURE.md, convention 5): git helpers, tar, local hooks.
 *
 * - `spawn` with an argument array, never a shell: no value we pass can be reinterpreted.
 * - The child leads its own process group, so a timeout or cancel kills what it started too
 *   (a hook's `npm run build` and its workers), not just the direct child.
 * - Output is capped (tail kept) and redacted before anyone sees it: errors, lines, results.
 * - The environment is an allowlist by default: the bot's own secrets (Slack tokens, database
 *   URL) must not leak into user-written hooks.
 */
export interface LocalCommand {
  cmd: string;
  args: readonly string[];
  cwd?: string;
  /** Added to the base environment (see `inheritEnv`). */
  env?: Readonly<Record<string, string>>;
  /** Pass the bot's whole environment instead of the small allowlist. For trusted tools only. */
  inheritEnv?: boolean;
  /** Nothing from the bot's environment, only `env` (sandboxed hooks: not even HOME or SSH_AUTH_SOCK). */
  isolatedEnv?: boolean;
  /** Run as this user and group (the bot must be root; supplementary groups are dropped). */
  uid?: number;
  gid?: number;
  timeoutMs: number;
  /** Per stream; the tail is kept. Default 1 MiB. */
  maxOutputBytes?: number;
  redactor?: Redactor;
  input?: string | Buffer | Readable;
  onLine?: LineListener;
  signal?: AbortSignal;
  /** Stream stdout here (binary-safe, e.g. a tar) instead of capturing it; `stdout` is then ''. */
  stdoutTo?: Writable;
  /** After SIGTERM on timeout/cancel, how long to wait before SIGKILL. Default 2 s. */
  killGraceMs?: number;
}

export interface LocalResult {
  exitCode: number | null;
  /** Set when the process died from a signal that we did not send (then exitCode is null). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Variables a tool legitimately needs; everything else from the bot's environment stays behind. */
const BASE_ENV_NAMES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'SSH_AUTH_SOCK'];

function childEnv(command: LocalCommand): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  if (command.isolatedEnv) return { ...command.env };
  if (command.inheritEnv) Object.assign(base, process.env);
  else for (const name of BASE_ENV_NAMES) if (process.env[name] !== undefined) base[name] = process.env[name];
  return { ...base, ...command.env };
}

/** `cmd arg 'arg with space'`, redacted: how a command is named in errors and logs. */
export function describeCommand(cmd: string, args: readonly string[], redactor: Redactor = shapeRedactor): string {
  const words = [cmd, ...args].map((w) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : shq(w.replace(/\0/g, '\\0'))));
  return redactor.redact(words.join(' '));
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Runs the command; returns whatever the exit code. Throws only on spawn failure, timeout, cancel. */
export function runLocalUnchecked(command: LocalCommand): Promise<LocalResult> {
  const redactor = command.redactor ?? shapeRedactor;
  const described = describeCommand(command.cmd, command.args, redactor);
  const maxBytes = command.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!(command.timeoutMs > 0)) return Promise.reject(new TypeError(`runLocal(${described}): timeoutMs must be > 0`));
  if (command.signal?.aborted) return Promise.reject(new CommandCancelledError(described, 'local'));

  return new Promise<LocalResult>((resolve, reject) => {
    const child = spawn(command.cmd, [...command.args], {
      cwd: command.cwd,
      env: childEnv(command),
      stdio: [command.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true, // own process group, see killGroup
      ...(command.uid !== undefined ? { uid: command.uid } : {}),
      ...(command.gid !== undefined ? { gid: command.gid } : {}),
      shell: false,
      windowsHide: true,
    });

    const stdout = new OutputCapture('stdout', maxBytes, redactor, command.onLine);
    const stderr = new OutputCapture('stderr', maxBytes, redactor, command.onLine);
    let stoppedBy: 'timeout' | 'cancel' | null = null;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (why: 'timeout' | 'cancel') => {
      if (stoppedBy || settled) return;
      stoppedBy = why;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), command.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => stop('timeout'), command.timeoutMs);
    const onAbort = () => stop('cancel');
    command.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (err: Error | null, result?: LocalResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      command.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(result!);
    };

    // stdout either goes to the caller's stream (binary) or into the capture.
    const stdoutDone = command.stdoutTo
      ? pipeline(child.stdout!, command.stdoutTo).catch((err: unknown) => {
          stop('cancel');
          throw err;
        })
      : Promise.resolve();
    if (!command.stdoutTo) child.stdout!.on('data', (c: Buffer) => stdout.push(c));
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));

    if (command.input !== undefined && child.stdin) {
      // The child may exit without reading all its input (`head`, a failing hook): not our error.
      child.stdin.on('error', () => {});
      const source = command.input instanceof Readable ? command.input : Readable.from([command.input]);
      source.on('error', (err) => {
        stop('cancel');
        finish(new OperationalError(`could not feed input to \`${described}\`: ${redactor.redact(String(err.message))}`, { cause: err }));
      });
      source.pipe(child.stdin);
    }

    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? ` (is \`${command.cmd}\` installed and on PATH, and does the working directory exist?)` : '';
      finish(new OperationalError(`could not start \`${described}\`: ${redactor.redact(err.message)}${hint}`, { cause: err }));
    });

    child.on('close', (code, signal) => {
      stdout.end();
      stderr.end();
      stdoutDone.then(
        () => {
          if (stoppedBy === 'timeout') return finish(new CommandTimeoutError(described, command.timeoutMs, stderr.text(), 'local'));
          if (stoppedBy === 'cancel') return finish(new CommandCancelledError(described, 'local'));
          finish(null, { exitCode: code, signal, stdout: stdout.text(), stderr: stderr.text() });
        },
        (err: Error) =>
          finish(
            stoppedBy === 'timeout'
              ? new CommandTimeoutError(described, command.timeoutMs, stderr.text(), 'local')
              : new OperationalError(`could not write the output of \`${described}\`: ${redactor.redact(err.message)}`, { cause: err }),
          ),
      );
    });
  });
}

/** Runs the command and throws `CommandError` (cmd, redacted args, exit code, stderr tail) unless it exits 0. */
export async function runLocal(command: LocalCommand): Promise<LocalResult> {
  const result = await runLocalUnchecked(command);
  if (result.exitCode !== 0) {
    const redactor = command.redactor ?? shapeRedactor;
    throw new CommandError({
      cmd: redactor.redact(command.cmd),
      args: command.args.map((a) => redactor.redact(a)),
      command: describeCommand(command.cmd, command.args, command.redactor ?? shapeRedactor),
      exitCode: result.exitCode,
      signal: result.signal,
      stderrTail: result.stderr,
      where: 'local',
    });
  }
  return result;
}
