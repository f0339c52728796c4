import { AuditEventSchema } from './audit-event.js';
import { DeployTaskSchema } from './deploy-task.js';
import { FreezeWindowSchema } from './freeze-window.js';
import { ProjectSchema } from './project.js';
import { ReleaseHistorySchema } from './release-history.js';
import { ReleaseSchema } from './release.js';
import { ServerSchema } from './server.js';
import { TaskHostSchema } from './task-host.js';

export { AuditEvent } from './audit-event.js';
export { DeployTask, TASK_STATUSES, type TaskKind, type TaskStatus } from './deploy-task.js';
export { FreezeWindow } from './freeze-window.js';
export { Project, type Environment, type FailurePolicy } from './project.js';
export { Release } from './release.js';
export { ReleaseHistory } from './release-history.js';
export { Server, type ServerAuthKind } from './server.js';
export { TaskHost, type StageTiming } from './task-host.js';

export const ENTITY_SCHEMAS = [ServerSchema, ProjectSchema, DeployTaskSchema, TaskHostSchema, ReleaseSchema, ReleaseHistorySchema, FreezeWindowSchema, AuditEventSchema];
