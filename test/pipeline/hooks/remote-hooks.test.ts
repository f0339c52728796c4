import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemoteHook } from '../../../src/pipeline/hooks/hooks.js';
import { connectSsh, type SshConnection } from '../../../src/pipeline/ssh/ssh.js';
import { Redactor } from '../../../src/redact.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../../support/sshd.js';

const ROOT = '/srv/deploybot-test/hooks';

/** Remote hooks on a real sshd: the script never travels on the hook's own stdin. */
describe('remote hooks', () => {
  let server: TestSshd;
  let conn: SshConnection;
  beforeAll(async () => {
    const key = await generateKeyPair();
    server = await startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT });
    conn = await connectSsh(server.target({ kind: 'key', privateKey: key.privateKey }), { connectTimeoutMs: 5000, keepaliveIntervalMs: 5000, redactor: new Redactor() });
  });
  afterAll(async () => {
    await conn?.close();
    await stopAllSshd();
  });
  const run = (script: string) => runRemoteHook(conn, { script, dir: ROOT, env: { DEPLOY_SERVER: 'web-1' }, timeoutMs: 20_000 });

  it('a command that reads stdin does not swallow the rest of the script', async () => {
    const result = await run('cat >/dev/null; touch marker');
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(existsSync(join(server.hostDir, 'marker'))).toBe(true);
    // Over 8 KB, where dash reading the script from stdin leaves the rest to `cat`.
    const long = await run(`cat >/dev/null\n${': filler\n'.repeat(2000)}touch marker-long\n`);
    expect(long.ok).toBe(true);
    expect(existsSync(join(server.hostDir, 'marker-long'))).toBe(true);
  });

  it('a long script whose first command reads stdin runs to its end (dash used to lose it past 8 KB)', async () => {
    const padding = Array.from({ length: 400 }, (_, i) => `: padding line ${i} ${'x'.repeat(20)}`).join('\n');
    const result = await run(`read answer || true\n${padding}\necho "answer=[$answer]"\ntouch long-marker\n`);
    expect(result.ok).toBe(true);
    expect(result.outputTail).toContain('answer=[]');
    expect(existsSync(join(server.hostDir, 'long-marker'))).toBe(true);
  });

  it('reports the exit status of the whole script, and leaves no temporary file behind', async () => {
    const failing = await run('echo before\nfalse\nexit 7\necho never');
    expect(failing).toMatchObject({ ok: false, exitCode: 7 });
    expect(failing.outputTail).toContain('before');
    expect(failing.outputTail).not.toContain('never');
    const env = await run('printf "%s in %s\\n" "$DEPLOY_SERVER" "$PWD"');
    expect(env.outputTail).toBe(`web-1 in ${ROOT}`);
    const token = `leftover-check-${process.pid}-${Date.now()}`;
    expect((await run(`echo ${token}`)).ok).toBe(true);
    const left = await conn.exec(`grep -l ${token} "\${TMPDIR:-/tmp}"/deploybot-hook.* 2>/dev/null | wc -l`, { timeoutMs: 10_000 });
    expect(left.stdout.trim()).toBe('0');
    expect(readdirSync(server.hostDir).filter((n) => n.startsWith('deploybot-hook'))).toEqual([]);
  });
});

describe('remoteHookCommand', () => {
  it('reads the script into a temporary file, then runs it with stdin from /dev/null, values quoted', async () => {
    const { remoteHookCommand } = await import('../../../src/pipeline/hooks/hooks.js');
    expect(remoteHookCommand("/srv/a b/releases/1", { DEPLOY_USER: "o'brien" })).toBe(
      `f=$(mktemp "\${TMPDIR:-/tmp}/deploybot-hook.XXXXXXXX") || exit 125; trap 'rm -f -- "$f"' EXIT; cat > "$f" || exit 125; ` +
        `cd '/srv/a b/releases/1' || exit 125; DEPLOY_USER='o'\\''brien' sh -- "$f" </dev/null`,
    );
  });
});
