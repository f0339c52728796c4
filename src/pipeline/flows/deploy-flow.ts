import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hasScript, hookEnv, runLocalHook, runRemoteHook, type HookFacts } from '../hooks/hooks.js';
import { defaultHookSandbox, type BuildDirs, type HookSandbox } from '../hooks/sandbox/hook-sandbox.js';
import { packageWorkspace, type Artifact } from '../release/package-artifact.js';
import { newReleaseId } from '../release/release-id.js';
import { discardUpload, partialDir, planCleanup, prepareHost, releaseDir, removeReleases } from '../release/release-layout.js';
import { connectOrFail, errorText, StageFailure, type HostRun, type RunContext } from './run-context.js';
import { runSwitchPhase } from './fleet-switch.js';
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
 * fleet-wide switch (all servers at once) → after_deploy in batches → cleanup (fleet-switch.ts).
 *
 * A failure before the barrier leaves every server on its current release (the uploads are
 * discarded). A failure at switch/after_deploy switches every server serving the new release back
 * to its previous one, unless the project's policy is `continue`.
 */
export async function runDeployFlow(ctx: RunContext): Promise<void> {
  const { plan, deps } = ctx;
  const sandbox = deps.hookSandbox ?? defaultHookSandbox(deps.dataDir);
  // The build area is outside the data directory: the repository's code runs there (sandbox/).
  let dirs: BuildDirs | undefined;
  const artifactPath = join(deps.dataDir, 'artifacts', `task-${plan.taskId}.tar.gz`);
  const facts: HookFacts = { taskId: plan.taskId, project: plan.project.name, environment: plan.project.environment, ref: plan.ref, commit: '', releaseId: '', requestedBy: plan.requestedBy };

  try {
    await ctx.taskStage('start', () => connectOrFail(ctx));

    dirs = await sandbox.createBuildDirs(plan.taskId);
    const build = dirs;
    // The commit is not known yet: before_download sees DEPLOY_REF but an empty DEPLOY_COMMIT.
    await localHook(ctx, sandbox, 'before_download', build, facts);

    await ctx.taskStage('download', async () => {
      // A pinned commit (what was approved) wins over where the ref points now. It was fetched when
      // the deploy was requested: fetch again only if the mirror no longer has it.
      const pinned = plan.commit ? await deps.git.resolveRef(plan.project.repoUrl, plan.commit).catch(() => null) : null;
      if (!pinned) await deps.git.ensureMirror(plan.project.repoUrl);
      facts.commit = pinned ?? (await deps.git.resolveRef(plan.project.repoUrl, plan.commit ?? plan.ref));
      facts.releaseId = newReleaseId(plan.taskId, facts.commit);
      await ctx.recorder.setCommit(facts.commit, facts.releaseId);
      ctx.emit({ type: 'commit.resolved', ref: plan.ref, commit: facts.commit });
      await deps.git.exportCommit(plan.project.repoUrl, facts.commit, build.workspace);
    });

    await localHook(ctx, sandbox, 'after_download', build, facts);
    const artifact = await ctx.taskStage('package', () => packageWorkspace(build.workspace, artifactPath));
    // The workspace can be large (node_modules after a build): free it before the long upload.
    await sandbox.removeBuildDirs(build);

    // The distributor sees the whole fleet (a relay needs every server in the stage at once).
    const delivery = await startDelivery(ctx, artifact);
    try {
      await ctx.eachHost(ctx.hosts, (host) => uploadAndPrepare(ctx, host, artifact, facts, delivery), delivery.parallel);
    } finally {
      await closeDelivery(ctx, delivery);
    }
    await barrier(ctx, facts.releaseId);

    await runSwitchPhase(ctx, { kind: 'deploy', release: () => facts.releaseId, hookEnv: (host) => remoteHookEnv(ctx, host, facts), facts });
    const keep = await protectedReleases(ctx, facts.releaseId);
    if (keep) await ctx.eachHost(ctx.hosts, (host) => cleanup(ctx, host, keep));
  } finally {
    if (dirs) await sandbox.removeBuildDirs(dirs).catch(() => undefined);
    await rm(artifactPath, { force: true }).catch(() => undefined);
  }
}

async function localHook(ctx: RunContext, sandbox: HookSandbox, stage: 'before_download' | 'after_download', dirs: BuildDirs, facts: HookFacts): Promise<void> {
  const script = ctx.plan.hooks[stage];
  if (!hasScript(script)) return ctx.skipTaskStage(stage);
  await ctx.localHookStage(stage, () =>
    runLocalHook({ script, sandbox, dirs, env: hookEnv(facts), timeoutMs: ctx.deps.hookTimeoutMs, signal: ctx.signal, redactor: ctx.deps.redactor, onLine: ctx.outputListener(null, stage) }),
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
    ctx.skipHostStage(host, 'health');
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

/**
 * What keep-N cleanup must never remove, on any server: the new release, every release live on a
 * server of the project (read from the servers at upload, and as recorded for the others), and
 * each server's rollback target (the entry below the top of its history).
 */
async function protectedReleases(ctx: RunContext, releaseId: string): Promise<string[] | null> {
  const recorded = await ctx.recorder.protectedReleases();
  // Without the store's word on what is live elsewhere, keeping everything is the safe choice.
  if (!recorded) return null;
  return [...new Set([releaseId, ...ctx.hosts.map((h) => h.previous).filter((r): r is string => Boolean(r)), ...recorded])];
}

/** Keeps the newest releases; a failure here is reported in the log but does not fail the deploy. */
async function cleanup(ctx: RunContext, host: HostRun, keep: readonly string[]): Promise<void> {
  const doomed = planCleanup([...host.releases, keep[0]!], ctx.plan.project.keepReleases, keep);
  if (doomed.length === 0 || !host.conn) return;
  try {
    await removeReleases(host.conn, ctx.plan.project.deployPath, doomed);
    await ctx.recorder.forgetReleases(host.planned.serverId, doomed);
  } catch (err) {
    ctx.deps.log.warn('release cleanup failed', { taskId: ctx.plan.taskId, host: host.name, error: errorText(err) });
  }
}
