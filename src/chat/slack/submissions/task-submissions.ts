import type { HookScripts } from '../../../core/views.js';
import { HOOK_NAMES } from '../../../pipeline/stages.js';
import type { CommandOutcome } from '../../../commands/replies/command-outcome.js';
import { reply as makeReply } from '../../../commands/replies/reply.js';
import { isVersionSentinel } from '../blocks/version-options.js';
import { guard } from '../guard.js';
import { announceTaskWhere, createsTask, tellUserReply } from '../present.js';
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
      const announced = createsTask(outcome) && !context.metadata.channel ? { shown: false, cannotPost: null } : await announceTaskWhere(deps, outcome, { channel: context.metadata.channel, actorId: context.userId });
      const target = { user: context.userId, channel: context.metadata.channel };
      if (announced.cannotPost) await tellUserReply(deps, client, { user: context.userId }, announced.cannotPost);
      else if (!announced.shown) await tellUserReply(deps, client, target, outcome.reply);
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

/**
 * Requests a deploy from the form through the same `deploy` command as the text form (which
 * resolves and pins the commit, lists what will change and says where the task queues), carrying
 * the form's extras: hook scripts changed for this one deploy, and an exact time.
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

  const project = await guard(deps.log, 'read the project', () => deps.runtime.app.withServices((s) => s.projects.show(form.project!)));
  if (!project.ok) return invalid(project, { project: deployBlocks.project }, deployBlocks.project);
  const hooks = changedHooks(form.hooks, project.value.hooks);
  const command = { kind: 'deploy', project: project.value.name, ref, raw: `${project.value.name} ${ref} (form)`, ...(hooks ? { hooks } : {}), ...(form.scheduledAt ? { scheduledAt: form.scheduledAt } : {}) } as const;
  const outcome = await deps.runtime.executor.execute(context.actor, command, { channel: context.metadata.channel });

  const hookBlocks = HOOK_NAMES.map((h) => [h, deployBlocks.hook(form.project!)(h)] as const).filter(([, id]) => hasBlock(context.values, id));
  const blocks: Record<string, string> = { project: deployBlocks.project, ref: versionBlock, schedule: deployBlocks.schedule };
  for (const [hook, id] of hookBlocks) blocks[`hooks.${hook}`] = id;
  blocks.hooks = hookBlocks[0]?.[1] ?? deployBlocks.project;
  const refusal = refusedOutcome(outcome, blocks, versionBlock);
  if (refusal) return refusal;
  if (outcome.kind === 'task') return showTask(deps, context, outcome);
  return { kind: 'failed', reply: outcome.kind === 'reply' ? outcome.reply : makeReply('Unexpected answer.') };
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
