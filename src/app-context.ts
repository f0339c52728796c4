import type { Config } from './config.js';
import { actorFactory, type Actor } from './core/actor.js';
import { servicesFor, type CoreServices } from './core/services.js';
import { openDatabase, type Orm } from './db/orm.js';
import { createLogger, type Logger } from './log.js';
import { Redactor } from './redact.js';
import { SecretBox } from './secrets/secret-box.js';

/**
 * Everything the adapters share, built once at boot (explicit wiring, no container).
 * `withServices` gives each request or job its own EntityManager fork.
 */
export interface AppContext {
  config: Config;
  orm: Orm;
  log: Logger;
  secrets: SecretBox;
  redactor: Redactor;
  actor(userId: string): Actor;
  withServices<T>(fn: (services: CoreServices) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createAppContext(config: Config, options: { log?: Logger } = {}): Promise<AppContext> {
  const secrets = config.secretKey ? SecretBox.fromConfigValue(config.secretKey) : SecretBox.fromDataDir(config.dataDir);
  // The bot's own secrets never appear in a log line, a hook's output or a Slack message.
  const redactor = new Redactor([config.slack.botToken, config.slack.signingSecret, config.slack.appToken, config.secretKey, config.database.kind === 'postgresql' ? config.database.url : undefined]);
  const log = options.log ?? createLogger({ level: config.logLevel, redactor });
  const orm = await openDatabase(config.database);
  const serviceDeps = { secrets, defaultKeyPath: config.sshKeyPath, timeZone: config.timezone };
  // In the shell, with no admins configured, the person at the keyboard owns the bot.
  const admins = config.mode === 'shell' && config.admins.length === 0 ? [config.shellUser] : config.admins;

  return {
    config,
    orm,
    log,
    secrets,
    redactor,
    actor: actorFactory(admins),
    withServices: (fn) => fn(servicesFor(orm.em.fork(), serviceDeps)),
    close: () => orm.close(),
  };
}
