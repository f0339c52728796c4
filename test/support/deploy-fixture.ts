import { newOwnerId } from '../../src/store/owner.js';
import { TaskStore } from '../../src/store/task-store.js';
import type { RunRecordsFactory } from '../../src/pipeline/flows/task-runner.js';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HookSandbox } from '../../src/pipeline/hooks/sandbox/hook-sandbox.js';
import type { Actor } from '../../src/core/actor.js';
import { DeployCoordinator } from '../../src/core/tasks/deploy-coordinator.js';
import type { TaskView } from '../../src/core/views.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { strategyDistributor } from '../../src/pipeline/distribution/distributor.js';
import { PipelineEvents, type PipelineEvent } from '../../src/pipeline/events.js';
import { GitMirrors } from '../../src/pipeline/git/git.js';
import { TaskRunner, type TaskOutcome } from '../../src/pipeline/flows/task-runner.js';
import { Redactor } from '../../src/redact.js';
import { admin, createTestDatabase, type TestDatabase } from './db/database.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { makeScratchDir, removeScratchDir } from './scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from './ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from './sshd.js';

export const DEPLOY_ROOT = '/srv/deploybot-test/app';
/** A secret the bot knows (as it knows its Slack token): must never appear in hook output. */
export const BOT_SECRET = 'xoxb-123456789012-fixture-secret-token';

export interface DeployFixture {
  db: TestDatabase;
  repo: TestRepo;
  servers: TestSshd[];
  key: TestKeyPair;
  events: PipelineEvents;
  recorded: PipelineEvent[];
  runner: TaskRunner;
  coordinator: DeployCoordinator;
  dataDir: string;
  /** Requests a deploy as `actor`, starts it, and waits for it to finish. */
  deploy(ref: string, options?: { actor?: Actor; project?: string }): Promise<{ task: TaskView; outcome: TaskOutcome }>;
  /** Requests a rollback and waits for it. */
  rollback(target?: string, options?: { project?: string }): Promise<{ task: TaskView; outcome: TaskOutcome }>;
  /** Requests and starts, without waiting. */
  start(ref: string, options?: { actor?: Actor; project?: string }): Promise<TaskView>;
  /** The release id `current` points at on server i (read from the server's own directory). */
  current(i: number): string | null;
  /** A file of the live release on server i. */
  liveFile(i: number, path: string): string | null;
  releasesOn(i: number): string[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  servers?: number;
  /** Extra files in the first commit (v1). */
  files?: Record<string, string>;
  project?: { keepReleases?: number; hooks?: Partial<Record<'before_download' | 'after_download' | 'before_deploy' | 'after_deploy', string>>; maxParallel?: number; onFailure?: 'rollback' | 'continue'; distribution?: 'auto' | 'direct' | 'relay' };
  /** Servers get their own home (where relay distribution installs its task key). */
  privateHome?: boolean;
  passwordServer?: string;
  /** Wraps the runner's fenced writes (store fault injection). */
  records?: RunRecordsFactory;
  /** The runner's lease (default 30 s); short leases let a test see a task recovered. */
  leaseMs?: number;
  /**
   * The local hook sandbox, made for the data directory. With it, the data directory is the
   * database's directory, as for the real bot: database, secret.key and mirrors side by side.
   */
  hookSandbox?: (dataDir: string) => HookSandbox;
}

export async function createDeployFixture(options: FixtureOptions = {}): Promise<DeployFixture> {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  const count = options.servers ?? 3;
  const servers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startSshd({ authorizedKey: key.publicKey, deployRoot: DEPLOY_ROOT, privateHome: options.privateHome ?? false, ...(i === 0 && options.passwordServer ? { password: options.passwordServer } : {}) }),
    ),
  );
  const repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'version 1\n', ...(options.files ?? {}) }, message: 'first release', tag: 'v1' },
      { files: { 'index.html': 'version 2\n', 'new.txt': 'added in v2\n' }, message: 'second release', tag: 'v2' },
      { files: { 'index.html': 'version 3\n' }, message: 'third release', tag: 'v3' },
    ],
  });
  const db = await createTestDatabase({ defaultKeyPath: key.privateKeyPath });
  const dataDir = options.hookSandbox ? dirname(db.path) : makeScratchDir('deploybot-data-');
  const names = servers.map((_, i) => `web-${i + 1}`);
  for (const [i, s] of servers.entries()) {
    const auth = i === 0 && options.passwordServer ? { authKind: 'password' as const, password: options.passwordServer } : {};
    await db.services().servers.add(admin, { name: names[i]!, hostname: s.host, port: s.port, username: s.username, ...auth });
  }
  await db.services().projects.add(admin, {
    name: 'app',
    repoUrl: repo.url,
    deployPath: DEPLOY_ROOT,
    servers: names,
    keepReleases: options.project?.keepReleases ?? 5,
    maxParallel: options.project?.maxParallel ?? 10,
    onFailure: options.project?.onFailure ?? 'rollback',
    distribution: options.project?.distribution ?? 'auto',
    hooks: options.project?.hooks,
  });

  const redactor = new Redactor([BOT_SECRET]);
  // DEPLOYBOT_TEST_LOGS=1 shows the runner's log while debugging a test.
  const log = process.env.DEPLOYBOT_TEST_LOGS ? createLogger({ level: 'debug', redactor }) : silentLogger;
  const events = new PipelineEvents();
  const recorded: PipelineEvent[] = [];
  events.on((e) => recorded.push(e));
  const store = new TaskStore(db.orm, newOwnerId('bot'), { leaseMs: options.leaseMs ?? 30_000 });
  const runner = new TaskRunner({
    store,
    ...(options.records ? { records: options.records } : {}),
    orm: db.orm,
    dataDir,
    git: new GitMirrors(dataDir, { redactor }),
    events,
    log,
    redactor,
    distributor: strategyDistributor,
    ssh: { connectTimeoutMs: 10_000, keepaliveIntervalMs: 5_000 },
    hookTimeoutMs: 60_000,
    ...(options.hookSandbox ? { hookSandbox: options.hookSandbox(dataDir) } : {}),
  });
  const coordinator = new DeployCoordinator({ orm: db.orm, runner, events, log, redactor, secrets: db.secrets, defaultKeyPath: key.privateKeyPath });

  const startTask = async (create: () => Promise<TaskView>): Promise<TaskView> => {
    const task = await create();
    await coordinator.dispatch();
    return task;
  };
  const finish = async (task: TaskView) => {
    const outcome = coordinator.whenFinished(task.id) ?? events.waitForFinish(task.id);
    return { task: await db.services().tasks.show(task.id), outcome: await outcome };
  };
  const start = (ref: string, o: { actor?: Actor; project?: string } = {}) =>
    startTask(() => db.services().tasks.requestDeploy(o.actor ?? admin, { project: o.project ?? 'app', ref }));

  return {
    db,
    repo,
    servers,
    key,
    events,
    recorded,
    runner,
    coordinator,
    dataDir,
    start,
    async deploy(ref, o = {}) {
      const task = await start(ref, o);
      const done = await finish(task);
      return { task: await db.services().tasks.show(task.id), outcome: done.outcome };
    },
    async rollback(target, o = {}) {
      const task = await startTask(() => db.services().tasks.requestRollback(admin, o.project ?? 'app', target));
      const done = await finish(task);
      return { task: await db.services().tasks.show(task.id), outcome: done.outcome };
    },
    current(i) {
      const link = join(servers[i]!.hostDir, 'current');
      return isLink(link) ? readlinkSync(link).replace(/^releases\//, '') : null;
    },
    liveFile(i, path) {
      const file = join(servers[i]!.hostDir, 'current', path);
      return existsSync(file) ? readFileSync(file, 'utf8') : null;
    },
    releasesOn(i) {
      const dir = join(servers[i]!.hostDir, 'releases');
      return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : [];
    },
    async close() {
      await coordinator.stop();
      await Promise.all(servers.map((s) => s.stop()));
      await db.close();
      repo.cleanup();
      if (!options.hookSandbox) removeScratchDir(dataDir);
    },
  };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
