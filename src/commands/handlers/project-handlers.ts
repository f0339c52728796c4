import { channelRef } from '../../core/mention.js';
import { requireAdmin, type Actor } from '../../core/actor.js';
import { projectAddSchema, projectEditSchema, type ProjectAddInput, type ProjectEditInput } from '../../core/projects/project-schemas.js';
import { verifyProjectRepository } from '../repository-check.js';
import type { CoreServices } from '../../core/services.js';
import type { HookScripts, ProjectView } from '../../core/views.js';
import { UserError } from '../../errors.js';
import { HOOK_NAMES } from '../../pipeline/stages.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandOutcome } from '../replies/command-outcome.js';
import type { ChannelRef, CommandOf, HookChanges, ProjectChanges } from '../grammar/command-types.js';
import { mention } from '../replies/formatting.js';
import { releaseRefs } from '../../core/tasks/release-lookup.js';
import { reply, withData, type Reply, type ReplyBlock } from '../replies/reply.js';

type ProjectCommand = CommandOf<'project-add' | 'project-list' | 'project-show' | 'project-edit' | 'project-remove' | 'project-hooks' | 'lock' | 'unlock'>;

const ok = (r: Reply): CommandOutcome => ({ kind: 'reply', reply: r });

function channelId(channel: ChannelRef | undefined): string | undefined {
  if (!channel) return undefined;
  if (channel.id) return channel.id;
  throw new UserError(`Pick the channel with # so Slack sends its ID (channel=#${channel.name}), or give the ID (C012ABCDEF).`, { channel: 'pick the channel with #' });
}

/** The command's settings in the service's vocabulary; only what the user gave. */
function toServiceFields(c: ProjectChanges): ProjectEditInput {
  const out: ProjectEditInput = {};
  if (c.title !== undefined) out.title = c.title;
  if (c.repo !== undefined) out.repoUrl = c.repo;
  if (c.path !== undefined) out.deployPath = c.path;
  if (c.servers !== undefined) out.servers = c.servers;
  if (c.env !== undefined) out.environment = c.env;
  if (c.keep !== undefined) out.keepReleases = c.keep;
  if (c.branch !== undefined) out.defaultBranch = c.branch;
  if (c.approvers !== undefined) out.approvers = c.approvers;
  if (c.channel !== undefined) out.notifyChannel = channelId(c.channel);
  if (c.parallel !== undefined) out.maxParallel = c.parallel;
  if (c.approvals !== undefined) out.requiredApprovals = c.approvals;
  if (c.promoteFrom !== undefined) out.promoteFrom = c.promoteFrom || null;
  if (c.health !== undefined) out.healthCheck = c.health;
  if (c.healthTimeout !== undefined) out.healthTimeout = c.healthTimeout;
  if (c.rollout !== undefined) out.rollout = c.rollout;
  if (c.canaryWait !== undefined) out.canaryWait = c.canaryWait;
  if (c.onFailure !== undefined) out.onFailure = c.onFailure;
  if (c.distribution !== undefined) out.distribution = c.distribution;
  if (c.notifyApprovers !== undefined) out.notifyApprovers = c.notifyApprovers;
  if (c.notifyRequester !== undefined) out.notifyRequester = c.notifyRequester;
  return out;
}

/** A project as data for `--json`: the hook scripts' names, not their text. */
export function projectData(p: ProjectView, live?: { server: string; release: string | null; commit: string | null; ref?: string | null }[]): unknown {
  const { hooks, ...rest } = p;
  return { ...rest, hooks: HOOK_NAMES.filter((h) => hooks[h].trim()), ...(live ? { live } : {}) };
}

export function describeProject(p: ProjectView, live: { server: string; release: string | null; commit: string | null; ref?: string | null }[] = []): Reply {
  const hooks = HOOK_NAMES.filter((h) => p.hooks[h].trim()).join(', ');
  const blocks: ReplyBlock[] = [
    { type: 'heading', text: `Project ${p.name}${p.title !== p.name ? ` — ${p.title}` : ''}` },
    {
      type: 'fields',
      fields: [
        ['Repository', `\`${p.repoUrl}\``],
        ['Environment', p.environment === 'prod' ? '*prod* (needs approval)' : 'test'],
        ['Deploy path', `\`${p.deployPath}\``],
        ['Servers', p.servers.join(', ')],
        ['Default branch', `\`${p.defaultBranch}\``],
        ['Releases kept', String(p.keepReleases)],
        ['Approvers', p.approvers.length ? `${p.approvers.map(mention).join(', ')}${p.environment === 'prod' && p.requiredApprovals > 1 ? ` (${p.requiredApprovals} needed)` : ''}` : '—'],
        ['On failure', p.onFailure === 'rollback' ? 'switch every server back' : 'keep healthy servers on the new release'],
        ['Parallel servers', String(p.maxParallel)],
        ...(p.promoteFrom ? [['Promotes from', `${p.promoteFrom} (a commit must succeed there first)`] as [string, string]] : []),
        ['Health check', p.healthCheck ? `\`${p.healthCheck}\` (up to ${p.healthTimeout} s per server)` : 'none'],
        ['Rollout', p.rollout === 'all' ? 'all servers at once' : `${p.rollout.slice('canary:'.length)} first (canary), the rest after ${p.canaryWait} s`],
        ['Distribution', p.distribution === 'relay' ? 'relay (servers feed each other)' : p.distribution === 'direct' ? 'direct (the bot uploads to each server)' : 'auto (relay for big fleets and artifacts)'],
        ['Channel', p.notifyChannel ? channelRef(p.notifyChannel) : '—'],
        ['Notices', `approvers: ${p.notifyApprovers}, requester: ${p.notifyRequester}`],
        ['Hooks', hooks || 'none'],
      ],
    },
  ];
  if (p.lock) blocks.push({ type: 'text', text: `:lock: Locked by ${mention(p.lock.by)}${p.lock.reason ? `: ${p.lock.reason}` : ''}` });
  if (live.length) blocks.push({ type: 'list', items: live.map((l) => `*${l.server}*: ${l.release ? `\`${l.release}\`${l.ref ? ` (\`${l.ref}\`)` : ''}` : 'nothing deployed yet'}`) });
  return { text: `Project ${p.name}: ${p.repoUrl} → ${p.servers.join(', ')} (${p.environment})`, blocks, data: { project: projectData(p, live.length ? live : undefined) } };
}

/**
 * Asks the repository before a project is saved (admins only: nobody else may add one, so nobody
 * else makes the bot reach out). Input the service would refuse is left for it to explain.
 */
export async function checkBeforeAdd(actor: Actor, input: ProjectAddInput): Promise<void> {
  requireAdmin(actor, 'add projects');
  const parsed = projectAddSchema.safeParse(input);
  if (!parsed.success) return;
  input.defaultBranch = await verifyProjectRepository(parsed.data.repoUrl, parsed.data.defaultBranch, input.defaultBranch !== undefined);
}

/**
 * Asks the repository before an edit that changes its URL or branch is saved (the text form and
 * the project form alike). The stored URL may have its token masked: the mirrors know the real one.
 */
export async function checkBeforeEdit(actor: Actor, name: string, changes: ProjectEditInput, services: CoreServices, git: CommandDeps['git']): Promise<void> {
  requireAdmin(actor, 'edit projects');
  const before = await services.projects.show(name);
  const urlChanged = changes.repoUrl !== undefined && changes.repoUrl !== before.repoUrl;
  const branchChanged = changes.defaultBranch !== undefined && changes.defaultBranch !== before.defaultBranch;
  if (!urlChanged && !branchChanged) return;
  const repoUrl = projectEditSchema.shape.repoUrl.safeParse(changes.repoUrl ?? before.repoUrl);
  // A malformed URL is the service's to explain; only a well-formed one is worth asking.
  if (repoUrl.success && repoUrl.data) await verifyProjectRepository(repoUrl.data, (changes.defaultBranch as string | undefined) ?? before.defaultBranch, true, (url, branch) => git.checkRemote(url, branch));
}

async function readHooks(changes: HookChanges, deps: CommandDeps): Promise<Partial<HookScripts>> {
  const out: Partial<HookScripts> = {};
  for (const name of HOOK_NAMES) {
    const source = changes[name];
    if (!source) continue;
    if (source.kind === 'clear') out[name] = '';
    else if (source.kind === 'inline') out[name] = source.script;
    else {
      if (!deps.readFile) throw new UserError(`Scripts cannot be read from files here: open the form with \`/deploy project hooks <name>\` and paste the script.`);
      try {
        out[name] = await deps.readFile(source.path);
      } catch {
        throw new UserError(`Cannot read ${source.path}: give the path of a readable script file.`);
      }
    }
  }
  if (Object.keys(out).length === 0) throw new UserError(`Say which hook to set, e.g. \`project hooks api before_deploy=@deploy/migrate.sh\` (hooks: ${HOOK_NAMES.join(', ')}).`);
  return out;
}

export async function handleProjectCommand(command: ProjectCommand, actor: Actor, services: CoreServices, deps: CommandDeps): Promise<CommandOutcome> {
  switch (command.kind) {
    case 'project-add': {
      const s = command.settings;
      const input: ProjectAddInput = { ...toServiceFields(s), name: command.name, repoUrl: s.repo, deployPath: s.path, servers: s.servers } as ProjectAddInput;
      if (!command.offline) await checkBeforeAdd(actor, input);
      const added = await services.projects.add(actor, input);
      const r = describeProject(added);
      return ok({ ...r, text: `Added project ${added.name}. Deploy it with /deploy ${added.name} <ref>.`, blocks: [{ type: 'text', text: `:white_check_mark: Added project *${added.name}*. Deploy it with \`/deploy ${added.name} <tag|branch|commit>\`.` }, ...r.blocks] });
    }
    case 'project-list': {
      const projects = await services.projects.list();
      if (projects.length === 0) return ok(withData(reply('No projects yet. Add one with `project add <name> repo=<url> path=<dir> servers=<a,b>`.'), { projects: [] }));
      return ok(
        withData(reply(
          `${projects.length} project${projects.length > 1 ? 's' : ''}: ${projects.map((p) => p.name).join(', ')}`,
          { type: 'heading', text: `Projects (${projects.length})` },
          { type: 'list', items: projects.map((p) => `*${p.name}* (${p.environment}) → ${p.servers.join(', ')} · \`${p.deployPath}\`${p.lock ? ' · :lock: locked' : ''}`) },
        ), { projects: projects.map((p) => projectData(p)) }),
      );
    }
    case 'project-show': {
      const live = await services.projects.liveReleases(command.name);
      const refs = await releaseRefs(services.em, live.map((l) => l.release));
      return ok(describeProject(await services.projects.show(command.name), live.map((l) => ({ ...l, ref: l.release ? (refs.get(l.release) ?? null) : null }))));
    }
    case 'project-edit': {
      const changes = toServiceFields(command.changes);
      if (!command.offline) await checkBeforeEdit(actor, command.name, changes, services, deps.git);
      const edited = await services.projects.edit(actor, command.name, changes);
      const r = describeProject(edited);
      return ok({ ...r, text: `Updated project ${edited.name}.`, blocks: [{ type: 'text', text: `:white_check_mark: Updated project *${edited.name}*.` }, ...r.blocks] });
    }
    case 'project-remove':
      await services.projects.remove(actor, command.name);
      return ok(withData(reply(`Removed project ${command.name}. Its releases stay on the servers.`, { type: 'text', text: `:wastebasket: Removed project *${command.name}*. Its release directories stay on the servers.` }), { removed: command.name }));
    case 'project-hooks': {
      const hooks = await readHooks(command.hooks, deps);
      const updated = await services.projects.setHooks(actor, command.name, hooks);
      const names = Object.keys(hooks).join(', ');
      return ok(withData(reply(`Updated the ${names} hook${Object.keys(hooks).length > 1 ? 's' : ''} of ${updated.name}.`, { type: 'text', text: `:white_check_mark: Updated the ${names} hook${Object.keys(hooks).length > 1 ? 's' : ''} of *${updated.name}*.` }), { project: projectData(updated), changed: Object.keys(hooks) }));
    }
    case 'lock': {
      const locked = await services.projects.lock(actor, command.project, command.reason);
      const { held, running } = await waitingTasks(services, locked.name);
      const after = [
        held.length ? ` ${taskList(held)} ${held.length > 1 ? 'wait' : 'waits'} until then.` : '',
        running ? ` Deploy #${running} is running and finishes.` : '',
      ].join('');
      const text = `Locked ${locked.name}${locked.lock?.reason ? ` (${locked.lock.reason})` : ''}: new deploy requests are refused and queued or scheduled deploys wait until \`/deploy unlock ${locked.name}\`.${after}`;
      return { kind: 'reply', reply: withData(reply(text, { type: 'text', text: `:lock: ${text}` }), { project: projectData(locked), held, running }), touched: held };
    }
    case 'unlock': {
      const unlocked = await services.projects.unlock(actor, command.project);
      const { held } = await waitingTasks(services, unlocked.name);
      await deps.coordinator.dispatch();
      const text = `Unlocked ${unlocked.name}.${held.length ? ` ${taskList(held)} ${held.length > 1 ? 'go' : 'goes'} on.` : ''}`;
      return { kind: 'reply', reply: withData(reply(text, { type: 'text', text: `:unlock: ${text}` }), { project: projectData(unlocked), released: held }), touched: held };
    }
  }
}

/** The tasks a lock holds (queued or scheduled) and the one it lets finish. */
async function waitingTasks(services: CoreServices, project: string): Promise<{ held: number[]; running: number | null }> {
  const open = await services.tasks.list({ project, statuses: ['approved', 'scheduled', 'running'], limit: 100 });
  return { held: open.filter((t) => t.status !== 'running').map((t) => t.id).sort((a, b) => a - b), running: open.find((t) => t.status === 'running')?.id ?? null };
}

const taskList = (ids: number[]): string => (ids.length === 1 ? `Deploy #${ids[0]}` : `Deploys ${ids.map((id) => `#${id}`).join(', ')}`);
