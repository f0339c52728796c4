import type { webApi } from '@slack/bolt';
import type { Logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import type { TaskMessages } from './task-status/task-messages.js';
import type { UserZones } from './user-zones.js';
import type { VersionCatalog } from './version-catalog.js';

/** What every Slack listener needs (explicit wiring: built once by startSlackApp). */
export interface SlackDeps {
  runtime: Runtime;
  taskMessages: TaskMessages;
  versions: VersionCatalog;
  /** People's time zones (users.info). */
  zones: UserZones;
  /** The bot's Web API client (checks a form needs before it closes, e.g. channel access). */
  client: webApi.WebClient;
  log: Logger;
}

/** Slack gives every request 3 seconds. Work that must answer inside it gets this much. */
export const ACK_BUDGET_MS = 2_000;
