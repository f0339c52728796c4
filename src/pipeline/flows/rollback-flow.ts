import { hasScript, hookEnv, runRemoteHook, type HookFacts } from '../hooks/hooks.js';
import { prepareHost, releaseDir, switchCurrent } from '../release/release-layout.js';
import { connectOrFail, StageFailure, type HostRun, type RunContext } from './run-context.js';
import { summariseHostFailures, switchBack } from './switch-back.js';
import { LeaseLost } from '../../store/store-errors.js';

/**
 * Rollback: switch servers back to the release before the live one (or a named release) without
 * uploading anything. All-or-nothing like a deploy: every server must have its target release
 * before any server switches.
 */
export async function runRollbackFlow(ctx: RunContext): Promise<void> {
  const { plan } = ctx;
  const path = plan.project.deployPath;
  const targets = new Map<HostRun, string>();

  await ctx.taskStage('start', async () => {
    await connectOrFail(ctx);
    const problems: string[] = [];
    await ctx.eachHost(ctx.hosts, async (host) => {
      const state = await prepareHost(host.conn!, path, null, ctx.signal);
      host.previous = state.current;
      await ctx.recorder.setPreviousRelease(host.name, state.current);
      const target = plan.targetRelease ?? releaseBefore(state.releases, state.current);
      // The target was pinned against what was live when the rollback was requested: if that has
      // changed since (another deploy, another rollback), this rollback no longer means the same.
      if (plan.fromRelease && state.current !== plan.fromRelease) problems.push(`${host.name} now serves ${state.current ?? 'nothing'}, not ${plan.fromRelease} as when the rollback was requested`);
      else if (!target) problems.push(`${host.name} has no release before ${state.current ?? 'the current one'}`);
      else if (!state.releases.includes(target)) problems.push(`${host.name} does not have release ${target}`);
      else if (target === state.current) problems.push(`${host.name} is already on ${target}`);
      else targets.set(host, target);
    });
    if (problems.length) throw new StageFailure(`cannot roll back: ${problems.join('; ')}; no server was changed`, null, 'start');
  });
  for (const stage of ['before_download', 'download', 'after_download', 'package'] as const) ctx.skipTaskStage(stage);

  const distinct = [...new Set(targets.values())];
  const commit = await ctx.recorder.releaseCommit(distinct[0]!);
  await ctx.recorder.setCommit(commit ?? '', distinct.length === 1 ? distinct[0]! : null);
  const facts: HookFacts = { taskId: plan.taskId, project: plan.project.name, environment: plan.project.environment, ref: plan.ref, commit: commit ?? '', releaseId: distinct[0]!, requestedBy: plan.requestedBy };

  await ctx.eachHost(ctx.hosts, async (host) => {
    const target = targets.get(host)!;
    ctx.skipHostStage(host, 'upload');
    ctx.skipHostStage(host, 'before_deploy');
    if (ctx.fenced) {
      ctx.skipHostStage(host, 'switch');
      return ctx.skipHostStage(host, 'after_deploy');
    }
    const switched = await ctx.hostStage(host, 'switch', async () => {
      await switchCurrent(host.conn!, path, target);
      host.switched = true;
      host.everSwitched = true;
      await ctx.recorder.markCurrent(host.planned.serverId, target, 'rollback');
    });
    const script = plan.hooks.after_deploy;
    if (!switched || !hasScript(script)) return ctx.skipHostStage(host, 'after_deploy');
    await ctx.hostStage(host, 'after_deploy', () =>
      runRemoteHook(host.conn!, {
        script,
        dir: releaseDir(path, target),
        env: hookEnv({ ...facts, releaseId: target }, { DEPLOY_RELEASE_DIR: releaseDir(path, target), DEPLOY_PREVIOUS_RELEASE_DIR: host.previous ? releaseDir(path, host.previous) : '', DEPLOY_PATH: path, DEPLOY_SERVER: host.name, DEPLOY_ROLLBACK: '1' }),
        timeoutMs: ctx.deps.hookTimeoutMs,
        redactor: ctx.deps.redactor,
        onLine: ctx.outputListener(host.name, 'after_deploy'),
      }),
    );
  });

  if (ctx.fenced) throw new LeaseLost(plan.taskId);
  const failed = ctx.failedHosts();
  if (failed.length) {
    if (plan.project.onFailure === 'rollback') await switchBack(ctx, ctx.hosts.filter((h) => h.switched), facts);
    throw new StageFailure(summariseHostFailures(ctx, failed, plan.project.onFailure), failed[0]!.name, 'switch');
  }
}

/** The newest release older than `current` (releases are sorted oldest first). */
export function releaseBefore(releases: readonly string[], current: string | null): string | null {
  if (!current) return null;
  const older = releases.filter((r) => r < current);
  return older[older.length - 1] ?? null;
}
