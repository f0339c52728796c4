import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, symlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Release } from '../../src/db/entities/index.js';
import { createRuntimeFixture, type RuntimeFixture } from '../support/runtime-fixture.js';

describe('a bot killed with SIGKILL mid-deploy', () => {
  let f: RuntimeFixture;
  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 2, env: { DEPLOYBOT_LEASE_SECONDS: '2' } });
    await f.runtime.begin();
  });
  afterAll(() => f?.close());

  it('comes back marking the task interrupted, recording where each server really is, repairing a mixed fleet, with nothing stuck', async () => {
    const first = await f.runtime.executor.run(f.admin.id, 'app v1', { slackEscaped: false });
    if (first.kind !== 'task') throw new Error('expected a task');
    await f.runtime.events.waitForFinish(first.task.id);
    const v1 = (await f.runtime.app.withServices((s) => s.tasks.show(first.task.id))).releaseId!;
    // after_deploy marks that it started, then hangs: the kill lands after every server switched.
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { after_deploy: '[ -n "$DEPLOY_ROLLBACK" ] && exit 0; touch "$DEPLOY_PATH/.after-$DEPLOY_SERVER"; sleep 120' }));
    await f.restart({ begin: false }); // release the database to the child, like a real restart would

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/deploy-child.ts', 'app', 'v2'], {
      env: { ...process.env, DEPLOYBOT_DATA_DIR: f.dataDir, DEPLOYBOT_SSH_KEY: f.key.privateKeyPath, DEPLOYBOT_ADMINS: f.admin.id, DEPLOYBOT_LOG_LEVEL: 'error', DEPLOYBOT_LEASE_SECONDS: '2' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const markers = f.servers.map((s) => join(s.hostDir, '.after-web-' + (f.servers.indexOf(s) + 1)));
    const until = Date.now() + 60_000;
    while (!markers.every((m) => existsSync(m)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(markers.every((m) => existsSync(m))).toBe(true);
    const taskId = Number(/task (\d+)/.exec(out)?.[1]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // Both servers switched to v2 before the kill; someone then puts web-2 back by hand.
    const v2 = readlinkSync(join(f.servers[0]!.hostDir, 'current')).replace('releases/', '');
    expect(v2).not.toBe(v1);
    const web2 = f.servers[1]!.hostDir;
    symlinkSync(`releases/${v1}`, join(web2, 'current.tmp'));
    renameSync(join(web2, 'current.tmp'), join(web2, 'current'));

    // What a relay stage cut short by the kill would have left on a server (its stage directory).
    const relayLeftover = join(f.servers[0]!.hostDir, `.deploybot-relay-${taskId}`);
    mkdirSync(relayLeftover);
    writeFileSync(join(relayLeftover, 'key'), 'a task key\n');

    // The killed process's lease runs out (2 s here) before anyone may recover the task.
    await new Promise((r) => setTimeout(r, 2_500));
    const runtime = await f.restart({ begin: false });
    const finished = runtime.events.waitForFinish(taskId);
    expect(await runtime.begin()).toEqual([taskId]);
    expect((await finished).status).toBe('interrupted');
    const { task, hosts } = await runtime.app.withServices((s) => s.tasks.details(taskId));
    expect(task.status).toBe('interrupted');
    expect(task.error).toMatch(/stopped renewing its lease.*current release was checked and recorded/);
    // The fleet was left on two releases (web-2 put back by hand): recovery brings web-1 back too.
    expect(task.error).toContain(`the servers were left on different releases (web-1: ${v2}, web-2: ${v1}): switched web-1 back to \`${v1}\` (policy: rollback)`);
    expect(hosts.map((h) => h.status)).toEqual(['failed', 'failed']);
    expect(hosts[0]!.error).toContain(`current → ${v1} (recovery switched it from ${v2})`);
    expect(hosts[1]!.error).toContain(`current → ${v1}`);
    expect(readlinkSync(join(f.servers[0]!.hostDir, 'current'))).toBe(`releases/${v1}`);
    expect(existsSync(relayLeftover)).toBe(false);
    const current = await runtime.app.orm.em.fork().find(Release, { isCurrent: true }, { populate: ['server'], orderBy: { server: { name: 'asc' } } });
    expect(current.map((r) => [r.server.name, r.releaseId])).toEqual([
      ['web-1', v1],
      ['web-2', v1],
    ]);

    // Nothing is stuck: the next deploy runs at once.
    await runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { after_deploy: '' }));
    const next = await runtime.executor.run(f.admin.id, 'app v1', { slackEscaped: false });
    if (next.kind !== 'task') throw new Error(JSON.stringify(next));
    expect((await runtime.events.waitForFinish(next.task.id)).status).toBe('success');
  });
});
