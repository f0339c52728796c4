import type { Actor } from '../../core/actor.js';
import type { CoreServices } from '../../core/services.js';
import { SelfApprovalNeedsConfirmation } from '../../core/task-service.js';
import type { TaskView } from '../../core/views.js';
import type { TaskHost } from '../../db/entities/index.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandOutcome, TaskEvent } from '../command-outcome.js';
import type { CommandOf } from '../command-types.js';
import { formatDuration, formatTime, mention, shortSha, STATUS_EMOJI, STATUS_WORDS } from '../formatting.js';
import { summariseChanges } from '../../core/change-summary.js';
import { changeLines } from '../change-lines.js';
import { reply, type Reply, type ReplyBlock } from '../reply.js';
import { resolveScheduleTime } from '../schedule-time.js';

type TaskCommand = CommandOf<'deploy' | 'tasks' | 'status' | 'cancel' | 'retry' | 'rollback' | 'refs' | 'approve' | 'reject'>;

/** One line that says everything about a task: the Slack fallback text and the shell's summary. */
export function taskLine(t: TaskView): string {
  const what = t.kind === 'rollback' ? `rollback #${t.id} ${t.project}${t.releaseId ? ` → ${t.releaseId}` : ''}` : `deploy #${t.id} ${t.project} ${t.ref}`;
  return `${what} → ${t.environment}: ${STATUS_WORDS[t.status]}`;
}

export function describeTask(t: TaskView, hosts: TaskHost[], timeZone: string): Reply {
  const fields: [string, string][] = [
    ['Status', `${STATUS_EMOJI[t.status]} ${STATUS_WORDS[t.status]}`],
    ['Ref', t.kind === 'rollback' ? (t.releaseId ?? t.ref) : `\`${t.ref}\` → \`${shortSha(t.commit)}\``],
    ['Requested by', mention(t.requestedBy)],
  ];
  if (t.approvedBy) fields.push(['Approved by', mention(t.approvedBy)]);
  if (t.rejectedBy) fields.push(['Rejected by', `${mention(t.rejectedBy)}: ${t.rejectReason ?? ''}`]);
  if (t.scheduledAt) fields.push(['Scheduled', formatTime(t.scheduledAt, timeZone)]);
  if (t.startedAt && t.finishedAt) fields.push(['Took', formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())]);
  const blocks: ReplyBlock[] = [{ type: 'heading', text: `${t.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${t.id} · ${t.project}` }, { type: 'fields', fields }];
  if (hosts.length) {
    blocks.push({
      type: 'list',
      items: hosts.map((h) => `*${h.serverName}*: ${h.status}${h.stage ? ` at ${h.stage}` : ''}${h.error ? ` — ${h.error}` : ''}`),
    });
  }
  if (t.error) blocks.push({ type: 'text', text: `:x: ${t.error}` });
  return { text: taskLine(t), blocks };
}

const taskOutcome = (event: TaskEvent, task: TaskView, r: Reply): CommandOutcome => ({ kind: 'task', event, task, reply: r });

export async function handleTaskCommand(command: TaskCommand, actor: Actor, services: CoreServices, deps: CommandDeps, channel: string | undefined, timeZone?: string): Promise<CommandOutcome> {
  const zone = timeZone ?? deps.app.config.timezone;
  const now = deps.now?.() ?? new Date();
  switch (command.kind) {
    case 'deploy': {
      const project = await services.projects.require(command.project);
      const scheduledAt = command.scheduledAt ?? (command.at ? resolveScheduleTime(command.at, zone, now) : null);
      // Resolve the ref now: "no such tag" is an answer the requester should get at once, not a failed task later.
      await deps.git.ensureMirror(project.repoUrl);
      const commit = await deps.git.resolveRef(project.repoUrl, command.ref);
      const task = await services.tasks.requestDeploy(actor, { project: project.name, ref: command.ref, commit, scheduledAt, hooks: command.hooks, channel }, now);
      await deps.coordinator.dispatch();
      const changes = await summariseChanges(services.em, deps.git, project.name, commit);
      const queue = task.status === 'approved' ? await deps.coordinator.queuePosition(task.id) : null;
      const state = queue?.blockedBy
        ? `is queued (position ${queue.position}): it starts when deploy #${queue.blockedBy} finishes`
        : task.status === 'awaiting_approval' ? `waits for approval by ${project.approvers.map(mention).join(' or ')}` : task.status === 'scheduled' ? `is scheduled for ${formatTime(task.scheduledAt!, zone)}` : 'is starting';
      const headline = `Deploy #${task.id} of ${project.name} ${command.ref} (${shortSha(commit)}) ${state}.`;
      return taskOutcome('requested', task, reply(headline, { type: 'text', text: headline }, { type: 'text', text: changeLines(changes).join('\n') }));
    }
    case 'tasks': {
      const tasks = await services.tasks.list({ project: command.project, limit: 15 });
      if (tasks.length === 0) return { kind: 'reply', reply: reply(command.project ? `No deploys of ${command.project} yet.` : 'No deploys yet.') };
      const items = tasks.map((t) => {
        const when = t.finishedAt ?? t.startedAt ?? t.scheduledAt ?? t.createdAt;
        const took = t.startedAt && t.finishedAt ? ` in ${formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())}` : '';
        return `${STATUS_EMOJI[t.status]} *#${t.id}* ${t.project} \`${t.kind === 'rollback' ? (t.releaseId ?? 'rollback') : t.ref}\` · ${STATUS_WORDS[t.status]}${took} · ${mention(t.requestedBy)} · ${formatTime(when, zone)}`;
      });
      return { kind: 'reply', reply: reply(`${tasks.length} recent deploys${command.project ? ` of ${command.project}` : ''}`, { type: 'heading', text: `Recent deploys${command.project ? ` of ${command.project}` : ''}` }, { type: 'list', items }) };
    }
    case 'status': {
      const { task, hosts } = await services.tasks.details(command.taskId);
      return { kind: 'reply', reply: describeTask(task, hosts, zone) };
    }
    case 'cancel': {
      const { task, wasRunning } = await services.tasks.cancel(actor, command.taskId);
      if (wasRunning) {
        deps.coordinator.cancelRunning(task.id);
        return taskOutcome('cancel-requested', task, reply(`Cancelling deploy #${task.id}: it stops at the next safe point and leaves every server on a complete release.`));
      }
      return taskOutcome('cancelled', task, reply(`Cancelled deploy #${task.id}.`));
    }
    case 'retry': {
      const task = await services.tasks.requestRetry(actor, command.taskId, now);
      await deps.coordinator.dispatch();
      return taskOutcome('retry', task, reply(`Deploy #${task.id} retries #${command.taskId} on the servers that failed${task.status === 'awaiting_approval' ? ' once it is approved' : ''}.`));
    }
    case 'rollback': {
      const task = await services.tasks.requestRollback(actor, command.project, command.release, now, command.undoes ? { undoes: command.undoes } : {});
      await deps.coordinator.dispatch();
      const target = `\`${task.targetRelease ?? command.release ?? 'the previous release'}\`${task.fromRelease ? ` (from \`${task.fromRelease}\`)` : ''}`;
      return taskOutcome('rollback', task, reply(`Rollback #${task.id} of ${task.project} to ${target} is starting.`));
    }
    case 'refs': {
      const project = await services.projects.require(command.project);
      await deps.git.ensureMirror(project.repoUrl);
      const [tags, branches, commits] = await Promise.all([deps.git.listTags(project.repoUrl), deps.git.listBranches(project.repoUrl), deps.git.listCommits(project.repoUrl, { limit: 10 })]);
      return {
        kind: 'reply',
        reply: reply(
          `${project.name}: ${tags.length} tags, ${branches.length} branches`,
          { type: 'heading', text: `Refs of ${project.name}` },
          { type: 'fields', fields: [['Tags (newest first)', tags.slice(0, 10).map((t) => `\`${t.name}\``).join(' ') || '—'], ['Branches', branches.slice(0, 10).map((b) => `\`${b.name}\``).join(' ') || '—']] },
          { type: 'list', items: commits.map((c) => `\`${c.shortSha}\` ${c.summary} — ${c.author}`) },
        ),
      };
    }
    case 'approve': {
      try {
        const task = await services.tasks.approve(actor, command.taskId, { confirmSelf: command.confirmSelf === true }, now);
        await deps.coordinator.dispatch();
        return taskOutcome('approved', task, reply(`${mention(actor.id)} approved deploy #${task.id}.`));
      } catch (err) {
        if (err instanceof SelfApprovalNeedsConfirmation) return { kind: 'confirm-self-approval', taskId: err.taskId, reply: reply(err.message) };
        throw err;
      }
    }
    case 'reject': {
      const task = await services.tasks.reject(actor, command.taskId, command.reason, now);
      return taskOutcome('rejected', task, reply(`${mention(actor.id)} rejected deploy #${task.id}: ${command.reason}`));
    }
  }
}
