/**
 * Fan-out benchmark: how long deploybot takes to put one artifact on N servers, next to N
 * parallel OpenSSH clients and to the seed design (SFTP to one server after another).
 *
 *   npm run bench:fanout -- [--hosts 20] [--mb 50] [--parallel P] [--repeat R] [--methods …] [--cpu-prof DIR]
 *
 * Everything is real: N loopback sshd servers from test/support/sshd.ts (each in its own mount
 * namespace, all serving /srv/deploybot-bench/app), the product's packageWorkspace (not timed),
 * connectSsh + directFanout.deliver (bounded by the project's max parallel hosts), the full
 * TaskRunner deploy, and the `ssh` binary. Must run as root. On loopback every method is
 * CPU-bound (client crypto, sshd crypto, gunzip and writes share the same cores): the output
 * reports the core count and where the CPU time went (node / ssh clients / whole machine).
 *
 * Methods (run order shuffled every round; every server's files checked after each method, the
 * servers emptied before the next):
 *   deploybot      connectSsh to every server, then directFanout.deliver (exec `tar -xzf -`), ≤ P at a time
 *   deploybot_all  the same with P = N
 *   openssh        N × `ssh … 'mkdir -p DIR && tar -xzf - -C DIR' < artifact`, all at once (default cipher)
 *   openssh_gcm    the same with `-c aes128-gcm@openssh.com` (ssh2's cipher: same-cipher comparison)
 *   sftp_seq       per server in turn: ssh2 SFTP fastPut of the artifact + `tar -xzf` (uploadTarGzViaSftp)
 *   full_task      a whole deploy through DeployCoordinator + TaskRunner (git export, package, upload, switch)
 * The last line printed is one JSON object with the results.
 *
 * Reading the CPU breakdown (cpu_s in the JSON, per method): node = this process (all of
 * deploybot's client side: ssh2 framing, native AES-GCM, socket writes); child processes = the
 * `ssh` clients (git/tar for full_task); servers = everything the sshd servers ran (sshd, bash,
 * tar, gzip), from their listeners' reaped-children counters; unaccounted = the rest of the
 * machine's busy time (kernel threads — and other people's jobs on a shared machine: a large
 * value means that sample is contaminated, rerun with --repeat). `--cpu-prof DIR` writes a V8
 * profile of each timed method.
 *
 * Measured here (2 cores, 2026-11-23, 20 hosts, 50 MB workspace → 30.8 MB .tar.gz, quiet run):
 * deploybot 9.0 s (parallel 10) / 9.4 s (parallel 20), OpenSSH × 20 10.4 s (chacha20-poly1305;
 * 8.6 s with aes128-gcm), sequential SFTP 20.0 s, full task 18.8 s. Loopback is CPU-bound:
 * wall ≈ (client + server CPU) / 2 cores. deploybot's client side (one node process, ssh2 with
 * its native AES-GCM binding) used 3.0–3.5 CPU-s for 616 MB vs 4.2 s for 20 OpenSSH clients;
 * the servers' side (~14–16 CPU-s: gunzip, writes, sshd decryption) dominates every method.
 * Every SSH session here also sources root's ~/.bashrc (pyenv init, ~130 ms): the full task pays
 * it 4× per host (prepare, upload, finalize, switch) against 1× for the bare fan-out.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { projectAddSchema } from '../src/core/projects/project-schemas.js';
import { packageWorkspace, type Artifact } from '../src/pipeline/release/package-artifact.js';
import { makeScratchDir, removeScratchDir } from '../test/support/scratch-dirs.js';
import { generateKeyPair } from '../test/support/ssh-keys.js';
import type { TestSshd } from '../test/support/sshd.js';
import { parseArgs, type MethodName } from './support/args.js';
import { cleanupAll, cleanupOnSignals, onCleanup } from './support/cleanup.js';
import { createFullTaskBench, type FullTaskBench } from './support/full-task.js';
import { load1, serversCpuS, sshdListeners, startMeter, type CpuSample } from './support/meter.js';
import { deploybotFanout, opensshParallel, probeOpenssh, probeSessionCost, probeSsh2, rawFleetSwitch, sequentialSftp } from './support/methods.js';
import { MethodProfiler } from './support/profiler.js';
import { BENCH_ROOT, startServers, wipeServers } from './support/servers.js';
import { median, round, shuffle } from './support/stats.js';
import { makeWorkspace, verifyTree, type Manifest } from './support/workload.js';

const log = (...parts: unknown[]) => console.error('[bench]', ...parts);

/** The project default for "max parallel hosts", from the product's own schema. */
function defaultMaxParallel(): number {
  try {
    return projectAddSchema.parse({ name: 'x', repoUrl: 'https://example.com/x.git', deployPath: '/srv/x', servers: ['a'] }).maxParallel;
  } catch {
    return 10;
  }
}

const UPLOAD_DIR = `${BENCH_ROOT}/releases/bench`;
/** Where the servers' files are, seen from this side, after a method. */
const extractedDir = (s: TestSshd, method: MethodName) => (method === 'full_task' ? join(s.hostDir, 'bench', 'current') : join(s.hostDir, 'releases', 'bench'));
/** Methods that do not deliver the payload (nothing to verify on the servers). */
const NO_PAYLOAD: readonly MethodName[] = ['switch_raw'];

interface Sample extends CpuSample {
  methodS: number;
  /** sshd + shell + tar + gzip on every server. */
  serverCpuS: number;
  /** Machine busy time nobody above accounts for: kernel threads, other processes on this machine. */
  otherCpuS: number;
  connectS?: number;
  stages?: Record<string, number>;
  runnerS?: number;
  artifactBytes?: number;
  switchSkewMs?: number;
}

interface Payload {
  artifact: Artifact;
  manifest: Manifest;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root: the sshd servers need mount namespaces and root logins');
  cleanupOnSignals();
  const parallel = args.parallel ?? defaultMaxParallel();
  const cores = cpus().length;
  const methods = args.methods.filter((m) => !(m === 'deploybot_all' && parallel >= args.hosts)); // identical to deploybot then
  const ssh2Version = (createRequire(import.meta.url)('ssh2/package.json') as { version: string }).version;
  const opensshVersion = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim() || 'unknown'; // ssh -V prints to stderr
  const loadStart = load1();
  log(`${args.hosts} hosts, ${args.mb} MB workspace, deploybot parallel ${parallel} (project default ${defaultMaxParallel()}), repeat ${args.repeat}, ${cores} CPUs, load ${loadStart}`);

  const key = await generateKeyPair({ comment: 'deploybot-bench' });
  onCleanup('removing the key', () => removeScratchDir(dirname(key.privateKeyPath)));
  const t0 = performance.now();
  const servers = await startServers(args.hosts, key, args.light);
  log(`started ${servers.length} sshd in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const listeners = sshdListeners(servers.map((s) => join(dirname(s.hostDir), 'sshd_config')));
  if (listeners.length !== servers.length) log(`found ${listeners.length} of ${servers.length} sshd listener processes: server CPU will be incomplete`);

  const work = makeScratchDir('deploybot-bench-');
  onCleanup('removing the workspace', () => removeScratchDir(work));
  const payload = await makePayload(join(work, 'workspace'), join(work, 'artifact.tar.gz'), Math.round(args.mb * 1e6));
  const warm = await makePayload(join(work, 'warm-workspace'), join(work, 'warm.tar.gz'), 200_000);
  log(`artifact: ${payload.artifact.bytes} bytes (.tar.gz of ${payload.manifest.bytes} bytes in ${payload.manifest.sizes.size} files)`);

  const ssh2Cipher = await probeSsh2(servers[0]!, key);
  const opensshCipher = await probeOpenssh(servers[0]!, key);
  log('ssh2 negotiates', ssh2Cipher);
  log('OpenSSH negotiates', opensshCipher);
  const sessionCost = await probeSessionCost(servers[0]!, key);
  log(`one \`ssh … true\` takes ${sessionCost.sshTrueMs} ms; sourcing the remote ~/.bashrc (done by every session) ${sessionCost.bashrcMs} ms`);

  let full: FullTaskBench | null = null;
  if (methods.includes('full_task')) full = await createFullTaskBench(servers, key, join(work, 'workspace'), parallel);

  const profiler = new MethodProfiler(args.cpuProf);
  const run = async (method: MethodName, payload: Payload, forFull: 'bench' | 'warmup', label: string | null): Promise<Sample> => {
    wipeServers(servers);
    if (label) await profiler.start();
    const server0 = serversCpuS(listeners);
    const meter = startMeter();
    let timing: { totalS: number; connectS?: number; runnerS?: number; stagesS?: Record<string, number>; artifactBytes?: number | null; switchSkewMs?: number | null };
    switch (method) {
      case 'deploybot':
        timing = await deploybotFanout(servers, key, payload.artifact, UPLOAD_DIR, parallel);
        break;
      case 'deploybot_all':
        timing = await deploybotFanout(servers, key, payload.artifact, UPLOAD_DIR, servers.length);
        break;
      case 'openssh':
        timing = await opensshParallel(servers, key, payload.artifact, UPLOAD_DIR);
        break;
      case 'openssh_gcm':
        timing = await opensshParallel(servers, key, payload.artifact, UPLOAD_DIR, ['-c', 'aes128-gcm@openssh.com']);
        break;
      case 'sftp_seq':
        timing = await sequentialSftp(servers, key, payload.artifact, UPLOAD_DIR);
        break;
      case 'full_task':
        timing = await full!.deploy(forFull);
        break;
      case 'switch_raw':
        timing = await rawFleetSwitch(servers, key, BENCH_ROOT);
        break;
    }
    const cpu = meter();
    if (label) await profiler.stop(label);
    // full_task deploys the git repo (same files as the workspace) or the tiny warm-up repo.
    const expected = (method === 'full_task' && forFull === 'warmup') || NO_PAYLOAD.includes(method) ? null : payload.manifest;
    for (const s of servers) {
      if (expected) verifyTree(extractedDir(s, method), expected, `${method} on sshd :${s.port}`);
    }
    wipeServers(servers);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the servers reap the last sessions
    const serverCpuS = serversCpuS(listeners) - server0;
    const otherCpuS = cpu.machineBusyS - cpu.nodeCpuS - cpu.childrenCpuS - serverCpuS;
    return { ...cpu, serverCpuS, otherCpuS, methodS: timing.totalS, connectS: timing.connectS, runnerS: timing.runnerS, stages: timing.stagesS, artifactBytes: timing.artifactBytes ?? undefined, switchSkewMs: timing.switchSkewMs ?? undefined };
  };

  log('warm-up (small artifact, every method once)…');
  for (const method of methods) await run(method, warm, 'warmup', null);

  const samples = new Map<MethodName, Sample[]>(methods.map((m) => [m, []]));
  const orders: MethodName[][] = [];
  for (let r = 0; r < args.repeat; r++) {
    const order = shuffle([...methods]);
    orders.push(order);
    for (const method of order) {
      const sample = await run(method, payload, 'bench', `${method}-${r + 1}`);
      samples.get(method)!.push(sample);
      log(`round ${r + 1}/${args.repeat} ${method.padEnd(13)} ${sample.methodS.toFixed(2)} s  (node cpu ${sample.nodeCpuS.toFixed(2)} s, child processes ${sample.childrenCpuS.toFixed(2)} s, servers ${sample.serverCpuS.toFixed(2)} s, unaccounted ${sample.otherCpuS.toFixed(2)} s, machine busy ${sample.machineBusyS.toFixed(2)} s of ${(sample.wallS * cores).toFixed(2)})`);
    }
  }

  const med = (m: MethodName, pick: (s: Sample) => number | undefined = (s) => s.methodS) => {
    const values = (samples.get(m) ?? []).map(pick).filter((v): v is number => typeof v === 'number');
    return values.length ? median(values) : Number.NaN;
  };
  const deploybotS = med('deploybot');
  const deploybotAllS = methods.includes('deploybot_all') ? med('deploybot_all') : deploybotS;
  const opensshS = med('openssh');
  const sftpS = med('sftp_seq');
  const fullStages: Record<string, number | null> = {};
  for (const stage of new Set((samples.get('full_task') ?? []).flatMap((s) => Object.keys(s.stages ?? {})))) {
    fullStages[stage] = round(med('full_task', (s) => s.stages?.[stage]));
  }
  const cpuBreakdown: Record<string, Record<string, number | null>> = {};
  for (const m of methods) {
    cpuBreakdown[m] = {
      wall_s: round(med(m, (s) => s.wallS)),
      node_cpu_s: round(med(m, (s) => s.nodeCpuS)),
      child_processes_cpu_s: round(med(m, (s) => s.childrenCpuS)),
      server_cpu_s: round(med(m, (s) => s.serverCpuS)),
      unaccounted_cpu_s: round(med(m, (s) => s.otherCpuS)),
      machine_busy_s: round(med(m, (s) => s.machineBusyS)),
    };
  }

  const result = {
    hosts: args.hosts,
    bytes: payload.artifact.bytes,
    workspace_bytes: payload.manifest.bytes,
    files: payload.manifest.sizes.size,
    cpus: cores,
    parallel,
    default_max_parallel: defaultMaxParallel(),
    repeat: args.repeat,
    stat: args.repeat > 1 ? 'median' : 'single',
    deploybot_s: round(deploybotS),
    deploybot_connect_s: round(med('deploybot', (s) => s.connectS)),
    deploybot_parallelN_s: round(deploybotAllS),
    openssh_parallel_s: round(opensshS),
    openssh_parallel_aes128gcm_s: round(med('openssh_gcm')),
    sequential_sftp_s: round(sftpS),
    sequential_sftp_method: 'ssh2 SFTP (product uploadTarGzViaSftp: fastPut to a temp file, then tar -xzf), one server after another',
    deploybot_full_task_s: round(med('full_task')),
    deploybot_full_task_runner_s: round(med('full_task', (s) => s.runnerS)),
    full_task_stages_s: fullStages,
    full_task_artifact_bytes: samples.get('full_task')?.[0]?.artifactBytes ?? null,
    ratio_deploybot_vs_openssh: round(deploybotS / opensshS),
    ratio_deploybot_parallelN_vs_openssh: round(deploybotAllS / opensshS),
    ratio_deploybot_vs_sequential_sftp: round(deploybotS / sftpS),
    goal_deploybot_le_1_2x_openssh: Number.isFinite(deploybotS / opensshS) ? deploybotS / opensshS <= 1.2 : null,
    // The fleet-wide switch: the runner's skew (first to last server switched) in a full deploy,
    // against the bare renames on open connections (switch_raw) in the same run.
    full_task_switch_skew_ms: round(med('full_task', (s) => s.switchSkewMs)),
    switch_raw_skew_ms: round(med('switch_raw', (s) => s.switchSkewMs)),
    ratio_switch_skew_full_task_vs_raw: round(med('full_task', (s) => s.switchSkewMs) / med('switch_raw', (s) => s.switchSkewMs)),
    switch_skew_goal_ms: args.hosts <= 20 ? 200 : 1000,
    goal_switch_skew: Number.isFinite(med('full_task', (s) => s.switchSkewMs)) ? med('full_task', (s) => s.switchSkewMs) <= (args.hosts <= 20 ? 200 : 1000) : null,
    light_servers: args.light,
    ssh_true_ms: sessionCost.sshTrueMs,
    remote_bashrc_ms: sessionCost.bashrcMs,
    cipher_ssh2: ssh2Cipher,
    cipher_openssh: opensshCipher,
    cpu_s: cpuBreakdown,
    runs: Object.fromEntries([...samples].map(([m, list]) => [m, list.map((s) => round(s.methodS))])),
    orders,
    versions: { node: process.version, ssh2: ssh2Version, openssh: opensshVersion },
    load1_start: loadStart,
    load1_end: load1(),
  };

  const fmt = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '     n/a' : `${v.toFixed(2).padStart(7)} s`);
  console.log(`fan-out of ${result.bytes} bytes (.tar.gz of ${result.workspace_bytes} bytes) to ${result.hosts} loopback sshd, ${cores} CPUs, ${result.stat} of ${args.repeat}`);
  console.log(`  deploybot (parallel ${parallel})        ${fmt(result.deploybot_s)}   (connect phase ${fmt(result.deploybot_connect_s)})`);
  console.log(`  deploybot (parallel ${args.hosts})        ${fmt(result.deploybot_parallelN_s)}`);
  console.log(`  OpenSSH × ${args.hosts} parallel          ${fmt(result.openssh_parallel_s)}   (${opensshCipher.cipher}); with aes128-gcm ${fmt(result.openssh_parallel_aes128gcm_s)}`);
  console.log(`  sequential SFTP (ssh2)       ${fmt(result.sequential_sftp_s)}`);
  console.log(`  full TaskRunner deploy       ${fmt(result.deploybot_full_task_s)}   stages ${JSON.stringify(fullStages)}`);
  console.log(`  ratios: deploybot/openssh ${result.ratio_deploybot_vs_openssh}  (parallel ${args.hosts}: ${result.ratio_deploybot_parallelN_vs_openssh})  deploybot/sequential-sftp ${result.ratio_deploybot_vs_sequential_sftp}`);
  console.log(`  fleet-wide switch skew: full task ${result.full_task_switch_skew_ms ?? 'n/a'} ms, bare renames ${result.switch_raw_skew_ms ?? 'n/a'} ms (ratio ${result.ratio_switch_skew_full_task_vs_raw ?? 'n/a'}; goal ≤ ${result.switch_skew_goal_ms} ms: ${result.goal_switch_skew ?? 'n/a'})${args.light ? ', light servers' : ''}`);
  console.log(`  ssh2 cipher ${ssh2Cipher.cipher} (${ssh2Cipher.cipherImpl}, native binding ${ssh2Cipher.nativeBinding}); OpenSSH cipher ${opensshCipher.cipher}`);
  console.log(JSON.stringify(result));
}

async function makePayload(workspace: string, artifactPath: string, bytes: number): Promise<Payload> {
  const manifest = makeWorkspace(workspace, bytes);
  const artifact = await packageWorkspace(workspace, artifactPath); // the product's packaging, not timed
  return { artifact, manifest };
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
} finally {
  await cleanupAll();
}
