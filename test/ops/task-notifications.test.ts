import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';
import { servicesFor } from '../../src/core/services.js';
import { openDatabase, type Orm } from '../../src/db/orm.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { makeRepo, type TestRepo } from '../support/git-repo.js';
import { startPostgresCluster, type PostgresCluster } from '../support/db/postgres.js';
import { makeScratchDir, removeScratchDirs } from '../support/scratch-dirs.js';

const SECRET_KEY = 'notifications-test-shared-secret-key-0000';
const requester = { id: 'UBOB0001', isAdmin: false };

/**
 * On PostgreSQL a replica hears of work through LISTEN/NOTIFY: a task approved by another process
 * starts at once, not at the next poll. This replica polls only every ten minutes here, so only a
 * notification can start the task within the test's wait.
 */
describe('LISTEN/NOTIFY on PostgreSQL', () => {
  let pg: PostgresCluster;
  let app: AppContext;
  let runtime: Runtime;
  let other: Orm;
  let repo: TestRepo;
  beforeAll(async () => {
    pg = await startPostgresCluster();
    const url = await pg.createDatabase();
    repo = await makeRepo({ commits: [{ files: { 'index.html': 'v1\n' }, message: 'first', tag: 'v1' }] });
    const dataDir = makeScratchDir('deploybot-notify-');
    app = await createAppContext(loadConfig({ DATABASE_URL: url, DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_SECRET_KEY: SECRET_KEY, DEPLOYBOT_ADMINS: 'UADMIN01', DEPLOYBOT_LOG_LEVEL: 'error', DEPLOYBOT_SHELL_USER: 'UADMIN01' }, dataDir));
    runtime = createRuntime(app, { pollMs: 600_000 });
    const admin = app.actor('UADMIN01');
    await app.withServices(async (s) => {
      // Port 9 refuses at once: the deploy fails right after it starts, which is all this needs.
      await s.servers.add(admin, { name: 'web-1', hostname: '127.0.0.1', port: 9, username: 'deploy', authKind: 'agent' });
      await s.projects.add(admin, { name: 'app', repoUrl: repo.url, deployPath: '/srv/notify/app', servers: ['web-1'] });
    });
    await runtime.begin();
    // Its minute sweep would start the task too: only the notification may, here.
    await runtime.scheduler.stop();
    other = await openDatabase({ kind: 'postgresql', url });
  }, 120_000);
  afterAll(async () => {
    await runtime?.stop();
    await app?.close();
    await other?.close(true);
    repo?.cleanup();
    await pg?.stop();
    removeScratchDirs();
  });

  /** A deploy requested by another process (its own connection): approved at once in a test project. */
  const requestElsewhere = async () => {
    const task = await servicesFor(other.em.fork(), { secrets: SecretBox.fromConfigValue(SECRET_KEY) }).tasks.requestDeploy(requester, { project: 'app', ref: 'v1' });
    expect(task.status).toBe('approved');
    return task.id;
  };
  const startedHere = (taskId: number, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`task ${taskId} did not start in this replica within ${timeoutMs} ms`)), timeoutMs);
      const off = runtime.events.onTask(taskId, (e) => {
        if (e.type === 'task.started') {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });

  it('a task approved in another process starts here without waiting for a poll', async () => {
    const id = await requestElsewhere();
    await startedHere(id, 20_000);
    await runtime.events.waitForFinish(id);
  });

  it('after a PostgreSQL restart the replica listens again', async () => {
    await pg.restart({ downMs: 500 });
    // The listener re-opens its connection within a second or so of the server being back.
    await new Promise((r) => setTimeout(r, 3_000));
    const id = await requestElsewhere();
    await startedHere(id, 20_000);
    await runtime.events.waitForFinish(id);
  }, 60_000);
});
