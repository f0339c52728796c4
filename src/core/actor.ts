import { UserError } from '../errors.js';

/**
 * Who is acting: a Slack user ID, or a local user name in the shell. Roles are decided by the
 * composition root (DEPLOYBOT_ADMINS) and travel with the actor, so services never read config.
 */
export interface Actor {
  id: string;
  isAdmin: boolean;
}

export function requireAdmin(actor: Actor, action: string): void {
  if (!actor.isAdmin) {
    throw new UserError(`Only deploybot admins can ${action}. Ask an admin (listed in DEPLOYBOT_ADMINS) to do it or to add you.`);
  }
}

/** Builds actors with the configured admin list. */
export function actorFactory(admins: readonly string[]): (id: string) => Actor {
  const set = new Set(admins);
  return (id) => ({ id, isAdmin: set.has(id) });
}

/** The system itself (scheduler, reaper, crash recovery) acting on its own. */
export const SYSTEM_ACTOR: Actor = { id: 'deploybot', isAdmin: true };
