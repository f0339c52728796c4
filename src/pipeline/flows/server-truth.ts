import { readCurrent } from '../release/release-layout.js';
import { connectSsh } from '../ssh/ssh.js';
import { errorText, type HostRun, type RunContext } from './run-context.js';

/** Pauses between reconnect attempts after a dropped link: a few seconds in all, never minutes. */
const RECONNECT_DELAYS_MS = [200, 600, 1500];
/** A read-back is one readlink: it answers at once or the server is in trouble. */
const READ_BACK_TIMEOUT_MS = 10_000;

/**
 * Makes sure the host has a usable connection: the one it has, or a fresh one (bounded retries).
 * A reconnect is never a first contact: the host key was pinned when the task connected, so the
 * same key is required now. Returns false when the server cannot be reached.
 */
export async function ensureConnected(ctx: RunContext, host: HostRun): Promise<boolean> {
  if (host.conn?.isOpen) return true;
  void host.conn?.close();
  host.conn = null;
  const target = { ...host.planned.target, hostKeyFingerprint: host.planned.target.hostKeyFingerprint ?? host.pinnedFingerprint };
  const connectTimeoutMs = Math.min(ctx.deps.ssh.connectTimeoutMs, 10_000);
  for (let attempt = 0; ; attempt++) {
    try {
      host.conn = await connectSsh(target, { ...ctx.deps.ssh, connectTimeoutMs, redactor: ctx.deps.redactor });
      ctx.deps.log.info('reconnected to a server after a dropped link', { taskId: ctx.plan.taskId, host: host.name, attempt: attempt + 1 });
      return true;
    } catch (err) {
      const pause = RECONNECT_DELAYS_MS[attempt];
      if (pause === undefined) {
        ctx.deps.log.warn('could not reconnect to a server', { taskId: ctx.plan.taskId, host: host.name, error: errorText(err) });
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Reads what the server really serves (after a failed command, before anything is decided on it),
 * reconnecting first if the link was lost. Sets host.serving: the release, null (nothing we know),
 * or undefined when the server could not be read.
 */
export async function readBack(ctx: RunContext, host: HostRun): Promise<string | null | undefined> {
  host.serving = undefined;
  if (!(await ensureConnected(ctx, host))) return undefined;
  try {
    host.serving = await readCurrent(host.conn!, ctx.plan.project.deployPath, AbortSignal.timeout(READ_BACK_TIMEOUT_MS));
  } catch (err) {
    ctx.deps.log.warn('could not read back where current points', { taskId: ctx.plan.taskId, host: host.name, error: errorText(err) });
  }
  return host.serving;
}
