import { describe, expect, it } from 'vitest';
import { canTransition, transitionTask } from '../../src/core/tasks/task-status.js';
import { DeployTask, TASK_STATUSES, type TaskStatus } from '../../src/db/entities/index.js';
import { UserError } from '../../src/errors.js';

const ALLOWED: Record<TaskStatus, TaskStatus[]> = {
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

function taskIn(status: TaskStatus): DeployTask {
  const task = new DeployTask();
  task.id = 7;
  task.status = status;
  return task;
}

describe('task status transitions', () => {
  for (const from of TASK_STATUSES) {
    for (const to of TASK_STATUSES) {
      const allowed = ALLOWED[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
        const task = taskIn(from);
        if (allowed) {
          transitionTask(task, to);
          expect(task.status).toBe(to);
        } else {
          expect(() => transitionTask(task, to)).toThrow(UserError);
          expect(task.status).toBe(from);
        }
      });
    }
  }

  it('stamps start and finish times', () => {
    const task = taskIn('approved');
    const t0 = new Date('2026-01-01T00:00:00Z');
    transitionTask(task, 'running', t0);
    expect(task.startedAt).toEqual(t0);
    expect(task.lastProgressAt).toEqual(t0);
    const t1 = new Date('2026-01-01T00:01:00Z');
    transitionTask(task, 'success', t1);
    expect(task.finishedAt).toEqual(t1);
  });
});
