import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditEvent, Project } from '../../src/db/entities/index.js';
import { UserError } from '../../src/errors.js';
import { admin, alice, createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/db/database.js';
import { usePostgres } from '../support/db/use-postgres.js';

const postgres = usePostgres();

describe.each(STORE_KINDS)('ProjectService on %s', (kind) => {
  let db: TestDatabase;
  beforeEach(async () => {
    await db?.close();
    db = await createTestDatabase({ kind, postgres });
    for (const name of ['web-1', 'web-2']) {
      await db.services().servers.add(admin, { name, hostname: `${name}.example.com`, username: 'deploy', authKind: 'agent' });
    }
  });
  afterAll(() => db?.close());

  const api = { name: 'api', repoUrl: 'git@github.com:acme/api.git', deployPath: '/srv/api', servers: ['web-1', 'web-2'] };

  it('adds a project with sensible defaults', async () => {
    const p = await db.services().projects.add(admin, api);
    expect(p).toMatchObject({
      name: 'api',
      title: 'api',
      environment: 'test',
      deployPath: '/srv/api',
      servers: ['web-1', 'web-2'],
      defaultBranch: 'main',
      keepReleases: 5,
      approvers: [],
      maxParallel: 10,
      onFailure: 'rollback',
      hooks: { before_download: '', after_download: '', before_deploy: '', after_deploy: '' },
      lock: null,
    });
  });

  it('accepts every kind of git URL and refuses others', async () => {
    const ok = ['https://github.com/acme/api.git', 'ssh://git@host:2222/acme/api.git', 'git@host:acme/api.git', 'file:///tmp/repo', 'git://host/x.git'];
    for (const [i, repoUrl] of ok.entries()) {
      await db.services().projects.add(admin, { ...api, name: `p-${i}`, deployPath: `/srv/p-${i}`, repoUrl });
    }
    for (const repoUrl of ['ftp://host/x', '--upload-pack=touch /tmp/x', '/tmp/repo', 'not a url']) {
      await expect(db.services().projects.add(admin, { ...api, name: 'bad', repoUrl })).rejects.toThrow(/git URL|must not start with -/);
    }
  });

  it('refuses relative paths, .. and the root', async () => {
    for (const deployPath of ['srv/api', '/srv/../etc', '/', '']) {
      const err = await db.services().projects.add(admin, { ...api, deployPath }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.fields.deployPath).toBeTruthy();
    }
    expect(await db.em().count(Project, {})).toBe(0);
  });

  it('requires an approver for prod, at add and at edit', async () => {
    const err = await db.services().projects.add(admin, { ...api, environment: 'prod' }).catch((e) => e);
    expect(err.message).toMatch(/prod project needs at least one approver/);
    expect(err.fields.approvers).toBeTruthy();
    await db.services().projects.add(admin, api);
    await expect(db.services().projects.edit(admin, 'api', { environment: 'prod' })).rejects.toThrow(/approver/);
    const prod = await db.services().projects.edit(admin, 'api', { environment: 'prod', approvers: ['UALICE01', 'UALICE01'] });
    expect(prod.approvers).toEqual(['UALICE01']);
    await expect(db.services().projects.edit(admin, 'api', { approvers: [] })).rejects.toThrow(/approver/);
  });

  it('names unknown servers', async () => {
    await expect(db.services().projects.add(admin, { ...api, servers: ['web-1', 'web-7', 'web-8'] })).rejects.toThrow('Unknown servers: web-7, web-8');
    await expect(db.services().projects.add(admin, { ...api, servers: [] })).rejects.toThrow(/at least one server/);
  });

  it('edits, sets hooks and removes, auditing each change, for admins only', async () => {
    await db.services().projects.add(admin, api);
    await expect(db.services().projects.edit(alice, 'api', { keepReleases: 3 })).rejects.toThrow(/Only deploybot admins/);
    await expect(db.services().projects.setHooks(alice, 'api', { before_deploy: 'rm -rf /' })).rejects.toThrow(/Only deploybot admins/);
    const edited = await db.services().projects.edit(admin, 'api', { keepReleases: 3, servers: ['web-2'], title: 'The API' });
    expect(edited).toMatchObject({ keepReleases: 3, servers: ['web-2'], title: 'The API' });
    const hooked = await db.services().projects.setHooks(admin, 'api', { after_download: 'npm ci && npm run build' });
    expect(hooked.hooks.after_download).toBe('npm ci && npm run build');
    await expect(db.services().projects.remove(alice, 'api')).rejects.toThrow(UserError);
    await db.services().projects.remove(admin, 'api');
    expect(await db.services().projects.list()).toEqual([]);
    const audit = await db.em().find(AuditEvent, { target: 'project:api' }, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['project.add', 'project.edit', 'project.hooks', 'project.remove']);
    expect(audit[1]!.details).toEqual({ changed: ['title', 'keepReleases', 'servers'] });
  });

  it('refuses bad numbers and unknown edit fields', async () => {
    await db.services().projects.add(admin, api);
    await expect(db.services().projects.edit(admin, 'api', { keepReleases: 0 })).rejects.toThrow(/keep must be between 1 and 100/);
    await expect(db.services().projects.edit(admin, 'api', { maxParallel: 2.5 })).rejects.toThrow(/whole number/);
    await expect(db.services().projects.edit(admin, 'api', { defaultBranch: '-x' } as never)).rejects.toThrow(/option/);
    expect((await db.services().projects.show('api')).keepReleases).toBe(5);
  });
});
