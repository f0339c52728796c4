import { createAppContext, type AppContext } from './app-context.js';
import { startShell } from './chat/shell/index.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './log.js';
import { createRuntime, type Runtime } from './runtime.js';

/** Something started at boot that must be stopped on shutdown (an adapter, the scheduler). */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface RunningBot {
  context: AppContext;
  runtime: Runtime;
  /** Adds a part started after boot (an adapter), stopped in reverse order on shutdown. */
  add(part: Stoppable): void;
  stop(): Promise<void>;
}

export const NO_SLACK_NO_TERMINAL = [
  'deploybot: no Slack tokens are set (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN), so it opened the local shell, but its input ended before any command.',
  '  To run the Slack bot: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode).',
  '  To use the shell: run it on a terminal (`npm start`, or `docker run -it …`), or pipe commands into it (`printf "server list\\n" | npx deploybot`).',
].join('\n');

/** Composition root: config → database → services → adapters. */
export async function startBot(config: Config): Promise<RunningBot> {
  const context = await createAppContext(config);
  const runtime = createRuntime(context, { allowFileReads: config.mode === 'shell' });
  const parts: Stoppable[] = [runtime];
  context.log.info('deploybot started', { mode: config.mode, database: config.database.kind, dataDir: config.dataDir });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const part of parts.reverse()) await part.stop().catch((err) => context.log.error('shutdown step failed', { err }));
      await context.close();
      context.log.info('deploybot stopped');
    })());
  return { context, runtime, add: (part) => parts.push(part), stop };
}

export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // Info lines on stderr would break into an interactive prompt: the shell is quiet unless asked.
  if (config.mode === 'shell' && process.stdin.isTTY && !process.env.DEPLOYBOT_LOG_LEVEL) config = { ...config, logLevel: 'warn' };
  const bot = await startBot(config);
  const shutdown = (signal: string, code = 0) => {
    bot.context.log.info('shutting down', { signal });
    bot.stop().then(
      () => process.exit(code),
      (err) => {
        createLogger().error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  // Before anything slow: a SIGTERM during start-up must still stop the bot cleanly.
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Shell mode (no Slack tokens): the console adapter on this terminal; leaving it stops the bot.
  const shell = config.mode === 'shell' ? await startShell(bot.runtime, { input: process.stdin, output: process.stdout, error: process.stderr }) : undefined;
  if (shell) {
    bot.add(shell);
    void shell.closed.then(() => {
      // A closed stdin that never carried a command is not a session that ended: it is a bot
      // started without Slack tokens where nobody can type (`docker run -d`). Say so and fail.
      if (!process.stdin.isTTY && shell.linesRead() === 0) {
        process.stderr.write(`${NO_SLACK_NO_TERMINAL}\n`);
        return shutdown('no Slack tokens and no terminal', 78);
      }
      shutdown('shell closed');
    });
  } else {
    // Slack (HTTP or Socket Mode); loaded only here, so the shell never pays for Bolt.
    const { startSlackApp } = await import('./chat/slack/index.js');
    const slack = await startSlackApp(bot.runtime);
    bot.add(slack);
    bot.context.log.info('slack adapter listening', { mode: config.mode, port: slack.port ?? undefined });
  }
  await bot.runtime.begin();
}
