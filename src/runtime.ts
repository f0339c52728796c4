import { readFile } from 'node:fs/promises';
import type { AppContext } from './app-context.js';
import { CommandExecutor } from './commands/command-executor.js';
import type { CommandDeps } from './commands/command-deps.js';
import { DeployCoordinator, type DispatchLane } from './core/deploy-coordinator.js';
import { strategyDistributor } from './pipeline/distribution/distributor.js';
import { PipelineEvents } from './pipeline/events.js';
import { GitMirrors } from './pipeline/git/git.js';
import { DEFAULT_HOOK_TIMEOUT_MS } from './pipeline/hooks/hooks.js';
import { probeServer } from './pipeline/ssh/server-probe.js';
import { TaskRunner } from './pipeline/flows/task-runner.js';
import { Scheduler } from './scheduler/scheduler.js';
import { newOwnerId, type OwnerKind } from './store/owner.js';
import { TaskStore } from './store/task-store.js';
import type { RunRecordsFactory } from './pipeline/flows/task-runner.js';

/** The engine and the command layer, shared by every adapter (Slack, shell, one-shot CLI). */
export interface Runtime {
  app: AppContext;
  events: PipelineEvents;
  git: GitMirrors;
  runner: TaskRunner;
  coordinator: DeployCoordinator;
  executor: CommandExecutor;
  chat: CommandDeps;
  scheduler: Scheduler;
  store: TaskStore;
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
  /** Tests: wraps the runner's fenced writes to inject store faults. */
  records?: RunRecordsFactory;
}

export function createRuntime(app: AppContext, options: RuntimeOptions = {}): Runtime {
  const events = new PipelineEvents((err, event) => app.log.error('event listener failed', { event: event.type, taskId: event.taskId, err: err instanceof Error ? err : String(err) }));
  const git = new GitMirrors(app.config.dataDir, { redactor: app.redactor });
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
  });
  const coordinator = new DeployCoordinator({ orm: app.orm, runner, events, log: app.log, redactor: app.redactor, secrets: app.secrets, defaultKeyPath: app.config.sshKeyPath, lane: options.lane ?? 'all', pollMs: options.pollMs });
  const chat: CommandDeps = {
    app,
    coordinator,
    events,
    git,
    probe: (target, options) => probeServer(target, { redactor: app.redactor, ...options }),
    ...(options.allowFileReads ? { readFile: (path: string) => readFile(path, 'utf8') } : {}),
  };
  const scheduler = new Scheduler({ orm: app.orm, coordinator, log: app.log, stallMinutes: app.config.stallTimeoutMinutes, timezone: app.config.timezone });
  return {
    app,
    events,
    git,
    runner,
    coordinator,
    executor: new CommandExecutor(chat),
    chat,
    scheduler,
    store,
    async begin() {
      const interrupted = await coordinator.recoverExpired();
      await coordinator.dispatch();
      coordinator.startTicker();
      if (coordinator.lane === 'all') scheduler.start();
      return interrupted;
    },
    async stop() {
      await scheduler.stop();
      await coordinator.stop();
    },
  };
}
