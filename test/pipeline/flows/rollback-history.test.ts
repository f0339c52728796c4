import { lstatSync, readlinkSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../../support/db/database.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/** Rollback goes to what was live before, per each server's recorded history; never "the newest older directory". */
describe('rollback follows the history of live releases', () => {
  let f: DeployFixture;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 2 });
  });
  afterAll(() => f?.close());
  const allOn = (release: string) => [0, 1].forEach((i) => expect(f.current(i)).toBe(release));
  const setHooks = (hooks: Record<string, string>) =>
    f.db.services().projects.setHooks(admin, 'app', { before_download: '', after_download: '', before_deploy: '', after_deploy: '', ...hooks });

  it('v1, v2, rollback (to v1), v3, rollback: ends on v1, not on v2', async () => {
    const v1 = (await f.deploy('v1')).task.releaseId!;
    const v2 = (await f.deploy('v2')).task.releaseId!;
    const back = await f.rollback();
    expect(back.outcome.status).toBe('success');
    allOn(v1);
    const v3 = await f.deploy('v3');
    expect(v3.outcome.status).toBe('success');
    allOn(v3.task.releaseId!);
    // v2's directory is newer than v1 and older than v3: the old rule would have picked it.
    expect(f.releasesOn(0)).toContain(v2);
    const again = await f.rollback();
    expect(again.outcome.status, again.task.error ?? '').toBe('success');
    expect(again.task.targetRelease).toBe(v1);
    allOn(v1);
    expect(f.liveFile(0, 'index.html')).toBe('version 1\n');
  });

  it('a rollback after a failed, switched-back deploy ends on what was live before that deploy', async () => {
    const v1 = (await f.deploy('v1')).task.releaseId!;
    const v2 = (await f.deploy('v2')).task.releaseId!;
    await setHooks({ after_deploy: 'if [ "$DEPLOY_SERVER" = web-2 ] && [ -z "$DEPLOY_ROLLBACK" ]; then exit 1; fi' });
    const failed = await f.deploy('v3');
    expect(failed.outcome.status).toBe('failed');
    allOn(v2);
    // The failed release's directory stays (it was complete), but it never counts as "live before".
    expect(f.releasesOn(0)).toContain(failed.task.releaseId);
    await setHooks({});
    const back = await f.rollback();
    expect(back.outcome.status, back.task.error ?? '').toBe('success');
    expect(back.task.targetRelease).toBe(v1);
    allOn(v1);
  });
});

describe('keep=2 cleanup', () => {
  let f: DeployFixture;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 2, project: { keepReleases: 2 } });
  });
  afterAll(() => f?.close());
  const allOn = (release: string) => [0, 1].forEach((i) => expect(f.current(i)).toBe(release));

  it('never deletes the rollback target, even when it is older than the newest two', async () => {
    const v1 = (await f.deploy('v1')).task.releaseId!;
    const v2 = (await f.deploy('v2')).task.releaseId!;
    expect((await f.rollback()).outcome.status).toBe('success');
    allOn(v1);
    const v3 = (await f.deploy('v3')).task.releaseId!;
    // History: v1 → v3, so the rollback target is v1 although v2 is newer.
    for (const i of [0, 1]) expect(f.releasesOn(i)).toContain(v1);
    const v4 = (await f.deploy('v1')).task.releaseId!;
    // History: v1 → v3 → v4: v3 is the target now; v1 and v2 may go.
    for (const i of [0, 1]) expect(f.releasesOn(i)).toEqual([v3, v4]);
    expect(v2 < v3).toBe(true);
    const back = await f.rollback();
    expect(back.task.targetRelease).toBe(v3);
    expect(back.outcome.status).toBe('success');
    allOn(v3);
  });

  it('never deletes a release that is live on another server of the project', async () => {
    const a = (await f.deploy('v1')).task.releaseId!;
    const b = (await f.deploy('v2')).task.releaseId!;
    // Someone points web-1 back at the older release by hand.
    const link = join(f.servers[0]!.hostDir, 'current');
    symlinkSync(`releases/${a}`, `${link}.hand`);
    renameSync(`${link}.hand`, link);
    expect(lstatSync(link).isSymbolicLink() && readlinkSync(link)).toBe(`releases/${a}`);
    const c = (await f.deploy('v3')).task.releaseId!;
    allOn(c);
    // On web-2, `a` is neither the newest two nor web-2's previous release, but it was live on web-1.
    for (const i of [0, 1]) expect(f.releasesOn(i)).toContain(a);
    expect(f.releasesOn(1)).toContain(b);
  });
});
