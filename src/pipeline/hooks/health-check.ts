import { setTimeout as sleep } from 'node:timers/promises';
import type { Redactor } from '../../redact.js';
import type { OutputStream } from '../exec/output-capture.js';
import type { SshConnection } from '../ssh/ssh.js';
import { runRemoteHook, type HookResult } from './hooks.js';

/** Between two attempts: short, so a service that comes up after a second is seen at once. */
export const HEALTH_RETRY_MS = 1_000;

export interface HealthCheckRun {
  command: string;
  /** Bounds the whole check, every attempt included. */
  timeoutMs: number;
  dir: string;
  env: Record<string, string>;
  redactor?: Redactor;
  onLine?: (stream: OutputStream, line: string) => void;
  retryMs?: number;
}

/**
 * Runs a project's health check on one server until it exits 0 or its timeout passes. Each
 * attempt goes through the remote hook runner (the command on stdin, never on the command line,
 * and its own stdin from /dev/null), bounded by the time left, so a check that hangs cannot
 * outlive the timeout. The result of the last attempt is returned, with how long and how often
 * it was tried when it never passed.
 */
export async function runHealthCheck(conn: SshConnection, run: HealthCheckRun): Promise<HookResult> {
  const started = Date.now();
  const deadline = started + run.timeoutMs;
  const retryMs = run.retryMs ?? HEALTH_RETRY_MS;
  let attempts = 0;
  for (;;) {
    attempts++;
    const left = Math.max(1, deadline - Date.now());
    const result = await runRemoteHook(conn, { script: run.command, dir: run.dir, env: run.env, timeoutMs: left, redactor: run.redactor, onLine: run.onLine });
    if (result.ok) return result;
    // A link that dropped will not come back by retrying on it.
    if (!conn.isOpen || Date.now() + retryMs >= deadline) {
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const command = run.redactor ? run.redactor.redact(run.command) : run.command;
      return { ...result, error: `\`${command}\` still failing after ${seconds} s (${attempts} attempt${attempts > 1 ? 's' : ''}; last ${result.error ?? 'failed'})` };
    }
    await sleep(retryMs);
  }
}
