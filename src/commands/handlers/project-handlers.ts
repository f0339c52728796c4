import type { Actor } from '../../core/actor.js';
import type { ProjectAddInput, ProjectEditInput } from '../../core/project-schemas.js';
import type { CoreServices } from '../../core/services.js';
import type { HookScripts, ProjectView } from '../../core/views.js';
import { UserError } from '../../errors.js';
import { HOOK_NAMES } from '../../pipeline/stages.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandOutcome } from '../command-outcome.js';
import type { ChannelRef, CommandOf, HookChanges, ProjectChanges } from '../command-types.js';
import { mention } from '../formatting.js';
import { reply, type Reply, type ReplyBlock } from '../reply.js';

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
  if (c.onFailure !== undefined) out.onFailure = c.onFailure;
  if (c.notifyApprovers !== undefined) out.notifyApprovers = c.notifyApprovers;
  if (c.notifyRequester !== undefined) out.notifyRequester = c.notifyRequester;
  return out;
}

export function describeProject(p: ProjectView, live: { server: string; release: string | null; commit: string | null }[] = []): Reply {
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
        ['Approvers', p.approvers.length ? p.approvers.map(mention).join(', ') : '—'],
        ['On failure', p.onFailure === 'rollback' ? 'switch every server back' : 'keep healthy servers on the new release'],
        ['Parallel servers', String(p.maxParallel)],
        ['Channel', p.notifyChannel ? `<#${p.notifyChannel}>` : '—'],
        ['Notices', `approvers: ${p.notifyApprovers}, requester: ${p.notifyRequester}`],
        ['Hooks', hooks || 'none'],
      ],
    },
  ];
  if (p.lock) blocks.push({ type: 'text', text: `:lock: Locked by ${mention(p.lock.by)}${p.lock.reason ? `: ${p.lock.reason}` : ''}` });
  if (live.length) blocks.push({ type: 'list', items: live.map((l) => `*${l.server}*: ${l.release ? `\`${l.release}\`` : 'nothing deployed yet'}`) });
  return { text: `Project ${p.name}: ${p.repoUrl} → ${p.servers.join(', ')} (${p.environment})`, blocks };
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
      const added = await services.projects.add(actor, input);
      const r = describeProject(added);
      return ok({ text: `Added project ${added.name}. Deploy it with /deploy ${added.name} <ref>.`, blocks: [{ type: 'text', text: `:white_check_mark: Added project *${added.name}*. Deploy it with \`/deploy ${added.name} <tag|branch|commit>\`.` }, ...r.blocks] });
    }
    case 'project-list': {
      const projects = await services.projects.list();
      if (projects.length === 0) return ok(reply('No projects yet. Add one with `project add <name> repo=<url> path=<dir> servers=<a,b>`.'));
      return ok(
        reply(
          `${projects.length} project${projects.length > 1 ? 's' : ''}: ${projects.map((p) => p.name).join(', ')}`,
          { type: 'heading', text: `Projects (${projects.length})` },
          { type: 'list', items: projects.map((p) => `*${p.name}* (${p.environment}) → ${p.servers.join(', ')} · \`${p.deployPath}\`${p.lock ? ' · :lock: locked' : ''}`) },
        ),
      );
    }
    case 'project-show':
      return ok(describeProject(await services.projects.show(command.name), await services.projects.liveReleases(command.name)));
    case 'project-edit': {
      const edited = await services.projects.edit(actor, command.name, toServiceFields(command.changes));
      const r = describeProject(edited);
      return ok({ text: `Updated project ${edited.name}.`, blocks: [{ type: 'text', text: `:white_check_mark: Updated project *${edited.name}*.` }, ...r.blocks] });
    }
    case 'project-remove':
      await services.projects.remove(actor, command.name);
      return ok(reply(`Removed project ${command.name}. Its releases stay on the servers.`, { type: 'text', text: `:wastebasket: Removed project *${command.name}*. Its release directories stay on the servers.` }));
    case 'project-hooks': {
      const hooks = await readHooks(command.hooks, deps);
      const updated = await services.projects.setHooks(actor, command.name, hooks);
      const names = Object.keys(hooks).join(', ');
      return ok(reply(`Updated the ${names} hook${Object.keys(hooks).length > 1 ? 's' : ''} of ${updated.name}.`, { type: 'text', text: `:white_check_mark: Updated the ${names} hook of *${updated.name}*.` }));
    }
    case 'lock': {
      const locked = await services.projects.lock(actor, command.project, command.reason);
      return ok(reply(`Locked ${locked.name}: deploy requests are refused until it is unlocked.`, { type: 'text', text: `:lock: Locked *${locked.name}*${locked.lock?.reason ? ` (${locked.lock.reason})` : ''}: deploy requests are refused until \`/deploy unlock ${locked.name}\`.` }));
    }
    case 'unlock': {
      const unlocked = await services.projects.unlock(actor, command.project);
      return ok(reply(`Unlocked ${unlocked.name}.`, { type: 'text', text: `:unlock: Unlocked *${unlocked.name}*.` }));
    }
  }
}
