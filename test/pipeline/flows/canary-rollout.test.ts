import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskHost } from '../../../src/db/entities/index.js';
import { admin } from '../../support/db/database.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/** rollout=canary:<n|p%>: a first batch goes live and is checked, runs alone, then the rest follows; on real sshd. */
describe('canary first', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 3, project: { maxParallel: 1, hooks: { after_deploy: '[ -z "$DEPLOY_ROLLBACK" ] && touch "$DEPLOY_PATH/.after-$DEPLOY_RELEASE"; exit 0' } } });
    v1 = (await f.deploy('v1')).task.releaseId!;
    await f.db.services().projects.edit(admin, 'app', { rollout: 'canary:1', canaryWait: 1 });
  });
  afterAll(() => f?.close());
  const index = (name: string) => Number(name.slice('web-'.length)) - 1;
  const canaryOf = (taskId: number) => (f.recorded.find((e) => e.taskId === taskId && e.type === 'canary.started') as { hosts: string[] } | undefined)?.hosts;

  it('a canary failure never reaches the rest', async () => {
    await f.db.services().projects.edit(admin, 'app', { healthCheck: 'echo "not ready"; exit 3', healthTimeout: 1 });
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('failed');
    const canary = canaryOf(task.id)!;
    expect(canary).toHaveLength(1);
    expect(task.error).toMatch(new RegExp(`^canary: health: .*exit 3.* still failing after .* on ${canary[0]}; the servers that had switched were switched back to their previous release; the other 2 servers were never switched$`));
    // Every server serves v1: the canary was switched back, the rest never switched nor ran after_deploy.
    [0, 1, 2].forEach((i) => expect(f.current(i), `web-${i + 1}`).toBe(v1));
    const rows = await f.db.em().find(TaskHost, { task: task.id }, { orderBy: { serverName: 'asc' } });
    for (const row of rows) {
      const isCanary = row.serverName === canary[0];
      expect(row.stages.switch?.state, row.serverName).toBe(isCanary ? 'done' : 'skipped');
      expect(row.stages.health?.state, row.serverName).toBe(isCanary ? 'failed' : 'skipped');
      expect(existsSync(join(f.servers[index(row.serverName)]!.hostDir, `.after-${task.releaseId}`)), row.serverName).toBe(isCanary);
    }
    const rolledBack = f.recorded.filter((e) => e.taskId === task.id && e.type === 'host.rolled_back').map((e) => (e as { host: string }).host);
    expect(rolledBack).toEqual(canary);
  });

  it('a healthy canary runs alone for canary_wait, then the rest follows in batches', async () => {
    await f.db.services().projects.edit(admin, 'app', { healthCheck: 'exit 0', healthTimeout: 5, canaryWait: 1 });
    const { task, outcome } = await f.deploy('v2');
    expect(outcome.status).toBe('success');
    [0, 1, 2].forEach((i) => expect(f.current(i)).toBe(task.releaseId));
    const mine = f.recorded.filter((e) => e.taskId === task.id);
    const canary = canaryOf(task.id)!;
    const checked = mine.find((e) => e.type === 'host.stage.finished' && e.stage === 'health' && e.host === canary[0])!;
    const passed = mine.find((e) => e.type === 'canary.passed')!;
    const restSwitched = mine.filter((e) => e.type === 'host.stage.started' && e.stage === 'switch' && e.host !== canary[0]);
    expect(restSwitched).toHaveLength(2);
    // The rest switched only after the canary's check and its wait (1 s).
    expect(passed.at.getTime() - checked.at.getTime()).toBeGreaterThanOrEqual(950);
    for (const e of restSwitched) expect(mine.indexOf(e)).toBeGreaterThan(mine.indexOf(passed));
    // parallel=1: one fleet.switched per batch (the canary, then each of the rest).
    expect(mine.filter((e) => e.type === 'fleet.switched')).toHaveLength(3);
  });

  it('bad rollout values are refused with what to write', async () => {
    await expect(f.db.services().projects.edit(admin, 'app', { rollout: 'canary:100%' })).rejects.toThrow(/rollout must be all, canary:<n>.*or canary:<p>%/);
    await expect(f.db.services().projects.edit(admin, 'app', { rollout: 'half' })).rejects.toThrow(/rollout must be all/);
    expect((await f.db.services().projects.show('app')).rollout).toBe('canary:1');
  });
});
