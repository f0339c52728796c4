import { posix } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import { Project, type Server } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';

/** How two deploy paths relate: one directory, one inside the other, or apart. */
export function pathRelation(a: string, b: string): 'same' | 'inside' | 'above' | null {
  const x = normalise(a);
  const y = normalise(b);
  if (x === y) return 'same';
  if (x.startsWith(y === '/' ? '/' : `${y}/`)) return 'inside';
  if (y.startsWith(x === '/' ? '/' : `${x}/`)) return 'above';
  return null;
}

function normalise(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** Two server entries are the same machine when they are one row or name the same host and port. */
function sameMachine(a: Server, b: Server): boolean {
  return a.id === b.id || (a.hostname.toLowerCase() === b.hostname.toLowerCase() && a.port === b.port);
}

/**
 * Refuses a project whose deploy path on one of its servers is the same as, inside or above the
 * deploy path of another project on that server: the two would switch, clean up and roll back each
 * other's releases (each sees the other's `releases/` and `current`).
 */
export async function assertNoSharedPath(em: EntityManager, what: string, self: { id: number | null; deployPath: string; servers: readonly Server[] }): Promise<void> {
  const others = await em.find(Project, self.id === null ? {} : { id: { $ne: self.id } }, { populate: ['servers'], orderBy: { name: 'asc' } });
  for (const other of others) {
    const relation = pathRelation(self.deployPath, other.deployPath);
    if (!relation) continue;
    for (const server of self.servers) {
      const shared = other.servers.getItems().find((s) => sameMachine(s, server));
      if (!shared) continue;
      const how = relation === 'same' ? 'is also the deploy path' : relation === 'inside' ? `is inside ${other.deployPath}, the deploy path` : `contains ${other.deployPath}, the deploy path`;
      throw new UserError(
        `Cannot ${what}: its deploy path ${self.deployPath} on ${server.name} ${how} of project ${other.name}${shared.name !== server.name ? ` (on ${shared.name}, the same machine)` : ''}. ` +
          `Two projects on one path would switch, clean up and roll back each other's releases: give this project its own directory (e.g. ${posix.join(posix.dirname(normalise(self.deployPath)), `${posix.basename(normalise(self.deployPath)) || 'app'}-${what.split(' ').pop()}`)}) or other servers.`,
        { deployPath: `shared with project ${other.name} on ${server.name}` },
      );
    }
  }
}
