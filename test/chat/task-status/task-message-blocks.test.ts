import { describe, expect, it } from 'vitest';
import { progressBar, taskMessage } from '../../../src/chat/slack/task-status/task-message-blocks.js';
import { TaskProgress } from '../../../src/chat/task-progress.js';
import type { TaskView } from '../../../src/core/views.js';
import type { PipelineEvent } from '../../../src/pipeline/events.js';

const base: TaskView = {
  id: 12,
  project: 'api',
  environment: 'prod',
  kind: 'deploy',
  ref: 'v1.2.0',
  commit: null,
  status: 'awaiting_approval',
  requestedBy: 'UALICE01',
  approvedBy: null,
  approvedAt: null,
  rejectedBy: null,
  rejectReason: null,
  cancelledBy: null,
  scheduledAt: null,
  startedAt: null,
  finishedAt: null,
  releaseId: null,
  error: null,
  hooks: { before_download: '', after_download: '', before_deploy: '', after_deploy: '' },
  slack: null,
  createdAt: new Date('2026-11-23T10:00:00Z'),
};
const at = new Date('2026-11-23T10:00:00Z');
const ev = (e: Record<string, unknown>) => ({ taskId: 12, at, ...e }) as PipelineEvent;
const actionIds = (blocks: unknown[]) => [...JSON.stringify(blocks).matchAll(/"action_id":"([a-z_]+)"/g)].map((m) => m[1]);

describe('task message blocks', () => {
  it('offers Approve and Reject while waiting, with a full fallback text', () => {
    const m = taskMessage(new TaskProgress(base, ['web-1']), { timeZone: 'UTC' });
    expect(m.text).toBe('deploy #12 api v1.2.0 → prod: waiting for approval');
    expect(actionIds(m.blocks)).toEqual(['task_approve', 'task_reject']);
    expect(JSON.stringify(m.blocks)).toContain('requested by <@UALICE01>');
  });

  it('says who holds a queued or scheduled deploy with a lock, and why; without a lock, what it waits for', () => {
    const held = new TaskProgress({ ...base, status: 'approved', approvedBy: 'UBOB0001' }, ['web-1']);
    held.queue = { position: 1, blockedBy: 7, lock: { by: 'UCAROL01', reason: 'black friday' } };
    const m = taskMessage(held, { timeZone: 'UTC' });
    expect(JSON.stringify(m.blocks)).toContain(':lock: held: api is locked by <@UCAROL01> (black friday); it starts after unlock');
    expect(m.text).toBe('deploy #12 api v1.2.0 → prod: queued (held by a lock)');
    const scheduled = new TaskProgress({ ...base, status: 'scheduled', scheduledAt: at }, ['web-1']);
    scheduled.queue = { position: 0, blockedBy: null, lock: { by: 'UCAROL01', reason: null } };
    expect(JSON.stringify(taskMessage(scheduled, { timeZone: 'UTC' }).blocks)).toContain('held: api is locked by <@UCAROL01>; it starts after unlock');
    held.queue = { position: 2, blockedBy: 7, lock: null };
    expect(JSON.stringify(taskMessage(held, { timeZone: 'UTC' }).blocks)).toContain(':hourglass_flowing_sand: queued (position 2): it starts when deploy #7 finishes');
  });

  it('a prod canary that passed offers Promote and Cancel, names the approvers, then says who promoted it', () => {
    const p = new TaskProgress({ ...base, status: 'approved', approvedBy: 'UBOB0001' }, ['web-1', 'web-2', 'web-3']);
    p.apply(ev({ type: 'task.started', kind: 'deploy', project: 'api', ref: 'v1.2.0', releaseId: null, hosts: ['web-1', 'web-2', 'web-3'] }));
    p.apply(ev({ type: 'canary.started', hosts: ['web-1'], waitMs: 0 }));
    expect(actionIds(taskMessage(p, { timeZone: 'UTC' }).blocks)).toEqual(['task_cancel']);
    p.apply(ev({ type: 'canary.awaiting_promotion', hosts: ['web-1'], minWaitMs: 0 }));
    const waiting = taskMessage(p, { timeZone: 'UTC', approvers: ['UBOB0001', 'UCAROL01'] });
    expect(actionIds(waiting.blocks)).toEqual(['task_promote', 'task_cancel']);
    expect(JSON.stringify(waiting.blocks)).toContain(':hourglass_flowing_sand: canary healthy on web-1; waiting for an approver to Promote (<@UBOB0001>, <@UCAROL01>)');
    expect(waiting.text).toBe('deploy #12 api v1.2.0 → prod: running (canary healthy on web-1; waiting for an approver to Promote)');
    p.apply(ev({ type: 'canary.promoted', hosts: ['web-1'], by: 'UBOB0001', reason: null, restInMs: 0 }));
    const promoted = taskMessage(p, { timeZone: 'UTC', approvers: ['UBOB0001'] });
    expect(actionIds(promoted.blocks)).toEqual(['task_cancel']);
    expect(JSON.stringify(promoted.blocks)).toContain(':rocket: canary healthy on web-1; promoted by <@UBOB0001>: the rest follows');
    expect(JSON.stringify(promoted.blocks)).toContain('promoted by <@UBOB0001>');
    // Seen only in the database (another process runs it): the same state, from the task row.
    const seeded = TaskProgress.fromRecords({ ...base, status: 'running', canaryPassedAt: at }, []);
    expect(seeded.awaitingPromotion).toBe(true);
    expect(actionIds(taskMessage(seeded, { timeZone: 'UTC' }).blocks)).toEqual(['task_promote', 'task_cancel']);
  });

  it('shows per-stage progress for many servers, and Cancel while running', () => {
    const names = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
    const p = new TaskProgress({ ...base, status: 'approved', approvedBy: 'UBOB0001' }, names);
    p.apply(ev({ type: 'task.started', kind: 'deploy', project: 'api', ref: 'v1.2.0', releaseId: null, hosts: names }));
    p.apply(ev({ type: 'commit.resolved', ref: 'v1.2.0', commit: '3f2a9c1e'.padEnd(40, '0') }));
    for (const stage of ['start', 'before_download', 'download', 'after_download', 'package'] as const) p.apply(ev({ type: 'stage.finished', stage, state: 'done', durationMs: 1200 }));
    names.slice(0, 14).forEach((host) => p.apply(ev({ type: 'host.stage.finished', host, stage: 'upload', state: 'done', durationMs: 800 })));
    names.slice(14, 19).forEach((host) => p.apply(ev({ type: 'host.stage.started', host, stage: 'upload' })));
    p.apply(ev({ type: 'host.stage.finished', host: 'web-20', stage: 'upload', state: 'failed', durationMs: 50, error: 'connection lost', exitCode: null }));
    const m = taskMessage(p, { timeZone: 'UTC', now: at });
    const json = JSON.stringify(m.blocks);
    expect(m.text).toBe('deploy #12 api v1.2.0 → prod: running (upload 14/20 servers)');
    expect(json).toContain('upload ▰▰▰▰▰▰▰▰▱▱▱▱ 14/20 servers (5 running, 1 failed)');
    expect(json).toContain('✓ download 1.2s');
    expect(json).toContain('✗ *web-20* at upload: connection lost');
    expect(json).toContain('`v1.2.0` → `3f2a9c1`');
    expect(actionIds(m.blocks)).toContain('task_cancel');
  });

  it('offers Retry after a partial failure and Roll back after success', () => {
    const p = new TaskProgress({ ...base, status: 'running', commit: 'a'.repeat(40) }, ['web-1', 'web-2']);
    p.apply(ev({ type: 'host.stage.finished', host: 'web-2', stage: 'before_deploy', state: 'failed', durationMs: 5, error: 'exited with code 3', exitCode: 3 }));
    p.apply(ev({ type: 'task.finished', status: 'failed', releaseId: null, commit: 'a'.repeat(40), durationMs: 5000, error: 'before_deploy failed', hosts: [] }));
    expect(actionIds(taskMessage(p, { timeZone: 'UTC' }).blocks)).toContain('task_retry');
    const ok = new TaskProgress({ ...base, status: 'running' }, ['web-1']);
    ok.apply(ev({ type: 'task.finished', status: 'success', releaseId: 'r1', commit: 'b'.repeat(40), durationMs: 3000, hosts: [] }));
    const m = taskMessage(ok, { timeZone: 'UTC' });
    expect(m.text).toBe('deploy #12 api v1.2.0 → prod: succeeded');
    expect(actionIds(m.blocks)).toContain('task_rollback');
  });

  it('draws proportional progress bars', () => {
    expect(progressBar(0, 4, 4)).toBe('▱▱▱▱');
    expect(progressBar(2, 4, 4)).toBe('▰▰▱▱');
    expect(progressBar(4, 4, 4)).toBe('▰▰▰▰');
  });

  it('builds a flow snapshot with running times and failed servers', () => {
    const p = new TaskProgress({ ...base, status: 'running' }, ['web-1']);
    p.apply(ev({ type: 'stage.started', stage: 'download' }));
    p.apply(ev({ type: 'host.stage.finished', host: 'web-1', stage: 'upload', state: 'failed', durationMs: 5, error: 'disk full' }));
    const snap = p.snapshot(new Date(at.getTime() + 2500));
    expect(snap.taskStages.download).toEqual({ state: 'running', durationMs: 2500 });
    expect(snap.hosts[0]).toMatchObject({ name: 'web-1', error: 'upload: disk full' });
    expect(snap.title).toBe('deploy #12 · api v1.2.0 → prod');
  });

  it('says where each server got its copy and how fast, escaped, in one bounded block', () => {
    const p = new TaskProgress({ ...base, status: 'running', commit: 'a'.repeat(40) }, ['web-1', 'web-2']);
    p.apply(ev({ type: 'distribution.started', strategy: 'relay' }));
    p.apply(ev({ type: 'host.source', host: 'web-1', source: 'bot', offset: 0 }));
    p.apply(ev({ type: 'host.source', host: 'web-2', source: '<!channel>', offset: 0 }));
    p.apply(ev({ type: 'progress', host: 'web-2', bytes: 1, totalBytes: 10, bytesPerSec: 11_800_000 }));
    const json = JSON.stringify(taskMessage(p, { timeZone: 'UTC', now: at }).blocks);
    expect(json).toContain('web-1 from the bot');
    expect(json).toContain('web-2 ← &lt;!channel&gt; · 11.8 MB/s');
    expect(json).not.toContain('<!channel>');
  });
});
