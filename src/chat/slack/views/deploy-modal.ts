import type { types } from '@slack/bolt';
import type { HookScripts, ProjectView } from '../../../core/views.js';
import { HOOK_NAMES, type HookName } from '../../../pipeline/stages.js';
import { mention } from '../../../commands/replies/formatting.js';
import { LIMITS, truncate } from '../blocks/text.js';
import { ACTIONS, CALLBACKS, INPUT } from '../ids.js';
import { encodeMetadata, type ViewMetadata } from '../metadata.js';
import { context, input, modal, option, plain } from './elements.js';
import { codeBlock } from '../blocks/mrkdwn.js';
import { hookBlocks, readHookInputs } from './hooks-modal.js';
import { dateTime, selected, type StateValues } from './view-state.js';

/**
 * The deploy form: project → version (an external select whose options come from the project's
 * branches, tags and recent commits) → optional schedule → hook scripts (pre-filled from the
 * project; inputs for admins, read-only for the project's approvers, and for anyone else only which
 * hooks exist: scripts can hold internal host names, paths and build secrets' names).
 * The service refuses changed hooks from non-admins anyway.
 *
 * The version and hook block ids carry the project name: when the project changes, the modal is
 * rebuilt and Slack, seeing new block ids, starts those inputs afresh with the new project's
 * values instead of keeping the previous project's.
 */
export const deployBlocks = {
  project: 'project',
  version: (project?: string) => (project ? `version.${project}` : 'version'),
  schedule: 'schedule',
  hook: (project: string) => (hook: HookName) => `hook.${project}.${hook}`,
};

export interface DeployModalOptions {
  projects: Pick<ProjectView, 'name' | 'title'>[];
  selected?: ProjectView;
  isAdmin: boolean;
  /** Who opens the form: the project's approvers may read its hook scripts. */
  actorId: string;
  metadata: ViewMetadata;
}

function projectSummary(p: ProjectView): string {
  const parts = [p.environment === 'prod' ? `*prod*: needs approval by ${p.approvers.map(mention).join(' or ') || 'an approver'}` : '*test*: starts at once'];
  parts.push(`servers: ${p.servers.join(', ')}`, `default branch \`${p.defaultBranch}\``);
  if (p.lock) parts.push(`:lock: *locked* by ${mention(p.lock.by)}${p.lock.reason ? ` (${p.lock.reason})` : ''}: deploys are refused`);
  return parts.join(' · ');
}

function readOnlyHooks(hooks: HookScripts): types.KnownBlock[] {
  const set = HOOK_NAMES.filter((h) => hooks[h].trim() !== '');
  if (set.length === 0) return [context('This project has no hook scripts.')];
  const budget = Math.floor((LIMITS.sectionText / 2 - 200) / set.length);
  const text = set.map((h) => `*${h}*\n${codeBlock(truncate(hooks[h], budget))}`).join('\n');
  return [context("The project's hook scripts run with this deploy (only admins can change them for one deploy):"), { type: 'section', text: { type: 'mrkdwn', text } }];
}

/** For those who may deploy but not read the scripts: which hooks run, not what they say. */
function hookNamesOnly(hooks: HookScripts): types.KnownBlock[] {
  const set = HOOK_NAMES.filter((h) => hooks[h].trim() !== '');
  if (set.length === 0) return [context('This project has no hook scripts.')];
  return [context(`Hook scripts run with this deploy: ${set.map((h) => `\`${h}\``).join(', ')}. Only admins and the project's approvers can read them.`)];
}

/** Admins edit the hooks for one deploy, approvers read them, everyone else sees only their names. */
function hookSection(p: ProjectView, options: DeployModalOptions): types.KnownBlock[] {
  if (options.isAdmin) return hookBlocks(p.hooks, deployBlocks.hook(p.name));
  if (p.approvers.includes(options.actorId)) return readOnlyHooks(p.hooks);
  return hookNamesOnly(p.hooks);
}

export function deployModal(options: DeployModalOptions): types.ModalView {
  const p = options.selected;
  const label = (x: Pick<ProjectView, 'name' | 'title'>) => (x.title && x.title !== x.name ? `${x.name} — ${x.title}` : x.name);
  // Beyond 100 projects a static menu would drop the rest: the options load as the person types.
  const many = options.projects.length > LIMITS.optionsPerMenu;
  const projectOptions = many ? [] : options.projects.map((x) => option(label(x), x.name));
  const initial = p ? (projectOptions.find((o) => o.value === p.name) ?? option(label(p), p.name)) : undefined;
  const element: types.StaticSelect | types.ExternalSelect = many
    ? { type: 'external_select', action_id: ACTIONS.deployProject, placeholder: plain('Type to find a project'), min_query_length: 0, ...(initial ? { initial_option: initial } : {}) }
    : { type: 'static_select', action_id: ACTIONS.deployProject, placeholder: plain('Pick a project'), options: projectOptions, ...(initial ? { initial_option: initial } : {}) };
  const blocks: types.KnownBlock[] = [input(deployBlocks.project, 'Project', element, { dispatchAction: true })];
  if (p) blocks.push(context(projectSummary(p)));
  blocks.push(
    input(
      deployBlocks.version(p?.name),
      'Version',
      { type: 'external_select', action_id: ACTIONS.deployVersion, placeholder: plain(p ? `Branch, tag or commit of ${p.name}` : 'Pick a project first'), min_query_length: 0 },
      { hint: 'Type to filter branches, tags and recent commits, or type any ref or commit id.' },
    ),
    input(deployBlocks.schedule, 'When', { type: 'datetimepicker', action_id: INPUT }, { optional: true, hint: 'Leave empty to deploy now. A prod deploy still waits for approval, and never runs before this time.' }),
  );
  if (p) blocks.push(...hookSection(p, options));
  return modal(CALLBACKS.deploy, 'Deploy', p?.environment === 'prod' ? 'Request deploy' : 'Deploy', blocks, encodeMetadata(options.metadata));
}

export interface DeployForm {
  project?: string;
  /** The project the version input was built for (it must be the selected one). */
  versionProject?: string;
  versionBlock: string;
  ref?: string;
  scheduledAt?: Date;
  /** Hook scripts of the inputs present (admins), as typed. */
  hooks: Partial<HookScripts>;
}

export function readDeployForm(values: StateValues): DeployForm {
  const project = selected(values, deployBlocks.project, ACTIONS.deployProject);
  const versionBlock = Object.keys(values).find((id) => id === 'version' || id.startsWith('version.')) ?? deployBlocks.version(project);
  const versionProject = versionBlock.startsWith('version.') ? versionBlock.slice('version.'.length) : undefined;
  const form: DeployForm = { versionBlock, hooks: {} };
  if (project !== undefined) form.project = project;
  if (versionProject !== undefined) form.versionProject = versionProject;
  const ref = selected(values, versionBlock, ACTIONS.deployVersion);
  if (ref !== undefined) form.ref = ref;
  const when = dateTime(values, deployBlocks.schedule);
  if (when !== undefined) form.scheduledAt = when;
  if (project !== undefined) form.hooks = readHookInputs(values, deployBlocks.hook(project));
  return form;
}
