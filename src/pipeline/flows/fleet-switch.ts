import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeployPlan } from '../deploy-plan.js';
import { runHealthCheck } from '../hooks/health-check.js';
import { hasScript, runRemoteHook, type HookFacts } from '../hooks/hooks.js';
import { releaseDir, switchCurrent } from '../release/release-layout.js';
import type { SwitchKind } from '../../store/run-records.js';
import { LeaseLost } from '../../store/store-errors.js';
import { CancelledAtSafePoint, errorText, StageFailure, type HostRun, type RunContext } from './run-context.js';
import { readBack } from './server-truth.js';
import { summariseHostFailures, switchBack } from './switch-back.js';

/** What the switch phase needs to know about one task (a deploy or a rollback). */
export interface SwitchPhase {
  kind: Exclude<SwitchKind, 'revert'>;
  /** The release this host goes to. */
  release(host: HostRun): string;
  /** after_deploy's environment on this host. */
  hookEnv(host: HostRun): Record<string, string>;
  /** The task's facts for switch-back hooks. */
  facts: HookFacts;
}

/**
 * After the barrier: the fleet-wide switch, then after_deploy in batches.
 *
 * 1. Every server's `current` is renamed at once, over the connections already open (one small
 *    command each), so the window in which the fleet serves two releases is as short as the
 *    network allows. Its skew (first to last server switched) is measured and reported.
 * 2. after_deploy runs in batches of `parallel`, each server's health check (if the project has
 *    one) right after its after_deploy. Under the `rollback` policy the first failure (a hook or a
 *    check) stops further batches and every server that serves the new release is switched back;
 *    under `continue` the remaining batches still run (their servers serve the new release).
 *
 * A process that lost the task (fenced) switches nothing, not even back: the new owner reads the
 * servers and decides.
 */
export async function runSwitchPhase(ctx: RunContext, phase: SwitchPhase): Promise<void> {
  const { plan } = ctx;
  const canary = phase.kind === 'deploy' ? canarySize(plan.project.canary, ctx.hosts.length) : 0;
  if (canary > 0) return runCanaryFirst(ctx, phase, canary);
  await switchFleet(ctx, ctx.hosts, phase);
  if (ctx.fenced) throw new LeaseLost(plan.taskId);
  const switchFailed = ctx.failedHosts().length > 0;
  for (const host of ctx.hosts) if (!host.switched) skipFinish(ctx, host);
  await finishInBatches(ctx, phase, ctx.hosts.filter((h) => h.switched));
  await settle(ctx, phase, switchFailed);
}

/**
 * Canary first (`rollout=canary:<n|p%>`): the first servers switch, run after_deploy and their
 * health check, then run alone for `canary_wait`; where the plan has a promotion gate (a prod
 * project), they also wait for an approver's Promote, recorded in the database by any process
 * (canary_wait is then the least time they run alone, however early the click). A failure there
 * reverts the canary whatever the policy, and the rest is never touched (its uploads stay unused);
 * so does a cancel (or the reaper's stop) before the rest starts: the task ends cancelled with the
 * canary back on its previous release. Then the rest follows, in batches of `parallel`, each
 * switched and checked before the next; a failure there is handled like any other (switch-back
 * under `rollback`).
 */
async function runCanaryFirst(ctx: RunContext, phase: SwitchPhase, size: number): Promise<void> {
  const { plan } = ctx;
  const first = ctx.hosts.slice(0, size);
  const rest = ctx.hosts.slice(size);
  ctx.emit({ type: 'canary.started', hosts: first.map((h) => h.name), waitMs: plan.project.canary!.waitMs, needsPromotion: Boolean(plan.promotion) });
  await switchFleet(ctx, first, phase);
  if (ctx.fenced) throw new LeaseLost(plan.taskId);
  for (const host of first) if (!host.switched) skipFinish(ctx, host);
  await finishInBatches(ctx, phase, first.filter((h) => h.switched));
  const healthy = ctx.failedHosts().length === 0 && !ctx.fenced && !ctx.recorder.storeTrouble;
  const goAhead = healthy && !ctx.signal.aborted ? await canaryWait(ctx, first) : healthy ? 'stopped' : 'failed';
  if (ctx.fenced) throw new LeaseLost(plan.taskId);
  const failed = ctx.failedHosts();
  const storeTrouble = ctx.recorder.storeTrouble;
  if (failed.length > 0 || storeTrouble || goAhead === 'stopped') {
    for (const host of rest) {
      ctx.skipHostStage(host, 'switch');
      skipFinish(ctx, host);
    }
    if (ctx.hosts.some((h) => h.switched || h.switchAttempted)) await switchBack(ctx, phase.facts);
    if (ctx.fenced) throw new LeaseLost(plan.taskId);
    // Cancelled (or stopped by the reaper) while the canary ran alone: the runner words the end.
    if (goAhead === 'stopped' && failed.length === 0) throw new CancelledAtSafePoint();
    const why = failed.length ? summariseHostFailures(ctx, failed, 'rollback') : 'the task store is in trouble, so the rest was not switched; the canary was switched back';
    throw new StageFailure(`canary: ${why}; the other ${rest.length} server${rest.length === 1 ? ' was' : 's were'} never switched`, failed[0]?.name ?? null, failed.length ? failedStage(failed[0]!) : 'switch');
  }
  ctx.emit({ type: 'canary.passed', hosts: first.map((h) => h.name) });
  const rollbackPolicy = plan.project.onFailure === 'rollback';
  const batchSize = Math.max(1, plan.project.maxParallel);
  let switchFailed = false;
  for (let i = 0; i < rest.length; i += batchSize) {
    const batch = rest.slice(i, i + batchSize);
    if (ctx.fenced || ctx.recorder.storeTrouble || (rollbackPolicy && ctx.failedHosts().length > 0)) {
      for (const host of batch) {
        ctx.skipHostStage(host, 'switch');
        skipFinish(ctx, host);
      }
      continue;
    }
    await switchFleet(ctx, batch, phase);
    if (batch.some((h) => h.failed)) switchFailed = true;
    for (const host of batch) if (!host.switched) skipFinish(ctx, host);
    await finishInBatches(ctx, phase, batch.filter((h) => h.switched));
  }
  await settle(ctx, phase, switchFailed);
}

/** While a deploy waits for its Promote, the reaper must not take the wait for a hang. */
const WAITING_PROGRESS_MS = 10_000;

/**
 * The canary's time alone: `canary_wait`, and where the plan has a promotion gate, until someone
 * promotes it too (recorded first as "canary passed" so that `promote` accepts it). 'go': the rest
 * may follow; 'stopped': the task was cancelled, stopped or lost meanwhile. A store that could not
 * record the pass leaves storeTrouble set, which the caller treats like any store trouble.
 */
async function canaryWait(ctx: RunContext, first: readonly HostRun[]): Promise<'go' | 'stopped'> {
  const { plan, signal } = ctx;
  const waitMs = plan.project.canary!.waitMs;
  const started = Date.now();
  const hosts = first.map((h) => h.name);
  const minimum = sleep(waitMs, undefined, { signal }).then(
    () => true,
    () => false,
  );
  const gate = plan.promotion;
  if (!gate) return (await minimum) ? 'go' : 'stopped';
  await ctx.recorder.canaryPassed(new Date());
  if (ctx.recorder.storeTrouble || ctx.fenced) return 'go';
  ctx.emit({ type: 'canary.awaiting_promotion', hosts, minWaitMs: waitMs });
  const alive = setInterval(() => ctx.recorder.touch(), WAITING_PROGRESS_MS);
  try {
    const promotion = await gate.wait(signal).catch((err: unknown) => {
      if (signal.aborted) return null;
      throw err;
    });
    if (!promotion) return 'stopped';
    ctx.emit({ type: 'canary.promoted', hosts, by: promotion.by, reason: promotion.reason, restInMs: Math.max(0, started + waitMs - Date.now()) });
    return (await minimum) ? 'go' : 'stopped';
  } finally {
    clearInterval(alive);
  }
}

/** How many servers form the canary; 0 (no canary) when it would be the whole fleet. */
export function canarySize(canary: DeployPlan['project']['canary'], fleet: number): number {
  if (!canary) return 0;
  const size = canary.percent ? Math.max(1, Math.ceil((fleet * canary.count) / 100)) : canary.count;
  return size >= fleet ? 0 : size;
}

function skipFinish(ctx: RunContext, host: HostRun): void {
  ctx.skipHostStage(host, 'after_deploy');
  ctx.skipHostStage(host, 'health');
}

/** after_deploy then the health check, on each switched server, in batches of `parallel`. */
async function finishInBatches(ctx: RunContext, phase: SwitchPhase, toFinish: readonly HostRun[]): Promise<void> {
  const rollbackPolicy = ctx.plan.project.onFailure === 'rollback';
  const script = ctx.plan.hooks.after_deploy;
  const batchSize = Math.max(1, ctx.plan.project.maxParallel);
  for (let i = 0; i < toFinish.length; i += batchSize) {
    const batch = toFinish.slice(i, i + batchSize);
    const stop = ctx.fenced || (rollbackPolicy && ctx.failedHosts().length > 0);
    // No signal: after the switch, the hook that restarts the app must run to its end.
    await Promise.all(
      batch.map(async (host) => {
        if (stop || !hasScript(script)) ctx.skipHostStage(host, 'after_deploy');
        else await afterDeploy(ctx, host, phase, script);
        if (stop) ctx.skipHostStage(host, 'health');
        else await healthCheck(ctx, host, phase);
      }),
    );
  }
}

/** The end of the switch phase: success, or the failure (after the switch-back under `rollback`). */
async function settle(ctx: RunContext, phase: SwitchPhase, switchFailed: boolean): Promise<void> {
  const { plan } = ctx;
  if (ctx.fenced) throw new LeaseLost(plan.taskId);
  const failed = ctx.failedHosts();
  if (failed.length === 0) return;
  if (plan.project.onFailure === 'rollback') await switchBack(ctx, phase.facts);
  throw new StageFailure(summariseHostFailures(ctx, failed, plan.project.onFailure), failed[0]!.name, switchFailed ? 'switch' : failedStage(failed[0]!));
}

function failedStage(host: HostRun): 'switch' | 'after_deploy' | 'health' {
  return host.error?.startsWith('health:') ? 'health' : host.error?.startsWith('switch:') ? 'switch' : 'after_deploy';
}

/**
 * Renames `current` on every host at once. A rename whose command failed (a dropped link, a
 * timeout) is not taken at its word: the server is read back, reconnecting if needed, and what it
 * really serves decides whether it counts as switched.
 */
export async function switchFleet(ctx: RunContext, hosts: readonly HostRun[], phase: SwitchPhase): Promise<void> {
  const path = ctx.plan.project.deployPath;
  const switchedAt: number[] = [];
  const started = performance.now();
  await Promise.all(
    hosts.map(async (host) => {
      // Fenced out: the process that took the task over decides; switch nothing more.
      if (ctx.fenced || !host.conn) return ctx.skipHostStage(host, 'switch');
      const target = phase.release(host);
      host.switchAttempted = true;
      // No signal: once switching has begun it completes, so a cancel never leaves a fleet half-switched.
      await ctx.hostStage(host, 'switch', async () => {
        try {
          await switchCurrent(host.conn!, path, target);
        } catch (err) {
          const serving = await readBack(ctx, host);
          if (serving === target) {
            // The rename happened; only its answer was lost. The server serves the new release.
            await onSwitched(ctx, host, target, phase.kind);
            switchedAt.push(performance.now());
          }
          throw new Error(`${errorText(err)}; ${servingText(serving, target)}`);
        }
        switchedAt.push(performance.now());
        await onSwitched(ctx, host, target, phase.kind);
      });
    }),
  );
  const skewMs = switchedAt.length > 1 ? Math.max(...switchedAt) - Math.min(...switchedAt) : 0;
  ctx.switchSkewMs = Math.round(skewMs * 10) / 10;
  ctx.emit({ type: 'fleet.switched', release: ctx.recorder.releaseId, servers: switchedAt.length, of: hosts.length, skewMs: ctx.switchSkewMs, durationMs: Math.round(performance.now() - started) });
}

async function onSwitched(ctx: RunContext, host: HostRun, target: string, kind: SwitchKind): Promise<void> {
  host.switched = true;
  host.everSwitched = true;
  host.serving = target;
  await ctx.recorder.markCurrent(host.planned.serverId, target, kind);
}

function servingText(serving: string | null | undefined, target: string): string {
  if (serving === undefined) return 'the server could not be read back, so what it serves is unknown';
  if (serving === target) return `read back after reconnecting: it serves ${target}`;
  return `read back: it still serves ${serving ?? 'no release'}`;
}

async function afterDeploy(ctx: RunContext, host: HostRun, phase: SwitchPhase, script: string): Promise<void> {
  const target = phase.release(host);
  host.afterDeployStarted = true;
  const ok = await ctx.hostStage(host, 'after_deploy', () =>
    runRemoteHook(host.conn!, {
      script,
      dir: releaseDir(ctx.plan.project.deployPath, target),
      env: phase.hookEnv(host),
      timeoutMs: ctx.deps.hookTimeoutMs,
      redactor: ctx.deps.redactor,
      onLine: ctx.outputListener(host.name, 'after_deploy'),
    }),
  );
  // A hook that failed because the link dropped: find out what the server serves before deciding.
  if (!ok && !host.conn?.isOpen) await readBack(ctx, host);
}

/**
 * The project's health check on one server that switched and finished after_deploy; a check
 * that never passes within its timeout fails the server like a failed hook. Deploys only: a
 * rollback goes back to a release that was serving, and must not be undone by its check.
 */
async function healthCheck(ctx: RunContext, host: HostRun, phase: SwitchPhase): Promise<void> {
  const health = ctx.plan.project.health;
  if (!health || phase.kind !== 'deploy' || host.failed || ctx.fenced || !host.conn?.isOpen) return ctx.skipHostStage(host, 'health');
  const target = phase.release(host);
  const ok = await ctx.hostStage(host, 'health', () =>
    runHealthCheck(host.conn!, {
      command: health.command,
      timeoutMs: health.timeoutMs,
      dir: releaseDir(ctx.plan.project.deployPath, target),
      env: phase.hookEnv(host),
      redactor: ctx.deps.redactor,
      onLine: ctx.outputListener(host.name, 'health'),
    }),
  );
  if (!ok && !host.conn?.isOpen) await readBack(ctx, host);
}
