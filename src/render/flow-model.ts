/**
 * The flow snapshot's input: everything the renderer needs to draw one moment of a deploy, and
 * nothing else. It is a plain, serialisable value so a presenter can build it from task rows (and
 * a test by hand) without the renderer knowing about the database, Slack or SSH.
 *
 * The renderer draws what it is given and decides no business rules: if a cancelled task should
 * show its unreached stages as `skipped`, the presenter says so.
 */
import { HOST_STAGES, type HostStage, type StageState, type TaskStage } from '../pipeline/stages.js';

/** Overall task status, shown as the coloured badge in the top right corner. */
export type FlowStatus = 'pending' | 'awaiting_approval' | 'running' | 'success' | 'failed' | 'cancelled';

/** One node of the flow. */
export interface StageView {
  state: StageState;
  /** Time spent in the stage; for a running stage, time so far. Omitted when unknown or not started. */
  durationMs?: number;
}

export interface HostView {
  /** Server name as configured (user input: the renderer cleans, truncates and escapes it). */
  name: string;
  stages: Record<HostStage, StageView>;
  /** Why this server failed; drawn beside its (first) failed stage. One line is shown. */
  error?: string;
  /** Where its copy came from: `bot` or another server's name (relay distribution draws the chain). */
  source?: string;
  /** Its upload's throughput, bytes per second. */
  bytesPerSec?: number;
}

export interface FlowSnapshot {
  /** e.g. "deploy #12 · api v1.2.0 → prod". */
  title: string;
  /** e.g. "a1b2c3d · requested by @alice". */
  subtitle?: string;
  status: FlowStatus;
  /** The stages that run once, on the bot's host, before the fan-out. */
  taskStages: Record<TaskStage, StageView>;
  /** Why a task stage failed (e.g. "git clone: repository not found"); drawn beside the failed stage. */
  taskError?: string;
  /** How the package reached the servers: `direct` (the bot to each) or `relay` (servers feed each other). */
  distribution?: 'direct' | 'relay';
  /** One entry per target server, in the order they should be listed. May be empty (before planning). */
  hosts: HostView[];
  /** The final join node. */
  done: StageView;
  /** The fleet-wide switch, once it happened: servers switched of all, and its skew (first to last). */
  fleetSwitch?: { servers: number; of: number; skewMs: number };
  /** When the snapshot was taken; printed in the footer. Omitted → no timestamp (deterministic output). */
  generatedAt?: Date;
}

/** Count of nodes per state, e.g. for one host stage across all servers. */
export type StateCounts = Record<StageState, number>;

export function emptyCounts(): StateCounts {
  return { waiting: 0, running: 0, done: 0, failed: 0, skipped: 0 };
}

/** How every server is doing in one stage. */
export function countStage(hosts: readonly HostView[], stage: HostStage): StateCounts {
  const counts = emptyCounts();
  for (const host of hosts) counts[host.stages[stage].state]++;
  return counts;
}

/**
 * One state standing for many nodes. A failure anywhere wins (it is what the reader must see);
 * then work in progress, including a stage that some servers finished and others have not started.
 */
export function combinedState(counts: StateCounts): StageState {
  if (counts.failed > 0) return 'failed';
  const started = counts.done + counts.skipped;
  if (counts.running > 0 || (started > 0 && counts.waiting > 0)) return 'running';
  if (counts.waiting > 0) return 'waiting';
  if (counts.done > 0) return 'done';
  return counts.skipped > 0 ? 'skipped' : 'waiting';
}

/**
 * One server's overall state, from its stage states. Once nothing is waiting or running, the
 * server counts as done only if its `switch` is done: that is the moment the release went live
 * there. A skipped hook does not make a server "skipped"; a skipped switch does.
 */
export function hostState(host: HostView): StageState {
  const counts = emptyCounts();
  for (const stage of HOST_STAGES) counts[host.stages[stage].state]++;
  const state = combinedState(counts);
  if (state !== 'done' && state !== 'skipped') return state;
  return host.stages.switch.state === 'done' ? 'done' : 'skipped';
}

/** The first stage that failed on the server, which its error message is attributed to. */
export function failedStage(host: HostView): HostStage | undefined {
  return HOST_STAGES.find((stage) => host.stages[stage].state === 'failed');
}
