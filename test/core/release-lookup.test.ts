import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectReleases, releaseRefs, resolveReleaseName } from '../../src/core/tasks/release-lookup.js';
import { DeployTask, Project, Release, Server } from '../../src/db/entities/index.js';
import { UserError } from '../../src/errors.js';
import { admin, createTestDatabase, type TestDatabase } from '../support/db/database.js';

/**
 * `rollback <project> <what>` on a real SQLite database: what people remember a release by (tag,
 * commit, task number) → the release directory the servers know. Two servers; the older v1.0.0
 * release is only on web-1, the newer one on both.
 */
let db: TestDatabase;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

beforeAll(async () => {
  db = await createTestDatabase();
  const s = db.services();
  for (const name of ['web-1', 'web-2']) await s.servers.add(admin, { name, hostname: '127.0.0.1', username: 'deploy', authKind: 'agent' });
  await s.projects.add(admin, { name: 'site', repoUrl: 'file:///srv/git/site', deployPath: '/srv/site', servers: ['web-1', 'web-2'] });
  const em = db.em();
  const project = await em.findOneOrFail(Project, { name: 'site' });
  const w1 = await em.findOneOrFail(Server, { name: 'web-1' });
  const w2 = await em.findOneOrFail(Server, { name: 'web-2' });
  const task = (ref: string, commit: string, releaseId: string | null, kind: 'deploy' | 'rollback' = 'deploy', targetRelease: string | null = null) =>
    em.create(DeployTask, { project, kind, ref, commit, releaseId, targetRelease, status: 'success', requestedBy: admin.id, createdAt: new Date(), updatedAt: new Date() });
  task('v1.0.0', A, '20260101000000-1-aaaaaaa');
  task('v1.1.0', B, '20260102000000-2-bbbbbbb');
  task('v1.0.0', A, '20260103000000-3-aaaaaaa');
  task('main', C, '20260104000000-4-ccccccc');
  task('previous', '', null, 'rollback', '20260102000000-2-bbbbbbb');
  await em.flush();
  const release = (server: Server, releaseId: string, commit: string, taskId: number, isCurrent = false) =>
    em.create(Release, { project, server, releaseId, commit, path: `/srv/site/releases/${releaseId}`, taskId, isCurrent, createdAt: new Date(Date.parse(`${releaseId.slice(0, 4)}-${releaseId.slice(4, 6)}-${releaseId.slice(6, 8)}T00:00:00Z`)) });
  release(w1, '20260101000000-1-aaaaaaa', A, 1);
  for (const server of [w1, w2]) {
    release(server, '20260102000000-2-bbbbbbb', B, 2);
    release(server, '20260103000000-3-aaaaaaa', A, 3);
    release(server, '20260104000000-4-ccccccc', C, 4, true);
  }
  await em.flush();
});

afterAll(() => db.close());

async function resolve(what: string, resolveCommit?: (ref: string) => Promise<string | null>): Promise<string> {
  const em = db.em();
  const project = await em.findOneOrFail(Project, { name: 'site' }, { populate: ['servers'] });
  return resolveReleaseName(em, project, what, resolveCommit);
}

describe('resolveReleaseName', () => {
  it('takes a release id as it is', async () => {
    expect(await resolve('20260101000000-1-aaaaaaa')).toBe('20260101000000-1-aaaaaaa');
  });

  it('reads a tag as the newest release of it that every server has', async () => {
    expect(await resolve('v1.0.0')).toBe('20260103000000-3-aaaaaaa');
    expect(await resolve('v1.1.0')).toBe('20260102000000-2-bbbbbbb');
  });

  it('reads a task number as the release its deploy made, or its rollback went to', async () => {
    expect(await resolve('2')).toBe('20260102000000-2-bbbbbbb');
    expect(await resolve('#1')).toBe('20260101000000-1-aaaaaaa');
    expect(await resolve('5')).toBe('20260102000000-2-bbbbbbb');
    await expect(resolve('99')).rejects.toThrow('There is no task #99 of site');
  });

  it('reads a commit prefix, and a ref git resolves to a deployed commit', async () => {
    expect(await resolve('bbbbbbb')).toBe('20260102000000-2-bbbbbbb');
    expect(await resolve('release-candidate', async (ref) => (ref === 'release-candidate' ? B : null))).toBe('20260102000000-2-bbbbbbb');
  });

  it('says what would work when nothing matches', async () => {
    const err = await resolve('v9.9.9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      'No release of site on its servers matches `v9.9.9`: give a release id, a task number, or a tag, branch or commit that was deployed. See `releases site`.',
    );
  });
});

describe('listings', () => {
  it('lists releases newest first with their ref, servers and where they are live', async () => {
    const em = db.em();
    const project = await em.findOneOrFail(Project, { name: 'site' }, { populate: ['servers'] });
    const releases = await projectReleases(em, project);
    expect(releases.map((r) => [r.releaseId, r.ref, r.servers, r.currentOn])).toEqual([
      ['20260104000000-4-ccccccc', 'main', ['web-1', 'web-2'], ['web-1', 'web-2']],
      ['20260103000000-3-aaaaaaa', 'v1.0.0', ['web-1', 'web-2'], []],
      ['20260102000000-2-bbbbbbb', 'v1.1.0', ['web-1', 'web-2'], []],
      ['20260101000000-1-aaaaaaa', 'v1.0.0', ['web-1'], []],
    ]);
    const refs = await releaseRefs(em, ['20260102000000-2-bbbbbbb', null, 'not-a-release-id']);
    expect([...refs]).toEqual([['20260102000000-2-bbbbbbb', 'v1.1.0']]);
  });
});
