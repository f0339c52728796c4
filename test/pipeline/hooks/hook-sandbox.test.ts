import { mkdirSync, readFileSync, readdirSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookSandbox } from '../../../src/pipeline/hooks/sandbox/hook-sandbox.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';
import { makeScratchDir } from '../../support/scratch-dirs.js';

/**
 * The repository's own code (after_download) attacks the bot that builds it, through a real deploy
 * (real sshd, git, SQLite): it tries every path to the bot's secrets that the bot's host offers.
 */
const HOME_KEY_SECRET = 'home-ssh-key-secret-7f3a9c';

interface Bait {
  home: string;
  agent: NetServer;
  agentSock: string;
  netPort: number;
  net: NetServer;
}

async function plantBait(): Promise<Bait> {
  // A bot HOME with an SSH key in ~/.ssh, and an SSH agent socket, as a real bot host would have.
  const home = makeScratchDir('deploybot-bot-home-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'id_ed25519'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${HOME_KEY_SECRET}\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
  const agentSock = join(makeScratchDir('deploybot-agent-'), 'agent.sock');
  const agent = createServer((c) => c.end('agent-answer-secret\n'));
  await new Promise<void>((r) => agent.listen(agentSock, r));
  // A TCP service on loopback: the build must still reach the network (npm ci).
  const net = createServer((c) => c.end('hello from the network\n'));
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
  const netPort = (net.address() as { port: number }).port;
  return { home, agent, agentSock, net, netPort };
}

/** One line per attempt, `<what>: READ|denied`; copies of whatever it could read end up in the release. */
function maliciousHook(f: { dataDir: string; dbPath: string; sshKey: string }, bait: Bait): string {
  const targets: Record<string, string> = {
    'data dir listing': f.dataDir,
    'secret key': join(f.dataDir, 'secret.key'),
    'secret key via ../..': '../../secret.key',
    database: f.dbPath,
    'ssh key (DEPLOYBOT_SSH_KEY)': f.sshKey,
    '~/.ssh key': join(bait.home, '.ssh', 'id_ed25519'),
    'bot environ': `/proc/${process.pid}/environ`,
    'agent socket': bait.agentSock,
  };
  const lines = ['set +e', 'mkdir -p loot'];
  for (const [name, path] of Object.entries(targets)) {
    const safe = name.replace(/[^a-z]/gi, '_');
    lines.push(
      `if [ -d '${path}' ]; then ls -la '${path}' > loot/${safe} 2>/dev/null && echo '${name}: READ' >> attempts.txt || echo '${name}: denied' >> attempts.txt;`,
      `elif cat '${path}' > loot/${safe} 2>/dev/null; then echo '${name}: READ' >> attempts.txt; else echo '${name}: denied' >> attempts.txt; fi`,
    );
  }
  lines.push(
    // The agent socket: connect to it by its real path.
    `node -e "const s=require('net').connect('${bait.agentSock}');s.on('data',d=>process.stdout.write(d));s.on('error',()=>process.exit(1))" > loot/agent 2>/dev/null && echo 'agent connect: READ' >> attempts.txt || echo 'agent connect: denied' >> attempts.txt`,
    `(touch '${f.dataDir}/pwned' && echo 'write data dir: READ' || echo 'write data dir: denied') >> attempts.txt 2>/dev/null`,
    `(cp -r '${f.dataDir}' loot/datadir && echo 'copy data dir: READ' || echo 'copy data dir: denied') >> attempts.txt 2>/dev/null`,
    `(cat ~/.ssh/id_ed25519 > loot/homekey && echo '$HOME/.ssh: READ' || echo '$HOME/.ssh: denied') >> attempts.txt 2>/dev/null`,
    'env | sort > env.txt',
    `node -e "require('net').connect(${bait.netPort},'127.0.0.1').on('data',d=>{process.stdout.write(d);process.exit(0)}).on('error',()=>process.exit(1))" > network.txt 2>&1`,
    'echo "home=$HOME pwd=$PWD" > whereami.txt',
    'true',
  );
  return lines.join('\n');
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...allFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

const ATTEMPTS = ['data dir listing', 'secret key', 'secret key via ../..', 'database', 'ssh key (DEPLOYBOT_SSH_KEY)', '~/.ssh key', 'bot environ', 'agent socket', 'agent connect', 'write data dir', 'copy data dir', '$HOME/.ssh'];

function describeAttack(mode: string, sandbox: (dataDir: string) => HookSandbox, expectedKind: string) {
  describe(`a malicious after_download hook (${mode})`, () => {
    let f: DeployFixture;
    let bait: Bait;
    const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
    beforeAll(async () => {
      bait = await plantBait();
      process.env.HOME = bait.home;
      process.env.SSH_AUTH_SOCK = bait.agentSock;
      f = await createDeployFixture({ servers: 1, hookSandbox: sandbox });
    });
    afterAll(async () => {
      process.env.HOME = saved.HOME;
      if (saved.SSH_AUTH_SOCK === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
      bait?.agent.close();
      bait?.net.close();
      await f?.close();
    });

    it('reaches none of the bot\'s secrets, writes nothing into the data dir, and still has the network', async () => {
      const sandboxed = (f.runner.deps.hookSandbox as HookSandbox);
      expect((await sandboxed.status()).kind).toBe(expectedKind);
      await f.db.services().projects.setHooks({ id: 'UADMIN01', isAdmin: true }, 'app', { after_download: maliciousHook({ dataDir: f.dataDir, dbPath: f.db.path, sshKey: f.key.privateKeyPath }, bait) });
      const { outcome } = await f.deploy('v1');
      expect(outcome.status).toBe('success');

      const attempts = f.liveFile(0, 'attempts.txt')!.trim().split('\n');
      expect(attempts.map((l) => l.replace(/: \w+$/, ''))).toEqual(ATTEMPTS);
      expect(attempts.filter((l) => !l.endsWith(': denied'))).toEqual([]);
      expect(existsSync(join(f.dataDir, 'pwned'))).toBe(false);

      // The shipped release holds none of the secrets, in any file.
      const secrets = [readFileSync(join(f.dataDir, 'secret.key'), 'utf8').trim(), readFileSync(f.key.privateKeyPath, 'utf8').split('\n')[1]!, HOME_KEY_SECRET, 'agent-answer-secret', 'BOT_FIXTURE_SECRET'];
      const release = join(f.servers[0]!.hostDir, 'current');
      for (const file of allFiles(release)) {
        const text = readFileSync(file, 'latin1');
        for (const secret of secrets) expect(text, `${file} holds a secret`).not.toContain(secret);
        expect(text).not.toContain('SQLite format 3');
      }
      const env = f.liveFile(0, 'env.txt')!;
      expect(env).not.toMatch(/SSH_AUTH_SOCK|DEPLOYBOT|SLACK|DATABASE_URL/);
      expect(env).not.toContain(bait.home);
      expect(env).toContain('DEPLOY_PROJECT=app');
      // A private HOME, and a workspace outside the data directory.
      const where = f.liveFile(0, 'whereami.txt')!;
      expect(where).not.toContain(bait.home);
      expect(where).not.toContain(f.dataDir);
      expect(f.liveFile(0, 'network.txt')).toBe('hello from the network\n');
      // The data directory is as it was: no leftovers of builds in it.
      expect(readdirSync(f.dataDir).filter((n) => n.startsWith('workspace'))).toEqual([]);
    });
  });
}

process.env.BOT_FIXTURE_SECRET = 'BOT_FIXTURE_SECRET';
describeAttack('bubblewrap', (dataDir) => new HookSandbox({ dataDir }), 'bubblewrap');
describeAttack('DEPLOYBOT_HOOK_USER=nobody, no bubblewrap', (dataDir) => new HookSandbox({ dataDir, bwrap: null, hookUser: 'nobody' }), 'hook-user');

describe('without any sandbox', () => {
  let f: DeployFixture;
  beforeAll(async () => {
    f = await createDeployFixture({ servers: 1, hookSandbox: (dataDir) => new HookSandbox({ dataDir, bwrap: '/nonexistent/bwrap' }), project: { hooks: { after_download: 'echo built > BUILT' } } });
  });
  afterAll(() => f?.close());

  it('refuses local hooks with what to do, and changes no server', async () => {
    const status = await (f.runner.deps.hookSandbox as HookSandbox).status();
    expect(status).toMatchObject({ kind: 'none', refusesLocalHooks: true });
    expect(status.summary).toMatch(/bubblewrap is not installed.*DEPLOYBOT_HOOK_USER.*DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1/);
    const { outcome, task } = await f.deploy('v1');
    expect(outcome.status).toBe('failed');
    expect(task.error).toMatch(/local hooks are refused: no sandbox.*bubblewrap.*DEPLOYBOT_HOOK_USER.*DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1/);
    expect(f.current(0)).toBeNull();
  });

  it('runs them when an admin set DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1, still with a private HOME outside the data dir', async () => {
    const unsafe = new HookSandbox({ dataDir: f.dataDir, bwrap: '/nonexistent/bwrap', allowUnsafe: true });
    expect(await unsafe.status()).toMatchObject({ kind: 'none', refusesLocalHooks: false, summary: expect.stringContaining('WITHOUT a sandbox') });
    (f.runner.deps as { hookSandbox?: HookSandbox }).hookSandbox = unsafe;
    await f.db.services().projects.setHooks({ id: 'UADMIN01', isAdmin: true }, 'app', { after_download: 'echo "$HOME" > HOME_WAS; env | sort > env.txt' });
    const { outcome } = await f.deploy('v1');
    expect(outcome.status).toBe('success');
    const home = f.liveFile(0, 'HOME_WAS')!.trim();
    expect(home).not.toBe(process.env.HOME);
    expect(home.startsWith(f.dataDir)).toBe(false);
    expect(statSync(dirname(home), { throwIfNoEntry: false })).toBeUndefined(); // removed after the task
    expect(f.liveFile(0, 'env.txt')).not.toMatch(/SSH_AUTH_SOCK|BOT_FIXTURE_SECRET/);
  });
});

describe('the sandbox in help and config', () => {
  it('`help` says so when local hooks are refused or unsandboxed, and stays quiet when they are isolated', async () => {
    const { createAppContext } = await import('../../../src/app-context.js');
    const { loadConfig } = await import('../../../src/config.js');
    const { createRuntime } = await import('../../../src/runtime.js');
    const { parseCommandOrThrow } = await import('../../../src/commands/grammar/commands.js');
    const dataDir = makeScratchDir('deploybot-help-');
    const app = await createAppContext(loadConfig({ DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_LOG_LEVEL: 'error' }, dataDir));
    try {
      const helpText = async (sandbox: HookSandbox) => {
        const outcome = await createRuntime(app, { hookSandbox: sandbox }).executor.execute(app.actor('someone'), parseCommandOrThrow('help'));
        return JSON.stringify(outcome);
      };
      expect(await helpText(new HookSandbox({ dataDir, bwrap: '/nonexistent/bwrap' }))).toMatch(/:warning: local hooks are refused: no sandbox/);
      expect(await helpText(new HookSandbox({ dataDir, bwrap: '/nonexistent/bwrap', allowUnsafe: true }))).toMatch(/:warning: local hooks run WITHOUT a sandbox/);
      expect(await helpText(new HookSandbox({ dataDir }))).not.toContain(':warning:');
    } finally {
      await app.close();
    }
  });

  it('reads DEPLOYBOT_HOOK_USER and DEPLOYBOT_UNSAFE_LOCAL_HOOKS, refusing root and unclear values', async () => {
    const { loadConfig, ConfigError } = await import('../../../src/config.js');
    const dir = makeScratchDir('deploybot-cfg-');
    expect(loadConfig({}, dir)).toMatchObject({ hookUser: undefined, unsafeLocalHooks: false });
    expect(loadConfig({ DEPLOYBOT_HOOK_USER: 'deploybot-build', DEPLOYBOT_UNSAFE_LOCAL_HOOKS: '1' }, dir)).toMatchObject({ hookUser: 'deploybot-build', unsafeLocalHooks: true });
    expect(() => loadConfig({ DEPLOYBOT_HOOK_USER: 'root' }, dir)).toThrow(ConfigError);
    expect(() => loadConfig({ DEPLOYBOT_UNSAFE_LOCAL_HOOKS: 'yes' }, dir)).toThrow(/DEPLOYBOT_UNSAFE_LOCAL_HOOKS must be 1/);
  });

  it('a DEPLOYBOT_HOOK_USER that does not exist falls back to refusing, with why', async () => {
    const status = await new HookSandbox({ bwrap: null, hookUser: 'no-such-user-xyz' }).status();
    expect(status).toMatchObject({ kind: 'none', refusesLocalHooks: true });
    expect(status.summary).toContain('DEPLOYBOT_HOOK_USER=no-such-user-xyz is not a user on this host');
  });
});
