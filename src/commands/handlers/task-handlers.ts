import type { Actor } from '../../core/actor.js';
import type { CoreServices } from '../../core/services.js';
import { SelfApprovalNeedsConfirmation } from '../../core/tasks/task-service.js';
import type { QueueState, TaskView } from '../../core/views.js';
import type { TaskHost } from '../../db/entities/index.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandOutcome, TaskEvent } from '../replies/command-outcome.js';
import type { CommandOf } from '../grammar/command-types.js';
import { approvalProgress, formatDuration, formatTime, mention, shortSha, STATUS_EMOJI, STATUS_WORDS, waitingWords } from '../replies/formatting.js';
import { summariseChanges } from '../../core/tasks/change-summary.js';
import { changeLines } from '../replies/change-lines.js';
import { projectReleases, releaseRefs, resolveReleaseName, withRef } from '../../core/tasks/release-lookup.js';
import { UserError } from '../../errors.js';
import { reply, withData, type Reply, type ReplyBlock } from '../replies/reply.js';
import { resolveScheduleTime } from '../grammar/schedule-time.js';

type TaskCommand = CommandOf<'deploy' | 'tasks' | 'status' | 'cancel' | 'retry' | 'rollback' | 'refs' | 'releases' | 'approve' | 'reject' | 'promote'>;

/** One line that says everything about a task: the Slack fallback text and the shell's summary. */
export function taskLine(t: TaskView, refs: ReadonlyMap<string, string> = new Map()): string {
  const target = t.releaseId ?? t.targetRelease;
  const what = t.kind === 'rollback' ? `rollback #${t.id} ${t.project}${target ? ` → ${withRef(target, refs)}` : ''}` : `deploy #${t.id} ${t.project} ${t.ref}`;
  return `${what} → ${t.environment}: ${STATUS_WORDS[t.status]}`;
}

/** Nobody approves a test deploy or a rollback: its "approval" is the request itself, not worth a line. */
function approvalWorthShowing(t: TaskView): boolean {
  return Boolean(t.approvedBy) && !(t.approvedBy === t.requestedBy && (t.kind === 'rollback' || t.environment === 'test'));
}

export function describeTask(t: TaskView, hosts: TaskHost[], timeZone: string, refs: ReadonlyMap<string, string> = new Map(), queue?: QueueState | null): Reply {
  const target = t.releaseId ?? t.targetRelease;
  const fields: [string, string][] = [
    ['Status', `${STATUS_EMOJI[t.status]} ${STATUS_WORDS[t.status]}`],
    ['Ref', t.kind === 'rollback' ? `\`${target ? withRef(target, refs) : t.ref}\`` : `\`${t.ref}\` → \`${shortSha(t.commit)}\``],
    ['Requested by', mention(t.requestedBy)],
  ];
  if (t.kind === 'deploy' && t.releaseId) fields.splice(2, 0, ['Release', `\`${t.releaseId}\``]);
  if (t.promotion) fields.push(['Already ran on', `${t.promotion.project} (#${t.promotion.taskId})`]);
  if (t.overrideReason) fields.push(['Gate overridden', t.overrideReason]);
  const progress = approvalProgress(t);
  if (progress) fields.push(['Approvals', progress]);
  else if (approvalWorthShowing(t)) fields.push(['Approved by', mention(t.approvedBy!)]);
  if (t.promotedBy) fields.push(['Promoted by', `${mention(t.promotedBy)}${t.promoteReason ? ` (${t.promoteReason})` : ''}`]);
  else if (t.status === 'running' && t.canaryPassedAt && !t.cancelledBy) {
    const canary = hosts.filter((h) => h.stages.switch?.state === 'done').map((h) => h.serverName);
    fields.push(['Canary', `healthy${canary.length ? ` on ${canary.join(', ')}` : ''}; waiting for an approver to Promote (\`promote ${t.id}\`)`]);
  }
  if (t.rejectedBy) fields.push(['Rejected by', `${mention(t.rejectedBy)}: ${t.rejectReason ?? ''}`]);
  if (t.scheduledAt) fields.push(['Scheduled', formatTime(t.scheduledAt, timeZone)]);
  const waiting = queue ? waitingWords(t.project, queue) : '';
  if (waiting) fields.push(['Waiting', waiting]);
  if (t.startedAt && t.finishedAt) fields.push(['Took', formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())]);
  const blocks: ReplyBlock[] = [{ type: 'heading', text: `${t.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${t.id} · ${t.project}` }, { type: 'fields', fields }];
  if (hosts.length) {
    blocks.push({
      type: 'list',
      // Where a server stopped matters while it runs or after it failed; "done at after_deploy" only confuses.
      items: hosts.map((h) => {
        if (h.status === 'failed' && /^connect: /.test(h.error ?? '')) return `*${h.serverName}*: could not connect — ${h.error!.replace(/^connect: /, '')}`;
        return `*${h.serverName}*: ${h.status}${h.stage && (h.status === 'running' || h.status === 'failed') ? ` at ${h.stage}` : ''}${h.error ? ` — ${h.error}` : ''}`;
      }),
    });
  }
  if (t.error) blocks.push({ type: 'text', text: `:x: ${t.error}` });
  return {
    text: taskLine(t, refs),
    blocks,
    data: { task: t, targetRef: target ? (refs.get(target) ?? null) : null, hosts: hosts.map((h) => ({ server: h.serverName, status: h.status, stage: h.stage ?? null, error: h.error ?? null })) },
  };
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
      const task = await services.tasks.requestDeploy(actor, { project: project.name, ref: command.ref, commit, scheduledAt, hooks: command.hooks, channel, override: command.override }, now);
      await deps.coordinator.dispatch();
      const changes = await summariseChanges(services.em, deps.git, project.name, commit);
      const queue = task.status === 'approved' ? await deps.coordinator.queuePosition(task.id) : null;
      const state = queue && (queue.lock || queue.freeze || queue.blockedBy)
        ? `is ${waitingWords(project.name, queue)}`
        : task.status === 'awaiting_approval' ? `waits for approval by ${project.approvers.map(mention).join(' or ')}` : task.status === 'scheduled' ? `is scheduled for ${formatTime(task.scheduledAt!, zone)}` : 'is starting';
      const ran = task.promotion ? ` It already succeeded on ${task.promotion.project} (#${task.promotion.taskId}).` : task.overrideReason ? ` The promotion gate was overridden: ${task.overrideReason}.` : '';
      const headline = `Deploy #${task.id} of ${project.name} ${command.ref} (${shortSha(commit)}) ${state}.${ran}`;
      return taskOutcome('requested', task, withData(reply(headline, { type: 'text', text: headline }, { type: 'text', text: changeLines(changes).join('\n') }), { task, commit }));
    }
    case 'tasks': {
      const tasks = await services.tasks.list({ project: command.project, limit: 15 });
      if (tasks.length === 0) return { kind: 'reply', reply: withData(reply(command.project ? `No deploys of ${command.project} yet.` : 'No deploys yet.'), { tasks: [] }) };
      const refs = await releaseRefs(services.em, tasks.map((t) => t.releaseId ?? t.targetRelease));
      const items = tasks.map((t) => {
        const when = t.finishedAt ?? t.startedAt ?? t.scheduledAt ?? t.createdAt;
        const took = t.startedAt && t.finishedAt ? ` in ${formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())}` : '';
        const target = t.releaseId ?? t.targetRelease;
        const what = t.kind === 'rollback' ? `rollback → \`${target ? withRef(target, refs) : 'previous'}\`` : `\`${t.ref}\``;
        return `${STATUS_EMOJI[t.status]} *#${t.id}* ${t.project} ${what} · ${STATUS_WORDS[t.status]}${took} · ${mention(t.requestedBy)} · ${formatTime(when, zone)}`;
      });
      const data = { tasks: tasks.map((t) => ({ ...t, targetRef: (t.releaseId ?? t.targetRelease) ? (refs.get((t.releaseId ?? t.targetRelease)!) ?? null) : null })) };
      return { kind: 'reply', reply: withData(reply(`${tasks.length} recent deploys${command.project ? ` of ${command.project}` : ''}`, { type: 'heading', text: `Recent deploys${command.project ? ` of ${command.project}` : ''}` }, { type: 'list', items }), data) };
    }
    case 'status': {
      const { task, hosts } = await services.tasks.details(command.taskId);
      return { kind: 'reply', reply: describeTask(task, hosts, zone, await releaseRefs(services.em, [task.releaseId ?? task.targetRelease]), await deps.coordinator.queuePosition(task.id)) };
    }
    case 'cancel': {
      const { task, wasRunning } = await services.tasks.cancel(actor, command.taskId);
      if (wasRunning) {
        deps.coordinator.cancelRunning(task.id);
        // A prod canary waiting for its Promote goes back; the rest never switched.
        const words = task.canaryPassedAt && !task.promotedBy
          ? 'its canary is switched back to its previous release; the other servers were never switched'
          : 'it stops at the next safe point and leaves every server on a complete release';
        return taskOutcome('cancel-requested', task, withData(reply(`Cancelling deploy #${task.id}: ${words}.`), { task }));
      }
      return taskOutcome('cancelled', task, withData(reply(`Cancelled deploy #${task.id}.`), { task }));
    }
    case 'retry': {
      const task = await services.tasks.requestRetry(actor, command.taskId, now);
      await deps.coordinator.dispatch();
      return taskOutcome('retry', task, withData(reply(`Deploy #${task.id} retries #${command.taskId} on the servers that failed${task.status === 'awaiting_approval' ? ' once it is approved' : ''}.`), { task }));
    }
    case 'rollback': {
      // `v1.0.0`, `#12`, a commit: turned into the release directory it means before the request pins it.
      let release = command.release;
      if (release !== undefined) {
        const project = await services.projects.require(command.project);
        release = await resolveReleaseName(services.em, project, release, (ref) => deps.git.resolveRef(project.repoUrl, ref));
      }
      const task = await services.tasks.requestRollback(actor, command.project, release, now, command.undoes ? { undoes: command.undoes } : {});
      await deps.coordinator.dispatch();
      const refs = await releaseRefs(services.em, [task.targetRelease, task.fromRelease]);
      const target = `\`${task.targetRelease ? withRef(task.targetRelease, refs) : (release ?? 'the previous release')}\`${task.fromRelease ? ` (from \`${withRef(task.fromRelease, refs)}\`)` : ''}`;
      return taskOutcome('rollback', task, withData(reply(`Rollback #${task.id} of ${task.project} to ${target} is starting.`), { task, targetRef: task.targetRelease ? (refs.get(task.targetRelease) ?? null) : null }));
    }
    case 'releases': {
      const project = await services.projects.require(command.project);
      const releases = await projectReleases(services.em, project);
      const servers = project.servers.getItems().map((s) => s.name).sort();
      const data = { project: project.name, servers: servers.map((server) => ({ server, releases: releases.filter((r) => r.servers.includes(server)).map((r) => ({ releaseId: r.releaseId, ref: r.ref, commit: r.commit, taskId: r.taskId, current: r.currentOn.includes(server) })) })) };
      if (releases.length === 0) return { kind: 'reply', reply: withData(reply(`No releases of ${project.name} on its servers yet: deploy it first (\`${project.name} <ref>\`).`), data) };
      const blocks: ReplyBlock[] = [{ type: 'heading', text: `Releases of ${project.name} (newest first)` }];
      for (const s of data.servers) {
        blocks.push({ type: 'text', text: `*${s.server}*` });
        blocks.push({ type: 'list', items: s.releases.length ? s.releases.map((r) => `\`${r.releaseId}\` ${r.ref ? `\`${r.ref}\` ` : ''}(${shortSha(r.commit)})${r.taskId ? ` #${r.taskId}` : ''}${r.current ? ' · *current*' : ''}`) : ['none'] });
      }
      blocks.push({ type: 'context', text: `Roll back with \`rollback ${project.name} <release|tag|commit|task>\`.` });
      return { kind: 'reply', reply: withData({ text: `${project.name}: ${releases.length} release${releases.length === 1 ? '' : 's'} on ${servers.join(', ')}`, blocks }, data) };
    }
    case 'refs': {
      const project = await services.projects.require(command.project);
      await deps.git.ensureMirror(project.repoUrl);
      const [tags, branches, commits] = await Promise.all([deps.git.listTags(project.repoUrl), deps.git.listBranches(project.repoUrl), deps.git.listCommits(project.repoUrl, { limit: 10 })]);
      return {
        kind: 'reply',
        reply: withData(
          reply(
            `${project.name}: ${tags.length} tags, ${branches.length} branches`,
            { type: 'heading', text: `Refs of ${project.name}` },
            { type: 'fields', fields: [['Tags (newest first)', tags.slice(0, 10).map((t) => `\`${t.name}\``).join(' ') || '—'], ['Branches', branches.slice(0, 10).map((b) => `\`${b.name}\``).join(' ') || '—']] },
            { type: 'list', items: commits.map((c) => `\`${c.shortSha}\` ${c.summary} — ${c.author}`) },
          ),
          { project: project.name, tags, branches, commits },
        ),
      };
    }
    case 'approve': {
      try {
        const task = await services.tasks.approve(actor, command.taskId, { confirmSelf: command.confirmSelf === true }, now);
        await deps.coordinator.dispatch();
        const queue = await deps.coordinator.queuePosition(task.id);
        const held = queue && (queue.lock || queue.freeze) ? ` It is ${waitingWords(task.project, queue)}.` : '';
        const progress = approvalProgress(task);
        return taskOutcome('approved', task, withData(reply(`${mention(actor.id)} approved deploy #${task.id}${progress ? `: ${progress}` : ''}.${held}`), { task }));
      } catch (err) {
        if (err instanceof SelfApprovalNeedsConfirmation) return { kind: 'confirm-self-approval', taskId: err.taskId, reply: withData(reply(err.message), { taskId: err.taskId, needsConfirmation: true }) };
        throw err;
      }
    }
    case 'promote': {
      const task = await services.tasks.promote(actor, command.taskId, command.override !== undefined ? { override: command.override } : {}, now);
      // The runner waiting for it, if it runs here, goes on at once (elsewhere: at its next look).
      deps.coordinator.taskChanged(task.id);
      const why = task.promoteReason ? ` (${task.promoteReason})` : '';
      return taskOutcome('promoted', task, withData(reply(`${mention(actor.id)} promoted deploy #${task.id}${why}: the rest of its servers follow its canary.`), { task }));
    }
    case 'reject': {
      const task = await services.tasks.reject(actor, command.taskId, command.reason, now);
      return taskOutcome('rejected', task, withData(reply(`${mention(actor.id)} rejected deploy #${task.id}: ${command.reason}`), { task }));
    }
  }
}
