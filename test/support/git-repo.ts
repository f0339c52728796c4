import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runLocal } from '../../src/pipeline/exec/local-exec.js';
import { makeScratchDir, removeScratchDir } from './scratch-dirs.js';

/**
 * Real git repositories for tests, built with the real `git` in a temp dir.
 *
 * Every commit and tag gets a date one minute after the previous one (GIT_AUTHOR_DATE /
 * GIT_COMMITTER_DATE), so "newest first" orderings are deterministic even though a test makes
 * many of them within the same second.
 */
/** path → content; `null` deletes the file. */
export type FileSpec = Record<string, string | null>;

export interface RepoSpec {
  defaultBranch?: string;
  commits?: Array<{ files: FileSpec; message: string; tag?: string; branch?: string }>;
}

export interface TestRepo {
  dir: string;
  /** file:// URL of the repository (what a project setting would hold). */
  url: string;
  defaultBranch: string;
  /** Writes/deletes files, commits everything on the current branch, returns the full sha. */
  commit(files: FileSpec, message: string): Promise<string>;
  /** Lightweight tag by default; `{ annotated: true }` for `git tag -a`. */
  tag(name: string, options?: { annotated?: boolean; message?: string; ref?: string }): Promise<void>;
  /** Creates a branch at the current HEAD (or `from`) without switching to it. */
  branch(name: string, from?: string): Promise<void>;
  checkout(name: string): Promise<void>;
  head(): Promise<string>;
  git(...args: string[]): Promise<string>;
  cleanup(): void;
}

const START = Date.parse('2026-01-01T00:00:00Z');

export async function makeRepo(spec: RepoSpec = {}): Promise<TestRepo> {
  const dir = makeScratchDir('deploybot-repo-');
  const defaultBranch = spec.defaultBranch ?? 'main';
  let tick = 0;
  const nextDate = () => new Date(START + ++tick * 60_000).toISOString();

  const git = async (...args: string[]): Promise<string> => {
    const date = nextDate();
    const { stdout } = await runLocal({
      cmd: 'git',
      args,
      cwd: dir,
      env: {
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
      },
      timeoutMs: 30_000,
    });
    return stdout.trim();
  };

  await git('init', '--quiet', `--initial-branch=${defaultBranch}`);
  await git('config', 'user.name', 'Deploybot Test');
  await git('config', 'user.email', 'deploybot-test@example.invalid');
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'tag.gpgsign', 'false');

  const repo: TestRepo = {
    dir,
    url: pathToFileURL(dir).href,
    defaultBranch,
    git,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    async tag(name, options = {}) {
      const target = options.ref ?? 'HEAD';
      if (options.annotated) await git('tag', '-a', '-m', options.message ?? name, name, target);
      else await git('tag', name, target);
    },
    async branch(name, from) {
      await git('branch', name, ...(from ? [from] : []));
    },
    async checkout(name) {
      await git('checkout', '--quiet', name);
    },
    head: () => git('rev-parse', 'HEAD'),
    cleanup: () => removeScratchDir(dir),
  };

  for (const c of spec.commits ?? []) {
    await repo.commit(c.files, c.message);
    if (c.tag) await repo.tag(c.tag);
    if (c.branch) await repo.branch(c.branch);
  }
  return repo;
}
