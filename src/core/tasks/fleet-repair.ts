import type { FailurePolicy } from '../../db/entities/project.js';

/** One server as recovery found it. */
export interface ServerReading {
  name: string;
  /** What `current` serves (null: nothing we know). */
  current: string | null;
  reached: boolean;
  /** What it served before the task switched it (the task's record). */
  previous: string | null;
  /** The task's switch stage had started on it. */
  switchStarted: boolean;
}

export interface RepairPlan {
  /** Server name → the release to switch it to. */
  moves: Map<string, string>;
  /** The release the fleet is brought back to (null: the servers had different previous releases). */
  release: string | null;
  /** Why nothing can be done, when the fleet is mixed but cannot be repaired. */
  blocked: string | null;
}

/**
 * Decides how to bring a fleet left on different releases by an interrupted task back to one
 * release: under `rollback`, every server to what it served before the task; under `continue`,
 * every server to the task's release. Only when the task got past the barrier (a switch started
 * somewhere, or a server serves the task's release) and the servers it could read disagree.
 */
export function planRepair(readings: readonly ServerReading[], policy: FailurePolicy, taskRelease: string | null): RepairPlan | null {
  const reached = readings.filter((r) => r.reached);
  const pastBarrier = readings.some((r) => r.switchStarted) || (taskRelease !== null && reached.some((r) => r.current === taskRelease && r.previous !== taskRelease));
  const distinct = new Set(reached.map((r) => r.current));
  if (!pastBarrier || distinct.size <= 1) return null;
  const moves = new Map<string, string>();
  if (policy === 'rollback') {
    const noPrevious = reached.filter((r) => r.current === taskRelease && !r.previous);
    if (noPrevious.length) return { moves, release: null, blocked: `${noPrevious.map((r) => r.name).join(', ')} had no release before this task to go back to` };
    for (const r of reached) if (r.previous && r.current !== r.previous) moves.set(r.name, r.previous);
    const targets = new Set(reached.map((r) => r.previous));
    return { moves, release: targets.size === 1 ? [...targets][0]! : null, blocked: null };
  }
  if (!taskRelease) return { moves, release: null, blocked: 'the task had no release to complete the switch with' };
  for (const r of reached) if (r.current !== taskRelease) moves.set(r.name, taskRelease);
  return { moves, release: taskRelease, blocked: null };
}
