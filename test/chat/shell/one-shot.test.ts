import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOneShot } from '../../../src/chat/shell/index.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair } from '../../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../../support/sshd.js';
import { deploybotEnv, isPng, runDeploybot } from './support/deploybot-process.js';

/**
 * `deploybot <command>`: one command, waiting for the deploy it sets going, with exit codes
 * (0 ok, 1 failed, 2 refused, 3 could not run, 4 waiting). The deploys go through the real bin;
 * the rest runs `runOneShot` in this process against the same data dir (a spawn costs seconds).
 */
const DEPLOY_ROOT = '/srv/deploybot-test/app';

let server: TestSshd;
let repo: TestRepo;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  const key = await generateKeyPair();
  [server, repo] = await Promise.all([
    startSshd({ authorizedKey: key.publicKey, deployRoot: DEPLOY_ROOT }),
    makeRepo({ commits: [{ files: { 'index.html': 'version 1\n' }, message: 'first release', tag: 'v1' }] }),
  ]);
  home = makeScratchDir('deploybot-oneshot-');
  env = deploybotEnv(join(home, 'data'), { DEPLOYBOT_SHELL_USER: 'alice' });
  // Set up through a piped shell session: what it adds, the one-shot runs must see (same database).
  const setup = await runDeploybot([], {
    cwd: home,
    env,
    input: [
      `server add web-1 root@127.0.0.1:${server.port} key=${key.privateKeyPath}`,
      `project add app repo=${repo.url} path=${DEPLOY_ROOT} servers=web-1 env=prod approvers=alice,bob`,
      `project hooks app before_deploy="echo preparing; echo 'disk full' >&2; exit 3"`,
      '',
    ].join('\n'),
  });
  expect(setup.stdout).toContain('Updated the before_deploy hook of app');
  expect(setup.code).toBe(0);
});

afterAll(async () => {
  await stopAllSshd();
  repo?.cleanup();
  removeScratchDirs();
});

/** runOneShot in this process, with captured output. */
async function oneShot(args: string[], extraEnv: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runOneShot(args, { stdin: new PassThrough(), stdout, stderr, env: { ...env, ...extraEnv }, cwd: home });
  return { code, stdout: out, stderr: err };
}

describe('one-shot CLI', () => {
  it('records a prod deploy and exits 4 while it waits for approval', async () => {
    const r = await runDeploybot(['app', 'v1'], { cwd: home, env });
    expect(r.stdout).toMatch(/Deploy #1 of app v1 \(\w{7}\) waits for approval by @alice or @bob\./);
    expect(r.code).toBe(4);
  });

  it('refuses self-approval without --yes (exit 2), and with --yes runs the deploy: failure → exit 1 with its message', async () => {
    const refused = await oneShot(['approve', '1']);
    expect(refused.stderr).toMatch(/You requested deploy #1 yourself.*Run the command again with --yes to confirm\./s);
    expect(refused.code).toBe(2);

    const failed = await runDeploybot(['--yes', 'approve', '1'], { cwd: home, env });
    expect(failed.stdout).toContain('@alice approved deploy #1.');
    expect(failed.stdout).toMatch(/\[#1\] {3}web-1 {2}before_deploy ✗ \S+ \(exit 3\)/);
    expect(failed.stdout).toMatch(/│ disk full/);
    expect(failed.stdout).toMatch(/\[#1\] flow snapshot: \S+task-1\.png/);
    expect(failed.stderr).toMatch(/^deploybot: deploy #1 of app failed: before_deploy/m);
    expect(failed.code).toBe(1);
  });

  it('prints parseable JSON with --json', async () => {
    const r = await oneShot(['status', '1', '--json']);
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; actor: string; outcome: { kind: string; reply: { text: string; blocks: unknown[]; isError: boolean } } };
    expect(answer).toMatchObject({ ok: true, exitCode: 0, actor: 'alice', outcome: { kind: 'reply', reply: { isError: false } } });
    expect(answer.outcome.reply.text).toBe('deploy #1 app v1 → prod: failed');
    expect(answer.outcome.reply.blocks.length).toBeGreaterThan(1);
  });

  it('reports a run in JSON: the task view, the result and the snapshot (progress on stderr)', async () => {
    const retry = await oneShot(['--json', '--as', 'bob', 'retry', '1']);
    const asked = JSON.parse(retry.stdout) as { exitCode: number; outcome: { kind: string; event: string; task: { id: number; status: string } } };
    expect(asked).toMatchObject({ exitCode: 4, outcome: { kind: 'task', event: 'retry', task: { id: 2, status: 'awaiting_approval' } } });
    expect(retry.code).toBe(4);

    const run = await oneShot(['--json', '--as', 'alice', 'approve', '2']);
    const answer = JSON.parse(run.stdout) as { ok: boolean; exitCode: number; result: { status: string; error: string; snapshot: string }; task: { id: number; status: string; approvedBy: string } };
    expect(answer).toMatchObject({ ok: false, exitCode: 1, result: { status: 'failed' }, task: { id: 2, status: 'failed', approvedBy: 'alice' } });
    expect(answer.result.error).toMatch(/before_deploy/);
    expect(isPng(readFileSync(answer.result.snapshot))).toBe(true);
    expect(run.stderr).toMatch(/\[#2\] deploy app \w+ started on web-1/);
    expect(run.code).toBe(1);
  });

  it('answers bad input with the usage text and exit 2; a broken configuration with exit 3', async () => {
    const typo = await oneShot(['sever', 'list']);
    expect(typo.stderr).toContain('Unknown command `sever`');
    expect(typo.stderr).toMatch(/server list {2}— {2}list servers/);
    expect(typo.code).toBe(2);

    const form = await oneShot(['server', 'add']);
    expect(form.stderr).toMatch(/server add <name> <user>@<host>/);
    expect(form.code).toBe(2);

    const json = await oneShot(['--json', 'project', 'show', 'nope']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, exitCode: 2, outcome: { reply: { isError: true } } });

    const flags = await oneShot(['--as']);
    expect(flags.stderr).toContain('--as needs a user name');
    expect(flags.code).toBe(2);

    const config = await oneShot(['server', 'list'], { DEPLOYBOT_STALL_MINUTES: 'soon' });
    expect(config.stderr).toMatch(/DEPLOYBOT_STALL_MINUTES must be a number of minutes/);
    expect(config.code).toBe(3);
  });

  it('never starts Slack, even with Slack tokens set', async () => {
    const r = await oneShot(['server', 'list'], { SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_SIGNING_SECRET: '0123456789abcdef0123' });
    expect(r.stdout).toMatch(/Servers \(1\)/);
    expect(r.code).toBe(0);
    expect(existsSync(join(home, 'data', 'shell_history'))).toBe(false); // history is for interactive sessions
  });
});
