import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../support/sshd.js';
import { BIN, deploybotEnv, runDeploybot, startDeploybot, type Exit } from '../chat/shell/support/deploybot-process.js';

/**
 * The one-shot command line and the boot of a new user (issue 17), through the real
 * `bin/deploybot.mjs`: structured `--json` for every command and for every failure (configuration
 * included), an error said once, a terminal showing what a pipe gets, a closed stdin without Slack
 * tokens, a key the process cannot read, and the Dockerfile's HEALTHCHECK against a real bot.
 */
const DEPLOY_ROOT = '/srv/deploybot-test/one-shot-frictions';

let key: TestKeyPair;
let server: TestSshd;
let repo: TestRepo;
let home: string;
let env: Record<string, string>;

const json = (r: Exit) => JSON.parse(r.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function run(cmd: string, args: string[], runEnv: Record<string, string>, cwd = home): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: runEnv, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** Each case starts real processes (deploybot, git, ssh) on a shared 2-core machine. */
const SPAWNS = 180_000;

beforeAll(async () => {
  key = await generateKeyPair();
  [server, repo] = await Promise.all([
    startSshd({ authorizedKey: key.publicKey, deployRoot: DEPLOY_ROOT }),
    makeRepo({ commits: [{ files: { 'index.html': 'one\n' }, message: 'first', tag: 'v1.0.0' }, { files: { 'index.html': 'two\n' }, message: 'second', tag: 'v1.1.0' }] }),
  ]);
  home = makeScratchDir('deploybot-one-shot-frictions-');
  env = deploybotEnv(join(home, 'data'), { DEPLOYBOT_SHELL_USER: 'alice', HOME: home });
  const setup = await runDeploybot([], {
    cwd: home,
    env,
    input: [`server add web root@127.0.0.1:${server.port} key=${key.privateKeyPath}`, `project add site repo=${repo.url} path=${DEPLOY_ROOT} servers=web`, 'site v1.0.0', 'site v1.1.0', ''].join('\n'),
  });
  expect(setup.stdout).toMatch(/deploy #2 of site v1\.1\.0 succeeded/);
  expect(setup.code).toBe(0);
});

afterAll(async () => {
  await stopAllSshd();
  repo?.cleanup();
  removeScratchDirs();
});

describe('--json', { timeout: SPAWNS }, () => {
  it('gives lists and details a structured result, without markup', async () => {
    const servers = json(await runDeploybot(['--json', 'server', 'list'], { cwd: home, env }));
    expect(servers).toMatchObject({ ok: true, exitCode: 0, result: { servers: [{ name: 'web', hostname: '127.0.0.1', port: server.port, username: 'root', authKind: 'key' }] } });
    expect(JSON.stringify(servers.result)).not.toMatch(/BEGIN OPENSSH|\*web\*/);

    const projects = json(await runDeploybot(['--json', 'project', 'list'], { cwd: home, env }));
    expect(projects.result.projects).toMatchObject([{ name: 'site', repoUrl: repo.url, servers: ['web'], hooks: [] }]);

    const shown = json(await runDeploybot(['--json', 'project', 'show', 'site'], { cwd: home, env }));
    expect(shown.result.project.live).toMatchObject([{ server: 'web', ref: 'v1.1.0' }]);

    const tasks = json(await runDeploybot(['--json', 'tasks', 'site'], { cwd: home, env }));
    expect(tasks.result.tasks.map((t: { id: number; ref: string; status: string }) => [t.id, t.ref, t.status])).toEqual([
      [2, 'v1.1.0', 'success'],
      [1, 'v1.0.0', 'success'],
    ]);

    const refs = json(await runDeploybot(['--json', 'refs', 'site'], { cwd: home, env }));
    expect(refs.result.tags.map((t: { name: string }) => t.name)).toEqual(['v1.1.0', 'v1.0.0']);
    expect(refs.result.branches.map((b: { name: string }) => b.name)).toEqual(['main']);
    expect(refs.result.commits[0]).toMatchObject({ summary: 'second' });

    const status = json(await runDeploybot(['--json', 'status', '1'], { cwd: home, env }));
    expect(status.result).toMatchObject({ task: { id: 1, ref: 'v1.0.0', status: 'success' }, hosts: [{ server: 'web', status: 'done' }] });

    const releases = json(await runDeploybot(['--json', 'releases', 'site'], { cwd: home, env }));
    expect(releases.result.servers[0].releases.map((r: { ref: string; current: boolean }) => [r.ref, r.current])).toEqual([
      ['v1.1.0', true],
      ['v1.0.0', false],
    ]);
  });

  it('rolls back by tag from the command line, its result in JSON', async () => {
    const r = await runDeploybot(['--json', 'rollback', 'site', 'v1.0.0'], { cwd: home, env });
    const answer = json(r);
    expect(answer).toMatchObject({ ok: true, exitCode: 0, result: { status: 'success' }, outcome: { task: { kind: 'rollback' } } });
    expect(answer.result.releaseId).toMatch(/^\d{14}-1-[0-9a-f]{7}$/);
    expect(readFileSync(join(server.hostDir, 'current', 'index.html'), 'utf8')).toBe('one\n');
  });

  it('gives every failure an error object: refusals with their usage, configuration errors (exit 3)', async () => {
    const unknown = await runDeploybot(['--json', 'project', 'show', 'nope'], { cwd: home, env });
    expect(json(unknown)).toMatchObject({ ok: false, exitCode: 2, result: null, error: { kind: 'user', message: expect.stringContaining('No project named nope') } });

    const typo = json(await runDeploybot(['--json', 'sever', 'list'], { cwd: home, env }));
    expect(typo).toMatchObject({ ok: false, exitCode: 2, error: { kind: 'user', usage: '/deploy server list  —  list servers' } });

    const config = await runDeploybot(['--json', 'server', 'list'], { cwd: home, env: { ...env, DEPLOYBOT_STALL_MINUTES: 'soon' } });
    expect(config.code).toBe(3);
    expect(json(config)).toMatchObject({ ok: false, exitCode: 3, error: { kind: 'config', message: expect.stringContaining('DEPLOYBOT_STALL_MINUTES') } });
  });
});

describe('messages a new user reads', { timeout: SPAWNS }, () => {
  it('prints a failed command once: no log line beside the ⚠ line', async () => {
    const r = await runDeploybot(['server', 'check', 'web'], { cwd: home, env: { ...env, DEPLOYBOT_LOG_LEVEL: 'info' } });
    expect(r.code).toBe(0);
    const closed = await freePort();
    await runDeploybot(['server', 'edit', 'web', `port=${closed}`], { cwd: home, env });
    const failed = await runDeploybot(['server', 'check', 'web'], { cwd: home, env });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim().split('\n')).toEqual([`⚠ nothing listens on 127.0.0.1:${closed} (connection refused) for web: start sshd there (without systemd: \`mkdir -p /run/sshd && /usr/sbin/sshd\`), or fix the port with \`server edit web port=<n>\`.`]);
    await runDeploybot(['server', 'edit', 'web', `port=${server.port}`], { cwd: home, env });
  });

  it('shows backticks on a terminal as a pipe does', async () => {
    const colourEnv = { ...env };
    delete colourEnv.NO_COLOR;
    const tty = startDeploybot(['server', 'list'], { cwd: home, env: colourEnv, tty: true });
    const { stdout } = await tty.exited;
    expect(stdout).toContain('\x1b[36m`root@127.0.0.1:');
    const piped = await runDeploybot(['server', 'list'], { cwd: home, env });
    expect(piped.stdout).toContain('`root@127.0.0.1:');
  });
});

describe('boot', { timeout: SPAWNS }, () => {
  it('without Slack tokens and with a stdin that ends before any command, says so and exits non-zero', async () => {
    const r = await runDeploybot([], { cwd: home, env, input: '' });
    expect(r.stderr).toContain('no Slack tokens are set');
    expect(r.stderr).toContain('docker run -it');
    expect(r.code).toBe(78);
    const piped = await runDeploybot([], { cwd: home, env, input: 'server list\n' });
    expect(piped.stdout).toContain('Servers (1)');
    expect(piped.code).toBe(0);
  });

  it('refuses at boot a DEPLOYBOT_SSH_KEY the process cannot read (as another uid, like the image\'s 10001)', async () => {
    const dataDir = makeScratchDir('deploybot-nobody-');
    chmodSync(dataDir, 0o777);
    // The file itself is what the other uid cannot read (its directory is open to all).
    const keyPath = join(dataDir, 'root-only-key');
    copyFileSync(key.privateKeyPath, keyPath);
    chmodSync(keyPath, 0o600);
    const nobodyEnv = { ...deploybotEnv(dataDir, { DEPLOYBOT_SSH_KEY: keyPath }), HOME: dataDir };
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, '--json', 'server', 'list'], nobodyEnv, dataDir);
    expect(r.code).toBe(3);
    const answer = JSON.parse(r.stdout) as { error: { kind: string; message: string } };
    expect(answer.error.kind).toBe('config');
    expect(answer.error.message).toContain(`DEPLOYBOT_SSH_KEY points at ${keyPath}, which this process (uid 65534) cannot read (EACCES)`);
    expect(answer.error.message).toContain('--user');
  });

  it("answers the Dockerfile's HEALTHCHECK while a Slack bot runs, and fails it once the bot is gone", async () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const check = /^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
    expect(check).not.toBeNull();
    const [cmd, ...args] = JSON.parse(check![1]!) as string[];
    const port = await freePort();
    const botEnv = deploybotEnv(join(home, 'data'), { PORT: String(port), SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef', SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/` });
    const bot = startDeploybot([], { cwd: home, env: botEnv });
    try {
      let healthy: Exit | undefined;
      for (let i = 0; i < 60 && healthy?.code !== 0; i++) {
        healthy = await run(cmd === 'node' ? process.execPath : cmd!, args, { PATH: process.env.PATH ?? '', PORT: String(port) });
        if (healthy.code !== 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(healthy?.code).toBe(0);
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    const gone = await run(process.execPath, args, { PATH: process.env.PATH ?? '', PORT: String(port) });
    expect(gone.code).toBe(1);
  });
});
