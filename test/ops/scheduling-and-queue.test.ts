import { marksAsText } from '../../src/core/mention.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(refused.kind === 'reply' && marksAsText(refused.reply.text)).toBe('Project app is locked by <@UADMIN01>: database migration until 15:00. It can be unlocked with `/deploy unlock app`.');
    const notAllowed = await f.runtime.executor.run(bob.id, 'unlock app', { slackEscaped: false });
    expect(notAllowed.kind === 'reply' && notAllowed.reply.isError).toBe(true);
    await f.runtime.executor.run(f.admin.id, 'unlock app', { slackEscaped: false });
    const ok = await f.runtime.executor.run(bob.id, 'app v1', { slackEscaped: false });
    expect(ok.kind).toBe('task');
    if (ok.kind === 'task') await f.runtime.events.waitForFinish(ok.task.id);
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
