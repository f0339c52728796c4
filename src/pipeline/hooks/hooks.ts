import type { Redactor } from '../../redact.js';
import { CommandCancelledError, CommandTimeoutError } from '../exec/command-errors.js';
import { LineTail } from '../exec/line-tail.js';
import { runLocalUnchecked } from '../exec/local-exec.js';
import type { OutputStream } from '../exec/output-capture.js';
import { envAssignments, remoteCommand } from '../ssh/remote-quote.js';
import { SandboxRefused, type BuildDirs, type HookSandbox } from './sandbox/hook-sandbox.js';
import type { SshConnection } from '../ssh/ssh.js';

/** A hook that prints nothing for this long is still allowed to run; the reaper watches the whole task. */
export const DEFAULT_HOOK_TIMEOUT_MS = 30 * 60_000;

/** The task's facts, given to every hook as DEPLOY_* variables. */
export interface HookFacts {
  taskId: number;
  project: string;
  environment: string;
  ref: string;
  commit: string;
  releaseId: string;
  requestedBy: string;
}

export function hookEnv(facts: HookFacts, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DEPLOY_TASK_ID: String(facts.taskId),
    DEPLOY_PROJECT: facts.project,
    DEPLOY_ENV: facts.environment,
    DEPLOY_REF: facts.ref,
    DEPLOY_COMMIT: facts.commit,
    DEPLOY_RELEASE: facts.releaseId,
    DEPLOY_USER: facts.requestedBy,
    ...extra,
  };
}

export interface HookRun {
  script: string;
  env: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  redactor?: Redactor;
  onLine?: (stream: OutputStream, line: string) => void;
}

export interface HookResult {
  ok: boolean;
  exitCode: number | null;
  /** Last lines of combined output, redacted. */
  outputTail: string;
  error?: string;
}

/** True when there is something to run: an empty or comment-only script is skipped. */
export function hasScript(script: string | null | undefined): script is string {
  return Boolean(script && script.split('\n').some((l) => l.trim() && !l.trim().startsWith('#')));
}

const HOOK_OUTPUT_CAP = 64 * 1024;

/**
 * Runs one hook through an exec seam and turns whatever happens into a HookResult: exit status,
 * the last lines of combined output (collected as they arrive, already redacted), and an error
 * text. Only a cancel propagates as an exception, so the runner can stop at its safe point.
 */
async function runHook(run: HookRun, exec: (onLine: (s: OutputStream, l: string) => void) => Promise<{ exitCode: number | null; signal: string | null; refused?: string }>): Promise<HookResult> {
  const tail = new LineTail();
  const onLine = (stream: OutputStream, line: string) => {
    tail.push(line);
    run.onLine?.(stream, line);
  };
  try {
    const result = await exec(onLine);
    if (result.refused) return { ok: false, exitCode: null, outputTail: '', error: result.refused };
    const ok = result.exitCode === 0;
    return { ok, exitCode: result.exitCode, outputTail: tail.text(), error: ok ? undefined : exitText(result.exitCode, result.signal) };
  } catch (err) {
    if (run.signal?.aborted) throw err;
    return { ok: false, exitCode: null, outputTail: tail.text(), error: failureText(err) };
  }
}

function failureText(err: unknown): string {
  if (err instanceof CommandTimeoutError || err instanceof CommandCancelledError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs a hook on the bot's host, in the task's build workspace, inside the hook sandbox: the
 * repository's code never sees the data directory, the database, key files, the agent socket or
 * the bot's HOME, and its environment is DEPLOY_* plus a few neutral variables (sandbox/).
 * A sandbox that refuses local hooks makes the hook fail with what to do about it.
 */
export function runLocalHook(run: HookRun & { sandbox: HookSandbox; dirs: BuildDirs }): Promise<HookResult> {
  return runHook(run, async (onLine) => {
    let command;
    try {
      command = await run.sandbox.command(run.dirs, run.script, run.env);
    } catch (err) {
      if (err instanceof SandboxRefused) return { exitCode: null, signal: null, refused: err.message };
      throw err;
    }
    return runLocalUnchecked({
      ...command,
      timeoutMs: run.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
      signal: run.signal,
      redactor: run.redactor,
      onLine,
      maxOutputBytes: HOOK_OUTPUT_CAP,
    });
  });
}

/**
 * The remote wrapper of a hook. The script arrives on this command's stdin, which only `cat`
 * reads, into a private temporary file; the hook then runs from that file with stdin from
 * /dev/null. A command in the hook that reads stdin (`php artisan migrate` asking, `ssh`,
 * `docker exec -i`) therefore gets EOF instead of swallowing the rest of the script, and the exit
 * status reported is the whole script's. The file is removed whatever the hook does (EXIT trap).
 * The script is never on the command line (no quoting of multi-line scripts, not visible in `ps`).
 */
export function remoteHookCommand(dir: string, env: Record<string, string>): string {
  return (
    `f=$(mktemp "\${TMPDIR:-/tmp}/deploybot-hook.XXXXXXXX") || exit 125; ` +
    `trap 'rm -f -- "$f"' EXIT; cat > "$f" || exit 125; ` +
    `${remoteCommand`cd ${dir} || exit 125; `}${envAssignments(env)} sh -- "$f" </dev/null`
  );
}

/** Runs a hook on a server, in `dir` (see remoteHookCommand for how the script gets there). */
export function runRemoteHook(conn: SshConnection, run: HookRun & { dir: string }): Promise<HookResult> {
  return runHook(run, (onLine) =>
    conn.exec(remoteHookCommand(run.dir, run.env), {
      timeoutMs: run.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
      input: run.script.endsWith('\n') ? run.script : `${run.script}\n`,
      onLine,
      redactor: run.redactor,
      signal: run.signal,
      maxOutputBytes: HOOK_OUTPUT_CAP,
    }),
  );
}

function exitText(exitCode: number | null, signal: string | null): string {
  return exitCode !== null ? `exited with code ${exitCode}` : `was killed by ${signal ?? 'a signal'}`;
}
