import { UserError } from '../errors.js';
import { checkRemote } from '../pipeline/git/remote-check.js';
import { displayUrl } from '../pipeline/git/git-url.js';

/**
 * `project add` / `project edit` check that the repository answers and has the default branch,
 * before anything is saved (`offline` skips this). When no branch was given and the repository's
 * default branch is not `main`, that branch is taken: `master` repositories just work.
 * Returns the branch to save.
 */
export async function verifyProjectRepository(repoUrl: string, branch: string, branchGiven: boolean): Promise<string> {
  const remote = await checkRemote(repoUrl, branch);
  if (remote.hasBranch) return branch;
  if (!branchGiven && remote.headBranch) return remote.headBranch;
  const known = remote.headBranch ? ` (its default branch is \`${remote.headBranch}\`)` : ' (it has no branches yet)';
  throw new UserError(
    `${displayUrl(repoUrl)} has no branch \`${branch}\`${known}: give one it has with \`branch=<name>\`, or add \`offline\` to save it anyway.`,
    { defaultBranch: `no branch ${branch} in the repository` },
  );
}
