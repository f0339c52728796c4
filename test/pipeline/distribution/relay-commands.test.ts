import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  botFeedCommand,
  extractCopyCommand,
  finishCommand,
  knownHostsLine,
  peerFetchCommand,
  relayAuthorizedKey,
  relayCleanupCommand,
  relayProbeCommand,
  serveScript,
} from '../../../src/pipeline/distribution/relay-commands.js';
import { chooseSource, isSlowRelay, planChain, recentRate, type ChainNode } from '../../../src/pipeline/distribution/relay-chain.js';
import { pickDistribution, AUTO_RELAY_MIN_BYTES, AUTO_RELAY_MIN_SERVERS } from '../../../src/pipeline/distribution/choose-strategy.js';
import { peerAddressOf } from '../../../src/pipeline/distribution/peer-address.js';
import type { FleetHost } from '../../../src/pipeline/distribution/distributor.js';
import type { Artifact } from '../../../src/pipeline/release/package-artifact.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';

afterAll(() => removeScratchDirs());

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILq5Q+0QJG+ZbKYx7T+DsNXT6DK9UAxcruO0HUnFDs6b deploybot-relay-t12';

describe('what relay distribution runs on servers', () => {
  it('the task key can only run the serve script, only from the peers, with every forwarding off', () => {
    const line = relayAuthorizedKey({ dir: '/srv/app/.deploybot-relay-12', projectId: 3, taskId: 12, publicKey: KEY, from: ['10.0.0.5', '10.0.0.6'] });
    expect(line).toBe(
      'restrict,from="10.0.0.5,10.0.0.6",command="/bin/sh /srv/app/.deploybot-relay-12/serve" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILq5Q+0QJG+ZbKYx7T+DsNXT6DK9UAxcruO0HUnFDs6b deploybot-relay-p3-t12',
    );
    expect(() => relayAuthorizedKey({ dir: '/srv/app/.deploybot-relay-12', projectId: 3, taskId: 12, publicKey: KEY, from: ['10.0.0.5",command="sh'] })).toThrow(/from=/);
    expect(() => relayAuthorizedKey({ dir: '/srv/my "app"/.deploybot-relay-12', projectId: 3, taskId: 12, publicKey: KEY, from: ['10.0.0.5'] })).toThrow(/relayable/);
  });

  it('the serve script takes nothing from the peer but a byte offset (run by a real sh)', () => {
    const dir = makeScratchDir('deploybot-serve-');
    writeFileSync(join(dir, 'artifact'), 'abcdefghij');
    writeFileSync(join(dir, 'holder.pid'), '999999999\n'); // a dead holder: serve sends what is there and ends
    writeFileSync(join(dir, 'serve'), serveScript(dir));
    const run = (offset: string) => spawnSync('sh', [join(dir, 'serve')], { env: { PATH: process.env.PATH, SSH_ORIGINAL_COMMAND: offset }, encoding: 'utf8', timeout: 10_000 });
    expect(run('3').stdout).toBe('defghij');
    expect(run('0').stdout).toBe('abcdefghij');
    const evil = run('1; cat /etc/shadow');
    expect(evil.status).toBe(2);
    expect(evil.stdout).toBe('');
    expect(evil.stderr).toContain('expected a byte offset');
    expect(run('').status).toBe(2);
  });

  it('fetches from a peer with its pinned host key only, no user config, and quotes every value', () => {
    const cmd = peerFetchCommand('/srv/app/.deploybot-relay-12', { alias: 'deploybot-peer-1', address: '10.0.0.5', port: 2222, username: 'deploy' }, 100, 1000, '/srv/app/releases/.r.partial');
    expect(cmd).toBe(
      "cd -- '/srv/app/.deploybot-relay-12' && rm -rf -- '/srv/app/releases/.r.partial' && mkdir -p -- '/srv/app/releases/.r.partial' && rm -f extract.fifo && mkfifo extract.fifo" +
        ' && rm -f fetch.fifo && mkfifo fetch.fifo && { ' +
        "'ssh' '-F' '/dev/null' '-i' 'key' '-o' 'IdentitiesOnly=yes' '-o' 'BatchMode=yes' '-o' 'StrictHostKeyChecking=yes' '-o' 'UserKnownHostsFile=known_hosts' " +
        "'-o' 'GlobalKnownHostsFile=/dev/null' '-o' 'HostKeyAlias=deploybot-peer-1' '-o' 'Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com' " +
        "'-o' 'ConnectTimeout=5' '-o' 'ServerAliveInterval=1' '-o' 'ServerAliveCountMax=3' '-o' 'LogLevel=ERROR' '-p' '2222' '-l' 'deploy' '--' '10.0.0.5' '100' > fetch.fifo & s=$!; " +
        "( while :; do stat -c %s artifact; sleep '0.25'; done ) & l=$!; " +
        // One stream: what head lets through is appended to the copy and, by the same tee, extracted.
        "tar --no-same-owner -xzf - -C '/srv/app/releases/.r.partial' < extract.fifo & x=$!; " +
        "{ cat artifact; head -c '900' < fetch.fifo | tee -p -a artifact; } > extract.fifo; rc=$?; " +
        'kill $s $l 2>/dev/null; wait $s; rc=$?; rm -f fetch.fifo; wait $x; echo "extract $?"; rm -f extract.fifo; ' +
        `n=$(stat -c %s artifact); echo "size $n"; [ "$n" -ge '1000' ] && exit 0; exit $rc; }`,
    );
    expect(() => peerFetchCommand('/srv/x', { alias: 'a', address: '-oProxyCommand=x', port: 22, username: 'u' }, 0, 1, '/srv/y')).toThrow();
    expect(knownHostsLine('deploybot-peer-1', 'ssh-ed25519 AAAAC3Nza')).toBe('deploybot-peer-1 ssh-ed25519 AAAAC3Nza');
    expect(() => knownHostsLine('peer x', 'ssh-ed25519 AAAA')).toThrow();
  });

  it('the bot\'s feed goes into the copy and the extraction by one tee', () => {
    expect(botFeedCommand('/srv/app/.deploybot-relay-12', '/srv/app/releases/.r.partial')).toBe(
      "cd -- '/srv/app/.deploybot-relay-12' && rm -rf -- '/srv/app/releases/.r.partial' && mkdir -p -- '/srv/app/releases/.r.partial' && rm -f extract.fifo && mkfifo extract.fifo && { " +
        "tar --no-same-owner -xzf - -C '/srv/app/releases/.r.partial' < extract.fifo & x=$!; { cat artifact; tee -p -a artifact; } > extract.fifo; rc=$?; " +
        'wait $x; echo "extract $?"; rm -f extract.fifo; echo "size $(stat -c %s artifact)"; exit $rc; }',
    );
    expect(extractCopyCommand('/srv/app/.deploybot-relay-12', '/srv/app/releases/.r.partial')).toBe(
      "cd -- '/srv/app/.deploybot-relay-12' && rm -rf -- '/srv/app/releases/.r.partial' && mkdir -p -- '/srv/app/releases/.r.partial' && tar --no-same-owner -xzf artifact -C '/srv/app/releases/.r.partial'",
    );
  });

  describe('receiving (real sh, tar, tee)', () => {
    // A .tar.gz of incompressible bytes, so that its prefix is a real cut through the gzip stream.
    const work = makeScratchDir('deploybot-receive-');
    mkdirSync(join(work, 'src'));
    const blob = randomBytes(300_000);
    writeFileSync(join(work, 'src/blob.bin'), blob);
    writeFileSync(join(work, 'src/index.js'), 'console.log("received")\n');
    expect(spawnSync('tar', ['-czf', join(work, 'a.tar.gz'), '-C', join(work, 'src'), '.']).status).toBe(0);
    const archive = readFileSync(join(work, 'a.tar.gz'));

    const receive = (name: string, already: Buffer, input: Buffer) => {
      const dir = join(work, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'artifact'), already);
      const to = join(dir, 'out.partial');
      const r = spawnSync('sh', ['-c', botFeedCommand(dir, to)], { input, encoding: 'utf8', timeout: 20_000 });
      return { ...r, dir, to };
    };

    it('a first attempt extracts the whole stream and appends it to the copy', () => {
      const r = receive('first', Buffer.alloc(0), archive);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`extract 0\nsize ${archive.length}\n`);
      expect(readFileSync(join(r.dir, 'artifact')).equals(archive)).toBe(true);
      expect(readFileSync(join(r.to, 'blob.bin')).equals(blob)).toBe(true);
      expect(existsSync(join(r.dir, 'extract.fifo'))).toBe(false);
    });

    it('a resumed copy is extracted whole: the local prefix, then the new bytes', () => {
      const cut = Math.floor(archive.length / 3);
      const r = receive('resumed', archive.subarray(0, cut), archive.subarray(cut));
      expect(r.stdout).toBe(`extract 0\nsize ${archive.length}\n`);
      expect(readFileSync(join(r.dir, 'artifact')).equals(archive)).toBe(true);
      expect(readFileSync(join(r.to, 'blob.bin')).equals(blob)).toBe(true);
      expect(readFileSync(join(r.to, 'index.js'), 'utf8')).toBe('console.log("received")\n');
    });

    it('a stream cut short leaves a failed extraction and a short copy, to resume', () => {
      const r = receive('cut', Buffer.alloc(0), archive.subarray(0, 1000));
      expect(r.stdout).toMatch(/^extract [1-9]\d*\nsize 1000\n$/);
      expect(readFileSync(join(r.dir, 'artifact')).length).toBe(1000);
    });

    it('when tar gives up on altered bytes, the copy is still received whole (for the checksum to refuse)', () => {
      const junk = randomBytes(1000);
      const r = receive('altered', junk, archive);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^extract [1-9]\\d*\\nsize ${archive.length + 1000}\\n$`));
      expect(readFileSync(join(r.dir, 'artifact')).equals(Buffer.concat([junk, archive]))).toBe(true);
    });
  });

  it('checks the bot\'s SHA-256 before renaming the release into place', () => {
    const cmd = finishCommand('/srv/app/.deploybot-relay-12', 'a'.repeat(64), '/srv/app/releases/.r.partial', '/srv/app/releases/r');
    expect(cmd.indexOf('sha256sum -c')).toBeLessThan(cmd.indexOf('mv -T'));
    expect(() => finishCommand('/x', 'not-a-sha', '/y')).toThrow();
  });

  it('cleanup removes only this project\'s relay keys and stage directories, keeping every other line (real sh)', () => {
    const home = makeScratchDir('deploybot-home-');
    const path = makeScratchDir('deploybot-path-');
    mkdirSync(join(home, '.ssh'));
    const keys = join(home, '.ssh/authorized_keys');
    writeFileSync(keys, 'ssh-ed25519 AAAA mine\nrestrict ssh-ed25519 BBBB deploybot-relay-p3-t12\nrestrict ssh-ed25519 CCCC deploybot-relay-p4-t13\n');
    mkdirSync(join(path, '.deploybot-relay-12'));
    mkdirSync(join(path, 'releases'));
    const r = spawnSync('sh', ['-c', relayCleanupCommand(path, 3)], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(keys, 'utf8')).toBe('ssh-ed25519 AAAA mine\nrestrict ssh-ed25519 CCCC deploybot-relay-p4-t13\n');
    expect(readdirSync(path)).toEqual(['releases']);
    // Nothing to clean: still fine, and a file of only relay lines becomes empty, not lost.
    writeFileSync(keys, 'restrict ssh-ed25519 BBBB deploybot-relay-p3-t14\n');
    expect(spawnSync('sh', ['-c', relayCleanupCommand(path, 3)], { env: { PATH: process.env.PATH, HOME: home } }).status).toBe(0);
    expect(readFileSync(keys, 'utf8')).toBe('');
    expect(existsSync(keys)).toBe(true);
  });

  it('the relay probe names missing tools and unreachable peers', () => {
    const r = spawnSync('sh', ['-c', relayProbeCommand([{ address: '127.0.0.1', port: 1 }])], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toContain('reach-fail 127.0.0.1 1');
    expect(r.stdout).not.toContain('missing');
  });
});

function node(name: string): ChainNode {
  return { name, parent: null, dead: false, demoted: false, badFrom: new Set() };
}

describe('the chain and its decisions', () => {
  it('each server fetches from the nearest usable server up the chain, else from the bot', () => {
    const [a, b, c, d] = planChain([node('a'), node('b'), node('c'), node('d')]);
    expect(chooseSource(a!)).toBeNull();
    expect(chooseSource(d!)?.name).toBe('c');
    c!.dead = true;
    expect(chooseSource(d!)?.name).toBe('b');
    b!.demoted = true;
    expect(chooseSource(d!)?.name).toBe('a');
    d!.badFrom.add('a');
    expect(chooseSource(d!)).toBeNull();
  });

  it('rates need a covered window', () => {
    expect(recentRate([{ at: 0, bytes: 0 }], 0)).toBeNull();
    expect(recentRate([{ at: 0, bytes: 0 }, { at: 1000, bytes: 10_000_000 }], 1000)).toBe(10_000_000);
  });

  it('a server is slow when it falls behind its source while receiving at under half its rate; those behind it are not', () => {
    const base = { reference: 12e6, totalBytes: 20e6, children: 1, fraction: 0.3, attachedForMs: 3000 };
    expect(isSlowRelay({ ...base, rate: 1.2e6, lagBytes: 10e6 })).toBe(true);
    expect(isSlowRelay({ ...base, rate: 1.2e6, lagBytes: 200_000 })).toBe(false); // right behind a slow source
    expect(isSlowRelay({ ...base, rate: 11e6, lagBytes: 10e6 })).toBe(false); // catching up at full speed
    expect(isSlowRelay({ ...base, rate: 1.2e6, lagBytes: 10e6, attachedForMs: 1000 })).toBe(false); // too early to judge
    expect(isSlowRelay({ ...base, rate: 1.2e6, lagBytes: 10e6, children: 0 })).toBe(false); // feeds nobody
  });
});

describe('choosing the distribution', () => {
  const host = (name: string, relayable = true): FleetHost => ({ name, conn: null as never, peerAddress: relayable ? { host: '10.0.0.1', port: 22 } : null });
  const artifact = (bytes: number): Artifact => ({ path: '/x', bytes, sha256: '0'.repeat(64) });
  const fleet = (n: number) => Array.from({ length: n }, (_, i) => host(`s${i}`));

  it('auto relays from the measured fleet and artifact sizes on; direct and relay are taken as said', () => {
    expect(pickDistribution('auto', fleet(AUTO_RELAY_MIN_SERVERS), artifact(AUTO_RELAY_MIN_BYTES))).toBe('relay');
    expect(pickDistribution('auto', fleet(AUTO_RELAY_MIN_SERVERS - 1), artifact(AUTO_RELAY_MIN_BYTES))).toBe('direct');
    expect(pickDistribution('auto', fleet(AUTO_RELAY_MIN_SERVERS), artifact(AUTO_RELAY_MIN_BYTES - 1))).toBe('direct');
    expect(pickDistribution('direct', fleet(50), artifact(1e9))).toBe('direct');
    expect(pickDistribution('relay', fleet(2), artifact(10))).toBe('relay');
  });

  it('peers use the internal address when there is one', () => {
    expect(peerAddressOf(null, 'web1.example.com', 22)).toEqual({ host: 'web1.example.com', port: 22 });
    expect(peerAddressOf('10.0.0.5', 'web1.example.com', 2222)).toEqual({ host: '10.0.0.5', port: 2222 });
    expect(peerAddressOf('10.0.0.5:22', 'web1.example.com', 2222)).toEqual({ host: '10.0.0.5', port: 22 });
    expect(peerAddressOf('[fd00::5]:2200', 'h', 22)).toEqual({ host: 'fd00::5', port: 2200 });
    expect(peerAddressOf('fd00::5', 'h', 22)).toEqual({ host: 'fd00::5', port: 22 });
  });
});
