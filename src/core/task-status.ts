import type { DeployTask, TaskStatus } from '../db/entities/index.js';
import { UserError } from '../errors.js';

/**
 * The allowed task status transitions. Every status change goes through transitionTask(), so a
 * task can never jump from, say, `rejected` to `running` however a request races another.
 *
 *   pending ─► awaiting_approval ─► approved ─► running ─► success | failed | cancelled | interrupted
 *      │              │   └─► rejected   ▲  └─► scheduled ─┘ (when its time comes)
 *      └──────────────┴───────────────────┘
 * `approved` also means "ready and queued": it waits there while another task holds the project.
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

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

const PHRASES: Record<TaskStatus, string> = {
  pending: 'pending',
  awaiting_approval: 'waiting for approval',
  approved: 'approved and queued',
  scheduled: 'scheduled',
  running: 'running',
  success: 'already finished successfully',
  failed: 'already failed',
  cancelled: 'cancelled',
  rejected: 'rejected',
  interrupted: 'interrupted',
};

export function describeStatus(status: TaskStatus): string {
  return PHRASES[status];
}

/** Changes a task's status, stamping the matching timestamps; refuses an illegal transition. */
export function transitionTask(task: DeployTask, to: TaskStatus, at: Date = new Date()): void {
  const from = task.status;
  if (!canTransition(from, to)) {
    throw new UserError(`Task #${task.id} is ${describeStatus(from)}; it cannot become ${to.replace('_', ' ')}.`);
  }
  task.status = to;
  if (to === 'running') {
    task.startedAt = at;
    task.lastProgressAt = at;
  }
  if (isTerminal(to)) task.finishedAt = at;
}
