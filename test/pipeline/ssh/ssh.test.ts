import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationalError } from '../../../src/errors.js';
import { CommandCancelledError, CommandError, CommandTimeoutError } from '../../../src/pipeline/exec/command-errors.js';
import { HostKeyMismatchError, connectSsh, type SshConnection, type SshTarget } from '../../../src/pipeline/ssh/ssh.js';
import { Redactor } from '../../../src/redact.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../../support/sshd.js';

const PASSWORD = 'correct-horse-battery-staple';
const opts = { connectTimeoutMs: 5000, keepaliveIntervalMs: 5000, redactor: new Redactor() };

describe('SSH against a real OpenSSH server', () => {
  let server: TestSshd;
  let key: TestKeyPair;
  let lockedKey: TestKeyPair;
  let strangerKey: TestKeyPair;
  let conn: SshConnection;
  const open: SshConnection[] = [];

  const connect = async (target: SshTarget) => {
    const c = await connectSsh(target, opts);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    [key, lockedKey, strangerKey] = await Promise.all([
      generateKeyPair(),
      generateKeyPair({ passphrase: 'open sesame 42' }),
      generateKeyPair(),
    ]);
    server = await startSshd({ authorizedKey: `${key.publicKey}\n${lockedKey.publicKey}`, password: PASSWORD, deployRoot: '/srv/deploybot-test/ssh' });
    conn = await connect(server.target({ kind: 'key', privateKey: key.privateKey }));
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await stopAllSshd();
    removeScratchDirs();
  });

  describe('authentication', () => {
    it('logs in with a key and reports the host key as OpenSSH prints it', async () => {
      expect(conn.fingerprint).toBe(server.hostKeyFingerprint);
      expect(conn.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      const r = await conn.exec('id -un; pwd', { timeoutMs: 5000 });
      expect(r).toEqual({ exitCode: 0, signal: null, stdout: 'root\n/root\n', stderr: '' });
    });

    it('logs in with a passphrase-protected key', async () => {
      const c = await connect(server.target({ kind: 'key', privateKey: lockedKey.privateKey, passphrase: lockedKey.passphrase }));
      expect((await c.exec('echo ok', { timeoutMs: 5000 })).stdout).toBe('ok\n');
    });

    it('refuses a wrong passphrase without revealing it or the key', async () => {
      const err = await connectSsh(server.target({ kind: 'key', privateKey: lockedKey.privateKey, passphrase: 'wrong passphrase!' }), opts).catch((e) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err.transient).toBe(false);
      expect(err.message).toMatch(/private key for .* cannot be used/);
      expect(JSON.stringify([err.message, err.cause?.message])).not.toMatch(/wrong passphrase|PRIVATE KEY|open sesame/);
    });

    it('logs in with a password', async () => {
      const c = await connect(server.target({ kind: 'password', password: PASSWORD }));
      expect((await c.exec('echo pw', { timeoutMs: 5000 })).stdout).toBe('pw\n');
    });

    it('reports a wrong password as a non-transient auth failure, without the password', async () => {
      const err = await connectSsh(server.target({ kind: 'password', password: 'not-the-password' }), opts).catch((e) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err.transient).toBe(false);
      expect(err.message).toMatch(/SSH login to .* failed: the server did not accept the password/);
      expect(err.message).not.toContain('not-the-password');
    });

    it('reports an unknown key as a non-transient auth failure', async () => {
      const err = await connectSsh(server.target({ kind: 'key', privateKey: strangerKey.privateKey }), opts).catch((e) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err.transient).toBe(false);
      expect(err.message).toMatch(/did not accept the private key/);
      expect(err.message).not.toContain('PRIVATE KEY');
    });

    it('masks the password if a command echoes it', async () => {
      const c = await connect(server.target({ kind: 'password', password: PASSWORD }));
      const r = await c.exec(`echo ${PASSWORD}; echo ${PASSWORD} >&2; exit 3`, { timeoutMs: 5000 });
      expect(r.stdout).toBe('[redacted]\n');
      const err = await c.execChecked(`echo ${PASSWORD} >&2; exit 3`, { timeoutMs: 5000 }).catch((e) => e);
      expect(err).toBeInstanceOf(CommandError);
      expect(JSON.stringify({ m: err.message, t: err.stderrTail, c: err.command })).not.toContain(PASSWORD);
    });
  });

  describe('host keys', () => {
    it('trusts on first use: no pin, connection accepted, fingerprint exposed for pinning', async () => {
      const c = await connect(server.target({ kind: 'key', privateKey: key.privateKey }, { hostKeyFingerprint: null }));
      expect(c.fingerprint).toBe(server.hostKeyFingerprint);
    });

    it('accepts a pin written without prefix or with padding', async () => {
      const body = server.hostKeyFingerprint.replace('SHA256:', '');
      await connect(server.target({ kind: 'key', privateKey: key.privateKey }, { hostKeyFingerprint: `${body}=` }));
    });

    it('refuses a server whose key differs from the pin, before authenticating', async () => {
      const pinned = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      const err = await connectSsh(server.target({ kind: 'password', password: PASSWORD }, { name: 'web-1', hostKeyFingerprint: pinned }), opts).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err.transient).toBe(false);
      expect(err.message).toBe(
        `host key changed for web-1: expected ${pinned}, got ${server.hostKeyFingerprint}; if the server was rebuilt, re-pin it with \`server check\``,
      );
    });
  });

  describe('exec', () => {
    it('feeds stdin from a Buffer, a string or a stream, and closes it when there is none', async () => {
      expect((await conn.exec('wc -c', { timeoutMs: 5000, input: Buffer.alloc(300_000, 'a') })).stdout.trim()).toBe('300000');
      expect((await conn.exec('cat', { timeoutMs: 5000, input: 'text' })).stdout).toBe('text');
      expect((await conn.exec('cat', { timeoutMs: 5000, input: Readable.from(['a', 'b', 'c']) })).stdout).toBe('abc');
      expect((await conn.exec('cat', { timeoutMs: 5000 })).stdout).toBe('');
    });

    it('returns non-zero exits; execChecked throws CommandError with exit code and stderr tail', async () => {
      const r = await conn.exec('echo out; echo "the reason" >&2; exit 4', { timeoutMs: 5000 });
      expect(r).toEqual({ exitCode: 4, signal: null, stdout: 'out\n', stderr: 'the reason\n' });
      const err = await conn.execChecked('echo "the reason" >&2; exit 4', { timeoutMs: 5000 }).catch((e) => e);
      expect(err).toBeInstanceOf(CommandError);
      expect(err.exitCode).toBe(4);
      expect(err.stderrTail).toBe('the reason\n');
      expect(err.where).toBe(conn.target.name);
      expect(err.message).toContain('exited with code 4: the reason');
    });

    it('streams lines and caps output, keeping the tail', async () => {
      const lines: string[] = [];
      const r = await conn.exec('seq 1 20000', { timeoutMs: 5000, maxOutputBytes: 64, onLine: (_s, l) => lines.push(l) });
      expect(lines).toHaveLength(20000);
      expect(lines.at(-1)).toBe('20000');
      expect(r.stdout).toMatch(/dropped …\]\n/);
      expect(r.stdout.endsWith('19999\n20000\n')).toBe(true);
    });

    it('applies an extra per-command redactor', async () => {
      const r = await conn.exec('echo hook-secret-1234', { timeoutMs: 5000, redactor: new Redactor(['hook-secret-1234']) });
      expect(r.stdout).toBe('[redacted]\n');
    });

    it('times out, and the remote process is killed', async () => {
      const err = await conn.exec('sleep 31.7', { timeoutMs: 300 }).catch((e) => e);
      expect(err).toBeInstanceOf(CommandTimeoutError);
      expect(err.message).toMatch(/timed out after 300 ms/);
      await new Promise((r) => setTimeout(r, 200));
      const left = await conn.exec("pgrep -f 'sleep 31[.]7'", { timeoutMs: 5000 });
      expect(left.exitCode).toBe(1);
    });

    it('can be cancelled', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(conn.exec('sleep 30', { timeoutMs: 10_000, signal: controller.signal })).rejects.toBeInstanceOf(CommandCancelledError);
    });

    it('runs 25 commands at once on one connection, at most 10 channels at a time', async () => {
      const c = await connect(server.target({ kind: 'key', privateKey: key.privateKey }));
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => c.exec(`sleep 0.4; echo ${i}`, { timeoutMs: 20_000 })));
      expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1200); // three waves of ≤10
    });

    it('(why the limit exists) OpenSSH refuses the 11th concurrent session', async () => {
      const c = await connectSsh(server.target({ kind: 'key', privateKey: key.privateKey }), { ...opts, maxChannels: 14 });
      open.push(c);
      // sleep outlasts the channel-open retries (≈1.6 s), so the extra sessions stay refused.
      const results = await Promise.allSettled(Array.from({ length: 14 }, () => c.exec('sleep 4', { timeoutMs: 20_000 })));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      expect(String((refused[0] as PromiseRejectedResult).reason.message)).toMatch(/could not start/);
    });

    it('opens SFTP sessions', async () => {
      const names = await conn.withSftp(
        (sftp) => new Promise<string[]>((resolve, reject) => sftp.readdir('/srv/deploybot-test/ssh', (err, list) => (err ? reject(err) : resolve(list.map((e) => e.filename))))),
      );
      expect(Array.isArray(names)).toBe(true);
    });

    it('rejects commands after close', async () => {
      const c = await connectSsh(server.target({ kind: 'key', privateKey: key.privateKey }), opts);
      await c.close();
      expect(c.isOpen).toBe(false);
      await expect(c.exec('true', { timeoutMs: 1000 })).rejects.toBeInstanceOf(OperationalError);
      await c.close(); // idempotent
    });
  });

  describe('connection failures', () => {
    let silent: Server;
    let silentPort = 0;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts TCP but never speaks SSH: a hung server.
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      silentPort = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });

    it('says that nothing listens when the connection is refused (not "try again")', async () => {
      // A port that was free a moment ago: nobody listens there.
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
      const freePort = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const err = await connectSsh(server.target({ kind: 'password', password: PASSWORD }, { port: freePort, name: 'web-2' }), opts).catch((e) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err.transient).toBe(false);
      expect(err.message).toContain(`nothing listens on 127.0.0.1:${freePort} (connection refused) for web-2`);
      expect(err.message).toContain('/usr/sbin/sshd');
    });

    it('classifies a handshake timeout as transient', async () => {
      const err = await connectSsh(server.target({ kind: 'password', password: PASSWORD }, { port: silentPort, name: 'web-3' }), {
        ...opts,
        connectTimeoutMs: 500,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err.transient).toBe(true);
      expect(err.message).toMatch(/timed out after 500 ms connecting to web-3/);
      expect(err.message).not.toContain(PASSWORD);
    });

    it('refuses a rebuilt server (new host key) pinned to the old key', async () => {
      const old = server.hostKeyFingerprint;
      const fresh = await server.restartWithNewHostKey();
      expect(fresh).not.toBe(old);
      const err = await connectSsh(server.target({ kind: 'key', privateKey: key.privateKey }, { hostKeyFingerprint: old }), opts).catch((e) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err.message).toContain(`expected ${old}, got ${fresh}`);
      const repinned = await connect(server.target({ kind: 'key', privateKey: key.privateKey }, { hostKeyFingerprint: fresh }));
      expect(repinned.fingerprint).toBe(fresh);
    });
  });
});
