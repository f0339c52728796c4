import type { DeployTask, TaskStatus } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';
import { canTransition, isTerminal } from '../../store/task-transitions.js';

export { canTransition, isTerminal, OPEN_STATUSES, TERMINAL_STATUSES, WAITING_STATUSES } from '../../store/task-transitions.js';


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
