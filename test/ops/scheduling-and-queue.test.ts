import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/db/entities/index.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import type { Actor } from '../../src/core/actor.js';
import { createRuntimeFixture, type RuntimeFixture } from '../support/runtime-fixture.js';

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
};

describe('scheduled deploys, queueing and locks', () => {
  let f: RuntimeFixture;
  let bob: Actor;
  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 2 });
    bob = f.runtime.app.actor('UBOB0001');
    await f.runtime.begin();
  });
  afterAll(() => f?.close());
  const status = (id: number) => f.runtime.app.withServices((s) => s.tasks.show(id)).then((t) => t.status);

  it('runs a scheduled deploy when its time comes, not before', async () => {
    const at = new Date(Date.now() + 2500);
    const task = await f.runtime.app.withServices((s) => s.tasks.requestDeploy(bob, { project: 'app', ref: 'v1', scheduledAt: at }));
    await f.runtime.coordinator.dispatch();
    expect(await status(task.id)).toBe('scheduled');
    const finished = await f.runtime.events.waitForFinish(task.id);
    expect(finished.status).toBe('success');
    const view = await f.runtime.app.withServices((s) => s.tasks.show(task.id));
    expect(view.startedAt!.getTime()).toBeGreaterThanOrEqual(at.getTime());
  });

  it('keeps a schedule across a restart', async () => {
    const at = new Date(Date.now() + 4000);
    const task = await f.runtime.app.withServices((s) => s.tasks.requestDeploy(bob, { project: 'app', ref: 'v2', scheduledAt: at }));
    await f.runtime.coordinator.dispatch();
    const runtime = await f.restart({ begin: false });
    const finished = runtime.events.waitForFinish(task.id);
    await runtime.begin(); // re-arms the schedule from the database
    expect((await finished).status).toBe('success');
  });

  it('shows scheduled deploys in the task list, and cancel removes one', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const task = await f.runtime.app.withServices((s) => s.tasks.requestDeploy(bob, { project: 'app', ref: 'v1', scheduledAt: at }));
    const list = await f.runtime.executor.run(bob.id, 'tasks app', { slackEscaped: false });
    expect(JSON.stringify(list)).toContain(`#${task.id}`);
    expect(JSON.stringify(list)).toContain('scheduled');
    const cancelled = await f.runtime.executor.run(bob.id, `cancel ${task.id}`, { slackEscaped: false });
    expect(cancelled.kind).toBe('task');
    expect(await status(task.id)).toBe('cancelled');
  });

  it('runs two requests for one project one after the other, saying where the second waits', async () => {
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: 'sleep 1' }));
    const first = await f.runtime.executor.run(bob.id, 'app v1', { slackEscaped: false });
    const second = await f.runtime.executor.run(bob.id, 'app v2', { slackEscaped: false });
    if (first.kind !== 'task' || second.kind !== 'task') throw new Error('expected tasks');
    expect(second.reply.text).toContain(`is queued (position 1): it starts when deploy #${first.task.id} finishes`);
    expect(await status(second.task.id)).toBe('approved');
    await f.runtime.events.waitForFinish(second.task.id);
    const [a, b] = await f.runtime.app.withServices((s) => Promise.all([s.tasks.show(first.task.id), s.tasks.show(second.task.id)]));
    expect(a.status).toBe('success');
    expect(b.status).toBe('success');
    expect(b.startedAt!.getTime()).toBeGreaterThanOrEqual(a.finishedAt!.getTime());
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: '' }));
  });

  it('refuses deploys of a locked project with who and why, until unlocked', async () => {
    await f.runtime.executor.run(f.admin.id, 'lock app database migration until 15:00', { slackEscaped: false });
    const refused = await f.runtime.executor.run(bob.id, 'app v1', { slackEscaped: false });
    expect(refused.kind).toBe('reply');
    expect(refused.kind === 'reply' && refused.reply.text).toBe('Project app is locked by <@UADMIN01>: database migration until 15:00. It can be unlocked with `/deploy unlock app`.');
    const notAllowed = await f.runtime.executor.run(bob.id, 'unlock app', { slackEscaped: false });
    expect(notAllowed.kind === 'reply' && notAllowed.reply.isError).toBe(true);
    await f.runtime.executor.run(f.admin.id, 'unlock app', { slackEscaped: false });
    const ok = await f.runtime.executor.run(bob.id, 'app v1', { slackEscaped: false });
    expect(ok.kind).toBe('task');
    if (ok.kind === 'task') await f.runtime.events.waitForFinish(ok.task.id);
  });

  it('holds queued and scheduled deploys while the project is locked, says so, and runs them after unlock', async () => {
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: 'sleep 2' }));
    const first = await f.runtime.executor.run(bob.id, 'app v1', { slackEscaped: false });
    const queued = await f.runtime.executor.run(bob.id, 'app v2', { slackEscaped: false });
    const scheduledAt = new Date(Date.now() + 1500);
    const scheduled = await f.runtime.app.withServices((s) => s.tasks.requestDeploy(bob, { project: 'app', ref: 'v1', scheduledAt }));
    if (first.kind !== 'task' || queued.kind !== 'task') throw new Error('expected tasks');
    // Locked while #first runs: it finishes; the queued and the scheduled deploy wait.
    const locked = await f.runtime.executor.run(f.admin.id, 'lock app release freeze', { slackEscaped: false });
    expect(locked.kind === 'reply' && locked.reply.text).toContain(`#${queued.task.id}`);
    expect(locked.kind === 'reply' && locked.reply.text).toContain(`#${scheduled.id}`);
    expect(locked.kind === 'reply' && locked.reply.text).toContain(`Deploy #${first.task.id} is running and finishes`);
    expect((await f.runtime.events.waitForFinish(first.task.id)).status).toBe('success');
    await new Promise((r) => setTimeout(r, 3000)); // past the schedule, several dispatch ticks
    expect(await status(queued.task.id)).toBe('approved');
    // Come due, the scheduled deploy joins the queue, and the lock holds it there.
    expect(await status(scheduled.id)).toBe('approved');
    expect((await f.runtime.app.withServices((s) => s.tasks.show(scheduled.id))).startedAt).toBeNull();
    const shown = await f.runtime.executor.run(bob.id, `status ${queued.task.id}`, { slackEscaped: false });
    expect(JSON.stringify(shown)).toContain('held: app is locked by <@UADMIN01> (release freeze); it starts after unlock');
    expect((await f.runtime.coordinator.queuePosition(scheduled.id))?.lock?.reason).toBe('release freeze');
    const unlocked = await f.runtime.executor.run(f.admin.id, 'unlock app', { slackEscaped: false });
    expect(unlocked.kind === 'reply' && unlocked.reply.text).toContain(`#${queued.task.id}`);
    expect((await f.runtime.events.waitForFinish(queued.task.id)).status).toBe('success');
    expect((await f.runtime.events.waitForFinish(scheduled.id)).status).toBe('success');
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: '' }));
  });

  it('a deploy inside a freeze window waits and runs when the window ends; an admin override passes, audited', async () => {
    const endsAt = new Date(Date.now() + 4000);
    await f.runtime.app.withServices((s) => s.freezes.add(f.admin, { scope: 'app', from: new Date(Date.now() - 1000), to: endsAt, reason: 'quarter close', timeZone: 'UTC' }));
    const listed = await f.runtime.executor.run(bob.id, 'freeze list app', { slackEscaped: false });
    expect(JSON.stringify(listed)).toContain('quarter close');
    expect(JSON.stringify(listed)).toContain('in force until');
    const held = await f.runtime.executor.run(bob.id, 'app v1', { slackEscaped: false });
    if (held.kind !== 'task') throw new Error('expected a task');
    expect(held.reply.text).toContain('is held: app is frozen (quarter close) until');
    expect(held.reply.text).toContain('it starts when the window ends');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await status(held.task.id)).toBe('approved');
    const finished = await f.runtime.events.waitForFinish(held.task.id);
    expect(finished.status).toBe('success');
    const view = await f.runtime.app.withServices((s) => s.tasks.show(held.task.id));
    expect(view.startedAt!.getTime()).toBeGreaterThanOrEqual(endsAt.getTime());

    // A second window: bob's override is refused; an admin's passes, and is audited.
    await f.runtime.app.withServices((s) => s.freezes.add(f.admin, { scope: 'all', from: new Date(), to: new Date(Date.now() + 60_000), reason: 'incident', timeZone: 'UTC' }));
    const refused = await f.runtime.executor.run(bob.id, 'app v2 override="urgent"', { slackEscaped: false });
    expect(refused.kind === 'reply' && refused.reply.text).toMatch(/Only admins can override a release gate/);
    const passed = await f.runtime.executor.run(f.admin.id, 'app v2 override="the fix for the incident"', { slackEscaped: false });
    if (passed.kind !== 'task') throw new Error('expected a task');
    expect((await f.runtime.events.waitForFinish(passed.task.id)).status).toBe('success');
    const audits = await f.runtime.app.withServices((s) => s.em.find(AuditEvent, { action: 'task.gate_override', target: `task:${passed.task.id}` }));
    expect(audits.map((a) => a.details)).toEqual([expect.objectContaining({ gate: 'freeze', freeze: 'incident', reason: 'the fix for the incident' })]);
    const windows = await f.runtime.app.withServices((s) => s.freezes.list());
    for (const w of windows) await f.runtime.executor.run(f.admin.id, `freeze remove ${w.id}`, { slackEscaped: false });
    expect(await f.runtime.app.withServices((s) => s.freezes.list())).toEqual([]);
  });

  it('reaps a task that makes no progress, leaving servers on a complete release', async () => {
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: 'sleep 60' }));
    const before = await f.runtime.app.withServices((s) => s.projects.liveReleases('app'));
    const run = await f.runtime.executor.run(bob.id, 'app v2', { slackEscaped: false });
    if (run.kind !== 'task') throw new Error('expected a task');
    await waitFor(async () => {
      const { hosts } = await f.runtime.app.withServices((s) => s.tasks.details(run.task.id));
      return hosts.some((h) => h.stage === 'before_deploy' && h.status === 'running');
    });
    // The reaper looks from 2 minutes in the future with a 1-minute limit: this task is "stalled".
    const reaper = new Scheduler({ orm: f.runtime.app.orm, coordinator: f.runtime.coordinator, log: f.runtime.app.log, stallMinutes: 1, timezone: 'UTC', now: () => new Date(Date.now() + 120_000) });
    expect(await reaper.reap()).toEqual([run.task.id]);
    const finished = await f.runtime.events.waitForFinish(run.task.id);
    expect(finished.status).toBe('failed');
    expect(finished.error).toMatch(/^no progress for 1 minute .*stopped before any server was switched/);
    expect(await f.runtime.app.withServices((s) => s.projects.liveReleases('app'))).toEqual(before);
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { before_deploy: '' }));
  });
});
