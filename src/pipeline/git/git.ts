import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { OperationalError, UserError } from '../../errors.js';
import { Redactor } from '../../redact.js';
import { FULL_SHA, assertSafeRef } from './git-refs.js';
import { BRANCH_FORMAT, LOG_FORMAT, TAG_FORMAT, parseBranches, parseLog, parseTags, type GitCommit, type GitRef } from './git-log.js';
import { assertSafeRepoUrl, displayUrl, redactorForUrl } from './git-url.js';
import { CommandError, runLocal } from '../exec/local-exec.js';

export type { GitCommit, GitRef } from './git-log.js';
export { assertSafeRef, isValidRefFormat } from './git-refs.js';
export { assertSafeRepoUrl } from './git-url.js';

export interface GitMirrorsOptions {
  /** For clone/fetch (network). Default 5 minutes without any output. */
  networkTimeoutMs?: number;
  /** For local reads and exports. Default 2 minutes. */
  localTimeoutMs?: number;
  redactor?: Redactor;
}

export interface MirrorResult {
  dir: string;
  /** true when this call created the mirror; false when it fetched into an existing one. */
  cloned: boolean;
}

/**
 * A git run that failed; `exitCode` lets callers tell "not found" (1) from real failures.
 * Extends simple-git's GitError because simple-git re-wraps (and flattens) any other error type.
 */
class GitExitError extends GitError {
  constructor(
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(undefined, stderr.trim() || `git exited with code ${exitCode}`);
  }
}

/** Network failures worth retrying (convention 6); auth failures and missing repos are not. */
const TRANSIENT_GIT = /could not resolve host|failed to connect|couldn't connect|connection (timed out|reset|refused)|timed out|early eof|remote end hung up|http 5\d\d|returned error: 5\d\d|rpc failed|temporary failure|block timeout/i;

/**
 * One bare mirror per repository under `<dataDir>/mirrors/<sha1(url)>.git`: cloned once, then
 * only fetched, so a deploy downloads just what changed. Concurrent calls for the same URL share
 * one in-flight clone/fetch. Reads (`resolveRef`, listings, `exportCommit`) use the mirror as it
 * is, creating it first if needed; call `ensureMirror` to bring it up to date.
 *
 * Every ref and URL is validated before git sees it, and every error message is redacted
 * (credentials embedded in the URL included).
 */
export class GitMirrors {
  private readonly inFlight = new Map<string, Promise<MirrorResult>>();
  private readonly networkTimeoutMs: number;
  private readonly localTimeoutMs: number;
  private readonly redactor: Redactor;

  constructor(
    private readonly dataDir: string,
    options: GitMirrorsOptions = {},
  ) {
    this.networkTimeoutMs = options.networkTimeoutMs ?? 5 * 60_000;
    this.localTimeoutMs = options.localTimeoutMs ?? 2 * 60_000;
    this.redactor = options.redactor ?? new Redactor();
  }

  get mirrorsDir(): string {
    return join(this.dataDir, 'mirrors');
  }

  mirrorPath(repoUrl: string): string {
    return join(this.mirrorsDir, `${createHash('sha1').update(repoUrl).digest('hex')}.git`);
  }

  /** Clones the mirror if missing, otherwise `fetch --prune --tags`. */
  ensureMirror(repoUrl: string): Promise<MirrorResult> {
    try {
      assertSafeRepoUrl(repoUrl);
    } catch (err) {
      return Promise.reject(err);
    }
    const pending = this.inFlight.get(repoUrl);
    if (pending) return pending;
    const run = this.cloneOrFetch(repoUrl).finally(() => this.inFlight.delete(repoUrl));
    this.inFlight.set(repoUrl, run);
    return run;
  }

  /** The full 40-hex commit id a branch, tag (peeled) or (short) sha points to. */
  async resolveRef(repoUrl: string, ref: string): Promise<string> {
    assertSafeRef(ref);
    const dir = await this.existingMirror(repoUrl);
    try {
      const out = await this.git(repoUrl, dir, this.localTimeoutMs).raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
      const sha = out.trim();
      if (FULL_SHA.test(sha)) return sha;
    } catch (err) {
      if (!(err instanceof GitExitError && err.exitCode === 1)) throw this.wrap(err, repoUrl, `resolve ${ref}`);
    }
    throw new UserError(`There is no branch, tag or commit "${ref}" in ${displayUrl(repoUrl)}.`);
  }

  /**
   * Writes the tree of exactly that commit into `destDir` (created if missing, should be empty):
   * `git archive | tar -x`, so there is no .git directory and no worktree bookkeeping in the
   * mirror. Note: `export-ignore` / `export-subst` in the repo's .gitattributes apply.
   */
  async exportCommit(repoUrl: string, ref: string, destDir: string): Promise<string> {
    const sha = await this.resolveRef(repoUrl, ref);
    const dir = this.mirrorPath(repoUrl);
    await mkdir(destDir, { recursive: true });
    const redactor = redactorForUrl(repoUrl, this.redactor);
    const pipe = new PassThrough();
    const [archive, extract] = await Promise.allSettled([
      runLocal({ cmd: 'git', args: ['--git-dir', dir, 'archive', '--format=tar', sha], stdoutTo: pipe, timeoutMs: this.localTimeoutMs, redactor }),
      runLocal({ cmd: 'tar', args: ['-x', '-f', '-', '-C', destDir], input: pipe, timeoutMs: this.localTimeoutMs, redactor }),
    ]);
    // Whichever side failed first explains it: tar's "unexpected EOF" follows from a git error,
    // git's SIGPIPE follows from tar giving up (disk full, bad destination).
    const gitBrokenPipe = archive.status === 'rejected' && archive.reason instanceof CommandError && archive.reason.signal === 'SIGPIPE';
    if (archive.status === 'rejected' && !(gitBrokenPipe && extract.status === 'rejected')) throw archive.reason;
    if (extract.status === 'rejected') throw extract.reason;
    return sha;
  }

  /** Branches, most recently committed first. */
  async listBranches(repoUrl: string): Promise<GitRef[]> {
    const dir = await this.existingMirror(repoUrl);
    const out = await this.read(repoUrl, dir, ['for-each-ref', '--sort=-committerdate', `--format=${BRANCH_FORMAT}`, 'refs/heads/'], 'list branches');
    return parseBranches(out);
  }

  /** Tags, newest first (by the tag's creation date; a lightweight tag's is its commit's). */
  async listTags(repoUrl: string): Promise<GitRef[]> {
    const dir = await this.existingMirror(repoUrl);
    // The last --sort is the primary key; tags made in the same second (a script, a release tool)
    // fall back to version order, newest first, instead of git's ascending refname.
    const out = await this.read(repoUrl, dir, ['for-each-ref', '--sort=-v:refname', '--sort=-creatordate', `--format=${TAG_FORMAT}`, 'refs/tags/'], 'list tags');
    return parseTags(out);
  }

  /** The latest commits reachable from `ref` (default: the remote's default branch), newest first. */
  async listCommits(repoUrl: string, options: { ref?: string; limit?: number } = {}): Promise<GitCommit[]> {
    const ref = assertSafeRef(options.ref ?? 'HEAD');
    const dir = await this.existingMirror(repoUrl);
    return this.log(repoUrl, dir, ref, options.limit ?? 50);
  }

  /** Commits in `toSha` that `fromSha` does not have (what a deploy from → to ships), newest first. */
  async commitsBetween(repoUrl: string, fromSha: string, toSha: string, limit = 50): Promise<GitCommit[]> {
    assertSafeRef(fromSha, 'starting commit');
    assertSafeRef(toSha, 'target commit');
    const dir = await this.existingMirror(repoUrl);
    return this.log(repoUrl, dir, `${fromSha}..${toSha}`, limit);
  }

  /** How many commits `toSha` has that `fromSha` does not (`rev-list --count from..to`). */
  async countCommitsBetween(repoUrl: string, fromSha: string, toSha: string): Promise<number> {
    assertSafeRef(fromSha, 'starting commit');
    assertSafeRef(toSha, 'target commit');
    const dir = await this.existingMirror(repoUrl);
    const out = await this.read(repoUrl, dir, ['rev-list', '--count', '--end-of-options', `${fromSha}..${toSha}`], `count commits ${fromSha}..${toSha}`);
    return Number.parseInt(out.trim(), 10) || 0;
  }

  private async log(repoUrl: string, dir: string, range: string, limit: number): Promise<GitCommit[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UserError('The commit limit must be between 1 and 10000.');
    const out = await this.read(repoUrl, dir, ['log', '-z', `--format=${LOG_FORMAT}`, `--max-count=${limit}`, '--end-of-options', range, '--'], `list commits of ${range}`);
    return parseLog(out);
  }

  private async read(repoUrl: string, dir: string, args: string[], what: string): Promise<string> {
    try {
      return await this.git(repoUrl, dir, this.localTimeoutMs).raw(args);
    } catch (err) {
      throw this.wrap(err, repoUrl, what);
    }
  }

  private async existingMirror(repoUrl: string): Promise<string> {
    assertSafeRepoUrl(repoUrl);
    const dir = this.mirrorPath(repoUrl);
    if (existsSync(join(dir, 'HEAD')) && !this.inFlight.has(repoUrl)) return dir;
    return (await this.ensureMirror(repoUrl)).dir;
  }

  private async cloneOrFetch(repoUrl: string): Promise<MirrorResult> {
    const dir = this.mirrorPath(repoUrl);
    if (existsSync(join(dir, 'HEAD'))) {
      try {
        await this.git(repoUrl, dir, this.networkTimeoutMs).raw(['fetch', '--prune', '--tags', '--quiet', 'origin']);
      } catch (err) {
        throw this.wrap(err, repoUrl, 'fetch');
      }
      return { dir, cloned: false };
    }
    // Clone next to the final place and rename: a crash mid-clone never leaves a half mirror
    // that later calls would mistake for a good one.
    await mkdir(this.mirrorsDir, { recursive: true });
    const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await this.git(repoUrl, this.mirrorsDir, this.networkTimeoutMs).raw(['clone', '--mirror', '--quiet', '--', repoUrl, tmp]);
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw this.wrap(err, repoUrl, 'clone');
    }
    return { dir, cloned: true };
  }

  private git(repoUrl: string, baseDir: string, timeoutMs: number): SimpleGit {
    return simpleGit({
      baseDir,
      timeout: { block: timeoutMs },
      // simple-git strips GIT_* variables unless allowed; these two only make git safer.
      allowEnvironment: ['GIT_TERMINAL_PROMPT', 'GIT_REDACT_COOKIES'],
      // Treat every non-zero exit as an error (simple-git ignores one with empty stderr).
      errors: (error, result) => {
        if (result.exitCode === 0) return undefined;
        const stderr = Buffer.concat(result.stdErr).toString('utf8');
        return new GitExitError(result.exitCode, stderr || (error instanceof Error ? error.message : ''));
      },
    }).env({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...(process.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK } : {}),
      // Never wait for a password on a terminal nobody watches; fail instead.
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      // Keep the redactor's job small: credentials stay out of the message in the first place.
      GIT_REDACT_COOKIES: '1',
    });
  }

  private wrap(err: unknown, repoUrl: string, what: string): Error {
    if (err instanceof UserError || err instanceof OperationalError) return err;
    const redactor = redactorForUrl(repoUrl, this.redactor);
    const message = redactor.redact(err instanceof Error ? err.message : String(err)).trim();
    const lastLines = message.split('\n').slice(-5).join('\n');
    return new OperationalError(`git ${what} failed for ${displayUrl(repoUrl)}: ${lastLines}`, {
      transient: TRANSIENT_GIT.test(message),
    });
  }
}
