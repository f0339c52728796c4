import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent, DeployTask, Project, ReleaseHistory, Server } from '../../../src/db/entities/index.js';
import { admin, createTestDatabase, STORE_KINDS, type TestDatabase } from '../../support/db/database.js';
import { usePostgres } from '../../support/db/use-postgres.js';
import { startRacers, type Racers } from '../../support/racers.js';

const RACERS = 4;
const approvers = ['UAPPR001', 'UAPPR002', 'UAPPR003', 'UAPPR004'];
const requester = { id: 'UREQ0001', isAdmin: false };

/**
 * Races between real OS processes on one database (a SQLite file, or PostgreSQL as replicas share
 * it): every status change is one conditional update, so each race has exactly one winner, however
 * the processes interleave.
 */
const postgres = usePostgres();

describe.each(STORE_KINDS)('one winner per race, between processes, on %s', (kind) => {
  let db: TestDatabase;
  let racers: Racers;
  beforeAll(async () => {
    db = await createTestDatabase({ kind, postgres });
    await db.services().servers.add(admin, { name: 'web-1', hostname: '127.0.0.1', port: 22, username: 'deploy' });
    await db.services().projects.add(admin, { name: 'shop', repoUrl: 'https://example.com/shop.git', deployPath: '/srv/shop', servers: ['web-1'], environment: 'prod', approvers });
    await db.services().projects.add(admin, { name: 'api', repoUrl: 'https://example.com/api.git', deployPath: '/srv/api', servers: ['web-1'] });
    racers = await startRacers(RACERS, db.url, db.dataDir);
  }, 120_000);
  afterAll(async () => {
    await racers?.close();
    await db?.close();
  });

  const request = async (project: string) => db.services().tasks.requestDeploy(requester, { project, ref: 'main' });
  const audits = (action: string, taskId: number) => db.em().count(AuditEvent, { action, target: `task:${taskId}` });

  it('N simultaneous approves give exactly one approval, and the others are told who won (50 rounds)', async () => {
    for (let round = 0; round < 50; round++) {
      const task = await request('shop');
      const answers = await racers.race(approvers.map((actor) => ({ op: 'approve', taskId: task.id, actor })));
      const winners = answers.filter((a) => a.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.value.approvedBy as string;
      for (const loser of answers.filter((a) => !a.ok)) expect(loser.error).toBe(`Deploy #${task.id} was already approved by <@${winner}>: there is nothing to approve.`);
      expect(await audits('task.approve', task.id)).toBe(1);
      const row = await db.em().findOneOrFail(DeployTask, { id: task.id });
      expect([row.status, row.approvedBy]).toEqual(['approved', winner]);
      await db.services().tasks.cancel(admin, task.id); // keep the queue short
    }
  }, 120_000);

  it('with approvals=2, four simultaneous approvers: two approvals recorded, approved once, the others told (30 rounds)', async () => {
    await db.services().projects.add(admin, { name: 'bank', repoUrl: 'https://example.com/bank.git', deployPath: '/srv/bank', servers: ['web-1'], environment: 'prod', approvers, requiredApprovals: 2 });
    for (let round = 0; round < 30; round++) {
      const task = await request('bank');
      const answers = await racers.race(approvers.map((actor) => ({ op: 'approve', taskId: task.id, actor })));
      // Two approvals count; the rest find it approved already.
      expect(answers.filter((a) => a.ok)).toHaveLength(2);
      for (const loser of answers.filter((a) => !a.ok)) expect(loser.error).toMatch(new RegExp(`^Deploy #${task.id} was already approved by <@UAPPR00\\d>: there is nothing to approve\\.$`));
      const row = await db.em().findOneOrFail(DeployTask, { id: task.id });
      expect(row.status).toBe('approved');
      expect(row.approvals).toHaveLength(2);
      expect(new Set(row.approvals!.map((a) => a.by)).size).toBe(2);
      expect(row.approvedBy).toBe(row.approvals![1]!.by);
      expect(await audits('task.approve', task.id)).toBe(2);
      await db.services().tasks.cancel(admin, task.id);
    }
  }, 120_000);

  it('approve against reject: one decision, never both (50 rounds)', async () => {
    for (let round = 0; round < 50; round++) {
      const task = await request('shop');
      const ops = approvers.map((actor, i) => ({ op: i % 2 ? 'reject' : 'approve', taskId: task.id, actor }));
      const answers = await racers.race(ops);
      expect(answers.filter((a) => a.ok)).toHaveLength(1);
      const row = await db.em().findOneOrFail(DeployTask, { id: task.id });
      expect(['approved', 'rejected']).toContain(row.status);
      expect((await audits('task.approve', task.id)) + (await audits('task.reject', task.id))).toBe(1);
      if (row.status === 'approved') await db.services().tasks.cancel(admin, task.id);
    }
  }, 120_000);

  it('cancel against claim: the database never says cancelled while the task runs (100 rounds)', async () => {
    let claimedFirst = 0;
    let cancelledFirst = 0;
    for (let round = 0; round < 100; round++) {
      const task = await request('api');
      // A cancel reads before it writes: a random head start for it makes both orders happen.
      const delayMs = round % 4;
      const answers = await racers.race([
        { op: 'claim', taskIds: [task.id], delayMs: delayMs * 4 },
        { op: 'cancel', taskId: task.id, actor: admin.id, admin: true },
        { op: 'claim', taskIds: [task.id], delayMs: delayMs * 6 },
        { op: 'cancel', taskId: task.id, actor: admin.id, admin: true },
      ]);
      const claims = answers.filter((_, i) => i % 2 === 0).filter((a) => a.value?.claimed === task.id);
      const row = await db.em().findOneOrFail(DeployTask, { id: task.id });
      expect(claims.length).toBeLessThanOrEqual(1);
      if (claims.length === 1) {
        // Claimed: the cancel became a request to the owner, the task is still running.
        claimedFirst++;
        expect(row.status).toBe('running');
        expect(row.cancelledBy).toBe(admin.id);
        await db.em().nativeUpdate(DeployTask, { id: task.id }, { status: 'cancelled', finishedAt: new Date(), leaseExpiresAt: null });
      } else {
        cancelledFirst++;
        expect(row.status).toBe('cancelled');
      }
    }
    expect(claimedFirst + cancelledFirst).toBe(100);
    // Both orders happened: the race was real.
    expect(claimedFirst).toBeGreaterThan(0);
    expect(cancelledFirst).toBeGreaterThan(0);
    console.log(`${kind}: cancel against claim: claim won ${claimedFirst}, cancel won ${cancelledFirst} of 100`);
  }, 180_000);

  it('dispatchers in four processes never run two tasks of one project (100 rounds, 400 claims)', async () => {
    for (let round = 0; round < 100; round++) {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await request('api')).id);
      // Each racer tries the queue in a different order, as dispatchers seeing different snapshots would.
      const orders = [ids, [...ids].reverse(), [ids[1]!, ids[0]!, ids[2]!], [ids[2]!, ids[0]!, ids[1]!]];
      const answers = await racers.race(orders.map((taskIds) => ({ op: 'claim', taskIds })));
      const claimed = answers.map((a) => a.value?.claimed).filter((id) => id !== null);
      expect(claimed).toHaveLength(1);
      const project = await db.em().findOneOrFail(Project, { name: 'api' });
      expect(await db.em().count(DeployTask, { project, status: 'running' })).toBe(1);
      await db.em().nativeUpdate(DeployTask, { project, status: { $in: ['running', 'approved'] } }, { status: 'cancelled', finishedAt: new Date(), leaseExpiresAt: null });
    }
  }, 240_000);

  it('two simultaneous rollbacks make one task, pinned one step back (30 rounds)', async () => {
    const em = db.em();
    const project = await em.findOneOrFail(Project, { name: 'api' });
    const server = await em.findOneOrFail(Server, { name: 'web-1' });
    for (const [seq, releaseId] of ['r1', 'r2', 'r3'].entries()) em.create(ReleaseHistory, { project, server, seq: seq + 1, releaseId, taskId: null, pushedAt: new Date() });
    await em.flush();
    await db.em().nativeUpdate(DeployTask, { project, status: { $in: ['pending', 'awaiting_approval', 'approved', 'scheduled', 'running'] } }, { status: 'cancelled', leaseExpiresAt: null });
    for (let round = 0; round < 30; round++) {
      const answers = await racers.race({ op: 'rollback', project: 'api', actor: admin.id, admin: true });
      const winners = answers.filter((a) => a.ok);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.value).toMatchObject({ kind: 'rollback', targetRelease: 'r2', fromRelease: 'r3' });
      for (const loser of answers.filter((a) => !a.ok)) expect(loser.error).toMatch(new RegExp(`^Rollback #${winners[0]!.value.id} of api \\(to \`r2\`\\) is already (pending|approved and queued): one rollback at a time`));
      await db.em().nativeUpdate(DeployTask, { id: winners[0]!.value.id }, { status: 'cancelled' });
    }
  }, 120_000);
});
