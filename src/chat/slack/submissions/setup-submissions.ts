import { checkBeforeAdd, checkBeforeEdit, describeProject } from '../../../commands/handlers/project-handlers.js';
import { describeServer } from '../../../commands/handlers/server-handlers.js';
import type { Reply } from '../../../commands/replies/reply.js';
import { HOOK_NAMES } from '../../../pipeline/stages.js';
import { guard } from '../guard.js';
import { slackErrorCode } from '../modals.js';
import { tellUserReply } from '../present.js';
import type { SlackDeps } from '../slack-deps.js';
import { sameNames } from '../views/field-errors.js';
import { readHooksForm } from '../views/hooks-modal.js';
import { PROJECT_BLOCKS, readProjectAdd, readProjectEdit } from '../views/project-modal.js';
import { readServerAdd, readServerEdit, SERVER_BLOCKS } from '../views/server-modal.js';
import { hasBlock } from '../views/view-state.js';
import { invalid, refusedOutcome, type Submission, type SubmissionContext, type Submitter } from './submission.js';

/**
 * The setup forms (servers, projects, hooks): validated by the services before the form closes;
 * the result is then shown to the submitter only. Never logged, never echoed: the server form may
 * hold a private key, a passphrase or a password.
 */

function confirmation(deps: SlackDeps, context: SubmissionContext, text: string, headline: string, details: Reply): Submission {
  const reply: Reply = { text, blocks: [{ type: 'text', text: `:white_check_mark: ${headline}` }, ...details.blocks] };
  return { kind: 'done', after: (client) => tellUserReply(deps, client, { user: context.userId, channel: context.metadata.channel }, reply) };
}

const missingName = (what: string): Submission => ({ kind: 'failed', reply: { text: `This ${what} form lost track of what it edits: open it again.`, blocks: [{ type: 'text', text: `:warning: This ${what} form lost track of what it edits: open it again.` }], isError: true } });

export const submitServerAdd: Submitter = async (deps, context) => {
  const input = readServerAdd(context.values);
  const result = await guard(deps.log, 'add a server', () => deps.runtime.app.withServices((s) => s.servers.add(context.actor, input)));
  if (!result.ok) return invalid(result, SERVER_BLOCKS, 'name');
  const s = result.value;
  return confirmation(deps, context, `Added server ${s.name}.`, `Added server *${s.name}*. Run \`/deploy server check ${s.name}\` to test the connection and pin its host key.`, describeServer(s));
};

export const submitServerEdit: Submitter = async (deps, context) => {
  const name = context.metadata.name;
  if (!name) return missingName('server');
  const input = readServerEdit(context.values);
  const result = await guard(deps.log, 'edit a server', () => deps.runtime.app.withServices((s) => s.servers.edit(context.actor, name, input)));
  if (!result.ok) return invalid(result, SERVER_BLOCKS, 'hostname');
  return confirmation(deps, context, `Updated server ${result.value.name}.`, `Updated server *${result.value.name}*.`, describeServer(result.value));
};

/**
 * Whether the bot can post in the channel picked for results: a private channel it is not in does
 * not exist for it (channel_not_found), and would only fail later with a log line.
 */
async function channelProblem(deps: SlackDeps, channel: string | null | undefined): Promise<Submission | null> {
  if (!channel) return null;
  const problem = await deps.client.conversations
    .info({ channel })
    .then((r) => (r.channel?.is_archived ? 'This channel is archived: pick another.' : null))
    .catch((err: unknown) =>
      slackErrorCode(err) === 'channel_not_found' ? 'I cannot post there: it is a private channel I am not in. Invite me first (`/invite @deploybot`), or pick another.' : null,
    );
  return problem ? { kind: 'invalid', errors: { notifyChannel: problem }, reply: { text: problem, blocks: [{ type: 'text', text: `:warning: ${problem}` }], isError: true } } : null;
}

export const submitProjectAdd: Submitter = async (deps, context) => {
  const input = readProjectAdd(context.values);
  const refused = await channelProblem(deps, input.notifyChannel);
  if (refused) return refused;
  // The form asks the repository as the text form does, before anything is saved.
  const result = await guard(deps.log, 'add a project', async () => {
    await checkBeforeAdd(context.actor, input);
    return deps.runtime.app.withServices((s) => s.projects.add(context.actor, input));
  });
  if (!result.ok) return invalid(result, PROJECT_BLOCKS, 'name');
  const p = result.value;
  return confirmation(deps, context, `Added project ${p.name}.`, `Added project *${p.name}*. Deploy it with \`/deploy ${p.name} <tag|branch|commit>\`.`, describeProject(p));
};

export const submitProjectEdit: Submitter = async (deps, context) => {
  const name = context.metadata.name;
  if (!name) return missingName('project');
  const refused = await channelProblem(deps, readProjectEdit(context.values).notifyChannel);
  if (refused) return refused;
  // Beyond 100 servers the form adds and removes: what it did not touch is kept, read here.
  const result = await guard(deps.log, 'edit a project', () =>
    deps.runtime.app.withServices(async (s) => {
      const input = readProjectEdit(context.values, (await s.projects.show(name)).servers);
      // The form asks the repository as the text form does when its URL or branch changes.
      await checkBeforeEdit(context.actor, name, input, s, deps.runtime.git);
      return s.projects.edit(context.actor, name, input);
    }),
  );
  if (!result.ok) return invalid(result, PROJECT_BLOCKS, 'repoUrl');
  return confirmation(deps, context, `Updated project ${result.value.name}.`, `Updated project *${result.value.name}*.`, describeProject(result.value));
};

/** Hooks go through the `project hooks` command, like the text form, with inline scripts. */
export const submitProjectHooks: Submitter = async (deps, context) => {
  const name = context.metadata.name;
  if (!name) return missingName('hooks');
  const hooks = readHooksForm(context.values);
  const outcome = await deps.runtime.executor.execute(context.actor, { kind: 'project-hooks', name, hooks, raw: `project hooks ${name} (form)` });
  const fallback = HOOK_NAMES.find((h) => hasBlock(context.values, h));
  const refusal = fallback ? refusedOutcome(outcome, sameNames(...HOOK_NAMES), fallback) : undefined;
  if (refusal) return refusal;
  if (outcome.kind !== 'reply') return { kind: 'failed', reply: { text: 'Unexpected answer.', blocks: [], isError: true } };
  if (outcome.reply.isError) return { kind: 'failed', reply: outcome.reply };
  const reply = outcome.reply;
  return { kind: 'done', after: (client) => tellUserReply(deps, client, { user: context.userId, channel: context.metadata.channel }, reply) };
};
