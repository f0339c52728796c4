import { EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { Project } from './project.js';
import type { Server } from './server.js';

/**
 * One entry of a server's stack of live releases for a project: a deploy's switch pushes, a
 * rollback pops back to its target, a switch-back undoes exactly what its task did. The top live
 * entry is what `current` serves; the one below it is where a rollback goes. This, not the order
 * of release directories, is the source of truth for "the release that was live before".
 */
export class ReleaseHistory {
  declare [OptionalProps]?: 'poppedByTask' | 'poppedAt' | 'pushedAt';
  id!: number;
  project!: Project;
  server!: Server;
  /** Position in the stack (grows by one per push, per project and server). */
  seq!: number;
  releaseId!: string;
  /** The task whose switch pushed this entry (null: recorded by recovery from what the server said). */
  taskId?: number | null;
  pushedAt: Date = new Date();
  /** The task that took this release off the top (rollback, or a switch-back of its own push). */
  poppedByTask?: number | null;
  poppedAt?: Date | null;
}

export const ReleaseHistorySchema = new EntitySchema<ReleaseHistory>({
  class: ReleaseHistory,
  tableName: 'release_history',
  uniques: [{ properties: ['project', 'server', 'seq'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    project: { kind: 'm:1', entity: 'Project', deleteRule: 'cascade' },
    server: { kind: 'm:1', entity: 'Server', deleteRule: 'cascade' },
    seq: { type: 'integer' },
    releaseId: { type: 'string', length: 64 },
    taskId: { type: 'integer', nullable: true },
    pushedAt: { type: 'datetime', onCreate: () => new Date() },
    poppedByTask: { type: 'integer', nullable: true },
    poppedAt: { type: 'datetime', nullable: true },
  },
});
