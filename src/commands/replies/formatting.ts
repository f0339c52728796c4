import type { QueueState, TaskView } from '../../core/views.js';
import { mention } from '../../core/mention.js';
import type { TaskStatus } from '../../db/entities/index.js';

export { mention };

/**
 * Why a task that may run is waiting, in the words every presenter uses (reply, status, Slack
 * message): a lock first, since it outlasts the deploy ahead.
 */
export function waitingWords(project: string, queue: QueueState): string {
  if (queue.lock) return `held: ${project} is locked by ${mention(queue.lock.by)}${queue.lock.reason ? ` (${queue.lock.reason})` : ''}; it starts after unlock`;
  if (queue.freeze) {
    const f = queue.freeze;
    return `held: ${f.allProjects ? 'every project' : project} is frozen (${f.reason}) until ${formatTime(f.endsAt, f.timeZone)}; it starts when the window ends`;
  }
  if (queue.position === 0) return '';
  return queue.blockedBy ? `queued (position ${queue.position}): it starts when deploy #${queue.blockedBy} finishes` : `queued (position ${queue.position})`;
}

/** A compact human duration: 850ms, 12.3s, 4m 05s, 1h 02m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A date in the bot's time zone, e.g. "2026-11-24 09:00 (Europe/Paris)". */
export function formatTime(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} (${timeZone})`;
}

export const STATUS_EMOJI: Record<TaskStatus, string> = {
  pending: ':hourglass_flowing_sand:',
  awaiting_approval: ':raised_hand:',
  // Approved and waiting for its turn: a check mark here read as "done".
  approved: ':hourglass_flowing_sand:',
  scheduled: ':alarm_clock:',
  running: ':arrows_counterclockwise:',
  success: ':large_green_circle:',
  failed: ':red_circle:',
  cancelled: ':no_entry_sign:',
  rejected: ':no_entry:',
  interrupted: ':warning:',
};

export const STATUS_WORDS: Record<TaskStatus, string> = {
  pending: 'pending',
  awaiting_approval: 'waiting for approval',
  approved: 'queued',
  scheduled: 'scheduled',
  running: 'running',
  success: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  rejected: 'rejected',
  interrupted: 'interrupted',
};

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '…';
}

/**
 * Where a deploy that needs several approvals stands, e.g. "1 of 2 approvals (<@U1>): 1 more
 * needed"; null when one approval is enough (the usual "approved by" says it all).
 */
export function approvalProgress(t: Pick<TaskView, 'approvals' | 'requiredApprovals' | 'status'>): string | null {
  const required = t.requiredApprovals ?? 1;
  if (required <= 1) return null;
  const given = t.approvals ?? [];
  const who = given.length ? ` (${given.map((a) => mention(a.by)).join(', ')})` : '';
  const missing = Math.max(0, required - given.length);
  return `${given.length} of ${required} approvals${who}${missing && t.status === 'awaiting_approval' ? `: ${missing} more needed` : ''}`;
}
