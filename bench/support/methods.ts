import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { switchCurrent } from '../../src/pipeline/release/release-layout.js';
import { mapLimit } from '../../src/pipeline/exec/map-limit.js';
import { createRequire } from 'node:module';
import { Client } from 'ssh2';
import { directFanout } from '../../src/pipeline/distribution/distributor.js';
import type { Artifact } from '../../src/pipeline/release/package-artifact.js';
import { connectSsh, type SshConnection } from '../../src/pipeline/ssh/ssh.js';
import { uploadTarGzViaSftp } from '../../src/pipeline/release/upload.js';
import { Redactor } from '../../src/redact.js';
import type { TestKeyPair } from '../../test/support/ssh-keys.js';
import type { TestSshd } from '../../test/support/sshd.js';

/** Connection settings as in test/support/deploy-fixture.ts (the bot's config defaults). */
const SSH_OPTIONS = { connectTimeoutMs: 10_000, keepaliveIntervalMs: 5_000, redactor: new Redactor() };

const keyAuth = (key: TestKeyPair) => ({ kind: 'key' as const, privateKey: key.privateKey });

/** RunContext.eachHost's scheme: `limit` workers taking hosts from one queue. */
async function eachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  const queue = items.map((item, index) => ({ item, index }));
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await fn(next.item, next.index);
    }),
  );
}

export interface FanoutTiming {
  /** Wall time of the whole method. */
  totalS: number;
  /** deploybot only: the connect phase (RunContext.connectAll) inside totalS. */
  connectS?: number;
}

/**
 * deploybot's distribution exactly as runDeployFlow does it: connect to every server (at most
 * `parallel` at once, connectOrFail), then deliver with the product's distributor (same bound).
 * Connections are closed after the clock stops (the bot keeps them for the switch).
 */
export async function deploybotFanout(servers: readonly TestSshd[], key: TestKeyPair, artifact: Artifact, dir: string, parallel: number): Promise<FanoutTiming> {
  const conns: SshConnection[] = new Array(servers.length);
  try {
    const t0 = performance.now();
    await eachBounded(servers, parallel, async (s, i) => {
      conns[i] = await connectSsh(s.target(keyAuth(key)), SSH_OPTIONS);
    });
    const t1 = performance.now();
    const fleet = servers.map((_s, i) => ({ name: `s${i}`, conn: conns[i]!, peerAddress: null }));
    const delivery = await directFanout.start(fleet, artifact, { taskId: 0, projectId: 0, deployPath: dir, maxParallel: parallel, signal: new AbortController().signal });
    await eachBounded(servers, parallel, async (_s, i) => {
      await delivery.deliver(`s${i}`, dir, {});
    });
    await delivery.close();
    const t2 = performance.now();
    return { totalS: (t2 - t0) / 1000, connectS: (t1 - t0) / 1000 };
  } finally {
    await Promise.all(conns.filter(Boolean).map((c) => c.close()));
  }
}

/**
 * The seed design: one server after another, SFTP the artifact (the product's
 * uploadTarGzViaSftp: ssh2 SFTP fastPut to a temp file), then `tar -xzf` it there.
 */
export async function sequentialSftp(servers: readonly TestSshd[], key: TestKeyPair, artifact: Artifact, dir: string): Promise<FanoutTiming> {
  const t0 = performance.now();
  for (const s of servers) {
    const conn = await connectSsh(s.target(keyAuth(key)), SSH_OPTIONS);
    try {
      await uploadTarGzViaSftp(conn, artifact.path, dir);
    } finally {
      await conn.close();
    }
  }
  return { totalS: (performance.now() - t0) / 1000 };
}

export function opensshArgs(s: TestSshd, key: TestKeyPair, command: string, extra: string[] = []): string[] {
  return [
    '-p', String(s.port),
    '-i', key.privateKeyPath,
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    ...extra,
    `${s.username}@${s.host}`,
    command,
  ];
}

/**
 * The baseline: N OpenSSH clients started at once, each `ssh … 'mkdir -p DIR && tar -xzf - -C DIR' < artifact`
 * (each with its own file descriptor: a shared one would share the file offset).
 */
export async function opensshParallel(servers: readonly TestSshd[], key: TestKeyPair, artifact: Artifact, dir: string, extraSshArgs: string[] = []): Promise<FanoutTiming> {
  const command = `mkdir -p '${dir}' && tar -xzf - -C '${dir}'`;
  const t0 = performance.now();
  const runs = servers.map(
    (s) =>
      new Promise<void>((resolve, reject) => {
        const fd = openSync(artifact.path, 'r');
        const child = spawn('ssh', opensshArgs(s, key, command, extraSshArgs), { stdio: [fd, 'ignore', 'pipe'] });
        closeSync(fd); // the child has its own copy
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        child.once('error', reject);
        child.once('close', (code, signal) =>
          code === 0 ? resolve() : reject(new Error(`ssh to port ${s.port} exited ${code ?? signal}: ${stderr.trim()}`)),
        );
      }),
  );
  const results = await Promise.allSettled(runs);
  const totalS = (performance.now() - t0) / 1000;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { totalS };
}

/** What ssh2 (with the product's settings: no `algorithms` override) negotiates, and which implementation runs it. */
export async function probeSsh2(server: TestSshd, key: TestKeyPair): Promise<Record<string, string>> {
  const negotiated = await new Promise<Record<string, string>>((resolve, reject) => {
    const client = new Client();
    client.once('handshake', (n) => {
      resolve({ kex: n.kex, cipher: n.cs.cipher, mac: n.cs.mac || '(implicit)', compress: n.cs.compress, serverHostKey: n.serverHostKey });
      client.end();
    });
    client.once('error', reject);
    client.connect({ host: server.host, port: server.port, username: server.username, privateKey: key.privateKey, readyTimeout: 10_000 });
  });
  // And the cipher object inside a real product connection (private fields: diagnostics only).
  const conn = await connectSsh(server.target(keyAuth(key)), SSH_OPTIONS);
  try {
    const internals = conn as unknown as { client?: { _protocol?: { _cipher?: object; _decipher?: object } } };
    const crypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean };
    return {
      ...negotiated,
      cipherImpl: internals.client?._protocol?._cipher?.constructor.name ?? 'unknown',
      nativeBinding: String(crypto.bindingAvailable ?? 'unknown'),
    };
  } finally {
    await conn.close();
  }
}

/** What the OpenSSH client negotiates with the same server (from `ssh -v`). */
export async function probeOpenssh(server: TestSshd, key: TestKeyPair): Promise<Record<string, string>> {
  const output = await new Promise<string>((resolve) => {
    const args = opensshArgs(server, key, 'true').map((a) => (a === 'LogLevel=ERROR' ? 'LogLevel=DEBUG1' : a));
    const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('close', () => resolve(err));
    child.once('error', () => resolve(err));
  });
  const pick = (re: RegExp) => re.exec(output)?.[1] ?? 'unknown';
  return {
    kex: pick(/kex: algorithm: (\S+)/),
    cipher: pick(/kex: client->server cipher: (\S+)/),
    mac: pick(/kex: client->server cipher: \S+ MAC: (\S+)/),
    compress: pick(/kex: client->server cipher: \S+ MAC: \S+ compression: (\S+)/),
  };
}

/**
 * What one SSH command costs on these servers before it does anything: `ssh … true`, one after
 * another (median ms). Every exec pays it (deploybot runs several per host in a full task); a
 * login shell that sources a heavy ~/.bashrc (bash does for sshd sessions) shows up here.
 */
export async function probeSessionCost(server: TestSshd, key: TestKeyPair, times = 5): Promise<{ sshTrueMs: number; bashrcMs: number }> {
  const once = (command: string) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn('ssh', opensshArgs(server, key, command), { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.once('error', reject);
      child.once('close', () => resolve(command === 'true' ? performance.now() - t0 : Number(out.trim())));
    });
  const total: number[] = [];
  const shell: number[] = [];
  for (let i = 0; i < times; i++) {
    total.push(await once('true'));
    // What sourcing ~/.bashrc costs, timed on the server: bash sources it for every sshd session.
    shell.push(await once(`s=$(date +%s%N); . ~/.bashrc >/dev/null 2>&1 </dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { sshTrueMs: Math.round(med(total)), bashrcMs: Math.round(med(shell)) };
}

export interface SwitchTiming extends FanoutTiming {
  /** First to last server switched. */
  switchSkewMs: number;
}

/**
 * The floor for the fleet-wide switch: the product's switchCurrent sent on every already-open
 * connection at once, with nothing else around it (no runner, no store writes, no events). The
 * runner's skew (full_task) is compared with this in the same run.
 */
export async function rawFleetSwitch(servers: readonly TestSshd[], key: TestKeyPair, root: string): Promise<SwitchTiming> {
  const release = '20260101000000-1-abcdef0';
  for (const s of servers) mkdirSync(join(s.hostDir, 'releases', release), { recursive: true });
  // Connected like the runner does (a bounded number at once), not timed.
  const conns = await mapLimit(servers, 10, (s) => connectSsh(s.target(keyAuth(key)), { ...SSH_OPTIONS, connectTimeoutMs: 30_000 }));
  try {
    // Warm, as the runner's connections are by the time it switches (they ran prepare and upload).
    await Promise.all(conns.map((c) => c.exec('true', { timeoutMs: 30_000 })));
    const t0 = performance.now();
    const done = await Promise.all(conns.map(async (c) => {
      await switchCurrent(c, root, release);
      return performance.now();
    }));
    const totalS = (performance.now() - t0) / 1000;
    return { totalS, switchSkewMs: Math.max(...done) - Math.min(...done) };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}
