import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationalError, UserError } from '../../../src/errors.js';
import { GitMirrors } from '../../../src/pipeline/git/git.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

describe('GitMirrors against real repositories', () => {
  let repo: TestRepo;
  let mirrors: GitMirrors;
  const shas: Record<string, string> = {};

  beforeAll(async () => {
    repo = await makeRepo();
    shas.c1 = await repo.commit({ 'README.md': '# app\n', 'src/index.js': 'console.log(1)\n' }, 'first commit');
    await repo.tag('v1.0.0', { annotated: true, message: 'first release' });
    shas.c2 = await repo.commit({ 'src/index.js': 'console.log(2)\n', 'src/lib/util.js': 'export {}\n' }, 'second: add util');
    await repo.tag('v1.1.0');
    await repo.branch('feature/login', shas.c1);
    shas.c3 = await repo.commit({ 'README.md': null, 'docs/it\'s "quoted".md': 'x\n' }, 'third: summary with \x1f unit separator and "quotes"');
    mirrors = new GitMirrors(makeScratchDir('deploybot-data-'));
  });
  afterAll(() => removeScratchDirs());

  it('clones a mirror once, then fetches into it', async () => {
    const first = await mirrors.ensureMirror(repo.url);
    expect(first.cloned).toBe(true);
    expect(first.dir).toMatch(/mirrors\/[0-9a-f]{40}\.git$/);
    expect(existsSync(join(first.dir, 'HEAD'))).toBe(true);
    const inode = statSync(join(first.dir, 'config')).ino;

    const second = await mirrors.ensureMirror(repo.url);
    expect(second).toEqual({ dir: first.dir, cloned: false });
    expect(statSync(join(first.dir, 'config')).ino).toBe(inode);
  });

  it('shares one in-flight clone/fetch between concurrent callers', async () => {
    const other = await makeRepo({ commits: [{ files: { a: '1' }, message: 'one' }] });
    const results = await Promise.all([mirrors.ensureMirror(other.url), mirrors.ensureMirror(other.url), mirrors.ensureMirror(other.url)]);
    expect(results.filter((r) => r.cloned)).toHaveLength(3); // the same single clone, reported to all three
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    expect(readdirSync(mirrors.mirrorsDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('sees a new tag (and a new commit) after the next fetch', async () => {
    const c4 = await repo.commit({ 'NEW.md': 'new\n' }, 'fourth');
    await repo.tag('v2.0.0');
    await expect(mirrors.resolveRef(repo.url, 'v2.0.0')).rejects.toThrow(UserError);
    await mirrors.ensureMirror(repo.url);
    expect(await mirrors.resolveRef(repo.url, 'v2.0.0')).toBe(c4);
    shas.c4 = c4;
  });

  it('resolves branches, annotated and lightweight tags, full and short shas to full commit ids', async () => {
    expect(await mirrors.resolveRef(repo.url, 'main')).toBe(shas.c4);
    expect(await mirrors.resolveRef(repo.url, 'HEAD')).toBe(shas.c4);
    expect(await mirrors.resolveRef(repo.url, 'feature/login')).toBe(shas.c1);
    expect(await mirrors.resolveRef(repo.url, 'v1.0.0')).toBe(shas.c1); // annotated: dereferenced
    expect(await mirrors.resolveRef(repo.url, 'v1.1.0')).toBe(shas.c2);
    expect(await mirrors.resolveRef(repo.url, shas.c2!)).toBe(shas.c2);
    expect(await mirrors.resolveRef(repo.url, shas.c2!.slice(0, 8))).toBe(shas.c2);
  });

  it('says clearly when a ref does not exist', async () => {
    await expect(mirrors.resolveRef(repo.url, 'no-such-branch')).rejects.toThrow(/no branch, tag or commit "no-such-branch"/);
    await expect(mirrors.resolveRef(repo.url, 'f'.repeat(40))).rejects.toThrow(UserError);
  });

  it('refuses dangerous refs before git sees them', async () => {
    const marker = '/tmp/x';
    const existed = existsSync(marker);
    for (const ref of ['--upload-pack=touch /tmp/x', 'v1;rm -rf /', '--output=/tmp/x', '-h', '$(touch /tmp/x)']) {
      await expect(mirrors.resolveRef(repo.url, ref)).rejects.toThrow(UserError);
      await expect(mirrors.listCommits(repo.url, { ref })).rejects.toThrow(UserError);
      await expect(mirrors.exportCommit(repo.url, ref, makeScratchDir())).rejects.toThrow(UserError);
      await expect(mirrors.commitsBetween(repo.url, ref, 'main', 10)).rejects.toThrow(UserError);
    }
    if (!existed) expect(existsSync(marker)).toBe(false);
  });

  it('exports exactly the files of a commit, without .git', async () => {
    const dest = join(makeScratchDir(), 'release');
    expect(await mirrors.exportCommit(repo.url, 'v1.1.0', dest)).toBe(shas.c2);
    expect(listFiles(dest)).toEqual(['README.md', 'src/index.js', 'src/lib/util.js']);
    expect(readFileSync(join(dest, 'src/index.js'), 'utf8')).toBe('console.log(2)\n');
    expect(existsSync(join(dest, '.git'))).toBe(false);

    const dest3 = join(makeScratchDir(), 'release');
    await mirrors.exportCommit(repo.url, shas.c3!, dest3);
    expect(listFiles(dest3)).toEqual([`docs/it's "quoted".md`, 'src/index.js', 'src/lib/util.js']);
  });

  it('lists branches, most recent first', async () => {
    const branches = await mirrors.listBranches(repo.url);
    expect(branches.map((b) => b.name)).toEqual(['main', 'feature/login']);
    expect(branches[0]!.sha).toBe(shas.c4);
    expect(branches[0]!.date).toBeInstanceOf(Date);
  });

  it('lists tags newest first, peeled to commits', async () => {
    const tags = await mirrors.listTags(repo.url);
    expect(tags.map((t) => [t.name, t.sha])).toEqual([
      ['v2.0.0', shas.c4],
      ['v1.1.0', shas.c2],
      ['v1.0.0', shas.c1],
    ]);
  });

  it('lists commits parsed from NUL/unit-separated fields', async () => {
    const commits = await mirrors.listCommits(repo.url, { limit: 3 });
    expect(commits.map((c) => c.sha)).toEqual([shas.c4, shas.c3, shas.c2]);
    const third = commits[1]!;
    expect(third.summary).toBe('third: summary with \x1f unit separator and "quotes"');
    expect(third.author).toBe('Deploybot Test');
    expect(third.shortSha).toBe(third.sha.slice(0, third.shortSha.length));
    expect(third.date.toISOString()).toMatch(/^2026-01-01T/);

    expect((await mirrors.listCommits(repo.url, { ref: 'feature/login' })).map((c) => c.sha)).toEqual([shas.c1]);
  });

  it('lists the commits between two shas', async () => {
    const between = await mirrors.commitsBetween(repo.url, shas.c1!, shas.c4!, 10);
    expect(between.map((c) => c.sha)).toEqual([shas.c4, shas.c3, shas.c2]);
    expect(await mirrors.commitsBetween(repo.url, shas.c4!, shas.c4!, 10)).toEqual([]);
    expect((await mirrors.commitsBetween(repo.url, shas.c1!, shas.c4!, 1)).map((c) => c.sha)).toEqual([shas.c4]);
  });

  it('works with a plain local path as the URL', async () => {
    expect(await mirrors.resolveRef(repo.dir, 'v1.0.0')).toBe(shas.c1);
  });

  it('reports a missing repository as a non-transient OperationalError with credentials redacted', async () => {
    const url = `https://deploy:SuperSecretToken123@127.0.0.1:9/nope.git`;
    const err = await mirrors.ensureMirror(url).catch((e) => e);
    expect(err).toBeInstanceOf(OperationalError);
    expect(err.message).not.toContain('SuperSecretToken123');
    expect(err.message).toContain('https://[redacted]@127.0.0.1:9/nope.git');
    expect(err.transient).toBe(true); // connection refused: worth a retry

    const local = await mirrors.ensureMirror('/nonexistent/repo.git').catch((e) => e);
    expect(local).toBeInstanceOf(OperationalError);
    expect(local.transient).toBe(false);
    expect(readdirSync(mirrors.mirrorsDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses dangerous repository URLs', async () => {
    await expect(mirrors.ensureMirror('ext::sh -c touch% /tmp/x')).rejects.toThrow(UserError);
    await expect(mirrors.ensureMirror('--upload-pack=touch /tmp/x')).rejects.toThrow(UserError);
  });

  it('a fetch removes branches deleted upstream', async () => {
    await repo.git('branch', '-D', 'feature/login');
    await mirrors.ensureMirror(repo.url);
    expect((await mirrors.listBranches(repo.url)).map((b) => b.name)).toEqual(['main']);
  });
});
