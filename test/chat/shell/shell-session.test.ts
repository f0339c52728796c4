import { chmodSync, existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../../support/ssh-keys.js';
import { startSshd, stopAllSshd, type TestSshd } from '../../support/sshd.js';
import { deploybotEnv, isPng, startDeploybot, type DeploybotProcess } from './support/deploybot-process.js';

/**
 * The interactive shell, driven through stdin/stdout of the real `bin/deploybot.mjs` (no Slack
 * variables → shell mode), against two real sshd servers and a real git repository. The shell
 * user is alice (admin: no DEPLOYBOT_ADMINS); bob approves production.
 */
const DEPLOY_ROOT = '/srv/deploybot-test/app';

let key: TestKeyPair;
let servers: TestSshd[];
let repo: TestRepo;
let home: string;
let shell: DeploybotProcess;
let mark = 0;

/** Types a line and waits for `expected` in what the shell prints from then on. */
async function say(line: string, expected: RegExp | string, timeoutMs?: number): Promise<string> {
  mark = shell.stdout().length;
  shell.send(line);
  return shell.waitFor(expected, { from: mark, timeoutMs });
}

function current(server: TestSshd): string | null {
  const link = join(server.hostDir, 'current');
  return existsSync(link) && lstatSync(link).isSymbolicLink() ? readlinkSync(link).replace(/^releases\//, '') : null;
}

beforeAll(async () => {
  key = await generateKeyPair();
  [servers, repo] = await Promise.all([
    Promise.all([0, 1].map(() => startSshd({ authorizedKey: key.publicKey, deployRoot: DEPLOY_ROOT }))),
    makeRepo({
      commits: [
        { files: { 'index.html': 'version 1\n' }, message: 'first release', tag: 'v1' },
        { files: { 'index.html': 'version 2\n' }, message: 'second release', tag: 'v2' },
      ],
    }),
  ]);
  home = makeScratchDir('deploybot-shell-');
  // An "editor" for `project hooks`: writes a before_deploy script into its section.
  const editor = join(home, 'fake-editor.sh');
  writeFileSync(editor, `#!/bin/sh\nsed -i 's/^### hook: before_deploy ###$/&\\necho "prepared by the editor"/' "$1"\n`);
  chmodSync(editor, 0o755);
  shell = startDeploybot([], { cwd: home, env: deploybotEnv(join(home, 'data'), { DEPLOYBOT_SHELL_USER: 'alice', EDITOR: editor }) });
});

afterAll(async () => {
  shell?.child.kill('SIGKILL');
  await stopAllSshd();
  repo?.cleanup();
  removeScratchDirs();
});

describe('shell mode', () => {
  it('sets up servers and a prod project, answering bad input with usage and going on', async () => {
    for (const [i, s] of servers.entries()) {
      await say(`server add web-${i + 1} root@127.0.0.1:${s.port} key=${key.privateKeyPath}`, `Added server web-${i + 1}`);
    }
    const typo = await say('sever list', /server list {2}— {2}list servers\n/);
    expect(typo).toContain('⚠ Unknown command `sever`');
    expect(typo).toMatch(/^ {4}server list {2}— {2}list servers$/m); // one usage line, without the /deploy prefix

    const bad = await say('/deploy project add api repo=x', /project add <name> repo=<url>/);
    expect(bad).toMatch(/⚠ /);

    const added = await say(`project add api repo=${repo.url} path=${DEPLOY_ROOT} servers=web-1,web-2 env=prod approvers=bob`, 'Added project api');
    expect(added).toMatch(/Approvers:\s+@bob/);
    expect(added).toMatch(/^Project api\n─+$/m); // headings are underlined

    const list = await say('server list', 'Servers (2)');
    expect(list).toMatch(/• web-1 `root@127\.0\.0\.1:\d+`/);
  });

  it('deploys after bob approves (self-approval refused), with live progress and a flow snapshot', async () => {
    const requested = await say('deploy api v1', /Deploy #1 .* waits for approval by @bob/);
    expect(requested).not.toContain('[#1]');

    const refused = await say('approve 1', '⚠');
    expect(refused).toMatch(/Only the approvers of api \(@bob\) can approve deploy #1/);

    const run = await say('as bob approve 1', /\[#1\] flow snapshot: (\S+)/, 60_000);
    expect(run).toContain('@bob approved deploy #1.');
    expect(run).toMatch(/\[#1\] deploy api v1 started on web-1, web-2/);
    const sha = (await repo.git('rev-parse', 'v1')).slice(0, 7);
    expect(run).toMatch(new RegExp(`\\[#1\\] download ✓ \\S+ \\(${sha}\\)`));
    expect(run).toMatch(/\[#1\] {3}web-1 {2}upload ✓/);
    expect(run).toMatch(/\[#1\] {3}web-2 {2}switch ✓/);
    expect(run).toMatch(/\[#1\] ✓ deploy #1 of api v1 succeeded in \S+: \S+ is live on 2 servers/);

    const png = /\[#1\] flow snapshot: (\S+)/.exec(run)![1]!;
    expect(png).toBe(join(home, 'data', 'snapshots', 'task-1.png'));
    expect(isPng(readFileSync(png))).toBe(true);
    expect(readFileSync(join(servers[1]!.hostDir, 'current', 'index.html'), 'utf8')).toBe('version 1\n');
  });

  it('keeps the prompt usable while a deploy runs, then rolls back', async () => {
    await say('api v2', /Deploy #2 .* waits for approval/);
    mark = shell.stdout().length;
    shell.send('as bob approve 2');
    shell.send('tasks api'); // answered while #2 runs or right after: never held back until the end
    const both = await shell.waitFor(/\[#2\] ✓ deploy #2 of api v2 succeeded/, { from: mark, timeoutMs: 60_000 });
    expect(both).toMatch(/Recent deploys of api/);
    expect(both.indexOf('Recent deploys of api')).toBeLessThan(both.indexOf('[#2] ✓ deploy #2'));
    const v2 = current(servers[0]!);

    const back = await say('rollback api', /\[#3\] flow snapshot: \S+/, 60_000);
    expect(back).toMatch(/Rollback #3 of api to `[0-9]+-1-[0-9a-f]{7} \(v1\)` \(from `[0-9]+-2-[0-9a-f]{7} \(v2\)`\) is starting/);
    expect(back).toMatch(/\[#3\] ✓ rollback #3 of api succeeded/);
    expect(current(servers[0]!)).not.toBe(v2);
    expect(readFileSync(join(servers[0]!.hostDir, 'current', 'index.html'), 'utf8')).toBe('version 1\n');
  });

  it('asks what to deploy when `deploy` has no arguments, offering tags and branches', async () => {
    await say('deploy', 'Project (api) [api]:');
    mark = shell.stdout().length;
    shell.send('');
    const offered = await shell.waitFor('Ref [main]:', { from: mark });
    expect(offered).toContain('Recent tags: v2, v1');
    expect(offered).toContain('Branches: main');
    const requested = await say('v2', /Deploy #4 of api v2 \(\w{7}\) waits for approval by @bob/);
    expect(requested).not.toContain('⚠');
    const rejected = await say('as bob reject 4 not today', 'rejected');
    expect(rejected).toContain('@bob rejected deploy #4: not today');
  });

  it('edits hooks in $EDITOR and adds a server field by field', async () => {
    const saved = await say('project hooks api', /Updated the before_deploy hook of api|⚠/);
    expect(saved).toContain('Updated the before_deploy hook of api');
    const shown = await say('project show api', /Hooks:/);
    expect(shown).toMatch(/Hooks:\s+before_deploy/);

    const asked = await say('server add', 'Name:');
    expect(asked).toContain('Name:');
    shell.send('web-3');
    await shell.waitFor('Address (user@host[:port]):', { from: mark });
    shell.send(`root@127.0.0.1:${servers[0]!.port}`);
    await shell.waitFor('Authentication:', { from: mark });
    shell.send('agent');
    await shell.waitFor('Labels', { from: mark });
    shell.send('edge');
    const added = await shell.waitFor(/Added server web-3|⚠/, { from: mark });
    expect(added).toContain('Added server web-3');
    expect(added).toMatch(/Labels:\s+edge/);
  });

  it('leaves cleanly at the end of input', async () => {
    shell.end();
    const { code, stderr } = await shell.exited;
    expect(stderr).not.toMatch(/ERROR/);
    expect(code).toBe(0);
  });
});
