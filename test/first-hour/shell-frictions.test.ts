import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../support/sshd.js';
import { deploybotEnv, startDeploybot, type DeploybotProcess } from '../chat/shell/support/deploybot-process.js';

/**
 * The frictions a new user met in the first hour (issue 17), each replayed through the real
 * `bin/deploybot.mjs` shell on pipes, against a real sshd (key, encrypted key and password
 * logins) and real git repositories. HOME is a fresh directory, so `~` means something testable.
 */
const DEPLOY_ROOT = '/srv/deploybot-test/first-hour';
const PASSWORD = 'first-hour-pass';
const PASSPHRASE = 'open sesame';

let plainKey: TestKeyPair;
let lockedKey: TestKeyPair;
let server: TestSshd;
let repo: TestRepo;
let home: string;
let closedPort: number;
let shell: DeploybotProcess;
let mark = 0;

async function say(line: string, expected: RegExp | string, timeoutMs?: number): Promise<string> {
  mark = shell.stdout().length;
  shell.send(line);
  return shell.waitFor(expected, { from: mark, timeoutMs });
}

async function freeClosedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Each case starts real processes (deploybot, git, ssh) on a shared 2-core machine. */
const SPAWNS = 180_000;

beforeAll(async () => {
  [plainKey, lockedKey] = await Promise.all([generateKeyPair(), generateKeyPair({ passphrase: PASSPHRASE })]);
  [server, repo, closedPort] = await Promise.all([
    startSshd({ authorizedKey: `${plainKey.publicKey}\n${lockedKey.publicKey}`, password: PASSWORD, deployRoot: DEPLOY_ROOT }),
    makeRepo({
      commits: [
        { files: { 'index.html': 'one\n' }, message: 'first', tag: 'v1.0.0' },
        { files: { 'index.html': 'two\n' }, message: 'second', tag: 'v1.1.0' },
      ],
    }),
    freeClosedPort(),
  ]);
  home = makeScratchDir('deploybot-first-hour-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  copyFileSync(plainKey.privateKeyPath, join(home, '.ssh', 'deploybot'));
  chmodSync(join(home, '.ssh', 'deploybot'), 0o600);
  shell = startDeploybot([], { cwd: home, env: deploybotEnv(join(home, 'data'), { HOME: home, DEPLOYBOT_SHELL_USER: 'alice', DEPLOYBOT_LOG_LEVEL: 'warn' }) });
});

afterAll(async () => {
  shell?.child.kill('SIGKILL');
  await stopAllSshd();
  repo?.cleanup();
  removeScratchDirs();
});

describe('the first hour in the shell', { timeout: SPAWNS }, () => {
  it('expands ~ in key=, and names the real limits of keep=', async () => {
    const added = await say(`server add web root@127.0.0.1:${server.port} key=~/.ssh/deploybot`, /Added server web|⚠/);
    expect(added).toContain('Added server web');
    expect(added).toContain(`key ${join(home, '.ssh', 'deploybot')}`);

    const zero = await say(`project add x repo=${repo.url} path=${DEPLOY_ROOT} servers=web keep=0`, '⚠');
    expect(zero).toContain('`keep=` must be between 1 and 100, not 0.');
    const negative = await say(`project add x repo=${repo.url} path=${DEPLOY_ROOT} servers=web keep=-1`, '⚠');
    expect(negative).toContain('`keep=` must be between 1 and 100, not -1.');
    expect(negative).not.toContain('whole number');
  });

  it('answers a typo with the suggestion and one usage line, not the whole help', async () => {
    const typo = await say('sever list', /⚠[^\n]*\n(.*\n)*?.*server list {2}— {2}list servers/);
    const after = shell.stdout().slice(mark);
    expect(typo).toContain('Did you mean `server list`?');
    await new Promise((r) => setTimeout(r, 300)); // nothing more follows
    expect(shell.stdout().slice(mark).trim().split('\n')).toHaveLength(2);
    expect(after).not.toContain('help [<topic>]');
  });

  it('checks the repository and branch at project add (offline skips it), adopting a master default', async () => {
    const missing = await say(`project add site repo=file://${home}/no-such-repo path=${DEPLOY_ROOT} servers=web`, '⚠');
    expect(missing).toMatch(/Cannot read the repository file:\/\/\S+no-such-repo: '\S+no-such-repo' does not appear to be a git repository\. Check the URL/);
    const branch = await say(`project add site repo=${repo.url} path=${DEPLOY_ROOT} servers=web branch=develop`, '⚠');
    expect(branch).toContain('has no branch `develop` (its default branch is `main`)');
    const list = await say('project list', /No projects yet|Projects/);
    expect(list).toContain('No projects yet');

    const offline = await say(`project add later repo=file://${home}/not-yet path=${DEPLOY_ROOT}/later servers=web offline`, /Added project later|⚠/);
    expect(offline).toContain('Added project later');

    const master = await makeRepo({ defaultBranch: 'master', commits: [{ files: { a: '1' }, message: 'm' }] });
    const adopted = await say(`project add old repo=${master.url} path=${DEPLOY_ROOT}/old servers=web`, /Added project old|⚠/);
    expect(adopted).toMatch(/Default branch:\s+`master`/);
    const edit = await say(`project edit old branch=nope`, '⚠');
    expect(edit).toContain('has no branch `nope`');
    master.cleanup();
  });

  it('sets one hook without erasing the others; "" clears one', async () => {
    await say(`project add site repo=${repo.url} path=${DEPLOY_ROOT} servers=web`, 'Added project site');
    await say('project hooks site before_deploy="echo one" after_deploy="echo two"', 'Updated the before_deploy, after_deploy hooks of site');
    await say('project hooks site after_deploy="echo three"', 'Updated the after_deploy hook of site');
    const shown = await say('project show site', /Hooks:.*\n/);
    expect(shown).toMatch(/Hooks:\s+before_deploy, after_deploy/);
    await say('project hooks site after_deploy=""', 'Updated the after_deploy hook of site');
    const cleared = await say('project show site', /Hooks:.*\n/);
    expect(cleared).toMatch(/Hooks:\s+before_deploy\n/);
    await say('project hooks site before_deploy=""', 'Updated the before_deploy hook of site');
  });

  it('lists tags that share a timestamp newest first', async () => {
    const same = await makeRepo({ commits: [{ files: { a: '1' }, message: 'a' }] });
    // Two tags on two commits made in the same second, as a release script does.
    const env = { GIT_COMMITTER_DATE: '2026-03-01T00:00:00Z', GIT_AUTHOR_DATE: '2026-03-01T00:00:00Z' };
    const { runLocal } = await import('../../src/pipeline/exec/local-exec.js');
    const git = (...args: string[]) => runLocal({ cmd: 'git', args, cwd: same.dir, env: { ...env, GIT_CONFIG_GLOBAL: '/dev/null' }, timeoutMs: 10_000 });
    await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--allow-empty', '-m', 'r1');
    await git('tag', 'v2.9.0');
    await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--allow-empty', '-m', 'r2');
    await git('tag', 'v2.10.0');
    await say(`project add same repo=${same.url} path=${DEPLOY_ROOT}/same servers=web`, 'Added project same');
    const refs = await say('refs same', /Tags \(newest first\):.*\n/);
    expect(refs).toMatch(/Tags \(newest first\):\s+`v2\.10\.0` `v2\.9\.0`/);
    same.cleanup();
  });

  it('deploys, rolls back by tag, and shows the ref beside release ids', async () => {
    await say('site v1.0.0', /\[#\d+\] ✓ deploy #\d+ of site v1\.0\.0 succeeded/, 60_000);
    await say('site v1.1.0', /\[#\d+\] ✓ deploy #\d+ of site v1\.1\.0 succeeded/, 60_000);
    const back = await say('rollback site v1.0.0', /\[#\d+\] (✓|✗) rollback #\d+ of site/, 60_000);
    expect(back).toMatch(/Rollback #\d+ of site to `\d{14}-\d+-[0-9a-f]{7} \(v1\.0\.0\)` \(from `\d{14}-\d+-[0-9a-f]{7} \(v1\.1\.0\)`\) is starting/);
    expect(back).toMatch(/✓ rollback #\d+ of site succeeded/);
    expect(readFileSync(join(server.hostDir, 'current', 'index.html'), 'utf8')).toBe('one\n');
    const rollbackId = Number(/Rollback #(\d+)/.exec(back)![1]);

    const releases = await say('releases site', /Roll back with/);
    expect(releases).toMatch(/• `\d{14}-\d+-[0-9a-f]{7}` `v1\.1\.0` \([0-9a-f]{7}\) #\d+\n/);
    expect(releases).toMatch(/• `\d{14}-\d+-[0-9a-f]{7}` `v1\.0\.0` \([0-9a-f]{7}\) #\d+ · current/);

    const tasks = await say('tasks site', /Recent deploys of site(.*\n){3}/);
    expect(tasks).toMatch(new RegExp(`#${rollbackId} site rollback → \`\\d{14}-\\d+-[0-9a-f]{7} \\(v1\\.0\\.0\\)\``));
    const project = await say('project show site', /• web: .*\n/);
    expect(project).toMatch(/• web: `\d{14}-\d+-[0-9a-f]{7}` \(`v1\.0\.0`\)/);

    // A rollback on a test project was approved by nobody; hosts that finished say only "done".
    const status = await say(`status ${rollbackId}`, /• web: .*\n/);
    expect(status).toMatch(/Ref:\s+`\d{14}-\d+-[0-9a-f]{7} \(v1\.0\.0\)`/);
    expect(status).not.toContain('Approved by');
    expect(status).toMatch(/• web: done\n/);

    // By commit and by task number too; an unknown name says what would work.
    const byTask = await say('rollback site 2', /\[#\d+\] (✓|✗) rollback #\d+ of site/, 60_000);
    expect(byTask).toMatch(/to `\d{14}-\d+-[0-9a-f]{7} \(v1\.1\.0\)`/);
    const unknown = await say('rollback site v9', '⚠');
    expect(unknown).toContain('No release of site on its servers matches `v9`');
    expect(unknown).toContain('`releases site`');
  });

  it('shows a queued task with a waiting sign, not a check mark', async () => {
    await say('project hooks site before_download="sleep 2"', 'Updated the before_download hook of site');
    mark = shell.stdout().length;
    shell.send('site v1.0.0');
    shell.send('site v1.1.0');
    await shell.waitFor(/is queued \(position 1\)/, { from: mark, timeoutMs: 30_000 });
    const tasks = await say('tasks site', /Recent deploys of site(.*\n){2}/);
    expect(tasks).toMatch(/… #\d+ site `v1\.1\.0` · queued/);
    expect(tasks).not.toMatch(/✓ #\d+ site `v1\.1\.0` · queued/);
    await shell.waitFor(/✓ deploy #\d+ of site v1\.1\.0 succeeded/, { from: mark, timeoutMs: 60_000 });
    await say('project hooks site before_download=""', 'Updated the before_download hook');
  });

  it('says a hook exit code once', async () => {
    await say('project hooks site before_deploy="echo nope >&2; exit 3"', 'Updated the before_deploy hook');
    const failed = await say('site v1.1.0', /✗ deploy #\d+ of site v1\.1\.0 failed/, 60_000);
    expect(failed).toMatch(/web {2}before_deploy ✗ \S+ \(exit 3\)/);
    expect(failed).not.toMatch(/\(exit 3\)[^\n]*exited with code 3/);
    await say('project hooks site before_deploy=""', 'Updated the before_deploy hook');
  });

  it('asks for the passphrase of an encrypted key and for a password, hidden, instead of refusing', async () => {
    const asked = await say(`server add locked root@127.0.0.1:${server.port} key=${lockedKey.privateKeyPath}`, 'Passphrase for');
    expect(asked).toContain(`Passphrase for ${lockedKey.privateKeyPath}: `);
    const added = await say(PASSPHRASE, /Added server locked|⚠/);
    expect(added).toContain('Added server locked');
    const check = await say('server check locked', /reachable|⚠/, 30_000);
    expect(check).toContain('locked is reachable');

    const pw = await say(`server add pw root@127.0.0.1:${server.port} password`, 'Password for root@127.0.0.1: ');
    expect(pw).not.toContain('⚠');
    const addedPw = await say(PASSWORD, /Added server pw|⚠/);
    expect(addedPw).toMatch(/Auth:\s+password/);
    const checkPw = await say('server check pw', /reachable|⚠/, 30_000);
    expect(checkPw).toContain('pw is reachable');
    expect(shell.stdout()).not.toContain(PASSWORD); // never printed back

    const typed = await say(`server add p2 root@127.0.0.1 passphrase=${PASSPHRASE}`, '⚠');
    expect(typed).toContain('the deploybot shell asks for it (hidden)');
  });

  it('says nothing listens on host:port for a refused connection, once, and not as an upload failure', async () => {
    await say(`server add down root@127.0.0.1:${closedPort} key=~/.ssh/deploybot`, 'Added server down');
    const check = await say('server check down', '⚠', 30_000);
    expect(check).toContain(`nothing listens on 127.0.0.1:${closedPort} (connection refused) for down`);
    expect(check).not.toContain('try again in a moment');
    expect(shell.stderr()).not.toMatch(/WARN\s+command failed/);

    await say(`project add dead repo=${repo.url} path=${DEPLOY_ROOT}/dead servers=down`, 'Added project dead');
    const deploy = await say('dead v1.0.0', /✗ deploy #\d+ of dead v1\.0\.0 failed[^\n]*\n/, 60_000);
    expect(deploy).toContain(`nothing listens on 127.0.0.1:${closedPort}`);
    expect(deploy).not.toMatch(/upload ✗/);
    expect(deploy).toMatch(/down {2}connect ✗ \S+: nothing listens on/);
    expect(deploy).toMatch(/failed after \S+: cannot reach down \(connect: nothing listens on 127\.0\.0\.1:\d+/);
    const id = /deploy #(\d+) of dead/.exec(deploy)![1];
    const status = await say(`status ${id}`, /• down: .*\n/);
    expect(status).toMatch(/• down: could not connect — nothing listens on/);
  });

  it('keeps the database file owner-only', () => {
    const db = join(home, 'data', 'deploybot.sqlite');
    expect(existsSync(db)).toBe(true);
    expect(statSync(db).mode & 0o777).toBe(0o600);
  });

  it('leaves cleanly at the end of piped input', async () => {
    shell.end();
    const { code } = await shell.exited;
    expect(code).toBe(0);
  });
});


describe('an encrypted key given to an existing server', { timeout: SPAWNS }, () => {
  it('asks for the passphrase at server edit, and a key without one explains how to give it', async () => {
    const keyDir = makeScratchDir('deploybot-edit-key-');
    const edit = startDeploybot([], { cwd: keyDir, env: deploybotEnv(join(keyDir, 'data'), { HOME: keyDir, DEPLOYBOT_SHELL_USER: 'alice', DEPLOYBOT_SSH_KEY: lockedKey.privateKeyPath }) });
    const sayHere = async (line: string, expected: RegExp | string) => {
      const from = edit.stdout().length;
      edit.send(line);
      return edit.waitFor(expected, { from, timeoutMs: 30_000 });
    };
    try {
      await sayHere(`server add s root@127.0.0.1:${server.port}`, 'Added server s');
      const noPassphrase = await sayHere('server check s', '⚠');
      expect(noPassphrase).toContain('is protected by a passphrase deploybot was not given');
      expect(noPassphrase).toContain('server edit s key=<path>');
      await sayHere(`server edit s key=${lockedKey.privateKeyPath}`, `Passphrase for ${lockedKey.privateKeyPath}: `);
      const updated = await sayHere(PASSPHRASE, /Updated server s|⚠/);
      expect(updated).toContain('Updated server s');
      expect(await sayHere('server check s', /reachable|⚠/)).toContain('s is reachable');
    } finally {
      edit.child.kill('SIGKILL');
    }
  });
});
