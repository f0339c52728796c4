import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditEvent, Project } from '../../src/db/entities/index.js';
import { pathRelation } from '../../src/core/projects/shared-paths.js';
import { admin, createTestDatabase, type TestDatabase } from '../support/db/database.js';

let db: TestDatabase;
beforeEach(async () => {
  await db?.close();
  db = await createTestDatabase();
  for (const name of ['web-1', 'web-2', 'web-3']) await db.services().servers.add(admin, { name, hostname: `${name}.example.com`, username: 'deploy', authKind: 'agent' });
  // Another entry for web-1's machine (same host and port, another login).
  await db.services().servers.add(admin, { name: 'web-1-ops', hostname: 'WEB-1.example.com', username: 'ops', authKind: 'agent' });
  await db.services().projects.add(admin, { name: 'shop', repoUrl: 'git@github.com:acme/shop.git', deployPath: '/srv/shop', servers: ['web-1', 'web-2'] });
});
afterAll(() => db?.close());

const add = (deployPath: string, servers: string[]) => db.services().projects.add(admin, { name: 'api', repoUrl: 'git@github.com:acme/api.git', deployPath, servers });

describe('no two projects share a deploy path on one server', () => {
  it('refuses the same path, a path inside, and a path above another project’s, on a shared server', async () => {
    await expect(add('/srv/shop/', ['web-2'])).rejects.toThrow(/Cannot add project api: its deploy path \/srv\/shop on web-2 is also the deploy path of project shop\. Two projects on one path would switch, clean up and roll back each other's releases/);
    await expect(add('/srv/shop/api', ['web-3', 'web-2'])).rejects.toThrow(/deploy path \/srv\/shop\/api on web-2 is inside \/srv\/shop, the deploy path of project shop/);
    await expect(add('/srv', ['web-1'])).rejects.toThrow(/deploy path \/srv on web-1 contains \/srv\/shop, the deploy path of project shop/);
    await expect(add('/srv/shop', ['web-1-ops'])).rejects.toThrow(/on web-1-ops is also the deploy path of project shop \(on web-1, the same machine\)/);
    // Nothing was changed by the refusals.
    expect(await db.em().count(Project, { name: 'api' })).toBe(0);
    expect(await db.em().count(AuditEvent, { action: 'project.add', target: 'project:api' })).toBe(0);
  });

  it('accepts the same path on other servers and a sibling path on the same server', async () => {
    await add('/srv/shop', ['web-3']);
    await db.services().projects.add(admin, { name: 'blog', repoUrl: 'git@github.com:acme/blog.git', deployPath: '/srv/shop-blog', servers: ['web-1'] });
  });

  it('refuses an edit that would make two projects share a path, of the path or of the servers', async () => {
    await add('/srv/api', ['web-3']);
    await expect(db.services().projects.edit(admin, 'api', { servers: ['web-3', 'web-1'], deployPath: '/srv/shop/current/x' })).rejects.toThrow(/Cannot edit project api: its deploy path \/srv\/shop\/current\/x on web-1 is inside \/srv\/shop/);
    await db.services().projects.edit(admin, 'api', { deployPath: '/srv/shop' }); // only web-3: fine
    await expect(db.services().projects.edit(admin, 'api', { servers: ['web-2'] })).rejects.toThrow(/on web-2 is also the deploy path of project shop/);
    expect((await db.services().projects.show('api')).servers).toEqual(['web-3']);
  });
});

describe('pathRelation', () => {
  it('compares normalised paths, never by string prefix alone', () => {
    expect(pathRelation('/srv/app', '/srv/app/')).toBe('same');
    expect(pathRelation('/srv/app/x', '/srv/app')).toBe('inside');
    expect(pathRelation('/srv', '/srv/app')).toBe('above');
    expect(pathRelation('/srv/app-2', '/srv/app')).toBeNull();
    expect(pathRelation('/srv/a/../app/x', '/srv/app')).toBe('inside');
  });
});
