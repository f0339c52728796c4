import { EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { HostStage, StageState } from '../../pipeline/stages.js';
import type { DeployTask } from './deploy-task.js';
import type { Server } from './server.js';

export interface StageTiming {
  state: StageState;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
}

/** Where one server stands within one task: enough for a restarted bot to know the truth. */
export class TaskHost {
  /** Properties with defaults: optional when creating. */
  declare [OptionalProps]?: 'status' | 'stages' | 'output';
  id!: number;
  task!: DeployTask;
  /** Null once the server is deleted; serverName keeps the history readable. */
  server?: Server | null;
  serverName!: string;
  stage?: HostStage | null;
  status: StageState = 'waiting';
  stages: Partial<Record<HostStage, StageTiming>> = {};
  startedAt?: Date | null;
  finishedAt?: Date | null;
  exitCode?: number | null;
  /** Last lines of output, capped and redacted. */
  output: string = '';
  error?: string | null;
  /** Release `current` pointed at before this task switched it: where a rollback returns to. */
  previousRelease?: string | null;
}

export const TaskHostSchema = new EntitySchema<TaskHost>({
  class: TaskHost,
  tableName: 'task_hosts',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    task: { kind: 'm:1', entity: 'DeployTask', deleteRule: 'cascade' },
    server: { kind: 'm:1', entity: 'Server', nullable: true, deleteRule: 'set null' },
    serverName: { type: 'string', length: 63 },
    stage: { type: 'string', length: 24, nullable: true },
    status: { type: 'string', length: 16, default: 'waiting' },
    stages: { type: 'json' },
    startedAt: { type: 'datetime', nullable: true },
    finishedAt: { type: 'datetime', nullable: true },
    exitCode: { type: 'integer', nullable: true },
    output: { type: 'text', default: '' },
    error: { type: 'text', nullable: true },
    previousRelease: { type: 'string', length: 64, nullable: true },
  },
});
