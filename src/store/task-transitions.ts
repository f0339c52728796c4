import type { TaskStatus } from '../db/entities/index.js';

/**
 * The allowed task status transitions, shared by the core (requests, decisions) and the pipeline
 * (the runner's recorder). Every status change in the database is a conditional update from one of
 * the statuses listed here (see task-store.ts), so a race has exactly one winner.
 *
 *   pending ─► awaiting_approval ─► approved ─► running ─► success | failed | cancelled | interrupted
 *      │              │   └─► rejected   ▲  └─► scheduled ─┘ (when its time comes)
 *      └──────────────┴───────────────────┘
 * `approved` also means "ready and queued": it waits there while another task holds the project,
 * or while the project is locked.
 */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['awaiting_approval', 'approved', 'scheduled', 'cancelled'],
  awaiting_approval: ['approved', 'scheduled', 'rejected', 'cancelled'],
  approved: ['running', 'scheduled', 'cancelled'],
  scheduled: ['approved', 'running', 'cancelled'],
  running: ['success', 'failed', 'cancelled', 'interrupted'],
  success: [],
  failed: [],
  cancelled: [],
  rejected: [],
  interrupted: [],
};

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['success', 'failed', 'cancelled', 'rejected', 'interrupted'];
/** Statuses of a task that has not started yet and may still be cancelled without touching servers. */
export const WAITING_STATUSES: readonly TaskStatus[] = ['pending', 'awaiting_approval', 'approved', 'scheduled'];
/** Statuses of a task that is still to run or running: at most one rollback (or retry) per project. */
export const OPEN_STATUSES: readonly TaskStatus[] = [...WAITING_STATUSES, 'running'];

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a task may become `to` from. */
export function sourcesOf(to: TaskStatus): TaskStatus[] {
  return (Object.keys(TRANSITIONS) as TaskStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
