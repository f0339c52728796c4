import { EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { Project } from './project.js';
import type { Server } from './server.js';

/** A release directory present on one server: `<deployPath>/releases/<releaseId>`. */
export class Release {
  /** Properties with defaults: optional when creating. */
  declare [OptionalProps]?: 'isCurrent' | 'createdAt';
  id!: number;
  project!: Project;
  server!: Server;
  releaseId!: string;
  commit!: string;
  path!: string;
  taskId?: number | null;
  /** True for the release `current` points at on that server (at most one per project+server). */
  isCurrent: boolean = false;
  createdAt: Date = new Date();
}

export const ReleaseSchema = new EntitySchema<Release>({
  class: Release,
  tableName: 'releases',
  uniques: [{ properties: ['project', 'server', 'releaseId'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    project: { kind: 'm:1', entity: 'Project', deleteRule: 'cascade' },
    server: { kind: 'm:1', entity: 'Server', deleteRule: 'cascade' },
    releaseId: { type: 'string', length: 64 },
    commit: { type: 'string', length: 40 },
    path: { type: 'text' },
    taskId: { type: 'integer', nullable: true },
    isCurrent: { type: 'boolean', default: false },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});
