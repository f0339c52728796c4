import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeRepo } from '../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../support/scratch-dirs.js';
import { startSshd, stopAllSshd } from '../support/sshd.js';
import { deploybotEnv, startDeploybot } from '../chat/shell/support/deploybot-process.js';

/**
 * README → "First run: the shell, in five minutes", followed as written, in a clean HOME: its shell
 * lines run as they are (key generated, authorized_keys), its `deploybot>` lines are typed into the
 * real shell. Only what cannot run here is replaced: installing packages and cloning (done), and
 * sshd on port 22 (a loopback sshd on a free port, with the authorized_keys the README made).
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function firstRunSection(): { shell: string[]; prompt: string[] } {
  const start = README.indexOf('## First run');
  const section = README.slice(start, README.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], lines: m[2]!.split('\n').filter((l) => l.trim() !== '') }));
  const shell = blocks.find((b) => b.lang === 'sh')!.lines;
  const prompt = blocks.find((b) => b.lines.every((l) => l.startsWith('deploybot> ')))!.lines.map((l) => l.slice('deploybot> '.length).replace(/\s+#.*$/, '').trim());
  return { shell, prompt };
}

/** README lines that need the network, root on the machine, or port 22: stood in for by the test. */
const STOOD_IN = [/apt-get (update|install)/, /\/usr\/sbin\/sshd/, /^git clone /, /^npm install$/, /^npm start$/];

afterAll(async () => {
  await stopAllSshd();
  removeScratchDirs();
});

it('follows the README first run in a clean HOME: keys, server add, project add, deploys, rollback by tag', async () => {
  const { shell, prompt } = firstRunSection();
  const home = makeScratchDir('deploybot-readme-home-');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };

  // The shell lines, as pasted (each one on its own, as a person pastes them).
  const ran: string[] = [];
  for (const line of shell) {
    if (STOOD_IN.some((re) => re.test(line))) {
      // Not run here, but it must at least be valid shell as pasted.
      expect(spawnSync('sh', ['-n', '-c', line]).status, line).toBe(0);
      continue;
    }
    const r = spawnSync('sh', ['-c', line], { cwd: home, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, `${line}\n${r.stderr}`).toBe(0);
    ran.push(line);
  }
  expect(ran.some((l) => l.includes('ssh-keygen'))).toBe(true);
  expect(shell.filter((l) => STOOD_IN.some((re) => re.test(l)))).toHaveLength(6);
  // They work as root (no sudo) or not: nothing in them calls sudo by name.
  expect(shell.filter((l) => /(^|[\s;&|(])sudo\s/.test(l))).toEqual([]);
  expect(shell.some((l) => l.includes('apt-get update'))).toBe(true);

  const authorized = readFileSync(join(home, '.ssh', 'authorized_keys'), 'utf8');
  expect(readFileSync(join(home, '.ssh', 'deploybot.pub'), 'utf8').trim()).toBe(authorized.trim());
  const sshd = await startSshd({ authorizedKey: authorized.trim() });
  const repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'site 1.0.0\n' }, message: 'first release', tag: 'v1.0.0' },
      { files: { 'index.html': 'site 1.1.0\n' }, message: 'second release', tag: 'v1.1.0' },
    ],
  });

  // `npm start`: the real bin, in the clean HOME, as root (the user the tests run as).
  const bot = startDeploybot([], { cwd: home, env: deploybotEnv(join(home, 'data'), { HOME: home }) });
  try {
    const expected: [RegExp, RegExp][] = [
      [/^server add /, /Added server local|⚠/],
      [/^server check /, /is reachable|⚠/],
      [/^project add /, /Added project site|⚠/],
      [/^refs /, /Refs of site|⚠/],
      [/^site v/, /(✓|✗) deploy #\d+ of site \S+ (succeeded|failed)|⚠/],
      [/^rollback /, /(✓|✗) rollback #\d+ of site (succeeded|failed)|⚠/],
      [/^releases /, /Roll back with|⚠/],
      [/^tasks /, /Recent deploys of site|⚠/],
    ];
    for (const typed of prompt) {
      const line = typed
        .replace('me@127.0.0.1', `root@127.0.0.1:${sshd.port}`)
        .replace(/\/home\/me\b/g, home)
        .replace('https://github.com/acme/site.git', repo.url);
      const [, done] = expected.find(([re]) => re.test(line)) ?? [];
      expect(done, `the test knows what "${line}" answers`).toBeDefined();
      const from = bot.stdout().length;
      bot.send(line);
      const answer = await bot.waitFor(done!, { from, timeoutMs: 60_000 });
      expect(answer, line).not.toMatch(/⚠|✗/);
    }
    expect(readFileSync(join(home, 'www', 'current', 'index.html'), 'utf8')).toBe('site 1.0.0\n');
    expect(bot.stdout()).toMatch(/rollback → `\d{14}-\d+-[0-9a-f]{7} \(v1\.0\.0\)`/);
    bot.end();
    expect((await bot.exited).code).toBe(0);
    expect(existsSync(join(home, 'data', 'deploybot.sqlite'))).toBe(true);
  } finally {
    bot.child.kill('SIGKILL');
    repo.cleanup();
  }
}, 180_000); // real processes on a shared 2-core machine
