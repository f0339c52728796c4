import type { EntityManager } from '@mikro-orm/core';
import { Project, Release } from '../../db/entities/index.js';
import type { GitCommit, GitMirrors } from '../../pipeline/git/git.js';

/** What one group of servers (running the same commit) would get from a deploy. */
export interface ChangeGroup {
  servers: string[];
  /** The commit those servers run now; null when nothing was deployed there yet. */
  liveCommit: string | null;
  /** Commits the target adds (`ahead`), or the live commits it would take away (`behind`). */
  direction: 'ahead' | 'behind' | 'same' | 'first' | 'unknown';
  count: number;
  /** The first few of them, newest first. */
  commits: GitCommit[];
  compareUrl: string | null;
}

export interface ChangeSummary {
  targetCommit: string;
  groups: ChangeGroup[];
}

const SHOWN = 5;

/**
 * "What will change": for each distinct commit live on the project's servers, the commits between
 * it and the requested one. Servers that differ (a partial deploy) are listed apart.
 */
export async function summariseChanges(em: EntityManager, git: GitMirrors, projectName: string, targetCommit: string): Promise<ChangeSummary> {
  const project = await em.findOneOrFail(Project, { name: projectName }, { populate: ['servers'] });
  const live = await em.find(Release, { project, isCurrent: true }, { populate: ['server'] });
  const byCommit = new Map<string | null, string[]>();
  for (const server of project.servers.getItems().sort((a, b) => a.name.localeCompare(b.name))) {
    const commit = live.find((r) => r.server.id === server.id)?.commit || null;
    byCommit.set(commit, [...(byCommit.get(commit) ?? []), server.name]);
  }
  const groups: ChangeGroup[] = [];
  for (const [liveCommit, servers] of byCommit) {
    groups.push(await compare(git, project.repoUrl, liveCommit, targetCommit, servers));
  }
  return { targetCommit, groups };
}

async function compare(git: GitMirrors, repoUrl: string, liveCommit: string | null, target: string, servers: string[]): Promise<ChangeGroup> {
  const base = { servers, liveCommit, compareUrl: liveCommit ? compareUrl(repoUrl, liveCommit, target) : null };
  if (!liveCommit) return { ...base, direction: 'first', count: 0, commits: [] };
  if (liveCommit === target) return { ...base, direction: 'same', count: 0, commits: [] };
  try {
    const ahead = await git.countCommitsBetween(repoUrl, liveCommit, target);
    if (ahead > 0) return { ...base, direction: 'ahead', count: ahead, commits: await git.commitsBetween(repoUrl, liveCommit, target, SHOWN) };
    const behind = await git.countCommitsBetween(repoUrl, target, liveCommit);
    return { ...base, direction: 'behind', count: behind, commits: behind ? await git.commitsBetween(repoUrl, target, liveCommit, SHOWN) : [] };
  } catch {
    // The live commit may be gone from the repository (force-push): say so instead of failing the request.
    return { ...base, direction: 'unknown', count: 0, commits: [], compareUrl: null };
  }
}

/** A web link comparing two commits, for repositories on GitHub or GitLab (https or ssh URLs). */
export function compareUrl(repoUrl: string, from: string, to: string): string | null {
  const m =
    /^https:\/\/(?:[^@/]+@)?(github\.com|gitlab\.com)\/(.+?)(?:\.git)?\/?$/.exec(repoUrl) ??
    /^(?:ssh:\/\/)?git@(github\.com|gitlab\.com)[:/](.+?)(?:\.git)?$/.exec(repoUrl);
  if (!m) return null;
  const [, host, path] = m;
  return host === 'github.com' ? `https://github.com/${path}/compare/${from}...${to}` : `https://gitlab.com/${path}/-/compare/${from}...${to}`;
}
