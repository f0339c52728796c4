import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marksAsText } from '../../../src/core/mention.js';
import type { PipelineEvent } from '../../../src/pipeline/events.js';
import { DeployTask } from '../../../src/db/entities/index.js';
import { admin, alice, bob } from '../../support/db/database.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/**
 * Canary first on a prod project: after the canary passed, the rest waits for an approver's
 * Promote (in the database), and at least canary_wait; a cancel meanwhile switches the canary back.
 * On real sshd, in one process (the cross-process and Slack cases are in test/ops and test/chat).
 */
describe('canary promotion on a prod project', () => {
  let f: DeployFixture;
  let v1: string;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 3, project: { maxParallel: 1 } });
    v1 = (await f.deploy('v1')).task.releaseId!;
    await f.db.services().projects.edit(admin, 'app', { environment: 'prod', approvers: [alice.id, admin.id], rollout: 'canary:1', canaryWait: 0, healthCheck: 'exit 0' });
  });
  afterAll(() => f?.close());

  const waitFor = async <T extends PipelineEvent['type']>(taskId: number, type: T, timeoutMs = 60_000): Promise<Extract<PipelineEvent, { type: T }>> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = f.recorded.find((e) => e.taskId === taskId && e.type === type);
      if (found) return found as Extract<PipelineEvent, { type: T }>;
      if (Date.now() > until) throw new Error(`no ${type} for #${taskId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Requested by bob, approved by alice, started: resolves once its canary waits for a Promote. */
  const awaitingPromotion = async (ref: string) => {
    const requested = await f.db.services().tasks.requestDeploy(bob, { project: 'app', ref });
    await f.db.services().tasks.approve(alice, requested.id);
    await f.coordinator.dispatch();
    const awaiting = await waitFor(requested.id, 'canary.awaiting_promotion');
    return { id: requested.id, canary: awaiting.hosts, index: (name: string) => Number(name.slice('web-'.length)) - 1 };
  };

  it('waits for a Promote with the rest untouched, then the rest follows', async () => {
    const t = await awaitingPromotion('v2');
    expect(t.canary).toEqual(['web-1']);
    const row = await f.db.em().findOneOrFail(DeployTask, { id: t.id });
    expect(row.canaryPassedAt).toBeInstanceOf(Date);
    const release = row.releaseId!;
    // Long past canary_wait (0 s), nothing moved: the rest waits for a person.
    await new Promise((r) => setTimeout(r, 1500));
    expect([f.current(0), f.current(1), f.current(2)]).toEqual([release, v1, v1]);
    expect(f.recorded.some((e) => e.taskId === t.id && e.type === 'canary.passed')).toBe(false);
    await expect(f.db.services().tasks.promote(bob, t.id)).rejects.toThrow(/you cannot promote it yourself/);

    const finished = f.events.waitForFinish(t.id);
    await f.db.services().tasks.promote(alice, t.id);
    const promoted = await waitFor(t.id, 'canary.promoted', 10_000);
    expect(promoted).toMatchObject({ by: alice.id, reason: null, hosts: ['web-1'] });
    expect((await finished).status).toBe('success');
    expect([f.current(0), f.current(1), f.current(2)]).toEqual([release, release, release]);
    const mine = f.recorded.filter((e) => e.taskId === t.id);
    const restSwitched = mine.filter((e) => e.type === 'host.stage.started' && e.stage === 'switch' && e.host !== 'web-1');
    for (const e of restSwitched) expect(mine.indexOf(e)).toBeGreaterThan(mine.indexOf(promoted));
    expect(marksAsText(await f.db.services().tasks.promote(admin, t.id).then(() => '', (e: Error) => e.message))).toMatch(`was already promoted by <@${alice.id}>; it is already finished successfully`);
  });

  it('canary_wait is the least time the canary runs alone, however early the Promote', async () => {
    await f.db.services().projects.edit(admin, 'app', { canaryWait: 2 });
    const t = await awaitingPromotion('v3');
    const finished = f.events.waitForFinish(t.id);
    await f.db.services().tasks.promote(alice, t.id);
    const promoted = await waitFor(t.id, 'canary.promoted', 10_000);
    expect(promoted.restInMs).toBeGreaterThan(500);
    expect((await finished).status).toBe('success');
    const checked = f.recorded.find((e) => e.taskId === t.id && e.type === 'host.stage.finished' && e.stage === 'health' && e.host === 'web-1')!;
    const passed = f.recorded.find((e) => e.taskId === t.id && e.type === 'canary.passed')!;
    expect(passed.at.getTime() - checked.at.getTime()).toBeGreaterThanOrEqual(1950);
    await f.db.services().projects.edit(admin, 'app', { canaryWait: 0 });
  });

  it('a cancel while it waits switches the canary back and ends the task cancelled; the rest was never touched', async () => {
    const before = [f.current(0), f.current(1), f.current(2)];
    const t = await awaitingPromotion('v2');
    const release = (await f.db.em().findOneOrFail(DeployTask, { id: t.id })).releaseId!;
    expect(f.current(0)).toBe(release);
    const finished = f.events.waitForFinish(t.id);
    const { wasRunning } = await f.db.services().tasks.cancel(bob, t.id);
    expect(wasRunning).toBe(true);
    const outcome = await finished;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.error).toBe('cancelled; web-1 switched back to its previous release; 2 other servers never switched');
    expect([f.current(0), f.current(1), f.current(2)]).toEqual(before);
    const row = await f.db.em().findOneOrFail(DeployTask, { id: t.id });
    expect(row).toMatchObject({ status: 'cancelled', cancelledBy: bob.id, promotedBy: null });
    await expect(f.db.services().tasks.promote(alice, t.id)).rejects.toThrow(/is cancelled: there is nothing to promote/);
    const rolledBack = f.recorded.filter((e) => e.taskId === t.id && e.type === 'host.rolled_back').map((e) => (e as { host: string }).host);
    expect(rolledBack).toEqual(['web-1']);
  });

  it('a cancel during a test project’s timed canary_wait switches the canary back too', async () => {
    await f.db.services().projects.edit(admin, 'app', { environment: 'test', canaryWait: 30 });
    const before = [f.current(0), f.current(1), f.current(2)];
    const task = await f.start('v3');
    await waitFor(task.id, 'canary.started');
    await waitFor(task.id, 'fleet.switched');
    const finished = f.events.waitForFinish(task.id);
    await f.db.services().tasks.cancel(admin, task.id);
    const outcome = await finished;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.error).toBe('cancelled; web-1 switched back to its previous release; 2 other servers never switched');
    expect([f.current(0), f.current(1), f.current(2)]).toEqual(before);
    // Well before the 30 s wait ran out: the cancel ends the wait.
    expect(outcome.durationMs).toBeLessThan(25_000);
  });

  it('a test project keeps the timed wait: no Promote asked', async () => {
    await f.db.services().projects.edit(admin, 'app', { environment: 'test', canaryWait: 0 });
    const { task, outcome } = await f.deploy('v3');
    expect(outcome.status).toBe('success');
    expect(f.recorded.some((e) => e.taskId === task.id && e.type === 'canary.awaiting_promotion')).toBe(false);
    expect((await f.db.em().findOneOrFail(DeployTask, { id: task.id })).canaryPassedAt).toBeNull();
  });
});
