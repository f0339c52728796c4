import { hasScript, hookEnv, runRemoteHook, type HookFacts } from '../hooks/hooks.js';
import { releaseDir, switchCurrent } from '../release/release-layout.js';
import { errorText, type HostRun, type RunContext } from './run-context.js';

/**
 * Returns servers that already switched to the new release to the one they served before, and
 * runs after_deploy there again (with DEPLOY_ROLLBACK=1) so the old code is what actually runs.
 * A server that had no previous release (first deploy) is left as it is and said so.
 */
export async function switchBack(ctx: RunContext, hosts: readonly HostRun[], facts: HookFacts): Promise<void> {
  const path = ctx.plan.project.deployPath;
  await ctx.eachHost(hosts, async (host) => {
    if (!host.previous || !host.conn) {
      ctx.deps.log.warn('cannot switch back: no previous release', { taskId: ctx.plan.taskId, host: host.name });
      return;
    }
    try {
      await switchCurrent(host.conn, path, host.previous);
      host.switched = false;
      await ctx.recorder.markCurrent(host.planned.serverId, host.previous, 'revert');
      ctx.emit({ type: 'host.rolled_back', host: host.name, release: host.previous });
      const script = ctx.plan.hooks.after_deploy;
      if (hasScript(script)) {
        const env = hookEnv({ ...facts, releaseId: host.previous }, { DEPLOY_RELEASE_DIR: releaseDir(path, host.previous), DEPLOY_PATH: path, DEPLOY_SERVER: host.name, DEPLOY_ROLLBACK: '1' });
        await runRemoteHook(host.conn, { script, dir: releaseDir(path, host.previous), env, timeoutMs: ctx.deps.hookTimeoutMs, redactor: ctx.deps.redactor });
      }
    } catch (err) {
      if (host.switched) host.switchBackFailed = true;
      host.error = `${host.error ?? ''} (switching back failed: ${errorText(err)})`;
      ctx.deps.log.error('switching back failed', { taskId: ctx.plan.taskId, host: host.name, error: errorText(err) });
    }
  });
}

export function summariseHostFailures(ctx: RunContext, failed: readonly HostRun[], policy: 'rollback' | 'continue'): string {
  const first = failed[0]!;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
  const stuck = ctx.hosts.filter((h) => h.switchBackFailed);
  const rest =
    policy === 'rollback'
      ? stuck.length
        ? `switching back failed on ${stuck.map((h) => h.name).join(', ')}, which still serve${stuck.length === 1 ? 's' : ''} the new release; the others were switched back`
        : 'the servers that had switched were switched back to their previous release'
      : 'the other servers keep the new release (policy: continue)';
  return `${first.error} on ${first.name}${more}; ${rest}`;
}
