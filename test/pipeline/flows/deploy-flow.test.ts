import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Release, Server, TaskHost } from '../../../src/db/entities/index.js';
import { createDeployFixture, DEPLOY_ROOT, type DeployFixture } from '../../support/deploy-fixture.js';

/** Real sshd × 3, a real git repo, a real SQLite file: the whole release engine, no mocks. */
describe('deploy to three servers', () => {
  let f: DeployFixture;
  beforeAll(async () => {
    f = await createDeployFixture({
      servers: 3,
      project: {
        keepReleases: 2,
        hooks: {
          after_download: 'echo "built $DEPLOY_PROJECT $DEPLOY_REF $DEPLOY_COMMIT" > BUILD_INFO',
          before_deploy: 'test -f index.html && echo "prepared $DEPLOY_SERVER in $PWD"',
          after_deploy: 'echo "$DEPLOY_RELEASE_DIR|$DEPLOY_PREVIOUS_RELEASE_DIR" > ../../last-deploy',
        },
      },
    });
  });
  afterAll(() => f?.close());

  it('deploys v1, then v2, switching every server and recording releases', async () => {
    const first = await f.deploy('v1');
    expect(first.outcome.status).toBe('success');
    expect(first.task.status).toBe('success');
    const v1Release = first.task.releaseId!;
    expect(v1Release).toMatch(/^\d{14}-\d+-[0-9a-f]{7}$/);
    const v1Commit = await f.repo.git('rev-parse', 'v1');
    expect(first.task.commit).toBe(v1Commit.trim());

    for (let i = 0; i < 3; i++) {
      expect(f.current(i)).toBe(v1Release);
      expect(f.liveFile(i, 'index.html')).toBe('version 1\n');
      // after_download ran in the workspace, so its output was packaged and shipped.
      expect(f.liveFile(i, 'BUILD_INFO')).toBe(`built app v1 ${v1Commit.trim()}\n`);
    }

    const second = await f.deploy('v2');
    expect(second.outcome.status).toBe('success');
    const v2Release = second.task.releaseId!;
    for (let i = 0; i < 3; i++) {
      expect(f.current(i)).toBe(v2Release);
      expect(f.liveFile(i, 'new.txt')).toBe('added in v2\n');
      expect(f.releasesOn(i)).toEqual([v1Release, v2Release]);
    }
    // Remote hooks see the release dirs.
    expect(readFileSync(join(f.servers[0]!.hostDir, 'last-deploy'), 'utf8')).toBe(`${DEPLOY_ROOT}/releases/${v2Release}|${DEPLOY_ROOT}/releases/${v1Release}\n`);

    const em = f.db.em();
    const rows = await em.find(Release, {}, { populate: ['server'], orderBy: { id: 'asc' } });
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.isCurrent).map((r) => r.releaseId)).toEqual([v2Release, v2Release, v2Release]);
    const hosts = await em.find(TaskHost, { task: second.task.id });
    expect(hosts.map((h) => [h.serverName, h.status, h.previousRelease])).toEqual([
      ['web-1', 'done', v1Release],
      ['web-2', 'done', v1Release],
      ['web-3', 'done', v1Release],
    ]);
    expect(hosts[0]!.stages.upload?.state).toBe('done');
    expect(hosts[0]!.stages.after_deploy?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('pins each server host key on first contact', async () => {
    const servers = await f.db.em().find(Server, {}, { orderBy: { name: 'asc' } });
    expect(servers.map((s) => s.hostKeyFingerprint)).toEqual(f.servers.map((s) => s.hostKeyFingerprint));
  });

  it('keeps only the newest releases, never the live one or the rollback target', async () => {
    const third = await f.deploy('v3');
    expect(third.outcome.status).toBe('success');
    for (let i = 0; i < 3; i++) {
      const releases = f.releasesOn(i);
      expect(releases).toHaveLength(2);
      expect(releases[1]).toBe(third.task.releaseId);
    }
    expect(await f.db.em().count(Release, {})).toBe(6);
  });

  it('rolls back to the previous release without uploading', async () => {
    const before = f.releasesOn(0);
    const { task, outcome } = await f.rollback();
    expect(outcome.status).toBe('success');
    expect(task.kind).toBe('rollback');
    for (let i = 0; i < 3; i++) {
      expect(f.current(i)).toBe(before[0]);
      expect(f.liveFile(i, 'index.html')).toBe('version 2\n');
    }
    expect(f.recorded.some((e) => e.taskId === task.id && e.type === 'progress')).toBe(false);
    const current = await f.db.em().find(Release, { isCurrent: true });
    expect(new Set(current.map((r) => r.releaseId))).toEqual(new Set([before[0]]));
  });

  it('rolls forward to a named release, and refuses one that does not exist', async () => {
    const newest = f.releasesOn(0)[1]!;
    const { outcome } = await f.rollback(newest);
    expect(outcome.status).toBe('success');
    expect(f.current(2)).toBe(newest);
    // Refused when requested (the target is pinned then): no task, no server touched.
    await expect(f.rollback('20200101000000-1-abcdef0')).rejects.toThrow(/Release `20200101000000-1-abcdef0` is not on web-1, web-2, web-3/);
    expect(f.current(0)).toBe(newest);
  });

  it('emits stage events in flow order', async () => {
    const { task } = await f.deploy('v1');
    const mine = f.recorded.filter((e) => e.taskId === task.id);
    const taskStages = mine.filter((e) => e.type === 'stage.finished').map((e) => (e as { stage: string }).stage);
    expect(taskStages).toEqual(['start', 'before_download', 'download', 'after_download', 'package']);
    const web1 = mine.filter((e) => e.type === 'host.stage.finished' && e.host === 'web-1').map((e) => (e as { stage: string; state: string }).stage);
    expect(web1).toEqual(['upload', 'before_deploy', 'switch', 'after_deploy', 'health']);
    expect(mine.at(-1)?.type).toBe('task.finished');
    expect(mine.some((e) => e.type === 'output' && e.line.startsWith('prepared web-1 in /srv/deploybot-test/app/releases/'))).toBe(true);
    expect(existsSync(`${f.dataDir}/workspaces/task-${task.id}`)).toBe(false);
  });
});
