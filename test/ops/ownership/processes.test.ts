import { existsSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent, DeployTask } from '../../../src/db/entities/index.js';
import { deploybotEnv, startDeploybot, type DeploybotProcess } from '../../chat/shell/support/deploybot-process.js';
import { STORE_KINDS } from '../../support/db/database.js';
import { usePostgres } from '../../support/db/use-postgres.js';
import { createRuntimeFixture, type RuntimeFixture } from '../../support/runtime-fixture.js';

const LEASE_SECONDS = '2';

/**
 * Bots, shells and one-shot commands as real OS processes on one database (a SQLite file, or one
 * PostgreSQL database). No process holds a task in its memory only: ownership and its lease live
 * in the database.
 */
const postgres = usePostgres();

describe.each(STORE_KINDS)('tasks owned by the database, across processes, on %s', (kind) => {
  let f: RuntimeFixture;
  let env: Record<string, string>;
  beforeAll(async () => {
    const database: Record<string, string> = kind === 'postgresql' ? { DATABASE_URL: await postgres.createDatabase() } : {};
    f = await createRuntimeFixture({ servers: 2, env: { DEPLOYBOT_LEASE_SECONDS: LEASE_SECONDS, ...database } });
    // The fixture's own runtime never begins: it is only a window on the database here.
    env = deploybotEnv(f.dataDir, { DEPLOYBOT_SSH_KEY: f.key.privateKeyPath, DEPLOYBOT_ADMINS: f.admin.id, DEPLOYBOT_SHELL_USER: f.admin.id, DEPLOYBOT_LEASE_SECONDS: LEASE_SECONDS, DEPLOYBOT_TIMEZONE: 'UTC', ...database });
  }, 120_000);
  afterAll(() => f?.close());

  const oneShot = (args: string[]): DeploybotProcess => startDeploybot(args, { env, cwd: f.dataDir });
  const setAfterDeploy = (script: string) => f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { after_deploy: script }));
  const task = (id: number) => f.runtime.app.orm.em.fork().findOneOrFail(DeployTask, { id });
  const latestTaskId = async () => (await f.runtime.app.orm.em.fork().findOne(DeployTask, { id: { $gt: 0 } }, { orderBy: { id: 'desc' } }))?.id ?? 0;
  const waitUntil = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const marker = (i: number) => join(f.servers[i]!.hostDir, `.after-web-${i + 1}`);
  /** An after_deploy that waits for a file the test creates: however slow the machine, the first
   * task is still running when the test needs it to be. */
  const gatedAfterDeploy = async (): Promise<{ open: () => void }> => {
    const gate = join(mkdtempSync(join(tmpdir(), 'deploybot-gate-')), 'open');
    await setAfterDeploy(`for i in $(seq 600); do [ -e '${gate}' ] && break; sleep 0.1; done`);
    return { open: () => writeFileSync(gate, '') };
  };

  it('a one-shot killed with SIGKILL mid-deploy is recovered by the next command on that project, with no bot running', async () => {
    await setAfterDeploy('touch "$DEPLOY_PATH/.after-$DEPLOY_SERVER"; sleep 120');
    const before = await latestTaskId();
    const killed = oneShot(['app', 'v1']);
    await waitUntil('both servers switched and after_deploy hangs', () => existsSync(marker(0)) && existsSync(marker(1)));
    const killedId = before + 1;
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect((await task(killedId)).status).toBe('running'); // nobody renews its lease any more

    await setAfterDeploy('');
    const next = oneShot(['app', 'v2']);
    const exit = await next.exited;
    expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    const recovered = await task(killedId);
    expect(recovered.status).toBe('interrupted');
    expect(recovered.error).toMatch(/stopped renewing its lease.*current release was checked and recorded/);
    const second = await task(killedId + 1);
    expect(second.status).toBe('success');
    expect(second.ownerId).toMatch(/^cli@/);
    for (const s of f.servers) expect(readlinkSync(join(s.hostDir, 'current'))).toBe(`releases/${second.releaseId}`);
  }, 120_000);

  it('a bot started while a one-shot runs a task neither steals nor interrupts it, and runs what waits after it', async () => {
    const gate = await gatedAfterDeploy();
    const before = await latestTaskId();
    const cli = oneShot(['app', 'v1']);
    await waitUntil('the one-shot claimed its task', async () => (await latestTaskId()) > before && (await task(before + 1)).status === 'running');
    // A long-running process (the shell is one: it recovers expired leases and dispatches at start).
    const bot = startDeploybot([], { env, cwd: f.dataDir, tty: true });
    try {
    await bot.waitFor('deploybot>', { timeoutMs: 30_000 });
    bot.send('app v2');
    await bot.waitFor(/Deploy #\d+ of app v2 .* is queued \(position 1\): it starts when deploy #\d+ finishes/, { timeoutMs: 30_000 });
    // The bot has had a whole start-up (lease recovery, dispatch) to steal the task: it must not have.
    expect((await task(before + 1)).status).toBe('running');
    gate.open();
    const exit = await cli.exited;
    expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    const first = await task(before + 1);
    expect(first.status).toBe('success');
    expect(first.ownerId).toMatch(/^cli@/);
    expect(await f.runtime.app.orm.em.fork().count(AuditEvent, { action: 'task.interrupted', target: `task:${first.id}` })).toBe(0);
    // The queued one starts by itself in the bot once the project is free.
    await waitUntil('the bot ran the queued deploy', async () => (await task(before + 2)).status === 'success');
    expect((await task(before + 2)).ownerId).toMatch(/^shell@/);
    bot.send('exit');
    expect((await bot.exited).code).toBe(0);
    } finally {
      bot.child.kill('SIGKILL');
    }
  }, 120_000);

  it('a one-shot queued behind another process’s task starts and ends by itself when the first ends', async () => {
    // The first deploy's after_deploy waits for a gate the test opens once the second command has
    // said it is queued: however slow the machine, the second one finds the first still running.
    const gate = await gatedAfterDeploy();
    const before = await latestTaskId();
    const first = oneShot(['app', 'v1']);
    await waitUntil('the first one-shot claimed its task', async () => (await latestTaskId()) > before && (await task(before + 1)).status === 'running');
    const second = oneShot(['app', 'v2']);
    await second.waitFor(/is queued \(position 1\): it starts when deploy #\d+ finishes/, { timeoutMs: 60_000 });
    gate.open();
    const [a, b] = await Promise.all([first.exited, second.exited]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const t1 = await task(before + 1);
    const t2 = await task(before + 2);
    expect([t1.status, t2.status]).toEqual(['success', 'success']);
    expect(t2.startedAt!.getTime()).toBeGreaterThanOrEqual(t1.finishedAt!.getTime());
    expect(t1.ownerId).not.toBe(t2.ownerId);
  }, 120_000);

  it('a one-shot waits for a task another process runs, following it from the database; --timeout gives up with exit 5', async () => {
    // The task is held in after_deploy until the gate opens: a one-shot's start-up on a loaded
    // machine may take longer than any fixed sleep.
    const gate = await gatedAfterDeploy();
    const before = await latestTaskId();
    const runner = oneShot(['app', 'v1']);
    await waitUntil('the task runs', async () => (await latestTaskId()) > before && (await task(before + 1)).status === 'running');
    const impatient = await oneShot(['--timeout', '1', 'wait', String(before + 1)]).exited;
    expect(impatient.code, impatient.stdout + impatient.stderr).toBe(5);
    expect(impatient.stdout).toMatch(/runs in a one-shot command on .* \(pid \d+\): following it from the database/);
    const following = oneShot(['wait', String(before + 1)]);
    await following.waitFor(/following it from the database/, { timeoutMs: 60_000 });
    gate.open();
    const follower = await following.exited;
    expect(follower.code, follower.stdout + follower.stderr).toBe(0);
    expect(follower.stdout).toMatch(/deploy #\d+ of app v1 succeeded/);
    expect((await runner.exited).code).toBe(0);
  }, 120_000);
});
