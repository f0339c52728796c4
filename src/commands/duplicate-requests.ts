import type { TaskView } from '../core/views.js';
import type { TaskStatus } from '../db/entities/index.js';
import { mention } from './replies/formatting.js';
import type { CommandOutcome } from './replies/command-outcome.js';
import { reply } from './replies/reply.js';

/**
 * A deploy asked for twice: on a slow fetch people retype the command (or submit the form again),
 * and each would become a task. The same person asking for the same project and ref within a
 * minute, while the first task is still open, gets pointed at that task instead. Requests still
 * resolving in this process are waited for (the first has no task yet); earlier ones are found in
 * the database, so a request from another process or adapter counts too.
 */
export const DUPLICATE_WINDOW_MS = 60_000;

const OPEN: ReadonlySet<TaskStatus> = new Set(['pending', 'awaiting_approval', 'approved', 'scheduled', 'running']);

export interface DeployKey {
  user: string;
  project: string;
  ref: string;
}

const keyOf = (k: DeployKey): string => `${k.user}\u0000${k.project}\u0000${k.ref}`;

export function duplicateOutcome(task: TaskView): CommandOutcome {
  const text = `You already asked for this: deploy #${task.id} of ${task.project} ${task.ref} (requested by ${mention(task.requestedBy)}) is ${task.status.replace('_', ' ')}. I did not create a second one; follow #${task.id}, or cancel it first to ask again.`;
  return { kind: 'reply', reply: reply(text, { type: 'text', text: `:information_source: ${text}` }) };
}

/** True when `task` is an open request of the same person, project and ref, made within the window. */
export function isDuplicateOf(task: TaskView, key: DeployKey, now: Date): boolean {
  return (
    task.kind === 'deploy' &&
    task.requestedBy === key.user &&
    task.project === key.project &&
    task.ref === key.ref &&
    OPEN.has(task.status) &&
    now.getTime() - task.createdAt.getTime() < DUPLICATE_WINDOW_MS
  );
}

export class DuplicateRequests {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /**
   * Runs `request` unless an earlier open task of the same key exists (`recent` finds it). Requests
   * of one key run one after the other, so the second sees the task the first created.
   */
  run<T>(key: DeployKey, recent: () => Promise<TaskView | null>, request: () => Promise<T>): Promise<T | CommandOutcome> {
    const k = keyOf(key);
    const previous = this.inFlight.get(k) ?? Promise.resolve();
    const mine = previous
      .catch(() => undefined)
      .then(async () => {
        const earlier = await recent();
        return earlier ? duplicateOutcome(earlier) : request();
      });
    this.inFlight.set(k, mine);
    const forget = () => {
      if (this.inFlight.get(k) === mine) this.inFlight.delete(k);
    };
    mine.then(forget, forget);
    return mine;
  }
}
