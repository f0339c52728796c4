import type { EntityManager } from '@mikro-orm/core';
import { ReleaseHistory } from '../db/entities/index.js';

/**
 * Each server's stack of live releases per project (entity ReleaseHistory). Writes are small and
 * run inside the caller's transaction (the runner's fenced writes, recovery).
 */
export interface LiveStack {
  serverId: number;
  /** Oldest first; the last one is what `current` serves. */
  releases: string[];
}

export async function liveStack(em: EntityManager, projectId: number, serverId: number): Promise<string[]> {
  const rows = await em.find(ReleaseHistory, { project: projectId, server: serverId, poppedAt: null }, { orderBy: { seq: 'asc' }, fields: ['releaseId', 'seq'] });
  return rows.map((r) => r.releaseId);
}

export async function liveStacks(em: EntityManager, projectId: number, serverIds: readonly number[]): Promise<LiveStack[]> {
  const rows = await em.find(ReleaseHistory, { project: projectId, server: { $in: [...serverIds] }, poppedAt: null }, { orderBy: { seq: 'asc' }, fields: ['releaseId', 'seq', 'server'] });
  return serverIds.map((serverId) => ({ serverId, releases: rows.filter((r) => r.server.id === serverId).map((r) => r.releaseId) }));
}

/** A deploy switched this server to `releaseId`. */
export async function pushRelease(em: EntityManager, projectId: number, serverId: number, releaseId: string, taskId: number | null, at = new Date()): Promise<void> {
  const last = await em.findOne(ReleaseHistory, { project: projectId, server: serverId }, { orderBy: { seq: 'desc' }, fields: ['seq'] });
  await em.insert(ReleaseHistory, { project: projectId, server: serverId, seq: (last?.seq ?? 0) + 1, releaseId, taskId, pushedAt: at } as never);
}

/**
 * A rollback switched this server to `target`: every live entry above the topmost `target` is
 * popped by `taskId`. A target that is not in the stack (an older release named explicitly) is
 * pushed instead, so the stack always ends on what the server serves.
 */
export async function popTo(em: EntityManager, projectId: number, serverId: number, target: string, taskId: number, at = new Date()): Promise<void> {
  const live = await em.find(ReleaseHistory, { project: projectId, server: serverId, poppedAt: null }, { orderBy: { seq: 'asc' } });
  const index = live.map((r) => r.releaseId).lastIndexOf(target);
  if (index < 0) return pushRelease(em, projectId, serverId, target, taskId, at);
  const above = live.slice(index + 1).map((r) => r.id);
  if (above.length) await em.nativeUpdate(ReleaseHistory, { id: { $in: above } }, { poppedByTask: taskId, poppedAt: at });
}

/** Undoes exactly what `taskId` did to this server's stack (a switch-back after a failure). */
export async function undoTask(em: EntityManager, projectId: number, serverId: number, taskId: number): Promise<void> {
  await em.nativeDelete(ReleaseHistory, { project: projectId, server: serverId, taskId, poppedAt: null });
  await em.nativeUpdate(ReleaseHistory, { project: projectId, server: serverId, poppedByTask: taskId }, { poppedByTask: null, poppedAt: null });
}

/**
 * Makes the stack agree with what the server itself says `current` is (recovery after a crash or
 * a dropped link): back to it if it is in the stack, or pushed if it is not.
 */
export async function recordObserved(em: EntityManager, projectId: number, serverId: number, current: string | null, taskId: number): Promise<void> {
  if (!current) return;
  const live = await liveStack(em, projectId, serverId);
  if (live[live.length - 1] === current) return;
  if (live.includes(current)) return popTo(em, projectId, serverId, current, taskId);
  await pushRelease(em, projectId, serverId, current, taskId);
}
