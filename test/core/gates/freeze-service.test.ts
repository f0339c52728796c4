import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent, Project } from '../../../src/db/entities/index.js';
import { projectFreeze } from '../../../src/core/gates/freeze-service.js';
import { admin, bob, createTestDatabase, type TestDatabase } from '../../support/db/database.js';

describe('FreezeService', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.services().servers.add(admin, { name: 'web-1', hostname: 'web-1.example.com', username: 'deploy', authKind: 'agent' });
    await db.services().projects.add(admin, { name: 'shop', repoUrl: 'https://example.com/shop.git', deployPath: '/srv/shop', servers: ['web-1'] });
  });
  afterAll(() => db?.close());
  const now = new Date('2026-12-02T12:00:00Z');
  const add = (input: Parameters<ReturnType<TestDatabase['services']>['freezes']['add']>[1], actor = admin) => db.services().freezes.add(actor, input, now);

  it('refuses bad windows with what to write, and changes nothing', async () => {
    await expect(add({ scope: 'shop', reason: 'x', from: now, to: new Date(now.getTime() + 3600_000) }, bob)).rejects.toThrow(/Only deploybot admins can add freeze windows/);
    await expect(add({ scope: 'nope', reason: 'x', from: now, to: new Date(now.getTime() + 3600_000) })).rejects.toThrow(/No project named nope/);
    await expect(add({ scope: 'shop', reason: ' ', from: now, to: new Date(now.getTime() + 3600_000) })).rejects.toThrow(/Say why deploys are frozen/);
    await expect(add({ scope: 'shop', reason: 'x', from: now, to: now })).rejects.toThrow(/must end after it starts/);
    await expect(add({ scope: 'shop', reason: 'x', from: new Date(0), to: new Date(1000) })).rejects.toThrow(/already be over/);
    await expect(add({ scope: 'all', reason: 'x', cron: '0 18 * *', durationSeconds: 3600 })).rejects.toThrow(/cron: a cron expression has 5 fields/);
    await expect(add({ scope: 'all', reason: 'x', cron: '0 18 * * 5', durationSeconds: 15 * 24 * 3600 })).rejects.toThrow(/from 1 minute to 14 days/);
    await expect(add({ scope: 'all', reason: 'x', cron: '0 18 * * 5', durationSeconds: 3600, timeZone: 'Mars/Olympus' })).rejects.toThrow(/Unknown time zone Mars\/Olympus/);
    expect(await db.services().freezes.list(undefined, now)).toEqual([]);
    expect(await db.em().count(AuditEvent, { action: 'freeze.add' })).toBe(0);
  });

  it('holds a project during its window and every project during a global one; remove is audited', async () => {
    const one = await add({ scope: 'shop', reason: 'inventory', from: now, to: new Date(now.getTime() + 3600_000), timeZone: 'UTC' });
    const shop = await db.em().findOneOrFail(Project, { name: 'shop' });
    expect(await projectFreeze(db.em(), shop.id, new Date(now.getTime() + 60_000))).toMatchObject({ id: one.id, reason: 'inventory', allProjects: false });
    expect(await projectFreeze(db.em(), shop.id, new Date(now.getTime() + 3600_000))).toBeNull();
    const weekly = await add({ scope: 'all', reason: 'weekend', cron: '0 18 * * 5', durationSeconds: 62 * 3600, timeZone: 'Europe/Paris' });
    expect(weekly.nextStart).toEqual(new Date('2026-12-04T17:00:00Z'));
    expect(await projectFreeze(db.em(), shop.id, new Date('2026-12-05T12:00:00Z'))).toMatchObject({ id: weekly.id, allProjects: true });
    await expect(db.services().freezes.remove(bob, weekly.id)).rejects.toThrow(/Only deploybot admins/);
    await db.services().freezes.remove(admin, weekly.id);
    expect(await db.em().count(AuditEvent, { action: 'freeze.remove' })).toBe(1);
    expect((await db.services().freezes.list(undefined, now)).map((f) => f.id)).toEqual([one.id]);
  });
});
