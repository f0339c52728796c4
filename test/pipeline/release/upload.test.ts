import { randomBytes } from 'node:crypto';
import { chownSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationalError } from '../../../src/errors.js';
import { CommandError } from '../../../src/pipeline/exec/command-errors.js';
import { packageWorkspace, type Artifact } from '../../../src/pipeline/release/package-artifact.js';
import { connectSsh, type SshConnection } from '../../../src/pipeline/ssh/ssh.js';
import { DEFAULT_UPLOAD_METHOD, uploadArtifact, uploadTarGz, uploadTarGzViaSftp } from '../../../src/pipeline/release/upload.js';
import { Redactor } from '../../../src/redact.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../../support/sshd.js';

const DEPLOY_ROOT = '/srv/deploybot-test/upload';
const opts = { connectTimeoutMs: 5000, keepaliveIntervalMs: 2000, redactor: new Redactor() };

function workspace(extraBytes: number): string {
  const dir = makeScratchDir('deploybot-ws-');
  mkdirSync(join(dir, 'src/lib'), { recursive: true });
  writeFileSync(join(dir, 'index.js'), 'console.log("hello")\n');
  writeFileSync(join(dir, 'src/lib/util.js'), 'export const x = 1;\n');
  writeFileSync(join(dir, "it's a file.txt"), 'quoted name\n');
  if (extraBytes > 0) writeFileSync(join(dir, 'blob.bin'), randomBytes(extraBytes));
  return dir;
}

function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

describe('uploading a release artifact to real sshd servers', () => {
  let key: TestKeyPair;
  let servers: TestSshd[];
  let doomed: TestSshd;
  let conns: SshConnection[];
  let small: Artifact;

  beforeAll(async () => {
    key = await generateKeyPair();
    // Four servers, started in parallel, all serving the same absolute deploy path.
    [servers, small] = await Promise.all([
      Promise.all([0, 1, 2, 3].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: DEPLOY_ROOT }))),
      packageWorkspace(workspace(200_000), join(makeScratchDir(), 'small.tar.gz')),
    ]);
    doomed = servers.pop()!;
    servers.forEach((s, i) => writeFileSync(join(s.hostDir, 'server-name'), `server-${i}\n`));
    conns = await Promise.all(servers.map((s) => connectSsh(s.target({ kind: 'key', privateKey: key.privateKey }), opts)));
  });

  afterAll(async () => {
    await Promise.all((conns ?? []).map((c) => c.close()));
    await stopAllSshd();
    removeScratchDirs();
  });

  it('streams a .tar.gz into tar on one server, reporting progress', async () => {
    const progress: number[] = [];
    const result = await uploadTarGz(conns[0]!, small.path, `${DEPLOY_ROOT}/releases/r1`, { onProgress: (b) => progress.push(b) });
    expect(result.bytes).toBe(small.bytes);
    expect(progress.at(-1)).toBe(small.bytes);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const landed = join(servers[0]!.hostDir, 'releases/r1');
    expect(tree(landed)).toEqual(['blob.bin', 'index.js', "it's a file.txt", 'src/lib/util.js']);
    expect(readFileSync(join(landed, 'index.js'), 'utf8')).toBe('console.log("hello")\n');
  });

  it('uploads to 3 servers in parallel, each landing in its own directory behind the same path', async () => {
    await Promise.all(conns.map((c) => uploadArtifact(c, small.path, `${DEPLOY_ROOT}/releases/r2`)));
    for (const [i, s] of servers.entries()) {
      expect(tree(join(s.hostDir, 'releases/r2'))).toContain('src/lib/util.js');
      // Same absolute path, different machine: each server still sees only its own marker.
      const seen = await conns[i]!.execChecked(`cat ${DEPLOY_ROOT}/server-name`, { timeoutMs: 5000 });
      expect(seen.stdout).toBe(`server-${i}\n`);
    }
  });

  it('renames a complete extraction to its final name in the same command, never over an existing one', async () => {
    for (const method of ['exec-tar', 'sftp'] as const) {
      const partial = `${DEPLOY_ROOT}/releases/.r-${method}.partial`;
      const final = `${DEPLOY_ROOT}/releases/r-${method}`;
      await uploadArtifact(conns[0]!, small.path, partial, { method, renameTo: final });
      expect(tree(join(servers[0]!.hostDir, `releases/r-${method}`))).toContain('src/lib/util.js');
      expect(existsSync(join(servers[0]!.hostDir, `releases/.r-${method}.partial`))).toBe(false);
      // A second upload under the same final name fails and leaves the first release as it was.
      await expect(uploadArtifact(conns[0]!, small.path, partial, { method, renameTo: final })).rejects.toThrow();
      expect(tree(join(servers[0]!.hostDir, `releases/r-${method}`))).toContain('src/lib/util.js');
      expect(existsSync(join(servers[0]!.hostDir, `releases/r-${method}/.r-${method}.partial`))).toBe(false);
    }
  });

  it('uploads over SFTP too, leaving no temporary archive behind', async () => {
    const progress: number[] = [];
    const result = await uploadTarGzViaSftp(conns[1]!, small.path, `${DEPLOY_ROOT}/releases/sftp`, { onProgress: (b) => progress.push(b) });
    expect(result.bytes).toBe(small.bytes);
    expect(progress.at(-1)).toBe(small.bytes);
    expect(tree(join(servers[1]!.hostDir, 'releases/sftp'))).toEqual(['blob.bin', 'index.js', "it's a file.txt", 'src/lib/util.js']);
  });

  it('accepts a stream as well as a path, with both methods', async () => {
    await uploadTarGz(conns[2]!, createReadStream(small.path), `${DEPLOY_ROOT}/releases/stream-exec`);
    await uploadTarGzViaSftp(conns[2]!, createReadStream(small.path), `${DEPLOY_ROOT}/releases/stream-sftp`);
    expect(tree(join(servers[2]!.hostDir, 'releases/stream-exec'))).toContain('index.js');
    expect(tree(join(servers[2]!.hostDir, 'releases/stream-sftp'))).toContain('index.js');
  });

  it('creates files owned by the SSH user, not by the uid recorded in the archive', async () => {
    const ws = workspace(0);
    chownSync(join(ws, 'index.js'), 4242, 4242);
    const artifact = await packageWorkspace(ws, join(makeScratchDir(), 'owned.tar.gz'));
    await uploadTarGz(conns[0]!, artifact.path, `${DEPLOY_ROOT}/releases/owned`);
    const { stdout } = await conns[0]!.execChecked(`stat -c %u ${DEPLOY_ROOT}/releases/owned/index.js`, { timeoutMs: 5000 });
    expect(stdout.trim()).toBe('0'); // root logs in here; without --no-same-owner it would be 4242
  });

  it('reports a corrupt archive with tar’s own message', async () => {
    const bad = join(makeScratchDir(), 'bad.tar.gz');
    writeFileSync(bad, 'this is not gzip');
    const err = await uploadTarGz(conns[0]!, bad, `${DEPLOY_ROOT}/releases/bad`).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err.stderrTail).toMatch(/gzip|not in gzip format/i);
  });

  it('fails with a transient error when the server dies mid-upload', async () => {
    const big = await packageWorkspace(workspace(30 * 1024 * 1024), join(makeScratchDir(), 'big.tar.gz'), { level: 1 });
    const conn = await connectSsh(doomed.target({ kind: 'key', privateKey: key.privateKey }), opts);
    let killed = false;
    const err = await uploadTarGz(conn, big.path, `${DEPLOY_ROOT}/releases/doomed`, {
      onProgress: (bytes) => {
        if (!killed && bytes > 2 * 1024 * 1024) {
          killed = true;
          void doomed.kill();
        }
      },
    }).catch((e) => e);
    expect(killed).toBe(true);
    expect(err).toBeInstanceOf(OperationalError);
    expect(err.transient).toBe(true);
    expect(conn.isOpen).toBe(false);
    await conn.close();
  });

  it('defaults to the measured-faster method', () => {
    expect(DEFAULT_UPLOAD_METHOD).toBe('exec-tar');
    expect(existsSync(small.path)).toBe(true);
  });
});
