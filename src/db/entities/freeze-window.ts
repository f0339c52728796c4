import { EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { Project } from './project.js';

/**
 * A time when deploys wait: of one project, or of all (project null). One-off (startsAt → endsAt)
 * or recurring (a cron expression in a named time zone, lasting durationSeconds from each start).
 */
export class FreezeWindow {
  declare [OptionalProps]?: 'createdAt';
  id!: number;
  project?: Project | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  cron?: string | null;
  durationSeconds?: number | null;
  timeZone!: string;
  reason!: string;
  createdBy!: string;
  createdAt: Date = new Date();
}

export const FreezeWindowSchema = new EntitySchema<FreezeWindow>({
  class: FreezeWindow,
  tableName: 'freeze_windows',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    project: { kind: 'm:1', entity: 'Project', nullable: true, deleteRule: 'cascade' },
    startsAt: { type: 'datetime', nullable: true },
    endsAt: { type: 'datetime', nullable: true },
    cron: { type: 'string', length: 100, nullable: true },
    durationSeconds: { type: 'integer', nullable: true },
    timeZone: { type: 'string', length: 64 },
    reason: { type: 'text' },
    createdBy: { type: 'string', length: 64 },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});
