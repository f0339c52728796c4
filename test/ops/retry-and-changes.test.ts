import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareUrl, summariseChanges } from '../../src/core/tasks/change-summary.js';
import { changeLines } from '../../src/commands/replies/change-lines.js';
import { createRuntimeFixture, type RuntimeFixture } from '../support/runtime-fixture.js';

describe('retrying failed servers and listing what will change', () => {
  let f: RuntimeFixture;
  const run = async (text: string, user = 'UADMIN01') => {
    const outcome = await f.runtime.executor.run(user, text, { slackEscaped: false });
    if (outcome.kind !== 'task') throw new Error(JSON.stringify(outcome));
    return { outcome, finished: await f.runtime.events.waitForFinish(outcome.task.id) };
  };
  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 3, project: { onFailure: 'continue' } });
    await f.runtime.begin();
  });
  afterAll(() => f?.close());

  it('retries only the servers that do not serve the release, once the fault is gone', async () => {
    await run('app v1');
    const fault = join(f.servers[2]!.hostDir, 'FAULT');
    writeFileSync(fault, 'disk full\n');
    await f.runtime.app.withServices((s) => s.projects.setHooks(f.admin, 'app', { after_deploy: 'if [ -f "$DEPLOY_PATH/FAULT" ]; then cat "$DEPLOY_PATH/FAULT" >&2; exit 1; fi' }));
    const { outcome, finished } = await run('app v2');
    expect(finished.status).toBe('failed');
    expect(finished.hosts.filter((h) => h.failed).map((h) => h.name)).toEqual(['web-3']);

    rmSync(fault);
    const retry = await run(`retry ${outcome.task.id}`);
    expect(retry.finished.status).toBe('success');
    expect(retry.finished.hosts.map((h) => h.name)).toEqual(['web-3']); // the healthy ones were left alone
    const live = await f.runtime.app.withServices((s) => s.projects.liveReleases('app'));
    expect(new Set(live.map((l) => l.commit)).size).toBe(1); // the whole fleet now runs v2's commit
    expect(live[0]!.commit).toBe((await f.repo.git('rev-parse', 'v2^{commit}')).trim());
    const again = await f.runtime.executor.run('UADMIN01', `retry ${retry.outcome.task.id}`, { slackEscaped: false });
    expect(again.kind === 'reply' && again.reply.text).toMatch(/already finished successfully: only a failed, interrupted or cancelled deploy can be retried/);
    expect(existsSync(fault)).toBe(false);
  });

  it('lists the undeployed commits per group of servers', async () => {
    const v2 = (await f.repo.git('rev-parse', 'v2^{commit}')).trim();
    const c3 = await f.repo.commit({ 'index.html': 'version 3\n' }, 'add the pricing page');
    const c4 = await f.repo.commit({ 'index.html': 'version 4\n' }, 'fix the pricing typo');
    await f.runtime.git.ensureMirror(f.repo.url);
    const summary = await f.runtime.app.withServices((s) => summariseChanges(s.em, f.runtime.git, 'app', c4));
    expect(summary.groups).toHaveLength(1);
    expect(summary.groups[0]).toMatchObject({ servers: ['web-1', 'web-2', 'web-3'], liveCommit: v2, direction: 'ahead', count: 2 });
    expect(summary.groups[0]!.commits.map((c) => c.sha)).toEqual([c4, c3]);
    const lines = changeLines(summary);
    expect(lines[0]).toBe(`*2 commits new* since \`${v2.slice(0, 7)}\``);
    expect(lines[1]).toMatch(/^• `[0-9a-f]{7}` fix the pricing typo — /);

    // Going back in history is said as such.
    const v1 = (await f.repo.git('rev-parse', 'v1^{commit}')).trim();
    const back = await f.runtime.app.withServices((s) => summariseChanges(s.em, f.runtime.git, 'app', v1));
    expect(back.groups[0]).toMatchObject({ direction: 'behind', count: 1 });

    // The deploy reply carries it.
    const reply = await f.runtime.executor.run('UADMIN01', 'app main', { slackEscaped: false });
    expect(reply.kind === 'task' && JSON.stringify(reply.reply.blocks)).toContain('2 commits new');
    if (reply.kind === 'task') await f.runtime.events.waitForFinish(reply.task.id);
  });

  it('links to a compare view for GitHub and GitLab repositories', () => {
    expect(compareUrl('https://github.com/acme/api.git', 'aaa', 'bbb')).toBe('https://github.com/acme/api/compare/aaa...bbb');
    expect(compareUrl('git@github.com:acme/api.git', 'aaa', 'bbb')).toBe('https://github.com/acme/api/compare/aaa...bbb');
    expect(compareUrl('https://gitlab.com/group/sub/api.git', 'aaa', 'bbb')).toBe('https://gitlab.com/group/sub/api/-/compare/aaa...bbb');
    expect(compareUrl('file:///tmp/repo', 'aaa', 'bbb')).toBeNull();
  });
});
