import type { EntityManager } from '@mikro-orm/core';
import { FreezeService } from './gates/freeze-service.js';
import { ProjectService } from './projects/project-service.js';
import { ServerService, type ServerServiceDeps } from './servers/server-service.js';
import { TaskService } from './tasks/task-service.js';

export interface CoreServices {
  /** The request's own EntityManager fork, for read-only helpers (e.g. summariseChanges). */
  em: EntityManager;
  servers: ServerService;
  projects: ProjectService;
  tasks: TaskService;
  freezes: FreezeService;
}

export interface ServiceDeps extends ServerServiceDeps {
  /** The zone a freeze window without `tz=` is read in (DEPLOYBOT_TIMEZONE). */
  timeZone?: string;
}

/**
 * Builds the services over one EntityManager fork. Adapters call this once per request or job
 * (convention 2), so no two requests ever share an identity map.
 */
export function servicesFor(em: EntityManager, deps: ServiceDeps): CoreServices {
  return {
    em,
    servers: new ServerService(em, deps),
    projects: new ProjectService(em, deps.secrets),
    tasks: new TaskService(em),
    freezes: new FreezeService(em, deps.timeZone),
  };
}
