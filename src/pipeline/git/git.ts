import { checkRemote, type RemoteCheck } from './remote-check.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { OperationalError, UserError } from '../../errors.js';
import { Redactor } from '../../redact.js';
import { FULL_SHA, assertReviewedRef, assertSafeRef, isHexSha, ONLY_REVIEWED, REVIEWED_REFSPECS } from './git-refs.js';
import { BRANCH_FORMAT, LOG_FORMAT, TAG_FORMAT, parseBranches, parseLog, parseTags, type GitCommit, type GitRef } from './git-log.js';
import { assertSafeRepoUrl, displayUrl, isMaskedUrl, maskUrlCredentials, redactorForUrl, urlCredentials } from './git-url.js';
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
  /**
   * The real URL behind a shown one whose credentials are masked (`https://user:***@host/…`): the
   * application stores those encrypted, and only this class ever holds them in clear.
   */
  credentials?: (shownUrl: string) => Promise<string | undefined>;
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
  /** Mirrors whose refspecs were checked in this process. */
  private readonly narrowed = new Set<string>();
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
    this.credentials = options.credentials;
  }

  private readonly credentials?: (shownUrl: string) => Promise<string | undefined>;

  /** The URL git must use: the real one behind a masked URL; its credentials join the redactor. */
  private async realUrl(repoUrl: string): Promise<string> {
    if (!isMaskedUrl(repoUrl)) return repoUrl;
    const real = await this.credentials?.(repoUrl);
    if (!real) throw new UserError(`The credentials of ${displayUrl(repoUrl)} are not known here: set the repository URL again with \`project edit <name> repo=<url>\`.`);
    // Logs, hook output and errors are masked of them from now on.
    for (const secret of urlCredentials(real)) this.redactor.add(secret);
    return real;
  }

  /**
   * Asks the repository (ls-remote) whether it answers and has `branch`, with the real URL behind
   * a masked one: editing a project whose URL carries a token checks with that token, which never
   * leaves this class.
   */
  async checkRemote(repoUrl: string, branch: string): Promise<RemoteCheck> {
    return checkRemote(await this.realUrl(repoUrl), branch, { redactor: this.redactor });
  }

  get mirrorsDir(): string {
    return join(this.dataDir, 'mirrors');
  }

  /** One mirror per repository, named after its shown URL: a new token does not mean a new mirror. */
  mirrorPath(repoUrl: string): string {
    return join(this.mirrorsDir, `${createHash('sha1').update(maskUrlCredentials(repoUrl)).digest('hex')}.git`);
  }

  /** Clones the mirror (branches and tags only) if missing, otherwise fetches them, pruning what is gone. */
  ensureMirror(repoUrl: string): Promise<MirrorResult> {
    try {
      assertSafeRepoUrl(repoUrl);
    } catch (err) {
      return Promise.reject(err);
    }
    const pending = this.inFlight.get(repoUrl);
    if (pending) return pending;
    const run = this.realUrl(repoUrl).then((real) => this.cloneOrFetch(real)).finally(() => this.inFlight.delete(repoUrl));
    this.inFlight.set(repoUrl, run);
    return run;
  }

  /** The full 40-hex commit id a branch, tag (peeled) or (short) sha points to. */
  async resolveRef(repoUrl: string, ref: string): Promise<string> {
    assertSafeRef(ref);
    assertReviewedRef(ref);
    const dir = await this.existingMirror(repoUrl);
    let sha: string | undefined;
    try {
      const out = await this.git(repoUrl, dir, this.localTimeoutMs).raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
      if (FULL_SHA.test(out.trim())) sha = out.trim();
    } catch (err) {
      if (!(err instanceof GitExitError && err.exitCode === 1)) throw this.wrap(err, repoUrl, `resolve ${ref}`);
    }
    if (!sha) throw new UserError(`There is no branch, tag or commit "${ref}" in ${displayUrl(repoUrl)}. ${ONLY_REVIEWED}`);
    // A commit id may name an object left behind by something no branch or tag holds (a force-push,
    // a pull request fetched before refspecs were narrowed): only commits on branches and tags ship.
    if (isHexSha(ref)) {
      const holders = await this.read(repoUrl, dir, ['for-each-ref', '--count=1', '--format=%(refname)', `--contains=${sha}`, 'refs/heads/', 'refs/tags/'], `find a branch or tag holding ${ref}`);
      if (!holders.trim()) throw new UserError(`Commit ${ref} is not on any branch or tag of ${displayUrl(repoUrl)}, so it cannot be deployed. ${ONLY_REVIEWED}`);
    }
    return sha;
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
    if (existsSync(join(dir, 'HEAD')) && !this.inFlight.has(repoUrl)) {
      await this.narrowRefspecs(repoUrl, dir);
      return dir;
    }
    return (await this.ensureMirror(repoUrl)).dir;
  }

  /**
   * A mirror made by an older version (`clone --mirror`) fetches every ref, `refs/pull/*` included:
   * set its refspecs to branches and tags and delete every other ref it holds. Checked once per
   * mirror and process (one `git config` read).
   */
  private async narrowRefspecs(repoUrl: string, dir: string): Promise<void> {
    if (this.narrowed.has(dir)) return;
    const git = this.git(repoUrl, dir, this.localTimeoutMs);
    const current = await git.raw(['config', '--get-all', 'remote.origin.fetch']).catch(() => '');
    const mirror = await git.raw(['config', '--get', 'remote.origin.mirror']).catch(() => '');
    if (current.trim().split('\n').join(' ') !== REVIEWED_REFSPECS.join(' ') || mirror.trim()) {
      try {
        await git.raw(['config', '--unset-all', 'remote.origin.fetch']).catch(() => '');
        await git.raw(['config', '--unset-all', 'remote.origin.mirror']).catch(() => '');
        for (const spec of REVIEWED_REFSPECS) await git.raw(['config', '--add', 'remote.origin.fetch', spec]);
        const refs = (await git.raw(['for-each-ref', '--format=%(refname)'])).split('\n').filter(Boolean);
        const foreign = refs.filter((r) => !r.startsWith('refs/heads/') && !r.startsWith('refs/tags/'));
        if (foreign.length) await runLocal({ cmd: 'git', args: ['--git-dir', dir, 'update-ref', '--stdin'], input: foreign.map((r) => `delete ${r}\n`).join(''), timeoutMs: this.localTimeoutMs, redactor: redactorForUrl(repoUrl, this.redactor) });
      } catch (err) {
        throw this.wrap(err, repoUrl, 'narrow the mirror to branches and tags');
      }
    }
    this.narrowed.add(dir);
  }

  private async cloneOrFetch(repoUrl: string): Promise<MirrorResult> {
    const dir = this.mirrorPath(repoUrl);
    if (existsSync(join(dir, 'HEAD'))) {
      await this.narrowRefspecs(repoUrl, dir);
      try {
        // The token may have changed since the clone (project edit): fetch with the current one.
        const configured = (await this.git(repoUrl, dir, this.localTimeoutMs).raw(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
        if (configured !== repoUrl) await this.git(repoUrl, dir, this.localTimeoutMs).raw(['config', 'remote.origin.url', repoUrl]);
        await this.git(repoUrl, dir, this.networkTimeoutMs).raw(['fetch', '--prune', '--prune-tags', '--quiet', 'origin']);
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
      // `--bare`, not `--mirror`: a mirror would fetch every ref the server has, pull requests
      // (refs/pull/*, refs/merge-requests/*) included, and unreviewed code would be deployable.
      await this.git(repoUrl, this.mirrorsDir, this.networkTimeoutMs).raw(['clone', '--bare', '--quiet', '--', repoUrl, tmp]);
      for (const spec of REVIEWED_REFSPECS) await this.git(repoUrl, tmp, this.localTimeoutMs).raw(['config', '--add', 'remote.origin.fetch', spec]);
      await rename(tmp, dir);
      this.narrowed.add(dir);
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
