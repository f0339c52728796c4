import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditEvent, Server } from '../../src/db/entities/index.js';
import { UserError } from '../../src/errors.js';
import { admin, alice, createTestDatabase, STORE_KINDS, type TestDatabase } from '../support/db/database.js';
import { usePostgres } from '../support/db/use-postgres.js';
import { tempDir } from '../support/temp-dir.js';

const postgres = usePostgres();

describe.each(STORE_KINDS)('ServerService on %s', (kind) => {
  let db: TestDatabase;
  const keys = tempDir('deploybot-keys-');
  let keyPath: string;
  let privateKey: string;

  beforeAll(() => {
    keyPath = join(keys.path, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
    privateKey = readFileSync(keyPath, 'utf8');
  });
  afterAll(() => keys.cleanup());
  beforeEach(async () => {
    await db?.close();
    db = await createTestDatabase({ kind, postgres });
  });
  afterAll(() => db?.close());

  const web1 = { name: 'web-1', hostname: '10.0.0.5', port: 22, username: 'deploy' };

  async function auditActions(): Promise<string[]> {
    return (await db.em().find(AuditEvent, {}, { orderBy: { id: 'asc' } })).map((e) => e.action);
  }

  it('adds, lists, shows, edits and removes a server, auditing each change', async () => {
    const added = await db.services().servers.add(admin, { ...web1, keyPath, labels: ['eu'] });
    expect(added).toMatchObject({ name: 'web-1', hostname: '10.0.0.5', port: 22, username: 'deploy', authKind: 'key', keyPath, labels: ['eu'], createdBy: admin.id });

    expect((await db.services().servers.list()).map((s) => s.name)).toEqual(['web-1']);
    const edited = await db.services().servers.edit(admin, 'web-1', { port: 2222, labels: ['eu', 'blue'] });
    expect(edited.port).toBe(2222);
    expect((await db.services().servers.show('web-1')).labels).toEqual(['eu', 'blue']);

    await db.services().servers.remove(admin, 'web-1');
    expect(await db.services().servers.list()).toEqual([]);
    expect(await auditActions()).toEqual(['server.add', 'server.edit', 'server.remove']);
  });

  it('refuses a duplicate name and leaves the first server untouched', async () => {
    await db.services().servers.add(admin, { ...web1, keyPath });
    await expect(db.services().servers.add(admin, { ...web1, hostname: '10.9.9.9', keyPath })).rejects.toThrow(/already exists/);
    expect((await db.services().servers.show('web-1')).hostname).toBe('10.0.0.5');
  });

  it('refuses non-admins and changes nothing', async () => {
    await expect(db.services().servers.add(alice, { ...web1, keyPath })).rejects.toThrow(/Only deploybot admins/);
    expect(await db.services().servers.list()).toEqual([]);
    await db.services().servers.add(admin, { ...web1, keyPath });
    await expect(db.services().servers.edit(alice, 'web-1', { port: 1 })).rejects.toThrow(UserError);
    await expect(db.services().servers.remove(alice, 'web-1')).rejects.toThrow(UserError);
    expect((await db.services().servers.show('web-1')).port).toBe(22);
    expect(await auditActions()).toEqual(['server.add']);
  });

  it('explains bad input field by field', async () => {
    const err = await db.services().servers.add(admin, { name: 'Web 1', hostname: 'bad host!', port: 99999, username: 'Root' }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(Object.keys(err.fields).sort()).toEqual(['hostname', 'name', 'port', 'username']);
    expect(err.message).toMatch(/lowercase slug/);
    await expect(db.services().servers.add(admin, { ...web1, authKind: 'password' })).rejects.toThrow(/password is required/);
    await expect(db.services().servers.add(admin, { ...web1, keyPath: '/no/such/key' })).rejects.toThrow(/does not exist on the bot's host/);
    await expect(db.services().servers.add(admin, { ...web1, keyPath: `${keyPath}.pub` })).rejects.toThrow(/not a private key/);
    expect(await db.services().servers.list()).toEqual([]);
  });

  it('stores keys and passwords encrypted: the raw database never contains them', async () => {
    await db.services().servers.add(admin, { ...web1, privateKey, passphrase: 'correct-horse-battery' });
    await db.services().servers.add(admin, { ...web1, name: 'web-2', authKind: 'password', password: 'pa55word-very-secret' });
    // SQLite: the file on disk. PostgreSQL: the rows as the server returns them, undecrypted.
    if (kind === 'sqlite') await db.orm.em.getConnection().execute('PRAGMA wal_checkpoint(TRUNCATE)');
    const raw = kind === 'sqlite' ? readFileSync(db.path).toString('latin1') : JSON.stringify(await db.orm.em.getConnection().execute('select * from servers'));
    const keyBody = privateKey.split('\n')[1]!;
    expect(raw).not.toContain(keyBody);
    expect(raw).not.toContain('correct-horse-battery');
    expect(raw).not.toContain('pa55word-very-secret');
    expect(raw).toContain('web-2'); // the file is the real database

    // Listings carry no secret at all.
    const listed = JSON.stringify(await db.services().servers.list());
    expect(listed).not.toMatch(/PRIVATE KEY|correct-horse|pa55word|Enc/);

    // The pipeline gets them back decrypted.
    const services = db.services();
    const server = await services.servers.require('web-1');
    const details = await services.servers.connectionDetails(server);
    expect(details.auth).toEqual({ kind: 'key', privateKey: expect.stringContaining('PRIVATE KEY'), passphrase: 'correct-horse-battery' });
    const pw = await services.servers.connectionDetails(await services.servers.require('web-2'));
    expect(pw.auth).toEqual({ kind: 'password', password: 'pa55word-very-secret' });
  });

  it('keeps secrets out of audit details', async () => {
    await db.services().servers.add(admin, { ...web1, authKind: 'password', password: 'pa55word-very-secret' });
    await db.services().servers.edit(admin, 'web-1', { password: 'new-pa55word-secret' });
    const details = JSON.stringify((await db.em().find(AuditEvent, {})).map((e) => e.details));
    expect(details).not.toContain('pa55word');
  });

  it('falls back to the default key and explains when there is none', async () => {
    await db.services().servers.add(admin, web1);
    const services = db.services();
    await expect(services.servers.connectionDetails(await services.servers.require('web-1'))).rejects.toThrow(/DEPLOYBOT_SSH_KEY/);
    const withDefault = await createTestDatabase({ defaultKeyPath: keyPath, kind, postgres });
    try {
      await withDefault.services().servers.add(admin, web1);
      const s = withDefault.services();
      expect((await s.servers.connectionDetails(await s.servers.require('web-1'))).auth.kind).toBe('key');
    } finally {
      await withDefault.close();
    }
  });

  it('pins host keys and forgets the pin when the address changes', async () => {
    await db.services().servers.add(admin, { ...web1, keyPath });
    expect(await db.services().servers.pinHostKey(admin, 'web-1', 'SHA256:abc')).toEqual({ changed: true, previous: null });
    expect(await db.services().servers.pinHostKey(admin, 'web-1', 'SHA256:abc')).toEqual({ changed: false, previous: 'SHA256:abc' });
    await db.services().servers.edit(admin, 'web-1', { hostname: '10.0.0.6' });
    expect((await db.services().servers.show('web-1')).hostKeyFingerprint).toBeNull();
  });

  it('refuses to remove a server a project uses, naming the projects', async () => {
    await db.services().servers.add(admin, { ...web1, keyPath });
    for (const name of ['shop', 'api']) {
      await db.services().projects.add(admin, { name, repoUrl: 'https://example.com/x.git', deployPath: `/srv/${name}`, servers: ['web-1'] });
    }
    await expect(db.services().servers.remove(admin, 'web-1')).rejects.toThrow('Server web-1 is used by projects api, shop: remove it from them first');
    expect(await db.em().count(Server, {})).toBe(1);
  });

  it('keeps an internal address for peers, refuses one that is not an address, and forgets it on request', async () => {
    const added = await db.services().servers.add(admin, { ...web1, keyPath, internalAddress: '198.18.0.5:2222' });
    expect(added.internalAddress).toBe('198.18.0.5:2222');
    await expect(db.services().servers.edit(admin, 'web-1', { internalAddress: '10.0.0.5; rm -rf /' })).rejects.toThrow(/internal address must be a host name or IP address/);
    expect((await db.services().servers.show('web-1')).internalAddress).toBe('198.18.0.5:2222');
    expect((await db.services().servers.edit(admin, 'web-1', { internalAddress: '[fd00::5]:22' })).internalAddress).toBe('[fd00::5]:22');
    expect((await db.services().servers.edit(admin, 'web-1', { internalAddress: null })).internalAddress).toBeNull();
  });

  it('says which servers exist when a name is unknown', async () => {
    await db.services().servers.add(admin, { ...web1, keyPath });
    await expect(db.services().servers.show('web-9')).rejects.toThrow('No server named web-9. Known servers: web-1.');
  });
});
