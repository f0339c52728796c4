import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecords, type SwitchKind } from '../../../src/store/run-records.js';
import { LeaseLost } from '../../../src/store/store-errors.js';
import { admin } from '../../support/db/database.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/** Which fault the wrapped store injects, switched per test. */
const fault: { mode: 'none' | 'fence-at-switch' | 'down-from-upload' } = { mode: 'none' };

/** The real fenced writes, with a chosen fault on top (a takeover mid-switch, a store that goes down). */
class FaultyRecords extends RunRecords {
  override markCurrent(serverId: number, releaseId: string | null, kind: SwitchKind): Promise<void> {
    if (fault.mode === 'fence-at-switch' && kind === 'deploy') return Promise.reject(new LeaseLost(this.taskId));
    return super.markCurrent(serverId, releaseId, kind);
  }

  override addRelease(serverId: number, releaseId: string, commit: string, path: string): Promise<void> {
    if (fault.mode === 'down-from-upload') return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
    return super.addRelease(serverId, releaseId, commit, path);
  }
}

describe('the fleet-wide switch keeps the ownership rules', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 3, project: { maxParallel: 1 }, records: (orm, id, owner, leaseMs) => new FaultyRecords(orm, id, owner, leaseMs) });
    v1 = (await f.deploy('v1')).task.releaseId!;
    await f.db.services().projects.setHooks(admin, 'app', { after_deploy: 'touch "$DEPLOY_PATH/.after-$DEPLOY_SERVER-$DEPLOY_ROLLBACK"' });
  });
  afterAll(() => f?.close());
  const marker = (i: number, rollback = '') => existsSync(join(f.servers[i]!.hostDir, `.after-web-${i + 1}-${rollback}`));

  it('a store in trouble before the barrier: no server switches', async () => {
    fault.mode = 'down-from-upload';
    // The store comes back once the barrier refused (so the task's end can be written).
    const off = f.events.on((e) => {
      if (e.type === 'host.stage.finished' && e.stage === 'switch' && e.state === 'skipped') fault.mode = 'none';
    });
    try {
      const { outcome } = await f.deploy('v2');
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/the database could not be written .*no server was switched/);
      [0, 1, 2].forEach((i) => expect(f.current(i)).toBe(v1));
      expect(f.recorded.some((e) => e.taskId === outcome.taskId && e.type === 'fleet.switched')).toBe(false);
    } finally {
      off();
      fault.mode = 'none';
    }
  });

  it('fenced during the switch: no after_deploy, no switch-back; the new owner decides', async () => {
    fault.mode = 'fence-at-switch';
    try {
      const task = await f.start('v2');
      const outcome = await (f.coordinator.whenFinished(task.id) ?? f.events.waitForFinish(task.id));
      expect(outcome.status).toBe('interrupted');
      expect([0, 1, 2].some((i) => marker(i))).toBe(false);
      expect([0, 1, 2].some((i) => marker(i, '1'))).toBe(false);
      expect(f.recorded.some((e) => e.taskId === task.id && e.type === 'host.rolled_back')).toBe(false);
    } finally {
      fault.mode = 'none';
    }
  });
});
