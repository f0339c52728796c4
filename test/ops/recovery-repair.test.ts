import { spawn } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent, Release } from '../../src/db/entities/index.js';
import { createRuntimeFixture, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * A real bot process killed with SIGKILL between two servers' switches: web-1 renamed `current`,
 * web-2's rename hangs (its `mv` is wrapped inside that server). Recovery must bring the fleet back
 * to one release, and say so.
 */
describe('recovery that repairs a fleet left on two releases', () => {
  let f: RuntimeFixture;
  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 2, env: { DEPLOYBOT_LEASE_SECONDS: '2' } });
    await f.runtime.begin();
  });
  afterAll(() => f?.close());
  const current = (i: number) => readlinkSync(join(f.servers[i]!.hostDir, 'current')).replace('releases/', '');

  it('kill -9 between two switches: the next process switches the switched server back and reports it', async () => {
    const first = await f.runtime.executor.run(f.admin.id, 'app v1', { slackEscaped: false });
    if (first.kind !== 'task') throw new Error('expected a task');
    await f.runtime.events.waitForFinish(first.task.id);
    const v1 = current(0);
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { after_deploy: '[ -n "$DEPLOY_ROLLBACK" ] && touch "$DEPLOY_PATH/.restarted-old"; exit 0' }));
    // web-2's next rename of `current` hangs (and never renames): the kill lands between the two switches.
    await f.servers[1]!.wrapProgram(
      '/usr/bin/mv',
      ['for last; do :; done', 'case "$last" in */current) ;; *) exec "$REAL" "$@" ;; esac', 'touch "$(dirname "$last")/.mv-hangs"', 'sleep 600', 'exit 1'].join('\n'),
    );
    await f.restart({ begin: false });

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/deploy-child.ts', 'app', 'v2'], {
      env: { ...process.env, DEPLOYBOT_DATA_DIR: f.dataDir, DEPLOYBOT_SSH_KEY: f.key.privateKeyPath, DEPLOYBOT_ADMINS: f.admin.id, DEPLOYBOT_LOG_LEVEL: 'error', DEPLOYBOT_LEASE_SECONDS: '2' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const hanging = join(f.servers[1]!.hostDir, '.mv-hangs');
    const until = Date.now() + 60_000;
    while (!(existsSync(hanging) && current(0) !== v1) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const v2 = current(0);
    expect(v2).not.toBe(v1);
    expect(current(1)).toBe(v1);
    const taskId = Number(/task (\d+)/.exec(out)?.[1]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    await new Promise((r) => setTimeout(r, 2_500)); // the killed owner's lease runs out
    const runtime = await f.restart({ begin: false });
    const finished = runtime.events.waitForFinish(taskId);
    expect(await runtime.begin()).toEqual([taskId]);
    const outcome = await finished;
    expect(outcome.status).toBe('interrupted');
    expect(outcome.repaired).toMatch(new RegExp(`left on different releases \\(web-1: ${v2}, web-2: ${v1}\\): switched web-1 back to \`${v1}\` \\(policy: rollback\\)`));
    expect(current(0)).toBe(v1);
    expect(current(1)).toBe(v1);
    // The old code runs again where the link was switched back.
    expect(existsSync(join(f.servers[0]!.hostDir, '.restarted-old'))).toBe(true);
    expect(existsSync(join(f.servers[1]!.hostDir, '.restarted-old'))).toBe(false);

    const { task, hosts } = await runtime.app.withServices((s) => s.tasks.details(taskId));
    expect(task.error).toMatch(/switched web-1 back/);
    expect(hosts[0]!.error).toContain(`current → ${v1} (recovery switched it from ${v2})`);
    const em = runtime.app.orm.em.fork();
    const live = await em.find(Release, { isCurrent: true }, { populate: ['server'], orderBy: { server: { name: 'asc' } } });
    expect(live.map((r) => [r.server.name, r.releaseId])).toEqual([
      ['web-1', v1],
      ['web-2', v1],
    ]);
    const audit = await em.findOneOrFail(AuditEvent, { action: 'task.interrupted', target: `task:${taskId}` });
    expect(JSON.stringify(audit.details)).toContain('switched web-1 back');
  }, 120_000);
});
