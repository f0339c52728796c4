import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { runLocal } from '../../../src/pipeline/exec/local-exec.js';
import { GitMirrors } from '../../../src/pipeline/git/git.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { createRuntimeFixture, type RuntimeFixture } from '../../support/runtime-fixture.js';
import { parseCommandOrThrow } from '../../../src/commands/grammar/commands.js';

/** A repository as GitHub serves it: branches, tags, and a pull request's head under refs/pull/. */
async function repoWithPullRequest(repo: TestRepo): Promise<string> {
  const tree = (await repo.git('rev-parse', 'HEAD^{tree}')).trim();
  const head = (await repo.git('rev-parse', 'HEAD')).trim();
  const pr = (await repo.git('commit-tree', tree, '-p', head, '-m', 'unreviewed change')).trim();
  await repo.git('update-ref', 'refs/pull/1/head', pr);
  await repo.git('update-ref', 'refs/merge-requests/2/head', pr);
  return pr;
}

const refsIn = async (dir: string) => (await runLocal({ cmd: 'git', args: ['--git-dir', dir, 'for-each-ref', '--format=%(refname)'], timeoutMs: 10_000 })).stdout.trim().split('\n');
const configOf = async (dir: string, key: string) => (await runLocal({ cmd: 'git', args: ['--git-dir', dir, 'config', '--get-all', key], timeoutMs: 10_000 }).catch(() => ({ stdout: '' }))).stdout.trim();

describe('mirrors hold reviewed refs only', () => {
  let repo: TestRepo;
  let pr: string;
  beforeAll(async () => {
    repo = await makeRepo({ commits: [{ files: { 'a.txt': '1\n' }, message: 'first', tag: 'v1' }, { files: { 'a.txt': '2\n' }, message: 'second' }] });
    pr = await repoWithPullRequest(repo);
  });
  afterAll(() => removeScratchDirs());

  it('a new mirror fetches branches and tags, never refs/pull', async () => {
    const mirrors = new GitMirrors(makeScratchDir('deploybot-mirrors-'));
    const { dir } = await mirrors.ensureMirror(repo.url);
    expect((await refsIn(dir)).sort()).toEqual([`refs/heads/${repo.defaultBranch}`, 'refs/tags/v1']);
    expect(await configOf(dir, 'remote.origin.fetch')).toBe('+refs/heads/*:refs/heads/*\n+refs/tags/*:refs/tags/*');
    // Later fetches keep it that way.
    await repo.commit({ 'a.txt': '3\n' }, 'third');
    await mirrors.ensureMirror(repo.url);
    expect((await refsIn(dir)).some((r) => r.startsWith('refs/pull/') || r.startsWith('refs/merge-requests/'))).toBe(false);
  });

  it('refuses pull/1/head, refs/pull/1/head and a pull request commit by sha, saying why', async () => {
    const mirrors = new GitMirrors(makeScratchDir('deploybot-mirrors-'));
    await mirrors.ensureMirror(repo.url);
    await expect(mirrors.resolveRef(repo.url, 'pull/1/head')).rejects.toThrow(/no branch, tag or commit "pull\/1\/head".*pull and merge requests cannot/);
    await expect(mirrors.resolveRef(repo.url, 'refs/pull/1/head')).rejects.toThrow(/"refs\/pull\/1\/head" is not a branch or tag/);
    await expect(mirrors.resolveRef(repo.url, pr)).rejects.toBeInstanceOf(UserError);
    // What is on a branch or tag still resolves, by name or by sha.
    const v1 = (await repo.git('rev-parse', 'v1')).trim();
    expect(await mirrors.resolveRef(repo.url, 'v1')).toBe(v1);
    expect(await mirrors.resolveRef(repo.url, v1.slice(0, 10))).toBe(v1);
    expect(await mirrors.resolveRef(repo.url, `refs/heads/${repo.defaultBranch}`)).toBe((await repo.git('rev-parse', repo.defaultBranch)).trim());
  });

  it('converts a mirror made with --mirror: refspecs fixed, pull refs pruned, their commits refused', async () => {
    const mirrors = new GitMirrors(makeScratchDir('deploybot-mirrors-'));
    const dir = mirrors.mirrorPath(repo.url);
    mkdirSync(dirname(dir), { recursive: true });
    await runLocal({ cmd: 'git', args: ['clone', '--mirror', '--quiet', '--', repo.url, dir], timeoutMs: 30_000 });
    expect(await refsIn(dir)).toContain('refs/pull/1/head');
    // Even before any fetch, reading from the old mirror converts it first.
    await expect(mirrors.resolveRef(repo.url, 'pull/1/head')).rejects.toThrow(/pull and merge requests cannot/);
    expect((await refsIn(dir)).filter((r) => !r.startsWith('refs/heads/') && !r.startsWith('refs/tags/'))).toEqual([]);
    expect(await configOf(dir, 'remote.origin.mirror')).toBe('');
    expect(await configOf(dir, 'remote.origin.fetch')).toBe('+refs/heads/*:refs/heads/*\n+refs/tags/*:refs/tags/*');
    // The pull request's objects may still be in the old mirror: by sha it is refused all the same.
    await expect(mirrors.resolveRef(repo.url, pr)).rejects.toThrow(/not on any branch or tag/);
    await mirrors.ensureMirror(repo.url);
    expect((await refsIn(dir)).some((r) => r.startsWith('refs/pull/'))).toBe(false);
  });
});

describe('deploy app pull/1/head through the command layer', () => {
  let f: RuntimeFixture;
  beforeAll(async () => {
    f = await createRuntimeFixture({ servers: 1 });
    await repoWithPullRequest(f.repo);
  });
  afterAll(() => f?.close());

  it('is refused with a clear message, and no task is created', async () => {
    const outcome = await f.runtime.executor.execute(f.admin, parseCommandOrThrow('deploy app pull/1/head'));
    expect(outcome).toMatchObject({ kind: 'reply', tier: 'user', reply: { isError: true } });
    expect(JSON.stringify(outcome)).toMatch(/no branch, tag or commit \\"pull\/1\/head\\".*pull and merge requests cannot/);
    const tasks = await f.runtime.executor.execute(f.admin, parseCommandOrThrow('tasks app'));
    expect(JSON.stringify(tasks)).toContain('No deploys of app yet');
  });
});
