import { createAppContext } from '../../src/app-context.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Actor } from '../../src/core/actor.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { makeScratchDir, removeScratchDir } from './scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from './ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from './sshd.js';

export const DEPLOY_ROOT = '/srv/deploybot-test/app';
export const ADMIN_ID = 'UADMIN01';

export interface RuntimeFixture {
  config: Config;
  dataDir: string;
  /** The current runtime; replaced by restart(). */
  runtime: Runtime;
  servers: TestSshd[];
  repo: TestRepo;
  key: TestKeyPair;
  admin: Actor;
  /** Stops this runtime (without waiting for running tasks) and opens a new one on the same data dir. */
  restart(options?: { begin?: boolean }): Promise<Runtime>;
  close(): Promise<void>;
}

/**
 * The bot's real runtime (config → SQLite in a temp data dir → engine → command executor) with N
 * real sshd servers and a real git repo, registered as servers web-1… and project `app`.
 */
export async function createRuntimeFixture(options: { servers?: number; env?: Record<string, string>; project?: Record<string, unknown> } = {}): Promise<RuntimeFixture> {
  await ensureOpenSshServer();
  const key = await generateKeyPair();
  const servers = await Promise.all(Array.from({ length: options.servers ?? 2 }, () => startSshd({ authorizedKey: key.publicKey, deployRoot: DEPLOY_ROOT })));
  const repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'version 1\n' }, message: 'first release', tag: 'v1' },
      { files: { 'index.html': 'version 2\n' }, message: 'second release', tag: 'v2' },
    ],
  });
  const dataDir = makeScratchDir('deploybot-runtime-');
  const config = loadConfig({ DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_SSH_KEY: key.privateKeyPath, DEPLOYBOT_ADMINS: ADMIN_ID, DEPLOYBOT_TIMEZONE: 'UTC', DEPLOYBOT_LOG_LEVEL: 'error', ...options.env }, dataDir);
  const app = await createAppContext(config);
  const runtime = createRuntime(app, { hookTimeoutMs: 60_000 });
  const admin = app.actor(ADMIN_ID);
  const names = servers.map((_, i) => `web-${i + 1}`);
  await app.withServices(async (s) => {
    for (const [i, srv] of servers.entries()) await s.servers.add(admin, { name: names[i]!, hostname: srv.host, port: srv.port, username: srv.username });
    await s.projects.add(admin, { name: 'app', repoUrl: repo.url, deployPath: DEPLOY_ROOT, servers: names, ...options.project });
  });
  let current = runtime;
  let currentApp = app;
  const fixture: RuntimeFixture = {
    config,
    dataDir,
    runtime,
    servers,
    repo,
    key,
    admin,
    async restart(o = {}) {
      await current.scheduler.stop();
      await current.coordinator.stop(0);
      await currentApp.close();
      currentApp = await createAppContext(config);
      current = createRuntime(currentApp, { hookTimeoutMs: 60_000 });
      fixture.runtime = current;
      if (o.begin ?? true) await current.begin();
      return current;
    },
    async close() {
      await current.stop();
      await currentApp.close();
      await Promise.all(servers.map((s) => s.stop()));
      repo.cleanup();
      removeScratchDir(dataDir);
    },
  };
  return fixture;
}
