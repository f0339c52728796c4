import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryEvent, FleetDelivery, FleetHost } from '../../../src/pipeline/distribution/distributor.js';
import { relayDistributor } from '../../../src/pipeline/distribution/relay-distributor.js';
import { relayDir } from '../../../src/pipeline/distribution/relay-commands.js';
import { packageWorkspace, type Artifact } from '../../../src/pipeline/release/package-artifact.js';
import { connectSsh, type SshConnection } from '../../../src/pipeline/ssh/ssh.js';
import { Redactor } from '../../../src/redact.js';
import { probeServer } from '../../../src/pipeline/ssh/server-probe.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../../support/sshd.js';

/**
 * The relay on 4 real sshd servers (loopback, no shaping: the code path, not the speed; the
 * speed is bench/fleet.ts). Each server has its own deploy path and its own home (where the task
 * key is installed), and the servers fetch from each other with the real OpenSSH client.
 */
const ROOT = '/srv/deploybot-test/relay';
const opts = { connectTimeoutMs: 5000, keepaliveIntervalMs: 1000, redactor: new Redactor() };

describe('relay distribution between servers', () => {
  let key: TestKeyPair;
  let servers: TestSshd[] = [];
  let conns: SshConnection[] = [];
  let artifact: Artifact;
  let taskId = 100;

  beforeAll(async () => {
    key = await generateKeyPair();
    const ws = makeScratchDir('deploybot-relay-ws-');
    writeFileSync(join(ws, 'index.js'), 'console.log("relayed")\n');
    writeFileSync(join(ws, 'blob.bin'), randomBytes(6_000_000));
    [servers, artifact] = await Promise.all([
      Promise.all([0, 1, 2, 3].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT, privateHome: true }))),
      packageWorkspace(ws, join(makeScratchDir(), 'relay.tar.gz')),
    ]);
  }, 60_000);

  const connectAll = async () => {
    await Promise.all(conns.map((c) => c.close()));
    conns = await Promise.all(servers.map((s, i) => connectSsh(s.target({ kind: 'key', privateKey: key.privateKey }, { name: `web-${i}` }), opts)));
  };
  const fleet = (): FleetHost[] => servers.map((s, i) => ({ name: `web-${i}`, conn: conns[i]!, peerAddress: { host: '127.0.0.1', port: s.port } }));

  afterEach(async () => {
    await Promise.all(conns.map((c) => c.close()));
    conns = [];
  });
  afterAll(async () => {
    await stopAllSshd();
    removeScratchDirs();
  });

  async function run(delivery: FleetDelivery, names: string[], id: number): Promise<PromiseSettledResult<void>[]> {
    try {
      return await Promise.allSettled(names.map((n) => delivery.deliver(n, `${ROOT}/releases/.r${id}.partial`, { renameTo: `${ROOT}/releases/r${id}` })));
    } finally {
      await delivery.close();
    }
  }

  function start(id: number, events: DeliveryEvent[]) {
    return relayDistributor.start(fleet(), artifact, {
      taskId: id,
      projectId: 7,
      deployPath: ROOT,
      maxParallel: 2,
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    });
  }

  /** Nothing of the stage stays on a server: no stage directory, no key line. */
  function expectNothingLeft(s: TestSshd, id: number) {
    expect(readdirSync(s.hostDir).filter((n) => n.startsWith('.deploybot-relay'))).toEqual([]);
    const keys = join(s.homeDir, '.ssh/authorized_keys');
    if (existsSync(keys)) expect(readFileSync(keys, 'utf8')).not.toContain('deploybot-relay');
    expect(existsSync(join(s.hostDir, relayDir('/', id)))).toBe(false);
  }

  it('feeds the chain from one copy: the bot serves the first server, each next one fetches from the one before', async () => {
    await connectAll();
    const events: DeliveryEvent[] = [];
    const id = ++taskId;
    const delivery = await start(id, events);
    expect(delivery.strategy).toBe('relay');
    expect(delivery.parallel).toBe(4);
    const results = await run(delivery, fleet().map((h) => h.name), id);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const finalSource = (h: string) => events.filter((e) => e.type === 'source' && e.host === h).at(-1);
    expect(finalSource('web-0')).toMatchObject({ source: { kind: 'bot' } });
    expect(finalSource('web-1')).toMatchObject({ source: { kind: 'peer', name: 'web-0' } });
    expect(finalSource('web-2')).toMatchObject({ source: { kind: 'peer', name: 'web-1' } });
    expect(finalSource('web-3')).toMatchObject({ source: { kind: 'peer', name: 'web-2' } });
    expect(events.some((e) => e.type === 'progress' && e.host === 'web-3' && e.bytes === artifact.bytes)).toBe(true);
    for (const s of servers) {
      expect(readFileSync(join(s.hostDir, `releases/r${id}/index.js`), 'utf8')).toBe('console.log("relayed")\n');
      expectNothingLeft(s, id);
    }
  }, 60_000);

  it('an altered copy fails that copy only: the server and those fed by it fetch again from the bot', async () => {
    await connectAll();
    const events: DeliveryEvent[] = [];
    const id = ++taskId;
    const delivery = await start(id, events);
    // Bytes that are not the artifact's land in the head of the chain's copy before the bot's.
    writeFileSync(join(servers[0]!.hostDir, `.deploybot-relay-${id}/artifact`), randomBytes(1000));
    const results = await run(delivery, fleet().map((h) => h.name), id);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const notes = events.filter((e) => e.type === 'note' && /SHA-256/.test(e.message)).map((e) => e.host);
    expect(notes).toContain('web-0');
    for (const s of servers) expect(readFileSync(join(s.hostDir, `releases/r${id}/index.js`), 'utf8')).toBe('console.log("relayed")\n');
    for (const s of servers) expectNothingLeft(s, id);
  }, 60_000);

  it('a server that dies does not fail those after it: they re-attach up the chain within seconds', async () => {
    await connectAll();
    const events: DeliveryEvent[] = [];
    const id = ++taskId;
    const delivery = await start(id, events);
    await servers[1]!.kill();
    try {
      const started = Date.now();
      const results = await run(delivery, fleet().map((h) => h.name), id);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(Date.now() - started).toBeLessThan(15_000);
      // web-2 re-attaches up the chain (web-0) or, when web-0 is busy or slow on a loaded machine,
      // to the bot: either way never to the dead web-1.
      const finalSource = (h: string) => events.filter((e) => e.type === 'source' && e.host === h).at(-1);
      const web2 = finalSource('web-2');
      expect(web2?.type === 'source' ? web2.source : undefined).toSatisfy(
        (source: { kind: string; name?: string } | undefined) => source?.kind === 'bot' || (source?.kind === 'peer' && source.name === 'web-0'),
      );
      for (const i of [0, 2, 3]) {
        expect(readFileSync(join(servers[i]!.hostDir, `releases/r${id}/index.js`), 'utf8')).toBe('console.log("relayed")\n');
        expectNothingLeft(servers[i]!, id);
      }
    } finally {
      // The dead server's leftovers go with the next deploy of the project; the next tests need it up.
      servers[1] = await startSshd({ authorizedKey: key.publicKey, deployRoot: ROOT, privateHome: true });
    }
  }, 60_000);

  it('leftovers of a crashed stage (key line, stage directory) are removed by the next stage of the project', async () => {
    await connectAll();
    const s = servers[2]!;
    const stale = join(s.hostDir, '.deploybot-relay-55');
    await conns[2]!.execChecked(`mkdir -p ${ROOT}/.deploybot-relay-55 && mkdir -p ~/.ssh && echo 'restrict ssh-ed25519 AAAAC3Nza deploybot-relay-p7-t55' >> ~/.ssh/authorized_keys && echo 'ssh-ed25519 AAAAC3Nzb other-key' >> ~/.ssh/authorized_keys`, { timeoutMs: 5000 });
    expect(existsSync(stale)).toBe(true);
    const id = ++taskId;
    const delivery = await start(id, []);
    expect(existsSync(stale)).toBe(false);
    const keys = readFileSync(join(s.homeDir, '.ssh/authorized_keys'), 'utf8');
    expect(keys).not.toContain('deploybot-relay-p7-t55');
    expect(keys).toContain('other-key');
    expect(keys).toContain(`deploybot-relay-p7-t${id}`);
    await delivery.close();
    expect(readFileSync(join(s.homeDir, '.ssh/authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAAC3Nzb other-key\n');
  }, 60_000);
});

describe('server check: can the server relay?', () => {
  afterAll(() => stopAllSshd());

  it('reports its tools and which peers it reaches over SSH', async () => {
    const key = await generateKeyPair();
    const [a, b] = await Promise.all([0, 1].map(() => startSshd({ authorizedKey: key.publicKey, privateHome: true })));
    const probe = await probeServer(a!.target({ kind: 'key', privateKey: key.privateKey }), {
      redactor: new Redactor(),
      peers: [
        { name: 'web-2', address: '127.0.0.1', port: b!.port },
        { name: 'web-3', address: '127.0.0.1', port: 1 },
      ],
    });
    expect(probe.relay).toEqual({ missing: [], reachable: ['web-2'], unreachable: ['web-3'] });
  }, 60_000);
});
