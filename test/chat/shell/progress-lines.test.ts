import { describe, expect, it } from 'vitest';
import { ProgressLines } from '../../../src/chat/shell/output/progress-lines.js';
import { TaskProgress } from '../../../src/chat/task-progress.js';
import type { TaskView } from '../../../src/core/views.js';
import type { PipelineEvent } from '../../../src/pipeline/events.js';

type EventBody = PipelineEvent extends infer E ? (E extends PipelineEvent ? Omit<E, 'taskId' | 'at'> : never) : never;

const at = new Date('2026-11-23T10:00:00Z');
const SHA = '3f2a9c1d0e5b6a7980c1d2e3f4a5b6c7d8e9f001';

function view(): TaskView {
  return {
    id: 12, project: 'api', environment: 'prod', kind: 'deploy', ref: 'v1.2.0', commit: null, status: 'approved', requestedBy: 'alice',
    approvedBy: 'bob', approvedAt: at, rejectedBy: null, rejectReason: null, cancelledBy: null, scheduledAt: null, startedAt: null,
    finishedAt: null, releaseId: null, error: null, hooks: { before_download: '', after_download: '', before_deploy: '', after_deploy: '' },
    slack: null, createdAt: at,
  };
}

/** Feeds events through TaskProgress and ProgressLines, collecting the printed lines. */
function run(hosts: string[], events: EventBody[], clock = { now: 0 }) {
  const progress = new TaskProgress(view());
  const lines = new ProgressLines(12, {}, () => clock.now);
  const out: string[] = [];
  const started: EventBody = { type: 'task.started', kind: 'deploy', project: 'api', ref: 'v1.2.0', releaseId: null, hosts };
  for (const body of [started, ...events]) {
    const event = { ...body, taskId: 12, at } as PipelineEvent;
    progress.apply(event);
    out.push(...lines.lines(event, progress));
    if (event.type === 'task.finished') out.push(lines.result(event, progress));
  }
  return out;
}

describe('ProgressLines', () => {
  it('says when a prod canary waits for a Promote, and who promoted it', () => {
    const out = run(['web-1', 'web-2'], [
      { type: 'canary.started', hosts: ['web-1'], waitMs: 60_000, needsPromotion: true },
      { type: 'canary.awaiting_promotion', hosts: ['web-1'], minWaitMs: 60_000 },
      { type: 'canary.promoted', hosts: ['web-1'], by: 'bob', reason: null, restInMs: 42_000 },
      { type: 'canary.passed', hosts: ['web-1'] },
    ]);
    expect(out.slice(1)).toEqual([
      "[#12] canary: web-1 first; the rest waits for an approver's Promote (and at least 60 s)",
      '[#12] canary healthy on web-1; waiting for an approver to Promote (`promote 12`, or `cancel 12` to switch it back)',
      '[#12] canary promoted by bob; the rest follows in 42 s (canary_wait)',
      '[#12] the rest follows',
    ]);
  });

  it('prints stage changes, per-server lines for up to five servers, and failures with their output', () => {
    const out = run(['web-1', 'web-10'], [
      { type: 'stage.started', stage: 'download' },
      { type: 'commit.resolved', ref: 'v1.2.0', commit: SHA },
      { type: 'stage.finished', stage: 'download', state: 'done', durationMs: 1234 },
      { type: 'stage.finished', stage: 'after_download', state: 'skipped', durationMs: 0 },
      { type: 'host.stage.finished', host: 'web-1', stage: 'upload', state: 'done', durationMs: 400 },
      { type: 'host.stage.finished', host: 'web-10', stage: 'before_deploy', state: 'failed', durationMs: 200, exitCode: 3, error: 'exited with code 3', outputTail: 'npm ERR! a\nnpm ERR! b\n' },
      { type: 'host.stage.finished', host: 'web-1', stage: 'switch', state: 'skipped', durationMs: 0 },
      { type: 'output', host: 'web-1', stage: 'before_deploy', stream: 'stdout', line: 'noise' },
      { type: 'task.finished', status: 'failed', releaseId: null, commit: SHA, durationMs: 3400, error: 'before_deploy failed on web-10', hosts: [] },
    ]);
    expect(out).toEqual([
      '[#12] deploy api v1.2.0 started on web-1, web-10',
      '[#12] download ✓ 1.2s (3f2a9c1)',
      '[#12]   web-1   upload ✓ 400ms',
      '[#12]   web-10  before_deploy ✗ 200ms (exit 3)', // the exit code once
      '        │ npm ERR! a',
      '        │ npm ERR! b',
      '[#12] ✗ deploy #12 of api v1.2.0 failed after 3.4s: before_deploy failed on web-10',
    ]);
  });

  it('sums up each stage beyond five servers: when it completes, and at most once a second meanwhile', () => {
    const hosts = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
    const clock = { now: 0 };
    const upload = (i: number, state: 'done' | 'failed' = 'done') => ({ type: 'host.stage.finished' as const, host: hosts[i]!, stage: 'upload' as const, state, durationMs: 10, ...(state === 'failed' ? { error: 'connection reset' } : {}) });
    const out = run(hosts, [upload(0), upload(1), upload(2), upload(3, 'failed'), ...hosts.slice(4).map((_, i) => upload(i + 4))], clock);
    expect(out).toEqual([
      '[#12] deploy api v1.2.0 started on 20 servers',
      '[#12] upload 1/20 ✓',
      '[#12]   web-4  upload ✗ 10ms: connection reset',
      '[#12] upload 3/20 ✓, 1 ✗',
      '[#12] upload 19/20 ✓, 1 ✗',
    ]);
  });

  it('tells a relayed upload, and where each server got its copy from and how fast', () => {
    const out = run(['web-1', 'web-2'], [
      { type: 'distribution.started', strategy: 'relay' },
      { type: 'host.source', host: 'web-1', source: 'bot', offset: 0 },
      { type: 'host.source', host: 'web-2', source: 'web-1', offset: 0 },
      { type: 'progress', host: 'web-2', bytes: 5_000_000, totalBytes: 20_000_000, bytesPerSec: 11_800_000 },
      { type: 'distribution.note', host: 'web-2', message: 'leaving web-1: too slow' },
      { type: 'host.stage.started', host: 'web-2', stage: 'upload' },
      { type: 'host.stage.finished', host: 'web-2', stage: 'upload', state: 'done', durationMs: 1700 },
    ]);
    expect(out.some((l) => l.includes('upload: relay'))).toBe(true);
    expect(out.some((l) => l.includes('leaving web-1: too slow'))).toBe(true);
    expect(out.find((l) => l.includes('web-2') && l.includes('upload ✓'))).toMatch(/from web-1 · 11\.8 MB\/s$/);
  });

  it('says where a successful release went live', () => {
    const out = run(['web-1'], [{ type: 'task.finished', status: 'success', releaseId: '20261123-100000-12-3f2a9c1', commit: SHA, durationMs: 5000, hosts: [{ name: 'web-1', release: '20261123-100000-12-3f2a9c1', failed: false }] }]);
    expect(out.at(-1)).toBe('[#12] ✓ deploy #12 of api v1.2.0 succeeded in 5.0s: 20261123-100000-12-3f2a9c1 is live on 1 server');
  });
});
