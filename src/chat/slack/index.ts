import type { AddressInfo } from 'node:net';
import { App, type webApi } from '@slack/bolt';
import { ConfigError } from '../../config.js';
import type { Runtime } from '../../runtime.js';
import { boltLogger } from './bolt-logger.js';
import { healthRoute, metricsRoute } from './health.js';
import { registerListeners } from './listeners/index.js';
import type { SlackDeps } from './slack-deps.js';
import { createTaskMessages } from './task-status/index.js';
import type { TaskMessages } from './task-status/task-messages.js';
import { UserZones } from './user-zones.js';
import { VersionCatalog } from './version-catalog.js';

export type { SlackDeps } from './slack-deps.js';

export interface SlackAppOptions {
  /** HTTP port: Slack's endpoint in HTTP mode, only /healthz in Socket Mode. Default: config PORT; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Extra Web API client options (tests: a fast retry policy). The base URL is config SLACK_API_URL. */
  clientOptions?: webApi.WebClientOptions;
  /** Builds the task status messages (default: the Slack thread presenter). */
  taskMessages?: (client: webApi.WebClient) => TaskMessages;
}

export interface RunningSlackApp {
  /** Stops taking requests, lets running tasks finish so their messages show the end, then flushes them. */
  stop(): Promise<void>;
  /** The port Slack (HTTP mode) or /healthz (Socket Mode) listens on. */
  port: number | null;
  /** For tests and the App Home to come. */
  app: App;
  deps: SlackDeps;
}

/**
 * Starts the Slack adapter from `runtime.app.config`:
 * - HTTP mode (SLACK_SIGNING_SECRET): one endpoint, POST /slack/events, takes slash commands,
 *   interactions and options loads (Bolt checks every signature and timestamp: 401 otherwise);
 *   GET /healthz answers on the same port.
 * - Socket Mode (SLACK_APP_TOKEN): the same listeners over a WebSocket; /healthz on `port`.
 */
export async function startSlackApp(runtime: Runtime, options: SlackAppOptions = {}): Promise<RunningSlackApp> {
  const { config, log } = runtime.app;
  const { botToken, signingSecret, appToken, apiUrl } = config.slack;
  if (!botToken) throw new ConfigError('The Slack adapter needs SLACK_BOT_TOKEN (Slack app → OAuth & Permissions → Bot User OAuth Token).');
  const socket = Boolean(appToken);
  if (!socket && !signingSecret) throw new ConfigError('The Slack adapter needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode).');

  const slackLog = log.child({ component: 'slack' });
  const port = options.port ?? config.port;
  const common = {
    token: botToken,
    logger: boltLogger(slackLog, config.logLevel),
    clientOptions: { slackApiUrl: apiUrl, ...options.clientOptions, fetch: runtime.metrics.countingFetch(options.clientOptions?.fetch) },
  };
  const app = socket
    ? // The Socket Mode client opens its connection with apps.connections.open: through SLACK_API_URL too.
      new App({ ...common, appToken, socketMode: true, port, installerOptions: { clientOptions: { slackApiUrl: apiUrl } }, customRoutes: [healthRoute(runtime, 'socket'), metricsRoute(runtime)] })
    : new App({ ...common, signingSecret: signingSecret!, customRoutes: [healthRoute(runtime, 'http'), metricsRoute(runtime)] });

  const taskMessages = options.taskMessages ? options.taskMessages(app.client) : createTaskMessages({ runtime, client: app.client, log: slackLog });
  const deps: SlackDeps = { runtime, taskMessages, versions: new VersionCatalog(runtime.git, slackLog), zones: new UserZones(app.client, config.timezone, slackLog), client: app.client, log: slackLog };
  registerListeners(app, deps);
  app.error(async (error) => {
    slackLog.error('slack request failed', { err: error });
  });
  taskMessages.start();

  let listening: number | null;
  if (socket) {
    await app.start();
    listening = port;
  } else {
    const server = await app.start({ port, ...(options.host ? { host: options.host } : {}) });
    listening = (server.address() as AddressInfo | null)?.port ?? null;
  }
  slackLog.info('slack adapter started', { mode: socket ? 'socket' : 'http', port: listening });

  let stopping: Promise<void> | undefined;
  return {
    app,
    deps,
    port: listening,
    stop: () =>
      (stopping ??= (async () => {
        await app.stop();
        await runtime.coordinator.stop();
        await deps.versions.idle();
        await taskMessages.stop();
      })()),
  };
}
