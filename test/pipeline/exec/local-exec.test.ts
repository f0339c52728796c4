import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OperationalError } from '../../../src/errors.js';
import {
  CommandCancelledError,
  CommandError,
  CommandTimeoutError,
  runLocal,
  runLocalUnchecked,
} from '../../../src/pipeline/exec/local-exec.js';
import { Redactor } from '../../../src/redact.js';

const scratch = mkdtempSync(join(tmpdir(), 'deploybot-exec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Alive and not a zombie (a killed orphan stays a zombie until this machine's init reaps it). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('runLocal', () => {
  it('runs a program with an argument array, never a shell', async () => {
    const pwned = join(scratch, 'pwned');
    const { stdout, exitCode } = await runLocal({ cmd: 'printf', args: ['%s', `$(touch ${pwned}); echo hi`], timeoutMs: 5000 });
    expect(exitCode).toBe(0);
    expect(stdout).toBe(`$(touch ${pwned}); echo hi`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('throws CommandError with the exit code and stderr tail on non-zero exit', async () => {
    const err = await runLocal({ cmd: 'sh', args: ['-c', 'echo first >&2; echo "the reason" >&2; exit 3'], timeoutMs: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toBeInstanceOf(OperationalError);
    expect(err.exitCode).toBe(3);
    expect(err.cmd).toBe('sh');
    expect(err.args).toEqual(['-c', 'echo first >&2; echo "the reason" >&2; exit 3']);
    expect(err.stderrTail).toBe('first\nthe reason\n');
    expect(err.message).toContain('exited with code 3: the reason');
  });

  it('the unchecked variant returns non-zero exits (for hooks)', async () => {
    const r = await runLocalUnchecked({ cmd: 'sh', args: ['-c', 'echo out; echo err >&2; exit 7'], timeoutMs: 5000 });
    expect(r).toEqual({ exitCode: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
  });

  it('kills the whole process group on timeout and says so', async () => {
    const pidFile = join(scratch, 'grandchild.pid');
    const started = Date.now();
    const err = await runLocal({
      cmd: 'sh',
      // A grandchild that ignores nothing and would outlive a plain kill of `sh`.
      args: ['-c', `sleep 30 & echo $! > ${pidFile}; wait`],
      timeoutMs: 300,
      killGraceMs: 200,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const err = await runLocal({ cmd: 'sh', args: ['-c', "trap '' TERM; sleep 30 & wait; sleep 30"], timeoutMs: 200, killGraceMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
  });

  it('caps each stream, keeping the tail', async () => {
    const r = await runLocal({ cmd: 'sh', args: ['-c', 'seq 1 100000'], timeoutMs: 5000, maxOutputBytes: 100 });
    expect(r.stdout).toMatch(/^\[… \d+ earlier bytes of stdout dropped …\]\n/);
    expect(r.stdout.endsWith('99999\n100000\n')).toBe(true);
    const body = r.stdout.split('\n').slice(1).join('\n');
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(100);
  });

  it('does not split a multi-byte character when cutting', async () => {
    const r = await runLocal({ cmd: 'printf', args: ['%s', 'é'.repeat(100)], timeoutMs: 5000, maxOutputBytes: 11 });
    expect(r.stdout.split('\n')[1]).toBe('é'.repeat(5));
  });

  it('redacts known secrets and secret shapes in output, lines and errors', async () => {
    const redactor = new Redactor(['s3cr3t-value']);
    const lines: string[] = [];
    const r = await runLocalUnchecked({
      cmd: 'sh',
      args: ['-c', 'echo "token s3cr3t-value"; echo "url https://u:pw@example.com/x" >&2; exit 1'],
      timeoutMs: 5000,
      redactor,
      onLine: (stream, line) => lines.push(`${stream}:${line}`),
    });
    expect(r.stdout).toBe('token [redacted]\n');
    expect(r.stderr).toBe('url https://u:[redacted]@example.com/x\n');
    expect(lines.sort()).toEqual(['stderr:url https://u:[redacted]@example.com/x', 'stdout:token [redacted]']);

    const err = await runLocal({ cmd: 'sh', args: ['-c', 'echo s3cr3t-value >&2; exit 2', 's3cr3t-value'], timeoutMs: 5000, redactor }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(JSON.stringify({ m: err.message, a: err.args, s: err.stderrTail, c: err.command })).not.toContain('s3cr3t-value');
  });

  it('reports complete lines as they arrive, including a last line without newline', async () => {
    const lines: string[] = [];
    await runLocal({ cmd: 'printf', args: ['a\nb\r\nc'], timeoutMs: 5000, onLine: (_s, l) => lines.push(l) });
    expect(lines).toEqual(['a', 'b', 'c']);
  });

  it('feeds input from a string, a Buffer or a stream', async () => {
    expect((await runLocal({ cmd: 'cat', args: [], input: 'text', timeoutMs: 5000 })).stdout).toBe('text');
    expect((await runLocal({ cmd: 'cat', args: [], input: Buffer.from('buf'), timeoutMs: 5000 })).stdout).toBe('buf');
    expect((await runLocal({ cmd: 'cat', args: [], input: Readable.from(['a', 'b']), timeoutMs: 5000 })).stdout).toBe('ab');
  });

  it('does not fail when the child exits without reading its input', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 'x');
    const r = await runLocal({ cmd: 'true', args: [], input: big, timeoutMs: 5000 });
    expect(r.exitCode).toBe(0);
  });

  it('streams stdout to a writable when asked (binary-safe)', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const r = await runLocal({ cmd: 'head', args: ['-c', '100000', '/dev/urandom'], timeoutMs: 5000, stdoutTo: sink });
    expect(r.stdout).toBe('');
    expect(Buffer.concat(chunks).length).toBe(100000);
  });

  it('passes only an allowlisted environment plus what is given', async () => {
    process.env.DEPLOYBOT_TEST_SECRET = 'xoxb-should-not-leak';
    try {
      const r = await runLocal({ cmd: 'env', args: [], env: { EXTRA: '1' }, timeoutMs: 5000 });
      expect(r.stdout).not.toContain('DEPLOYBOT_TEST_SECRET');
      expect(r.stdout).toContain('EXTRA=1');
      expect(r.stdout).toContain('PATH=');
      const all = await runLocal({ cmd: 'env', args: [], inheritEnv: true, timeoutMs: 5000 });
      expect(all.stdout).toContain('DEPLOYBOT_TEST_SECRET=');
    } finally {
      delete process.env.DEPLOYBOT_TEST_SECRET;
    }
  });

  it('explains a missing program', async () => {
    const err = await runLocal({ cmd: 'definitely-not-a-program-xyz', args: [], timeoutMs: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(OperationalError);
    expect(err.message).toMatch(/could not start `definitely-not-a-program-xyz`.*installed/);
  });

  it('can be cancelled with an AbortSignal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await runLocal({ cmd: 'sleep', args: ['30'], timeoutMs: 10_000, signal: controller.signal, killGraceMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandCancelledError);
  });

  it('reports a death by signal it did not cause', async () => {
    const r = await runLocalUnchecked({ cmd: 'sh', args: ['-c', 'kill -9 $$'], timeoutMs: 5000 });
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGKILL');
    const err = await runLocal({ cmd: 'sh', args: ['-c', 'kill -9 $$'], timeoutMs: 5000 }).catch((e) => e);
    expect(err.message).toContain('was killed by SIGKILL');
  });
});
