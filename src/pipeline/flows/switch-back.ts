import { hasScript, hookEnv, runRemoteHook, type HookFacts } from '../hooks/hooks.js';
import { releaseDir, switchCurrent } from '../release/release-layout.js';
import { errorText, type HostRun, type RunContext } from './run-context.js';
import { ensureConnected, readBack } from './server-truth.js';

/**
 * Returns every server that serves the new release (or may: its switch was attempted and it could
 * not be read back) to the release it served before, all at once like the switch, reconnecting
 * where the link was lost. Then after_deploy runs again (DEPLOY_ROLLBACK=1), in batches, on the
 * servers where it had run for the new release, so the old code is what actually runs. A server
 * with no previous release (first deploy) is left as it is and said so; a switch-back that fails
 * is reported per server.
 */
export async function switchBack(ctx: RunContext, facts: HookFacts): Promise<void> {
  const path = ctx.plan.project.deployPath;
  const hosts = ctx.hosts.filter((h) => h.switched || (h.switchAttempted && h.serving === undefined));
  const back: HostRun[] = [];
  await Promise.all(
    hosts.map(async (host) => {
      if (!host.previous) {
        host.switchBackFailed = host.switched;
        host.switchBackError = 'it had no previous release to go back to';
        ctx.deps.log.warn('cannot switch back: no previous release', { taskId: ctx.plan.taskId, host: host.name });
        return;
      }
      try {
        if (!(await ensureConnected(ctx, host))) throw new Error('cannot reconnect to it');
        await switchCurrent(host.conn!, path, host.previous);
      } catch (err) {
        // Did the rename happen anyway (the answer was lost)? Only the server can say.
        const serving = await readBack(ctx, host);
        if (serving !== host.previous) {
          host.switchBackFailed = true;
          host.switchBackError = `${errorText(err)}${serving === undefined ? '; it could not be read back' : `; it serves ${serving ?? 'no release'}`}`;
          ctx.deps.log.error('switching back failed', { taskId: ctx.plan.taskId, host: host.name, error: host.switchBackError });
          await ctx.recorder.hostNote(host.name, `switching back to ${host.previous} failed: ${host.switchBackError}`);
          return;
        }
      }
      host.switched = false;
      host.serving = host.previous;
      await ctx.recorder.markCurrent(host.planned.serverId, host.previous, 'revert');
      ctx.emit({ type: 'host.rolled_back', host: host.name, release: host.previous });
      back.push(host);
    }),
  );

  const script = ctx.plan.hooks.after_deploy;
  if (!hasScript(script)) return;
  const restart = back.filter((h) => h.afterDeployStarted);
  const batchSize = Math.max(1, ctx.plan.project.maxParallel);
  for (let i = 0; i < restart.length; i += batchSize) {
    await Promise.all(
      restart.slice(i, i + batchSize).map(async (host) => {
        const release = host.previous!;
        const env = hookEnv({ ...facts, releaseId: release }, { DEPLOY_RELEASE_DIR: releaseDir(path, release), DEPLOY_PATH: path, DEPLOY_SERVER: host.name, DEPLOY_ROLLBACK: '1' });
        const result = await runRemoteHook(host.conn!, { script, dir: releaseDir(path, release), env, timeoutMs: ctx.deps.hookTimeoutMs, redactor: ctx.deps.redactor });
        if (!result.ok) {
          host.error = `${host.error ?? ''} (after_deploy after switching back ${result.error})`.trim();
          ctx.deps.log.error('after_deploy failed after switching back', { taskId: ctx.plan.taskId, host: host.name, error: result.error });
        }
      }),
    );
  }
}

export function summariseHostFailures(ctx: RunContext, failed: readonly HostRun[], policy: 'rollback' | 'continue'): string {
  const first = failed[0]!;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
  const stuck = ctx.hosts.filter((h) => h.switchBackFailed);
  const unknown = ctx.hosts.filter((h) => !h.switchBackFailed && h.switchAttempted && h.serving === undefined);
  const never = ctx.hosts.filter((h) => !h.afterDeployStarted && h.switched === false && h.everSwitched);
  let rest: string;
  if (policy === 'rollback') {
    const parts: string[] = [];
    if (stuck.length) parts.push(`switching back failed on ${stuck.map((h) => `${h.name} (${h.switchBackError ?? 'unknown error'})`).join(', ')}, which still serve${stuck.length === 1 ? 's' : ''} the new release`);
    if (unknown.length) parts.push(`${unknown.map((h) => h.name).join(', ')} could not be read back: check ${unknown.length === 1 ? 'it' : 'them'} by hand`);
    const others = ctx.hosts.filter((h) => h.everSwitched && !h.switched);
    if (others.length) parts.push(`${stuck.length || unknown.length ? 'the others' : 'the servers that had switched'} were switched back to their previous release${never.length ? ` (after_deploy never ran on ${never.length} of them)` : ''}`);
    rest = parts.length ? parts.join('; ') : 'no server had switched';
  } else {
    rest = 'the other servers keep the new release (policy: continue)';
  }
  return `${first.error} on ${first.name}${more}; ${rest}`;
}
