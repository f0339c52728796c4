import { UserError } from '../../errors.js';
import { Redactor } from '../../redact.js';
import { runLocalUnchecked } from '../exec/local-exec.js';
import { assertSafeRef } from './git-refs.js';
import { assertSafeRepoUrl, displayUrl, redactorForUrl } from './git-url.js';

export interface RemoteCheck {
  /** The branch the remote's HEAD points at (its default branch), when it says. */
  headBranch: string | null;
  /** Whether `branch` exists there. */
  hasBranch: boolean;
}

/**
 * Asks the remote whether it exists and has `branch` (`git ls-remote`, nothing downloaded), so
 * `project add` refuses a wrong URL or branch at once instead of at the first `refs` or deploy.
 * Any failure to read the repository is the user's to fix (URL, access): a UserError that keeps
 * git's own last words, credentials masked.
 */
export async function checkRemote(repoUrl: string, branch: string, options: { timeoutMs?: number; redactor?: Redactor } = {}): Promise<RemoteCheck> {
  assertSafeRepoUrl(repoUrl);
  assertSafeRef(branch, 'branch');
  const redactor = redactorForUrl(repoUrl, options.redactor ?? new Redactor());
  const result = await runLocalUnchecked({
    cmd: 'git',
    args: ['ls-remote', '--symref', '--', repoUrl, 'HEAD', `refs/heads/${branch}`],
    // Never wait for a password nobody will type; ssh must not ask about host keys either.
    env: { GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes', LC_ALL: 'C' },
    timeoutMs: options.timeoutMs ?? 30_000,
    redactor,
  });
  if (result.exitCode !== 0) {
    // git's first "fatal:" names the cause; its closing advice is generic.
    const lines = redactor.redact(result.stderr).split('\n').map((l) => l.trim()).filter(Boolean);
    const why = (lines.find((l) => /^(fatal|error|ERROR):/.test(l)) ?? lines[lines.length - 1] ?? '').replace(/^(fatal|error|ERROR): /, '').replace(/\.+$/, '');
    throw new UserError(
      `Cannot read the repository ${displayUrl(repoUrl)}${why ? `: ${why}` : result.signal ? ' (no answer in time)' : ''}. ` +
        'Check the URL and that this machine can reach it with its credentials; add `offline` to save it without checking.',
      { repoUrl: 'cannot read this repository' },
    );
  }
  const lines = result.stdout.split('\n');
  const head = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(result.stdout);
  return { headBranch: head?.[1] ?? null, hasBranch: lines.some((l) => l.endsWith(`\trefs/heads/${branch}`)) };
}
