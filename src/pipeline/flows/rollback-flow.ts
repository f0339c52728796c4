import { hookEnv, type HookFacts } from '../hooks/hooks.js';
import { prepareHost, releaseDir } from '../release/release-layout.js';
import { connectOrFail, StageFailure, type HostRun, type RunContext } from './run-context.js';
import { runSwitchPhase } from './fleet-switch.js';

/**
 * Rollback: switch servers to the release pinned when it was requested (what was live before the
 * current one, from each server's history, or a named release) without uploading anything.
 * All-or-nothing like a deploy: every server must have its target release before any server
 * switches; then the same fleet-wide switch and batched after_deploy as a deploy.
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
      host.serving = state.current;
      await ctx.recorder.setPreviousRelease(host.name, state.current);
      const target = plan.targetRelease;
      // The target was pinned against what was live when the rollback was requested: if that has
      // changed since (another deploy, another rollback), this rollback no longer means the same.
      if (plan.fromRelease && state.current !== plan.fromRelease) problems.push(`${host.name} now serves ${state.current ?? 'nothing'}, not ${plan.fromRelease} as when the rollback was requested`);
      else if (!target) problems.push(`no target release was pinned when the rollback was requested`);
      else if (!state.releases.includes(target)) problems.push(`${host.name} does not have release ${target}`);
      else if (target === state.current) problems.push(`${host.name} is already on ${target}`);
      else targets.set(host, target);
    });
    if (problems.length) throw new StageFailure(`cannot roll back: ${[...new Set(problems)].join('; ')}; no server was changed`, null, 'start');
  });
  for (const stage of ['before_download', 'download', 'after_download', 'package'] as const) ctx.skipTaskStage(stage);
  for (const host of ctx.hosts) {
    ctx.skipHostStage(host, 'upload');
    ctx.skipHostStage(host, 'before_deploy');
  }
  // The barrier of a rollback: nothing was uploaded, but a lost lease or a store in trouble still
  // means no server switches.
  ctx.checkpoint();
  if (ctx.fenced || ctx.recorder.storeTrouble) {
    throw new StageFailure(`the task could not be recorded (${ctx.recorder.storeTrouble ?? 'another process owns it'}); no server was switched`, null, 'start');
  }

  const target = plan.targetRelease!;
  const commit = await ctx.recorder.releaseCommit(target);
  await ctx.recorder.setCommit(commit ?? '', target);
  const facts: HookFacts = { taskId: plan.taskId, project: plan.project.name, environment: plan.project.environment, ref: plan.ref, commit: commit ?? '', releaseId: target, requestedBy: plan.requestedBy };

  await runSwitchPhase(ctx, {
    kind: 'rollback',
    release: (host) => targets.get(host)!,
    hookEnv: (host) =>
      hookEnv(facts, { DEPLOY_RELEASE_DIR: releaseDir(path, target), DEPLOY_PREVIOUS_RELEASE_DIR: host.previous ? releaseDir(path, host.previous) : '', DEPLOY_PATH: path, DEPLOY_SERVER: host.name, DEPLOY_ROLLBACK: '1' }),
    facts,
  });
}
