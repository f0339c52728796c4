import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runLocal, runLocalUnchecked } from '../../src/pipeline/exec/local-exec.js';
import type { SshTarget } from '../../src/pipeline/ssh/ssh-types.js';
import type { TestKeyPair } from '../../test/support/ssh-keys.js';
import { ensureOpenSshServer } from '../../test/support/sshd.js';
import { makeScratchDir, removeScratchDir } from '../../test/support/scratch-dirs.js';
import { onCleanup } from './cleanup.js';

/**
 * A shaped fleet on one machine (MACHINE-NOTES: "Shaped fleets"): one network namespace per host,
 * each with a real sshd in its own mount and pid namespace (its own deploy path and its own /root),
 * veth pairs on a bridge with no uplink, addresses from 198.18.0.0/15 (the benchmarking range), and
 * tbf on every link: the bot's uplink at B, each host's uplink and downlink at B. Traffic never
 * leaves these namespaces. Everything is removed on exit, on error and on SIGINT (cleanup.ts).
 */
export const FLEET_ROOT = '/srv/deploybot-bench/fleet';
const BOT_ADDRESS = '198.18.0.1';
const hostAddress = (i: number) => `198.18.${1 + Math.floor(i / 250)}.${(i % 250) + 2}`;

export interface FleetMember {
  name: string;
  address: string;
  netns: string;
  hostDir: string;
  target(key: TestKeyPair): SshTarget;
  /** Reshapes this host's links (both directions). */
  shape(mbit: number): Promise<void>;
  /** SIGKILLs its sshd and everything it runs (the pid namespace dies with it). */
  kill(): void;
}

export interface Fleet {
  members: FleetMember[];
  botAddress: string;
  close(): Promise<void>;
}

async function sh(cmd: string, args: string[]): Promise<void> {
  await runLocal({ cmd, args, timeoutMs: 30_000 });
}

/**
 * tbf's bucket: at least one GSO super-packet (64 KB). A smaller bucket (the 32 kbit = 4 KB first
 * used here) makes tbf segment every GSO packet in software and wake per 1.5 KB packet, which on
 * two cores cost more CPU than the ssh encryption itself and capped the whole fleet.
 */
const BURST = process.env.FLEET_BURST ?? '64kb';

const tbf = (dev: string, mbit: number, netns?: string) => {
  const args = ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', BURST, 'latency', '50ms'];
  return netns ? sh('ip', ['netns', 'exec', netns, 'tc', ...args]) : sh('tc', args);
};

export async function startFleet(count: number, key: TestKeyPair, mbit: number, shaped = true): Promise<Fleet> {
  await ensureOpenSshServer();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const tag = `df${process.pid % 10000}`;
  const bridge = `${tag}br`;
  const procs: ChildProcess[] = [];
  const namespaces: string[] = [];
  const dir = makeScratchDir('deploybot-fleet-');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const p of procs) p.kill('SIGKILL');
    for (const ns of namespaces) await runLocalUnchecked({ cmd: 'ip', args: ['netns', 'delete', ns], timeoutMs: 10_000 });
    await runLocalUnchecked({ cmd: 'ip', args: ['link', 'delete', `${tag}bot`], timeoutMs: 10_000 });
    await runLocalUnchecked({ cmd: 'ip', args: ['link', 'delete', bridge], timeoutMs: 10_000 });
    removeScratchDir(dir);
  };
  onCleanup('removing the fleet namespaces, veths and bridge', close);

  await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await sh('ip', ['link', 'set', bridge, 'up']);
  // The bot: a veth from the root namespace onto the bridge; its uplink is shaped at B.
  await sh('ip', ['link', 'add', `${tag}bot`, 'type', 'veth', 'peer', 'name', `${tag}botb`]);
  await sh('ip', ['link', 'set', `${tag}botb`, 'master', bridge]);
  await sh('ip', ['addr', 'add', `${BOT_ADDRESS}/15`, 'dev', `${tag}bot`]);
  await sh('ip', ['link', 'set', `${tag}bot`, 'up']);
  await sh('ip', ['link', 'set', `${tag}botb`, 'up']);
  if (shaped) await tbf(`${tag}bot`, mbit);

  const members: FleetMember[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `${tag}h${i}`;
    const inner = `${tag}i${i}`; // in the namespace: the host's uplink
    const outer = `${tag}o${i}`; // on the bridge: the host's downlink
    const address = hostAddress(i);
    await sh('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    await sh('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
    await sh('ip', ['link', 'set', inner, 'netns', ns]);
    await sh('ip', ['link', 'set', outer, 'master', bridge]);
    await sh('ip', ['link', 'set', outer, 'up']);
    await sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/15`, 'dev', inner]);
    await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', inner, 'up']);
    await sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const shape = async (rate: number) => {
      await tbf(inner, rate, ns);
      await tbf(outer, rate);
    };
    if (shaped) await shape(mbit);

    const hostBase = join(dir, `h${i}`);
    const hostDir = join(hostBase, 'srv');
    const home = join(hostBase, 'home');
    mkdirSync(hostDir, { recursive: true });
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(join(hostBase, 'authorized_keys'), `${key.publicKey}\n`, { mode: 0o600 });
    await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(hostBase, 'host_key')]);
    writeFileSync(
      join(hostBase, 'sshd_config'),
      [
        `ListenAddress ${address}`, 'Port 22', `HostKey ${join(hostBase, 'host_key')}`, `PidFile ${join(hostBase, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(hostBase, 'authorized_keys')} .ssh/authorized_keys`, 'StrictModes no', 'UsePAM no', 'PermitRootLogin yes',
        'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UseDNS no', 'PrintMotd no', 'MaxStartups 200:30:400', 'MaxSessions 20', 'LogLevel ERROR', '',
      ].join('\n'),
    );
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', 'sh', '-c',
        'mkdir -p "$ROOT" && mount --bind "$HOSTDIR" "$ROOT" && mount --bind "$HOMEDIR" /root && exec /usr/sbin/sshd -D -e -f "$CFG"'],
      { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ROOT: FLEET_ROOT, HOSTDIR: hostDir, HOMEDIR: home, CFG: join(hostBase, 'sshd_config'), HOME: '/root' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    procs.push(child);
    members.push({
      name: `host-${i}`,
      address,
      netns: ns,
      hostDir,
      target: (k) => ({ name: `host-${i}`, host: address, port: 22, username: 'root', auth: { kind: 'key', privateKey: k.privateKey } }),
      shape,
      kill: () => child.kill('SIGKILL'),
    });
  }
  // Every sshd answers before the benchmark starts.
  for (const m of members) {
    for (let tries = 0; !(await speaksSsh(m.address)); tries++) {
      if (tries > 100) throw new Error(`sshd of ${m.name} did not start`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return { members, botAddress: BOT_ADDRESS, close };
}

function speaksSsh(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port: 22 });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (c) => {
      data += c.toString('latin1');
      if (data.includes('SSH-2.0-')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(data.includes('SSH-2.0-')));
  });
}
