/**
 * Fleet benchmark (issue 15): how long one release takes to reach N servers behind shaped links.
 *
 *   npx tsx bench/fleet.ts [--hosts 8,16,32] [--mb 20] [--mbit 100] [--no-faults] [--no-shape] [--methods relay,direct,direct10,openssh]
 *
 * Must run as root. Setup (bench/support/netns-fleet.ts): one network namespace per host with a
 * real sshd (own mount + pid namespace: its own deploy path and /root), veths on a bridge,
 * 198.18.0.0/15, tbf on every link: the bot's uplink at B, each host's up and down links at B.
 * One incompressible artifact (random bytes, packaged by the product's packageWorkspace).
 *
 * For each N (the first N hosts of one fleet):
 *   relay     the product's relayDistributor: start (cleanup + set-up on every host) → every copy
 *             checked and extracted (the time a deploy waits before its before_deploy hooks)
 *   direct    the product's directFanout with its default parallelism (max(parallel, min(N, 32)))
 *   direct10  the same bounded at 10 servers at once (the old default)
 *   openssh   N parallel `ssh host 'tar -xzf -'` processes from the bot
 * beside the bounds S/B (one copy) and N·S/B (the star: every copy through the bot's uplink).
 * Faults, at the largest N, relay only: one host shaped to B/10 (time until every other host has
 * its copy, and until all have), and one host killed when it holds a quarter of the artifact.
 * The last line printed is one JSON object with every figure.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { directFanout } from '../src/pipeline/distribution/direct-fanout.js';
import type { FleetDelivery, FleetHost, PackageDistributor } from '../src/pipeline/distribution/distributor.js';
import { relayDistributor } from '../src/pipeline/distribution/relay-distributor.js';
import { packageWorkspace, type Artifact } from '../src/pipeline/release/package-artifact.js';
import { connectSsh, type SshConnection } from '../src/pipeline/ssh/ssh.js';
import { Redactor } from '../src/redact.js';
import { makeScratchDir } from '../test/support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../test/support/ssh-keys.js';
import { cleanupAll, cleanupOnSignals } from './support/cleanup.js';
import { FLEET_ROOT, startFleet, type FleetMember } from './support/netns-fleet.js';
import { round } from './support/stats.js';

const log = (...parts: unknown[]) => console.error('[fleet]', ...parts);
const METHODS = ['relay', 'direct', 'direct10', 'openssh'] as const;
type Method = (typeof METHODS)[number];

interface Args {
  hosts: number[];
  mb: number;
  mbit: number;
  faults: boolean;
  shape: boolean;
  methods: Method[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { hosts: [8, 16, 32], mb: 20, mbit: 100, faults: true, shape: true, methods: [...METHODS] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--hosts') args.hosts = value().split(',').map((n) => Number(n));
    else if (flag === '--mb') args.mb = Number(value());
    else if (flag === '--mbit') args.mbit = Number(value());
    else if (flag === '--no-faults') args.faults = false;
    else if (flag === '--no-shape') args.shape = false;
    else if (flag === '--methods') args.methods = value().split(',') as Method[];
    else throw new Error(`unknown argument ${flag}`);
  }
  if (args.hosts.some((n) => !Number.isInteger(n) || n < 2 || n > 200)) throw new Error('--hosts: whole numbers from 2 to 200, comma-separated');
  if (!(args.mb > 0) || !(args.mbit > 0)) throw new Error('--mb and --mbit must be positive');
  for (const m of args.methods) if (!METHODS.includes(m)) throw new Error(`--methods: unknown ${m}`);
  return args;
}

// The product's own connection settings (src/runtime.ts): keepalives every 10 s.
const SSH = { connectTimeoutMs: 20_000, keepaliveIntervalMs: 10_000, redactor: new Redactor() };

async function connectAll(members: readonly FleetMember[], key: TestKeyPair): Promise<SshConnection[]> {
  return Promise.all(members.map((m) => connectSsh(m.target(key), SSH)));
}

function wipe(members: readonly FleetMember[]): void {
  for (const m of members) for (const name of readdirSync(m.hostDir)) rmSync(join(m.hostDir, name), { recursive: true, force: true });
}

function verify(members: readonly FleetMember[], release: string, blobBytes: number, skip: ReadonlySet<string> = new Set()): void {
  for (const m of members) {
    if (skip.has(m.name)) continue;
    const blob = join(m.hostDir, 'releases', release, 'blob.bin');
    if (!existsSync(blob) || statSync(blob).size !== blobBytes) throw new Error(`${m.name}: release ${release} is missing or incomplete`);
  }
}

interface Run {
  release: string;
  totalS: number;
  /** Per host: seconds from the start until its copy was extracted (null: failed). */
  hostS: (number | null)[];
  closeS?: number;
}

let taskSeq = 1000;

async function runDistributor(distributor: PackageDistributor, members: readonly FleetMember[], key: TestKeyPair, artifact: Artifact, exactParallel?: number, during?: (delivery: FleetDelivery, task: number, t0: number) => void): Promise<Run> {
  const conns = await connectAll(members, key);
  const task = ++taskSeq;
  const release = `r${task}`;
  const fleet: FleetHost[] = members.map((m, i) => ({ name: m.name, conn: conns[i]!, peerAddress: { host: m.address, port: 22 } }));
  try {
    const t0 = performance.now();
    const delivery = await distributor.start(fleet, artifact, { taskId: task, projectId: 1, deployPath: FLEET_ROOT, maxParallel: 1, signal: new AbortController().signal, onEvent: (e) => {
      if (process.env.FLEET_VERBOSE && e.type === 'progress' && e.bytes >= artifact.bytes) log(`${((performance.now() - t0) / 1000).toFixed(2)}s all bytes on ${e.host}`);
      if (process.env.FLEET_VERBOSE && e.type === 'progress' && process.env.FLEET_VERBOSE === '2') log(`${((performance.now() - t0) / 1000).toFixed(2)}s ${e.host} ${e.bytes}`);
      if (process.env.FLEET_VERBOSE && e.type !== 'progress') log(`${((performance.now() - t0) / 1000).toFixed(2)}s`, JSON.stringify(e));
    } });
    during?.(delivery, task, t0);
    const sampler = process.env.FLEET_SIZES
      ? setInterval(() => {
          const sizes = members.map((m) => {
            const f = join(m.hostDir, `.deploybot-relay-${task}`, 'artifact');
            return existsSync(f) ? Math.round(statSync(f).size / 1e5) / 10 : -1;
          });
          log(`${((performance.now() - t0) / 1000).toFixed(2)}s sizes MB`, sizes.join(' '));
        }, 200)
      : null;
    const hostS: (number | null)[] = new Array(members.length).fill(null);
    const queue = members.map((_, i) => i);
    await Promise.all(
      Array.from({ length: Math.min(exactParallel ?? delivery.parallel, members.length) }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const idx = i;
          await delivery
            .deliver(members[idx]!.name, `${FLEET_ROOT}/releases/.${release}.partial`, { renameTo: `${FLEET_ROOT}/releases/${release}` })
            .then(() => (hostS[idx] = (performance.now() - t0) / 1000))
            .catch((err: unknown) => log(`${members[idx]!.name}: ${err instanceof Error ? err.message : String(err)}`));
        }
      }),
    );
    const totalS = (performance.now() - t0) / 1000;
    if (sampler) clearInterval(sampler);
    const c0 = performance.now();
    await delivery.close();
    return { release, totalS, hostS, closeS: (performance.now() - c0) / 1000 };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

async function runOpenssh(members: readonly FleetMember[], key: TestKeyPair, artifact: Artifact): Promise<Run> {
  const release = `r${++taskSeq}`;
  const dir = `${FLEET_ROOT}/releases/${release}`;
  const t0 = performance.now();
  const hostS = await Promise.all(
    members.map(
      (m) =>
        new Promise<number | null>((resolve) => {
          const fd = openSync(artifact.path, 'r');
          const child = spawn('ssh', ['-F', '/dev/null', '-i', key.privateKeyPath, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', `root@${m.address}`, `mkdir -p ${dir} && tar --no-same-owner -xzf - -C ${dir}`], { stdio: [fd, 'ignore', 'inherit'] });
          child.once('exit', (code) => {
            closeSync(fd);
            resolve(code === 0 ? (performance.now() - t0) / 1000 : null);
          });
        }),
    ),
  );
  return { release, totalS: (performance.now() - t0) / 1000, hostS };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/fleet.ts needs root (network namespaces, tc, sshd)');
  cleanupOnSignals();
  const args = parseArgs(process.argv.slice(2));
  const maxN = Math.max(...args.hosts);
  const key = await generateKeyPair();

  const ws = makeScratchDir('deploybot-fleet-ws-');
  const blobBytes = Math.round(args.mb * 1e6);
  writeFileSync(join(ws, 'blob.bin'), randomBytes(blobBytes));
  mkdirSync(join(ws, 'src'));
  writeFileSync(join(ws, 'src/index.js'), 'console.log("fleet")\n');
  const artifact = await packageWorkspace(ws, join(makeScratchDir(), 'fleet.tar.gz'));
  const oneCopyS = (artifact.bytes * 8) / (args.mbit * 1e6);
  log(`artifact ${(artifact.bytes / 1e6).toFixed(1)} MB, B = ${args.mbit} Mbit/s${args.shape ? '' : ' (links NOT shaped)'}: S/B = ${oneCopyS.toFixed(2)} s`);

  log(`starting ${maxN} hosts…`);
  const fleet = await startFleet(maxN, key, args.mbit, args.shape);
  const results: Record<string, unknown>[] = [];
  const report = (n: number, method: string, run: Run, extra: Record<string, unknown> = {}) => {
    const ok = run.hostS.filter((s) => s !== null).length;
    const row = { n, method, total_s: round(run.totalS, 2), x_one_copy: round(run.totalS / oneCopyS, 2), x_star: round(run.totalS / (n * oneCopyS), 2), ok, ...(run.closeS !== undefined ? { close_s: round(run.closeS, 2) } : {}), ...extra };
    results.push(row);
    if (process.env.FLEET_VERBOSE) log('per host', run.hostS.map((x) => (x === null ? null : round(x, 2))));
    log(`N=${n} ${method.padEnd(14)} ${run.totalS.toFixed(2)} s  = ${(run.totalS / oneCopyS).toFixed(2)} × S/B  (star bound ${(n * oneCopyS).toFixed(1)} s)  ${ok}/${n} ok`, extra);
  };

  try {
    for (const n of args.hosts) {
      const members = fleet.members.slice(0, n);
      for (const method of args.methods) {
        if (method === 'direct10' && n <= 10) continue;
        wipe(members);
        const run =
          method === 'openssh'
            ? await runOpenssh(members, key, artifact)
            : await runDistributor(method === 'relay' ? relayDistributor : directFanout, members, key, artifact, method === 'direct10' ? 10 : undefined);
        verify(members, run.release, blobBytes);
        report(n, method, run);
      }
    }

    if (args.faults && args.methods.includes('relay')) {
      const members = fleet.members.slice(0, maxN);
      const victim = members[2]!;
      // One host at B/10.
      wipe(members);
      await victim.shape(args.mbit / 10);
      const slow = await runDistributor(relayDistributor, members, key, artifact);
      verify(members, slow.release, blobBytes);
      await victim.shape(args.mbit);
      const others = slow.hostS.filter((_, i) => i !== 2);
      const othersS = others.every((s) => s !== null) ? Math.max(...(others as number[])) : null;
      report(maxN, 'relay_slow_1', slow, { others_done_s: othersS === null ? null : round(othersS, 2), others_x_one_copy: othersS === null ? null : round(othersS / oneCopyS, 2), slow_host_s: round(slow.hostS[2] ?? NaN, 2), slow_bound_s: round(oneCopyS * 10, 2) });

      // One host killed when it holds a quarter of the artifact.
      wipe(members);
      let killedAt: number | null = null;
      const killed = await runDistributor(relayDistributor, members, key, artifact, undefined, (_d, task, t0) => {
        const file = join(victim.hostDir, `.deploybot-relay-${task}`, 'artifact');
        const timer = setInterval(() => {
          const size = existsSync(file) ? statSync(file).size : 0;
          if (size >= artifact.bytes / 4) {
            clearInterval(timer);
            killedAt = (performance.now() - t0) / 1000;
            victim.kill();
          }
        }, 20);
        timer.unref();
      });
      verify(members, killed.release, blobBytes, new Set([victim.name]));
      report(maxN, 'relay_killed_1', killed, { killed_at_s: killedAt === null ? null : round(killedAt, 2), others_ok: killed.hostS.filter((s, i) => i !== 2 && s !== null).length });
    }
  } finally {
    await fleet.close();
    await cleanupAll();
  }
  console.log(JSON.stringify({ artifact_mb: round(artifact.bytes / 1e6, 2), mbit: args.mbit, shaped: args.shape, one_copy_s: round(oneCopyS, 2), results }));
}

main().catch(async (err) => {
  console.error(err instanceof Error ? err.stack : err);
  await cleanupAll();
  process.exit(1);
});
