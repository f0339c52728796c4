import { withRef } from '../../../core/tasks/release-lookup.js';
import type { HostStage, StageState, TaskStage } from '../../../pipeline/stages.js';
import { HOST_STAGES, TASK_STAGES } from '../../../pipeline/stages.js';
import { slackDate } from '../blocks/slack-date.js';
import { formatDuration, mention, shortSha, STATUS_EMOJI, STATUS_WORDS, waitingWords, approvalProgress } from '../../../commands/replies/formatting.js';
import { changeLines } from '../../../commands/replies/change-lines.js';
import { taskLine } from '../../../commands/handlers/task-handlers.js';
import { copySummary } from '../../copy-facts.js';
import type { TaskProgress } from '../../task-progress.js';
import { TASK_ACTIONS } from '../action-ids.js';
import { codeBlock, plainText, safeMrkdwn } from '../blocks/mrkdwn.js';

/* Block Kit, loosely typed: the shapes are Slack's, checked by tests against the stand-in. */
export type Block = Record<string, unknown>;

const MARK: Record<StageState, string> = { waiting: '○', running: '▶', done: '✓', failed: '✗', skipped: '↷' };
const LABEL: Record<TaskStage | HostStage, string> = {
  start: 'start',
  before_download: 'before_download',
  download: 'download',
  after_download: 'after_download',
  package: 'package',
  upload: 'upload',
  before_deploy: 'before_deploy',
  switch: 'switch',
  after_deploy: 'after_deploy',
  health: 'health check',
};

/** `▰▰▰▰▱▱▱▱▱▱` for done/total; text, so it renders everywhere (mobile, notifications). */
export function progressBar(done: number, total: number, width = 12): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `${'▰'.repeat(filled)}${'▱'.repeat(width - filled)}`;
}

function stageLines(p: TaskProgress, now: Date): string[] {
  const lines: string[] = [];
  for (const stage of TASK_STAGES) {
    const s = p.taskStages[stage];
    if (p.task.kind === 'rollback' && s.state === 'skipped') continue;
    const time = s.state === 'running' && s.startedAt ? ` ${formatDuration(now.getTime() - s.startedAt)}…` : s.durationMs !== undefined && s.state !== 'skipped' ? ` ${formatDuration(s.durationMs)}` : '';
    lines.push(`${MARK[s.state]} ${LABEL[stage]}${time}`);
  }
  for (const stage of HOST_STAGES) {
    const c = p.stageCounts(stage);
    const skippedAll = [...p.hosts.values()].every((h) => h.stages[stage].state === 'skipped');
    // No health check configured: no line for it.
    if (c.total === 0 || (skippedAll && (p.task.kind === 'rollback' || stage === 'health'))) continue;
    const state: StageState = c.failed ? 'failed' : c.done === c.total ? 'done' : c.running || c.done ? 'running' : skippedAll ? 'skipped' : 'waiting';
    const servers = `${c.done}/${c.total} server${c.total > 1 ? 's' : ''}`;
    const extra = [c.running ? `${c.running} running` : '', c.failed ? `${c.failed} failed` : ''].filter(Boolean).join(', ');
    lines.push(`${MARK[state]} ${LABEL[stage]} ${progressBar(c.done, c.total)} ${servers}${extra ? ` (${extra})` : ''}`);
  }
  return lines;
}

function headline(p: TaskProgress): string {
  const t = p.task;
  if (t.status === 'running' && p.awaitingPromotion) return `running · ${p.canaryWords(new Date(), mention)}`;
  if (t.status === 'running') {
    const stage = [...TASK_STAGES].reverse().find((s) => p.taskStages[s].state === 'running');
    if (stage) return `running · ${LABEL[stage]}`;
    const hostStage = HOST_STAGES.find((s) => p.stageCounts(s).running > 0) ?? HOST_STAGES.find((s) => p.stageCounts(s).done < p.hosts.size);
    if (hostStage) {
      const c = p.stageCounts(hostStage);
      return `running · ${LABEL[hostStage]} ${c.done}/${c.total} servers`;
    }
  }
  return STATUS_WORDS[t.status];
}

function buttons(p: TaskProgress): Block | null {
  const id = String(p.task.id);
  const button = (text: string, action: string, style?: 'primary' | 'danger', confirm?: { title: string; text: string; ok: string }) => ({
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: action,
    value: id,
    ...(style ? { style } : {}),
    ...(confirm ? { confirm: { title: { type: 'plain_text', text: confirm.title }, text: { type: 'mrkdwn', text: safeMrkdwn(confirm.text) }, confirm: { type: 'plain_text', text: confirm.ok }, deny: { type: 'plain_text', text: 'Back' } } } : {}),
  });
  const t = p.task;
  const elements: Block[] = [];
  if (t.status === 'awaiting_approval') {
    elements.push(button('Approve', TASK_ACTIONS.approve, 'primary'), button('Reject', TASK_ACTIONS.reject, 'danger'));
  } else if (t.status === 'running' && p.awaitingPromotion) {
    const on = p.canary?.hosts.length ? ` on ${p.canary.hosts.slice(0, 3).join(', ')}${p.canary.hosts.length > 3 ? '…' : ''}` : '';
    elements.push(
      button('Promote', TASK_ACTIONS.promote, 'primary', { title: `Promote #${t.id}?`, text: `The canary is healthy${on}. The rest of the servers of *${t.project}* switch to \`${t.ref}\` now, in batches.`, ok: 'Promote' }),
      button('Cancel', TASK_ACTIONS.cancel, 'danger', { title: `Cancel #${t.id}?`, text: 'The canary is switched back to its previous release; the other servers were never switched.', ok: 'Cancel deploy' }),
    );
  } else if (t.status === 'running') {
    elements.push(button('Cancel', TASK_ACTIONS.cancel, 'danger', { title: `Cancel #${t.id}?`, text: 'The deploy stops at the next safe point; every server stays on a complete release.', ok: 'Cancel deploy' }));
  } else if (t.status === 'approved' || t.status === 'scheduled') {
    elements.push(button('Cancel', TASK_ACTIONS.cancel, 'danger'));
  } else if (t.status === 'success') {
    elements.push(button('Roll back', TASK_ACTIONS.rollback, undefined, { title: `Roll back ${t.project}?`, text: `Switches every server of *${t.project}* back to its previous release.`, ok: 'Roll back' }));
  } else if ((t.status === 'failed' || t.status === 'interrupted') && t.kind === 'deploy' && t.commit && p.failedHosts().length > 0) {
    elements.push(button('Retry failed servers', TASK_ACTIONS.retry, 'primary'));
  }
  return elements.length ? { type: 'actions', block_id: `task_actions_${id}`, elements } : null;
}

/**
 * Where each server's copy came from and how fast (the shell says the same: copy-facts.ts): per
 * server for a few, a chain summary for a fleet, so the block stays far below Slack's 3000
 * characters whatever the fleet's size (and is clipped there all the same).
 */
function copiesBlock(p: TaskProgress): Block | null {
  const lines = copySummary([...p.hosts.values()], { detailLimit: 8 });
  if (!lines.length) return null;
  const head = p.distribution === 'relay' ? ':link: *relay*: where each copy came from' : ':outbox_tray: *upload*: where each copy came from';
  const text = `${head}\n${lines.join('\n')}`;
  return { type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(text.length > 2900 ? `${text.slice(0, 2899)}…` : text) }] };
}

/**
 * The task's one status message: header, who/what, a status line, a per-stage list with
 * progress bars, failures, and the buttons that fit the state. `text` states the same in one
 * line (notifications, screen readers).
 */
export function taskMessage(p: TaskProgress, options: { timeZone: string; now?: Date; approvers?: string[] }): { text: string; blocks: Block[] } {
  const now = options.now ?? new Date();
  const t = p.task;
  const title = t.kind === 'rollback' ? `Rollback #${t.id} · ${t.project}` : `Deploy #${t.id} · ${t.project} ${t.ref}`;
  const facts = [
    t.kind === 'deploy' ? `\`${t.ref}\` → \`${shortSha(t.commit)}\`` : t.releaseId ? `to \`${withRef(t.releaseId, p.releaseRefs ?? new Map())}\`` : 'to the previous release',
    `*${t.environment}*`,
    `requested by ${mention(t.requestedBy)}`,
    t.kind === 'deploy' && approvalProgress(t) ? approvalProgress(t) : t.approvedBy && t.kind === 'deploy' ? `approved by ${mention(t.approvedBy)}` : '',
    t.promotion ? `succeeded on ${t.promotion.project} (#${t.promotion.taskId})` : '',
    t.overrideReason ? `gate overridden: _${t.overrideReason.slice(0, 300)}_` : '',
    t.promotedBy ? `promoted by ${mention(t.promotedBy)}${t.promoteReason ? ` (_${t.promoteReason.slice(0, 300)}_)` : ''}` : '',
    t.rejectedBy ? `rejected by ${mention(t.rejectedBy)}` : '',
    t.cancelledBy && t.status === 'cancelled' ? `cancelled by ${mention(t.cancelledBy)}` : '',
  ].filter(Boolean);
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: plainText(title).slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`${facts.join(' · ')}\n${STATUS_EMOJI[t.status]} *${headline(p)}*${t.finishedAt && t.startedAt ? ` in ${formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())}` : ''}`) } },
  ];
  // Who can decide, mentioned so Slack notifies them (the project may turn this off).
  if (t.status === 'awaiting_approval' && options.approvers?.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(`:raised_hand: waiting for ${options.approvers.map(mention).join(', ')}`.slice(0, 2900)) }] });
  }
  // Canary first on prod: healthy, waiting for an approver's Promote (mentioned), or promoted.
  const canary = p.canaryWords(now, mention);
  if (canary) {
    const waitingFor = p.awaitingPromotion && options.approvers?.length ? ` (${options.approvers.map(mention).join(', ')})` : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(`${p.awaitingPromotion ? ':hourglass_flowing_sand:' : ':rocket:'} ${canary}${waitingFor}`.slice(0, 2900)) }] });
  }
  if (t.status === 'scheduled' && t.scheduledAt) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(`:alarm_clock: runs ${slackDate(t.scheduledAt, options.timeZone)}`) }] });
  const q = p.queue;
  const waiting = (t.status === 'approved' || t.status === 'scheduled') && q ? waitingWords(t.project, q) : '';
  if (waiting) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(`${q?.lock ? ':lock:' : q?.freeze ? ':snowflake:' : ':hourglass_flowing_sand:'} ${waiting}`) }] });
  if (p.changes && !p.finished) {
    const lines = changeLines(p.changes);
    if (lines.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(lines.join('\n').slice(0, 1400)) } });
  }
  if (t.status === 'rejected' && t.rejectReason) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`:no_entry: _${t.rejectReason.slice(0, 700)}_`) } });
  const started = t.status !== 'awaiting_approval' && t.status !== 'approved' && t.status !== 'scheduled' && t.status !== 'pending' && t.status !== 'rejected';
  if (started) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: codeBlock(stageLines(p, now).join('\n')) } });
  const copies = started ? copiesBlock(p) : null;
  if (copies) blocks.push(copies);
  const failed = p.failedHosts();
  if (failed.length) {
    const shown = failed.slice(0, 8).map((h) => `✗ *${h.name}* at ${h.failedStage}: ${(h.error ?? 'failed').slice(0, 200)}`);
    if (failed.length > 8) shown.push(`… and ${failed.length - 8} more (see the thread)`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(shown.join('\n')) } });
  } else if (t.error && (t.status === 'failed' || t.status === 'interrupted' || t.status === 'cancelled')) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`:x: ${t.error.slice(0, 700)}`) } });
  }
  const actions = buttons(p);
  if (actions) blocks.push(actions);
  const progress = t.status === 'running' ? ` (${headline(p).replace('running · ', '')})` : (p.queue?.lock || p.queue?.freeze) && (t.status === 'approved' || t.status === 'scheduled') ? ` (held by a ${p.queue.lock ? 'lock' : 'freeze'})` : t.status === 'approved' && p.queue?.blockedBy ? ` (waits for #${p.queue.blockedBy})` : '';
  return { text: `${taskLine(t)}${progress}`, blocks };
}
