import { readFile } from 'node:fs/promises';
import type { AppContext } from './app-context.js';
import { CommandExecutor } from './commands/command-executor.js';
import type { CommandDeps } from './commands/command-deps.js';
import { DeployCoordinator, type DispatchLane } from './core/tasks/deploy-coordinator.js';
import { strategyDistributor } from './pipeline/distribution/distributor.js';
import { PipelineEvents } from './pipeline/events.js';
import { GitMirrors } from './pipeline/git/git.js';
import { DEFAULT_HOOK_TIMEOUT_MS } from './pipeline/hooks/hooks.js';
import { HookSandbox } from './pipeline/hooks/sandbox/hook-sandbox.js';
import { probeServer } from './pipeline/ssh/server-probe.js';
import { TaskRunner } from './pipeline/flows/task-runner.js';
import { Scheduler } from './scheduler/scheduler.js';
import { newOwnerId, type OwnerKind } from './store/owner.js';
import { TaskStore } from './store/task-store.js';
import { listenForTaskChanges, type TaskChangeFeed } from './store/task-notifications.js';
import { createBotMetrics, type BotMetrics } from './metrics/bot-metrics.js';
import type { RunRecordsFactory } from './pipeline/flows/task-runner.js';

/** The engine and the command layer, shared by every adapter (Slack, shell, one-shot CLI). */
export interface Runtime {
  app: AppContext;
  events: PipelineEvents;
  git: GitMirrors;
  /** Where local hooks run; `status()` says whether they are isolated, refused or unsafe. */
  hookSandbox: HookSandbox;
  runner: TaskRunner;
  coordinator: DeployCoordinator;
  executor: CommandExecutor;
  chat: CommandDeps;
  scheduler: Scheduler;
  store: TaskStore;
  /** Prometheus metrics of this replica (`/metrics`). */
  metrics: BotMetrics;
  /**
   * Starts the clockwork, after the adapters are listening (so they see what it reports): recovers
   * tasks whose owner stopped renewing its lease (a crash, a kill), starts queued tasks, and starts
   * the ticker and the scheduler. Returns the ids of the tasks it recovered.
   */
  begin(): Promise<number[]>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  /** Let `@path` hook scripts be read from disk (the shell; never Slack). */
  allowFileReads?: boolean;
  hookTimeoutMs?: number;
  /** Who this process is as a task owner (bot, shell, one-shot command). */
  ownerKind?: OwnerKind;
  /** A one-shot command runs only the tasks it adopts. */
  lane?: DispatchLane;
  /** How often to look for ready tasks and expired leases. */
  pollMs?: number;
  /** How often a deploy waiting for its Promote looks in the database (default 1 s). */
  promotionPollMs?: number;
  /** Tests: wraps the runner's fenced writes to inject store faults. */
  records?: RunRecordsFactory;
  /** Tests: a sandbox made another way (e.g. without bubblewrap). */
  hookSandbox?: HookSandbox;
}

export function createRuntime(app: AppContext, options: RuntimeOptions = {}): Runtime {
  const events = new PipelineEvents((err, event) => app.log.error('event listener failed', { event: event.type, taskId: event.taskId, err: err instanceof Error ? err : String(err) }));
  // Repository credentials are decrypted only here, for git, and join the redactor when used.
  const git = new GitMirrors(app.config.dataDir, { redactor: app.redactor, credentials: (url) => app.withServices((s) => s.projects.gitUrlFor(url)) });
  const hookSandbox = options.hookSandbox ?? new HookSandbox({ dataDir: app.config.dataDir, hookUser: app.config.hookUser, allowUnsafe: app.config.unsafeLocalHooks });
  const store = new TaskStore(app.orm, newOwnerId(options.ownerKind ?? (app.config.mode === 'shell' ? 'shell' : 'bot')), { leaseMs: app.config.leaseMs });
  const runner = new TaskRunner({
    store,
    ...(options.records ? { records: options.records } : {}),
    orm: app.orm,
    dataDir: app.config.dataDir,
    git,
    events,
    log: app.log,
    redactor: app.redactor,
    distributor: strategyDistributor,
    ssh: { connectTimeoutMs: 20_000, keepaliveIntervalMs: 10_000 },
    hookTimeoutMs: options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
    hookSandbox,
  });
  const coordinator = new DeployCoordinator({ orm: app.orm, runner, events, log: app.log, redactor: app.redactor, secrets: app.secrets, defaultKeyPath: app.config.sshKeyPath, lane: options.lane ?? 'all', pollMs: options.pollMs, ...(options.promotionPollMs ? { promotionPollMs: options.promotionPollMs } : {}) });
  const chat: CommandDeps = {
    app,
    coordinator,
    events,
    git,
    hookSandbox,
    probe: (target, options) => probeServer(target, { redactor: app.redactor, ...options }),
    ...(options.allowFileReads ? { readFile: (path: string) => readFile(path, 'utf8') } : {}),
  };
  const metrics = createBotMetrics({ orm: app.orm, events, owner: store.owner });
  let feed: TaskChangeFeed | undefined;
  // A burst of notifications (a deploy's status changes, several tasks at once) makes one dispatch pass.
  let nudging = false;
  const nudge = () => {
    if (nudging) return;
    nudging = true;
    setTimeout(() => {
      nudging = false;
      void coordinator.dispatch();
    }, 25).unref();
  };
  const scheduler = new Scheduler({ orm: app.orm, coordinator, log: app.log, stallMinutes: app.config.stallTimeoutMinutes, timezone: app.config.timezone });
  return {
    app,
    events,
    git,
    hookSandbox,
    runner,
    coordinator,
    executor: new CommandExecutor(chat),
    chat,
    scheduler,
    store,
    metrics,
    async begin() {
      const interrupted = await coordinator.recoverExpired();
      await coordinator.dispatch();
      coordinator.startTicker();
      // PostgreSQL: hear of tasks other processes create or finish at once (the ticker stays the net).
      if (app.config.database.kind === 'postgresql' && !feed) {
        feed = listenForTaskChanges(
          app.orm,
          (taskId) => {
            // A deploy running here that waits for its Promote hears it at once.
            coordinator.taskChanged(taskId);
            nudge();
          },
          app.log,
        );
      }
      if (coordinator.lane === 'all') scheduler.start();
      return interrupted;
    },
    async stop() {
      await feed?.close();
      feed = undefined;
      await scheduler.stop();
      await coordinator.stop();
      metrics.stop();
    },
  };
}
