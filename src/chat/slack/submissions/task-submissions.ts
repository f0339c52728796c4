import type { HookScripts, ProjectView, TaskView } from '../../../core/views.js';
import { HOOK_NAMES } from '../../../pipeline/stages.js';
import type { CommandOutcome } from '../../command-outcome.js';
import { formatTime, mention, shortSha } from '../../formatting.js';
import { reply as makeReply, type Reply } from '../../reply.js';
import { isVersionSentinel } from '../blocks/version-options.js';
import { guard } from '../guard.js';
import { announceTask, createsTask, tellUserReply } from '../present.js';
import type { SlackDeps } from '../slack-deps.js';
import { deployBlocks, readDeployForm } from '../views/deploy-modal.js';
import { REJECT_BLOCK } from '../views/reject-modal.js';
import { hasBlock, rawText } from '../views/view-state.js';
import { invalid, refusedOutcome, type Submission, type SubmissionContext, type Submitter } from './submission.js';

/** The deploy form and the reject form. */

type TaskOutcome = Extract<CommandOutcome, { kind: 'task' }>;

/** Shows a task outcome on its message; tells the user directly if there is no message to show it on. */
function showTask(deps: SlackDeps, context: SubmissionContext, outcome: TaskOutcome): Submission {
  return {
    kind: 'done',
    after: async (client) => {
      // A new task's message goes where the form was opened; without a channel there is no message.
      const shown = createsTask(outcome) && !context.metadata.channel ? false : await announceTask(deps, outcome, { channel: context.metadata.channel, actorId: context.userId });
      if (!shown) await tellUserReply(deps, client, { user: context.userId, channel: context.metadata.channel }, outcome.reply);
    },
  };
}

/** Only the scripts that differ from the project's (whitespace at the ends aside): the others are not "changes". */
export function changedHooks(typed: Partial<HookScripts>, project: HookScripts): Partial<HookScripts> | undefined {
  const out: Partial<HookScripts> = {};
  for (const hook of HOOK_NAMES) {
    const script = typed[hook];
    if (script !== undefined && script.trim() !== project[hook].trim()) out[hook] = script;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function requestedText(task: TaskView, project: ProjectView, ref: string, commit: string, zone: string): string {
  const state =
    task.status === 'awaiting_approval'
      ? `waits for approval by ${project.approvers.map(mention).join(' or ')}`
      : task.status === 'scheduled' && task.scheduledAt
        ? `is scheduled for ${formatTime(task.scheduledAt, zone)}`
        : 'is starting';
  return `Deploy #${task.id} of ${project.name} ${ref} (${shortSha(commit)}) ${state}.`;
}

/**
 * Requests a deploy from the form. Calls the services directly (not the `deploy` command) because
 * the form can carry hook scripts for this one deploy, which the text command cannot.
 */
export const submitDeploy: Submitter = async (deps, context) => {
  const form = readDeployForm(context.values);
  const versionBlock = form.versionBlock;
  if (!form.project) return { kind: 'invalid', errors: { [deployBlocks.project]: 'Pick a project.' }, reply: makeReply('Pick a project.') };
  if (form.versionProject !== form.project) {
    return { kind: 'invalid', errors: { [versionBlock]: 'The project changed: pick the version again.' }, reply: makeReply('Pick the version again.') };
  }
  const ref = form.ref;
  if (!ref || isVersionSentinel(ref)) return { kind: 'invalid', errors: { [versionBlock]: 'Pick a branch, tag or commit.' }, reply: makeReply('Pick a version.') };

  const { runtime } = deps;
  const zone = runtime.app.config.timezone;
  let stage: 'project' | 'git' | 'request' = 'project';
  const result = await guard(deps.log, 'request a deploy', () =>
    runtime.app.withServices(async (services) => {
      const project = await services.projects.show(form.project!);
      const hooks = changedHooks(form.hooks, project.hooks);
      stage = 'git';
      // Resolve the ref now: "no such tag" is an answer for the form, not a failed task later.
      await runtime.git.ensureMirror(project.repoUrl);
      const commit = await runtime.git.resolveRef(project.repoUrl, ref);
      stage = 'request';
      const now = runtime.chat.now?.() ?? new Date();
      const task = await services.tasks.requestDeploy(context.actor, { project: project.name, ref, scheduledAt: form.scheduledAt ?? null, hooks, channel: context.metadata.channel }, now);
      await runtime.coordinator.dispatch();
      return { task: { ...task, commit }, project, commit };
    }),
  );
  if (!result.ok) {
    const hookBlocks = HOOK_NAMES.map((h) => [h, deployBlocks.hook(form.project!)(h)] as const).filter(([, id]) => hasBlock(context.values, id));
    const blocks: Record<string, string> = { project: deployBlocks.project, ref: versionBlock, schedule: deployBlocks.schedule };
    for (const [hook, id] of hookBlocks) blocks[`hooks.${hook}`] = id;
    blocks.hooks = hookBlocks[0]?.[1] ?? deployBlocks.project;
    return invalid(result, blocks, stage === 'project' ? deployBlocks.project : versionBlock);
  }
  const { task, project, commit } = result.value;
  const r: Reply = makeReply(requestedText(task, project, ref, commit, zone));
  return showTask(deps, context, { kind: 'task', event: 'requested', task, reply: r });
};

export const submitReject: Submitter = async (deps, context) => {
  const taskId = context.metadata.taskId;
  if (!taskId) return { kind: 'failed', reply: { text: 'This form lost track of its deploy: click Reject again.', blocks: [{ type: 'text', text: ':warning: This form lost track of its deploy: click Reject again.' }], isError: true } };
  const reason = rawText(context.values, REJECT_BLOCK);
  const outcome = await deps.runtime.executor.execute(context.actor, { kind: 'reject', taskId, reason, raw: `reject ${taskId} (form)` }, { channel: context.metadata.channel });
  const refusal = refusedOutcome(outcome, { reason: REJECT_BLOCK }, REJECT_BLOCK);
  if (refusal) return refusal;
  if (outcome.kind === 'task') return showTask(deps, context, outcome);
  return { kind: 'failed', reply: outcome.kind === 'reply' ? outcome.reply : makeReply('Unexpected answer.') };
};
