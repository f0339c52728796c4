import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandOrThrow } from '../../src/commands/grammar/commands.js';
import type { CommandOutcome } from '../../src/commands/replies/command-outcome.js';
import { AuditEvent, Server } from '../../src/db/entities/index.js';
import { createRuntimeFixture, type RuntimeFixture } from '../support/runtime-fixture.js';

/** `server check` against a real sshd: the pinned host key is compared, and only an admin re-pins. */
describe('server check and pinned host keys', () => {
  let f: RuntimeFixture;
  const FAKE = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  const text = (o: CommandOutcome) => ('reply' in o ? o.reply.text + JSON.stringify(o.reply.blocks) : '');
  const run = (t: string, actor = f.admin) => f.runtime.executor.execute(actor, parseCommandOrThrow(t));
  const pinned = async () => (await f.runtime.app.orm.em.fork().findOneOrFail(Server, { name: 'web-1' })).hostKeyFingerprint;
  const setPin = async (fp: string) => f.runtime.app.orm.em.fork().nativeUpdate(Server, { name: 'web-1' }, { hostKeyFingerprint: fp });

  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 1 });
  });
  afterAll(() => f?.close());

  it('pins on first check, then reports a match', async () => {
    const real = f.servers[0]!.hostKeyFingerprint;
    expect(text(await run('server check web-1'))).toContain(`Host key pinned: ${real}`);
    expect(await pinned()).toBe(real);
    expect(text(await run('server check web-1'))).toContain('matches the pinned one');
  });

  it('reports a mismatch with both keys, and changes nothing', async () => {
    const real = f.servers[0]!.hostKeyFingerprint;
    await setPin(FAKE);
    const out = text(await run('server check web-1'));
    expect(out).toContain(`pinned ${FAKE}, the server now presents ${real}`);
    expect(out).toContain(`accept=${real}`);
    expect(await pinned()).toBe(FAKE);
  });

  it('refuses a re-pin by a non-admin or with another key', async () => {
    const real = f.servers[0]!.hostKeyFingerprint;
    const alice = f.runtime.app.actor('UALICE01');
    expect(text(await run(`server check web-1 accept=${real}`, alice))).toMatch(/admin/i);
    expect(text(await run(`server check web-1 accept=${FAKE.replace('AAAA', 'BBBB')}`))).toContain('nothing was changed');
    expect(await pinned()).toBe(FAKE);
  });

  it('re-pins with accept=<the key the server presents>, from an admin, and audits it', async () => {
    const real = f.servers[0]!.hostKeyFingerprint;
    expect(text(await run(`server check web-1 accept=${real}`))).toContain(`Host key re-pinned: ${real} (was ${FAKE})`);
    expect(await pinned()).toBe(real);
    const audit = await f.runtime.app.orm.em.fork().find(AuditEvent, { action: 'server.host_key.repin' });
    expect(audit.map((a) => a.details)).toEqual([{ previous: FAKE, fingerprint: real }]);
  });

  it('never overwrites a key pinned meanwhile by another process', async () => {
    const real = f.servers[0]!.hostKeyFingerprint;
    await setPin(FAKE);
    await expect(f.runtime.app.withServices((s) => s.servers.pinHostKey(f.admin, 'web-1', real))).rejects.toThrow(/pinned to SHA256:A+, but the server presented/);
    await expect(f.runtime.app.withServices((s) => s.servers.pinHostKey(f.admin, 'web-1', real, { replacing: 'SHA256:other' }))).rejects.toThrow(/nothing was changed/);
    expect(await pinned()).toBe(FAKE);
  });

  it('says a server without the OpenSSH client cannot relay and is served directly', async () => {
    await setPin(f.servers[0]!.hostKeyFingerprint); // the test before left a stale pin
    await f.servers[0]!.hideProgram('/usr/bin/ssh');
    expect(text(await run('server check web-1'))).toContain('Cannot relay (served directly by the bot): missing ssh');
  });
});
