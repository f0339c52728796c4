import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskProgress } from '../../../src/chat/task-progress.js';
import { taskMessage } from '../../../src/chat/slack/task-status/task-message-blocks.js';
import { Release, TaskHost } from '../../../src/db/entities/index.js';
import { admin } from '../../support/db/database.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/** health=<command>: run on each server after after_deploy, retried within health_timeout, on real sshd. */
describe('health checks', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 3 });
    v1 = (await f.deploy('v1')).task.releaseId!;
  });
  afterAll(() => f?.close());
  const setHealth = (healthCheck: string, healthTimeout = 3) => f.db.services().projects.edit(admin, 'app', { healthCheck, healthTimeout });
  const rows = (taskId: number) => f.db.em().find(TaskHost, { task: taskId }, { orderBy: { serverName: 'asc' } });

  it('a health check failing on one server reverts the fleet', async () => {
    await f.db.services().projects.setHooks(admin, 'app', { before_download: '', after_download: '', before_deploy: '', after_deploy: 'touch "$DEPLOY_PATH/.after-$DEPLOY_SERVER"' });
    await setHealth('[ "$DEPLOY_SERVER" = web-2 ] && [ -z "$DEPLOY_ROLLBACK" ] && { echo "web-2 answers 503"; exit 7; }; exit 0', 2);
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/^health: `\[ "\$DEPLOY_SERVER" = web-2 \].*` still failing after [\d.]+ s \(\d+ attempts?; last exited with code 7\) on web-2; the servers that had switched were switched back to their previous release/);
    [0, 1, 2].forEach((i) => expect(f.current(i), `web-${i + 1}`).toBe(v1));
    // after_deploy ran before the check on the servers of the new release.
    expect(existsSync(join(f.servers[1]!.hostDir, '.after-web-2'))).toBe(true);
    const hosts = await rows(task.id);
    expect(hosts.map((r) => r.stages.health?.state)).toEqual(['done', 'failed', 'done']);
    expect(hosts[1]!.error).toMatch(/still failing after/);
    expect(hosts[1]!.output).toContain('web-2 answers 503');
    const current = await f.db.em().find(Release, { isCurrent: true });
    expect(new Set(current.map((r) => r.releaseId))).toEqual(new Set([v1]));
    // Shown: the task message has a health line, with the failed server counted.
    const progress = TaskProgress.fromRecords(task, hosts);
    const message = JSON.stringify(taskMessage(progress, { timeZone: 'UTC' }));
    expect(message).toMatch(/health check [▰▱]+ 2\/3 servers \(1 failed\)/);
    expect(progress.snapshot().hosts.find((h) => h.name === 'web-2')!.stages.health.state).toBe('failed');
  });

  it('is retried at a short interval until it passes, within the timeout', async () => {
    // Fails twice on every server, then passes: a service that takes a moment to come up.
    await setHealth('n=$(cat "$DEPLOY_PATH/.tries" 2>/dev/null || echo 0); echo $((n + 1)) > "$DEPLOY_PATH/.tries"; [ "$n" -ge 2 ]', 10);
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('success');
    [0, 1, 2].forEach((i) => expect(f.current(i)).toBe(task.releaseId));
    [0, 1, 2].forEach((i) => expect(readFileSync(join(f.servers[i]!.hostDir, '.tries'), 'utf8').trim()).toBe('3'));
    expect((await rows(task.id)).map((r) => [r.status, r.stages.health?.state])).toEqual([['done', 'done'], ['done', 'done'], ['done', 'done']]);
  });

  it('without a health check the stage is skipped and the message has no health line', async () => {
    await setHealth('');
    const { task, outcome } = await f.deploy('v3');
    expect(outcome.status).toBe('success');
    const hosts = await rows(task.id);
    expect(hosts.map((r) => [r.status, r.stages.health?.state])).toEqual([['done', 'skipped'], ['done', 'skipped'], ['done', 'skipped']]);
    expect(JSON.stringify(taskMessage(TaskProgress.fromRecords(task, hosts), { timeZone: 'UTC' }))).not.toContain('health check');
  });

  it('bad settings are refused with what to do, and change nothing', async () => {
    await expect(f.db.services().projects.edit(admin, 'app', { healthTimeout: 0 })).rejects.toThrow(/health_timeout must be between 1 and 3600/);
    expect((await f.db.services().projects.show('app')).healthTimeout).toBe(3);
  });
});
