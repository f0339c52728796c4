import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hasScript, hookEnv, runLocalHook, runRemoteHook, type HookFacts } from '../hooks/hooks.js';
import { packageWorkspace, type Artifact } from '../release/package-artifact.js';
import { newReleaseId } from '../release/release-id.js';
import { discardUpload, partialDir, planCleanup, prepareHost, releaseDir, removeReleases, switchCurrent } from '../release/release-layout.js';
import { connectOrFail, errorText, StageFailure, type HostRun, type RunContext } from './run-context.js';
import { summariseHostFailures, switchBack } from './switch-back.js';
import { LeaseLost } from '../../store/store-errors.js';
import type { FleetDelivery } from '../distribution/distributor.js';
import { Semaphore } from '../exec/semaphore.js';
import { closeDelivery, startDelivery } from './upload-delivery.js';

const beforeDeploySlots = new WeakMap<RunContext, Semaphore>();
const hookSlots = (ctx: RunContext) => {
  let slots = beforeDeploySlots.get(ctx);
  if (!slots) beforeDeploySlots.set(ctx, (slots = new Semaphore(ctx.plan.project.maxParallel)));
  return slots;
};

/**
 * The deploy flow:
 * start (connect all) → before_download → download → after_download → package →
 * per server: upload → before_deploy  ═ barrier: every server ready, or none switches ═
 * per server: switch → after_deploy → cleanup.
 *
 * A failure before the barrier leaves every server on its current release (the uploads are
 * discarded). A failure at switch/after_deploy switches the servers already switched back to
 * their previous release, unless the project's policy is `continue`.
 */
export async function runDeployFlow(ctx: RunContext): Promise<void> {
  const { plan, deps } = ctx;
  const workspace = join(deps.dataDir, 'workspaces', `task-${plan.taskId}`);
  const artifactPath = join(deps.dataDir, 'artifacts', `task-${plan.taskId}.tar.gz`);
  const facts: HookFacts = { taskId: plan.taskId, project: plan.project.name, environment: plan.project.environment, ref: plan.ref, commit: '', releaseId: '', requestedBy: plan.requestedBy };

  try {
    await ctx.taskStage('start', () => connectOrFail(ctx));

    await rm(workspace, { recursive: true, force: true });
    await mkdir(workspace, { recursive: true });
    // The commit is not known yet: before_download sees DEPLOY_REF but an empty DEPLOY_COMMIT.
    await localHook(ctx, 'before_download', workspace, facts);

    await ctx.taskStage('download', async () => {
      // A pinned commit (what was approved) wins over where the ref points now. It was fetched when
      // the deploy was requested: fetch again only if the mirror no longer has it.
      const pinned = plan.commit ? await deps.git.resolveRef(plan.project.repoUrl, plan.commit).catch(() => null) : null;
      if (!pinned) await deps.git.ensureMirror(plan.project.repoUrl);
      facts.commit = pinned ?? (await deps.git.resolveRef(plan.project.repoUrl, plan.commit ?? plan.ref));
      facts.releaseId = newReleaseId(plan.taskId, facts.commit);
      await ctx.recorder.setCommit(facts.commit, facts.releaseId);
      ctx.emit({ type: 'commit.resolved', ref: plan.ref, commit: facts.commit });
      await deps.git.exportCommit(plan.project.repoUrl, facts.commit, workspace);
    });

    await localHook(ctx, 'after_download', workspace, facts);
    const artifact = await ctx.taskStage('package', () => packageWorkspace(workspace, artifactPath));
    // The workspace can be large (node_modules after a build): free it before the long upload.
    await rm(workspace, { recursive: true, force: true });

    // The distributor sees the whole fleet (a relay needs every server in the stage at once).
    const delivery = await startDelivery(ctx, artifact);
    try {
      await ctx.eachHost(ctx.hosts, (host) => uploadAndPrepare(ctx, host, artifact, facts, delivery), delivery.parallel);
    } finally {
      await closeDelivery(ctx, delivery);
    }
    await barrier(ctx, facts.releaseId);

    await ctx.eachHost(ctx.hosts, (host) => switchAndFinish(ctx, host, facts));
    // Another process took the task over: it reads every server and records the truth; this one
    // must not switch anything more, not even back.
    if (ctx.fenced) throw new LeaseLost(plan.taskId);
    const failed = ctx.failedHosts();
    if (failed.length) {
      if (plan.project.onFailure === 'rollback') await switchBack(ctx, ctx.hosts.filter((h) => h.switched), facts);
      throw new StageFailure(summariseHostFailures(ctx, failed, plan.project.onFailure), failed[0]!.name, 'switch');
    }
    await ctx.eachHost(ctx.hosts, (host) => cleanup(ctx, host, facts.releaseId));
  } finally {
    await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
    await rm(artifactPath, { force: true }).catch(() => undefined);
  }
}

async function localHook(ctx: RunContext, stage: 'before_download' | 'after_download', cwd: string, facts: HookFacts): Promise<void> {
  const script = ctx.plan.hooks[stage];
  if (!hasScript(script)) return ctx.skipTaskStage(stage);
  await ctx.localHookStage(stage, () =>
    runLocalHook({ script, cwd, env: hookEnv(facts), timeoutMs: ctx.deps.hookTimeoutMs, signal: ctx.signal, redactor: ctx.deps.redactor, onLine: ctx.outputListener(null, stage) }),
  );
}

function remoteHookEnv(ctx: RunContext, host: HostRun, facts: HookFacts, extra: Record<string, string> = {}): Record<string, string> {
  const path = ctx.plan.project.deployPath;
  return hookEnv(facts, {
    DEPLOY_RELEASE_DIR: releaseDir(path, facts.releaseId),
    DEPLOY_PREVIOUS_RELEASE_DIR: host.previous ? releaseDir(path, host.previous) : '',
    DEPLOY_PATH: path,
    DEPLOY_SERVER: host.name,
    ...extra,
  });
}

async function uploadAndPrepare(ctx: RunContext, host: HostRun, artifact: Artifact, facts: HookFacts, delivery: FleetDelivery): Promise<void> {
  const path = ctx.plan.project.deployPath;
  const conn = host.conn!;
  const uploaded = await ctx.hostStage(host, 'upload', async () => {
    const state = await prepareHost(conn, path, facts.releaseId, ctx.signal);
    host.previous = state.current;
    host.releases = state.releases;
    await ctx.recorder.setPreviousRelease(host.name, state.current);
    // Extracted into .partial and renamed to the release only when complete, in one command.
    await delivery.deliver(host.name, partialDir(path, facts.releaseId), { signal: ctx.signal, renameTo: releaseDir(path, facts.releaseId) });
    await ctx.recorder.addRelease(host.planned.serverId, facts.releaseId, facts.commit, releaseDir(path, facts.releaseId));
  });
  if (!uploaded) return ctx.skipHostStage(host, 'before_deploy');
  // Uploads may run wider than `parallel` (the distribution decides); hooks keep the project's bound.
  const release = await hookSlots(ctx).acquire();
  try {
    await remoteHookStage(ctx, host, 'before_deploy', facts, ctx.signal);
  } finally {
    release();
  }
}

/** A remote hook as a host stage, in the new release's directory; skipped when there is no script. */
async function remoteHookStage(ctx: RunContext, host: HostRun, stage: 'before_deploy' | 'after_deploy', facts: HookFacts, signal?: AbortSignal): Promise<void> {
  const script = ctx.plan.hooks[stage];
  if (!hasScript(script)) return ctx.skipHostStage(host, stage);
  await ctx.hostStage(host, stage, () =>
    runRemoteHook(host.conn!, {
      script,
      dir: releaseDir(ctx.plan.project.deployPath, facts.releaseId),
      env: remoteHookEnv(ctx, host, facts),
      timeoutMs: ctx.deps.hookTimeoutMs,
      signal,
      redactor: ctx.deps.redactor,
      onLine: ctx.outputListener(host.name, stage),
    }),
  );
}

/**
 * Nothing goes live unless every server is ready, this process still owns the task, and the store
 * took what happened so far; otherwise the uploads are removed again.
 */
async function barrier(ctx: RunContext, releaseId: string): Promise<void> {
  const failed = ctx.failedHosts();
  const storeTrouble = ctx.recorder.storeTrouble;
  if (failed.length === 0 && !ctx.signal.aborted && !storeTrouble && !ctx.fenced) return;
  for (const host of ctx.hosts) {
    ctx.skipHostStage(host, 'switch');
    ctx.skipHostStage(host, 'after_deploy');
    // Every connected host, not only those known to have finished uploading: a cancel can land
    // while the final rename runs, leaving a complete release the host never reported.
    if (host.conn) {
      await discardUpload(host.conn, ctx.plan.project.deployPath, releaseId).catch((err) =>
        ctx.deps.log.warn('could not discard an unused upload', { taskId: ctx.plan.taskId, host: host.name, error: errorText(err) }),
      );
      await ctx.recorder.forgetReleases(host.planned.serverId, [releaseId]);
    }
  }
  ctx.checkpoint();
  if (failed.length === 0) {
    throw new StageFailure(`the database could not be written (${storeTrouble}); no server was switched, every server stays on its current release`, null, 'before_deploy');
  }
  const first = failed[0]!;
  const others = ctx.hosts.length - failed.length;
  throw new StageFailure(
    `${first.error} on ${first.name}${failed.length > 1 ? ` (and ${failed.length - 1} more server${failed.length > 2 ? 's' : ''})` : ''}; ` +
      `no server was switched${others ? `, ${others} other server${others > 1 ? 's' : ''} stay${others > 1 ? '' : 's'} on ${others > 1 ? 'their' : 'its'} current release` : ''}`,
    first.name,
    'before_deploy',
  );
}

async function switchAndFinish(ctx: RunContext, host: HostRun, facts: HookFacts): Promise<void> {
  const path = ctx.plan.project.deployPath;
  const conn = host.conn!;
  // Fenced out: the process that took the task over decides; switch nothing more.
  if (ctx.fenced) {
    ctx.skipHostStage(host, 'switch');
    return ctx.skipHostStage(host, 'after_deploy');
  }
  // No signal: once switching has begun it completes, so a cancel never leaves a fleet half-switched.
  const switched = await ctx.hostStage(host, 'switch', async () => {
    await switchCurrent(conn, path, facts.releaseId);
    host.switched = true;
    host.everSwitched = true;
    await ctx.recorder.markCurrent(host.planned.serverId, facts.releaseId, 'deploy');
  });
  if (!switched) return ctx.skipHostStage(host, 'after_deploy');
  // No signal here either: after the switch, the hook that restarts the app must run to its end.
  await remoteHookStage(ctx, host, 'after_deploy', facts);
}

/** Keeps the newest releases; a failure here is reported in the log but does not fail the deploy. */
async function cleanup(ctx: RunContext, host: HostRun, releaseId: string): Promise<void> {
  const doomed = planCleanup([...host.releases, releaseId], ctx.plan.project.keepReleases, [releaseId, host.previous]);
  if (doomed.length === 0 || !host.conn) return;
  try {
    await removeReleases(host.conn, ctx.plan.project.deployPath, doomed);
    await ctx.recorder.forgetReleases(host.planned.serverId, doomed);
  } catch (err) {
    ctx.deps.log.warn('release cleanup failed', { taskId: ctx.plan.taskId, host: host.name, error: errorText(err) });
  }
}
