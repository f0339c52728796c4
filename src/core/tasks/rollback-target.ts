import type { EntityManager } from '@mikro-orm/core';
import { DeployTask, Release, type Project } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';
import { liveStacks } from '../../store/release-history-store.js';

export interface PinnedRollback {
  /** The release every server goes to. */
  target: string;
  /** What every server served when the rollback was requested (null: they differed, and a target was named). */
  from: string | null;
}

/**
 * Pins a rollback's target when it is requested, from each server's history of live releases:
 * what was live before the current release, the same for the whole fleet, or a refusal that names
 * the servers that disagree. `undoes` (the Roll back button of a deploy) also requires that
 * deploy's release to be what every server serves now, so a second click cannot walk back further.
 */
export async function pinRollback(em: EntityManager, project: Project, options: { target?: string; undoes?: DeployTask }): Promise<PinnedRollback> {
  const servers = project.servers.getItems();
  if (servers.length === 0) throw new UserError(`Project ${project.name} has no servers.`);
  const stacks = await liveStacks(em, project.id, servers.map((s) => s.id));
  const nameOf = (serverId: number) => servers.find((s) => s.id === serverId)?.name ?? `#${serverId}`;
  if (stacks.every((s) => s.releases.length === 0)) throw new UserError(`No release of ${project.name} is recorded as live yet: deploy it first.`);
  const currents = stacks.map((s) => s.releases[s.releases.length - 1] ?? null);
  const sameCurrent = currents.every((c) => c === currents[0]) ? currents[0]! : null;

  if (options.undoes) {
    const release = options.undoes.releaseId;
    const elsewhere = stacks.filter((s, i) => currents[i] !== release);
    if (!release || elsewhere.length) {
      const by = await em.findOne(DeployTask, { rollbackOf: options.undoes.id, status: { $in: ['approved', 'running', 'success'] } }, { fields: ['id', 'status'] });
      if (by) throw new UserError(`Deploy #${options.undoes.id} was already rolled back by rollback #${by.id}${by.status === 'success' ? '' : ` (${by.status})`}.`);
      const where = elsewhere.map((s) => `${nameOf(s.serverId)} (${s.releases[s.releases.length - 1] ?? 'nothing'})`).join(', ');
      throw new UserError(
        `#${options.undoes.id}${release ? ` (release \`${release}\`)` : ''} is no longer what runs on ${where || 'its servers'}. ` +
          `To switch back, use \`/deploy rollback ${project.name}\` (previous release) or \`/deploy rollback ${project.name} <release>\`.`,
      );
    }
  }

  if (options.target) {
    const missing: string[] = [];
    for (const server of servers) {
      const has = await em.count(Release, { project, server, releaseId: options.target });
      if (!has) missing.push(server.name);
    }
    if (missing.length) throw new UserError(`Release \`${options.target}\` is not on ${missing.join(', ')}: see \`project show ${project.name}\` for what each server has.`);
    if (sameCurrent === options.target) throw new UserError(`Every server of ${project.name} already serves \`${options.target}\`.`);
    return { target: options.target, from: sameCurrent };
  }

  if (!sameCurrent) {
    const groups = new Map<string, string[]>();
    stacks.forEach((s, i) => groups.set(currents[i] ?? 'nothing recorded', [...(groups.get(currents[i] ?? 'nothing recorded') ?? []), nameOf(s.serverId)]));
    throw new UserError(
      `The servers of ${project.name} do not serve one release (${[...groups].map(([r, names]) => `${names.join(', ')}: \`${r}\``).join('; ')}), so "the previous release" means different things. ` +
        `Name the release to go to: \`/deploy rollback ${project.name} <release>\`.`,
    );
  }
  const previous = stacks.map((s) => s.releases[s.releases.length - 2] ?? null);
  const disagree = stacks.filter((_, i) => previous[i] !== previous[0]);
  if (!previous[0] || disagree.length) {
    const none = stacks.filter((_, i) => !previous[i]).map((s) => nameOf(s.serverId));
    if (none.length === stacks.length) throw new UserError(`No release was live on ${project.name} before \`${sameCurrent}\`: there is nothing to roll back to.`);
    throw new UserError(
      `The servers of ${project.name} had different releases before \`${sameCurrent}\` (${stacks.map((s, i) => `${nameOf(s.serverId)}: \`${previous[i] ?? 'none'}\``).join(', ')}). ` +
        `Name the release to go to: \`/deploy rollback ${project.name} <release>\`.`,
    );
  }
  return { target: previous[0], from: sameCurrent };
}
