import type { EntityManager } from '@mikro-orm/core';
import type { Actor } from '../actor.js';
import { DeployTask, Project } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';

/** Where a commit has already run successfully before a prod deploy of it (shown to approvers). */
export interface Promotion {
  project: string;
  taskId: number;
  at: string;
}

/**
 * The test-before-prod gate: a project with `promote_from=<test project>` deploys only commits
 * that succeeded there. An admin may override with a reason (audited by the caller). Returns
 * where the commit ran, or null for a project without the gate or an overridden request.
 */
export async function checkPromotion(
  em: EntityManager,
  project: Project,
  request: { ref: string; commit: string | null; override?: string | undefined },
  actor: Actor,
): Promise<Promotion | null> {
  if (!project.promoteFrom) return null;
  const source = await em.findOne(Project, { name: project.promoteFrom }, { fields: ['id', 'name'] });
  if (!source) {
    throw new UserError(`Project ${project.name} promotes from ${project.promoteFrom}, which does not exist any more: fix it with \`project edit ${project.name} promote_from=<project>\`.`);
  }
  if (!request.commit) {
    throw new UserError(`Deploys of ${project.name} must name a commit that succeeded on ${source.name} first, and ${request.ref} could not be resolved to one.`);
  }
  const ran = await em.findOne(DeployTask, { project: source, commit: request.commit, kind: 'deploy', status: 'success' }, { orderBy: { finishedAt: 'desc' }, fields: ['id', 'finishedAt'] });
  if (ran) return { project: source.name, taskId: ran.id, at: (ran.finishedAt ?? new Date()).toISOString() };
  const short = request.commit.slice(0, 7);
  if (request.override !== undefined) {
    if (!actor.isAdmin) throw new UserError(`Only admins can override the promotion gate of ${project.name}.`);
    if (request.override.trim() === '') throw new UserError('Say why you override the promotion gate: `override="why"`.');
    return null;
  }
  throw new UserError(
    `${request.ref} (${short}) has not succeeded on ${source.name} yet, and ${project.name} deploys only what has: deploy it there first (\`/deploy ${source.name} ${request.ref}\`), ` +
      `or an admin can override with a reason: \`/deploy ${project.name} ${request.ref} override="why"\`.`,
    { ref: `not yet deployed successfully to ${source.name}` },
  );
}
