/**
 * Snapshots for tests and for the sample images in docs/images. Deterministic: durations come from
 * a seeded generator, so re-rendering the samples yields the same pictures.
 */
import { HOST_STAGES, TASK_STAGES, type HostStage, type StageState, type TaskStage } from '../../../src/pipeline/stages.js';
import type { FlowSnapshot, HostView, StageView } from '../../../src/render/flow-model.js';

/** mulberry32: tiny, seedable, good enough for fake durations. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPICAL_MS: Record<TaskStage | HostStage, number> = {
  start: 120,
  before_download: 2_300,
  download: 4_800,
  after_download: 31_000,
  package: 3_900,
  health: 1_200,
  upload: 6_500,
  before_deploy: 1_800,
  switch: 240,
  after_deploy: 9_700,
};

function view(state: StageState, stage: TaskStage | HostStage, random: () => number): StageView {
  if (state === 'waiting' || state === 'skipped') return { state };
  return { state, durationMs: Math.round(TYPICAL_MS[stage] * (0.6 + random() * 0.9)) };
}

export function taskStages(states: Partial<Record<TaskStage, StageState>> = {}, seed = 1): Record<TaskStage, StageView> {
  const random = seeded(seed);
  return Object.fromEntries(TASK_STAGES.map((stage) => [stage, view(states[stage] ?? 'done', stage, random)])) as Record<
    TaskStage,
    StageView
  >;
}

/** A server whose stages are done up to `reached`, which is in `state`; later stages wait. */
export function host(
  name: string,
  reached: HostStage | 'all' = 'all',
  state: StageState = 'done',
  options: { error?: string; seed?: number; after?: StageState } = {},
): HostView {
  const random = seeded(options.seed ?? [...name].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261));
  const at = reached === 'all' ? HOST_STAGES.length : HOST_STAGES.indexOf(reached);
  const stages = Object.fromEntries(
    HOST_STAGES.map((stage, i) => [stage, view(i < at ? 'done' : i === at ? state : (options.after ?? 'waiting'), stage, random)]),
  ) as Record<HostStage, StageView>;
  return { name, stages, ...(options.error === undefined ? {} : { error: options.error }) };
}

export function webHosts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `web-${String(i + 1).padStart(2, '0')}.prod.eu-west-1`);
}

const BASE = {
  title: 'deploy #1287 · api v2.14.0 → production',
  subtitle: 'main @ 3f9c2a1 “fix: retry idempotent uploads” · requested by @maria · approved by @kenji',
  generatedAt: new Date('2026-11-23T14:03:12Z'),
};

/** One server, everything done. */
export function oneServerSuccess(): FlowSnapshot {
  return {
    ...BASE,
    status: 'success',
    taskStages: taskStages(),
    hosts: [host('api-1.prod.eu-west-1')],
    done: { state: 'done', durationMs: 58_400 },
    fleetSwitch: { servers: 1, of: 1, skewMs: 0 },
  };
}

/**
 * Five servers before the barrier: some are ready (before_deploy done) and wait for the others,
 * one still runs its before_deploy, one still uploads. None has switched: none may yet.
 */
export function fiveServersRunning(): FlowSnapshot {
  return {
    ...BASE,
    status: 'running',
    taskStages: taskStages(),
    hosts: [
      host('web-01.prod.eu-west-1', 'switch', 'waiting'),
      host('web-02.prod.eu-west-1', 'switch', 'waiting'),
      host('web-03.prod.eu-west-1', 'before_deploy', 'running'),
      host('worker-queue-consumer-eu-west-1-blue.internal.example.com', 'upload', 'running'),
      host('cron.prod.eu-west-1', 'switch', 'waiting'),
    ],
    done: { state: 'waiting' },
  };
}

/**
 * Fifty servers after the barrier: every server passed before_deploy, the fleet-wide switch
 * renamed `current` on all of them (skew 38 ms), and after_deploy runs in batches of 10: two
 * batches done, the third running, the rest waiting.
 */
export function fiftyServers(): FlowSnapshot {
  const names = webHosts(50);
  const hosts = names.map((name, i) => {
    if (i < 20) return host(name);
    if (i < 30) return host(name, 'after_deploy', 'running');
    return host(name, 'after_deploy', 'waiting');
  });
  return {
    ...BASE,
    title: 'deploy #1288 · web v5.2.1 → production (50 servers)',
    status: 'running',
    taskStages: taskStages(),
    hosts,
    done: { state: 'waiting' },
    fleetSwitch: { servers: 50, of: 50, skewMs: 38 },
  };
}

/** Fifty servers, two of which failed before the barrier: no server switched, all stay. */
export function fiftyServersFailedBeforeBarrier(): FlowSnapshot {
  const names = webHosts(50);
  const hosts = names.map((name, i) => {
    if (i === 6) return host(name, 'before_deploy', 'failed', { error: 'hook exited 1: npm ci: ENOSPC: no space left on device, write', after: 'skipped' });
    if (i === 31) return host(name, 'upload', 'failed', { error: 'ssh: connect to 10.4.7.32 port 22: Connection timed out after 3 attempts', after: 'skipped' });
    return host(name, 'switch', 'skipped', { after: 'skipped' });
  });
  return {
    ...BASE,
    title: 'deploy #1288 · web v5.2.1 → production (50 servers)',
    status: 'failed',
    taskStages: taskStages(),
    hosts,
    done: { state: 'failed', durationMs: 52_300 },
  };
}

/** A failed run: one server's before_deploy hook failed, so no server switched. */
export function failedRun(): FlowSnapshot {
  return {
    ...BASE,
    title: 'deploy #1289 · billing v0.9.3 → staging',
    status: 'failed',
    taskStages: taskStages(),
    hosts: [
      host('billing-1.staging', 'switch', 'skipped', { after: 'skipped' }),
      host('billing-2.staging', 'before_deploy', 'failed', {
        error: "hook 'before_deploy' exited 2: php artisan migrate --force → SQLSTATE[42S01]: Base table or view already exists: 1050 Table 'invoices' already exists",
      }),
      host('billing-3.staging', 'switch', 'skipped', { after: 'skipped' }),
    ],
    done: { state: 'failed', durationMs: 41_200 },
  };
}

/** A task stage failed before any server was touched. */
export function downloadFailed(hostCount = 3): FlowSnapshot {
  return {
    ...BASE,
    status: 'failed',
    taskStages: taskStages({ download: 'failed', after_download: 'skipped', package: 'skipped' }),
    taskError: "git fetch origin: fatal: couldn't find remote ref refs/heads/release/2.14",
    hosts: webHosts(hostCount).map((name) => host(name, 'upload', 'skipped', { after: 'skipped' })),
    done: { state: 'failed' },
  };
}
