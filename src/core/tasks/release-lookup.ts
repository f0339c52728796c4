import type { EntityManager } from '@mikro-orm/core';
import { DeployTask, Release, type Project } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';

/**
 * Release directories by what people remember them as. A release id
 * (`20261202024636-1-96c36d0`) is what the servers know; people know the tag they deployed
 * (`v1.0.0`), the commit, or the task number. Everything here reads the database only: what a tag
 * points at in git is the caller's (`resolveCommit`), so core never runs git.
 */

/** One release directory of a project, with where it is and what it was deployed from. */
export interface ReleaseEntry {
  releaseId: string;
  commit: string;
  /** The ref its deploy was asked for (`v1.0.0`, `main`); null when recorded by recovery. */
  ref: string | null;
  taskId: number | null;
  createdAt: Date;
  /** Servers that have it, and those whose `current` points at it. */
  servers: string[];
  currentOn: string[];
}

/** The release directories recorded on the project's servers, newest first. */
export async function projectReleases(em: EntityManager, project: Project): Promise<ReleaseEntry[]> {
  const rows = await em.find(Release, { project }, { populate: ['server'], orderBy: { createdAt: 'desc', id: 'desc' } });
  const refs = await releaseRefs(em, rows.map((r) => r.releaseId), rows.map((r) => r.taskId ?? null));
  const byId = new Map<string, ReleaseEntry>();
  for (const r of rows) {
    const entry = byId.get(r.releaseId) ?? { releaseId: r.releaseId, commit: r.commit, ref: refs.get(r.releaseId) ?? null, taskId: r.taskId ?? taskOfReleaseId(r.releaseId), createdAt: r.createdAt, servers: [], currentOn: [] };
    entry.servers.push(r.server.name);
    if (r.isCurrent) entry.currentOn.push(r.server.name);
    byId.set(r.releaseId, entry);
  }
  for (const e of byId.values()) {
    e.servers.sort();
    e.currentOn.sort();
  }
  return [...byId.values()].sort((a, b) => b.releaseId.localeCompare(a.releaseId));
}

/** `<UTC time>-<task>-<commit>`: the deploy task that made a release is part of its name. */
function taskOfReleaseId(releaseId: string): number | null {
  const m = /^\d{14}-(\d+)-[0-9a-f]{7,40}$/.exec(releaseId);
  return m ? Number(m[1]) : null;
}

/** releaseId → the ref its deploy was asked for, for showing `20261202…-1-96c36d0 (v1.0.0)`. */
export async function releaseRefs(em: EntityManager, releaseIds: readonly (string | null | undefined)[], taskIds: readonly (number | null)[] = []): Promise<Map<string, string>> {
  const ids = releaseIds.filter((r): r is string => Boolean(r));
  const wanted = new Map<string, number>();
  ids.forEach((id, i) => {
    const task = taskIds[i] ?? taskOfReleaseId(id);
    if (task !== null) wanted.set(id, task);
  });
  if (wanted.size === 0) return new Map();
  const tasks = await em.find(DeployTask, { id: { $in: [...new Set(wanted.values())] }, kind: 'deploy' }, { fields: ['id', 'ref'] });
  const refOf = new Map(tasks.map((t) => [t.id, t.ref]));
  const out = new Map<string, string>();
  for (const [release, task] of wanted) {
    const ref = refOf.get(task);
    if (ref) out.set(release, ref);
  }
  return out;
}

/** `release (ref)` when the ref is known: the one way ids are shown beside what people typed. */
export function withRef(releaseId: string, refs: ReadonlyMap<string, string>): string {
  const ref = refs.get(releaseId);
  return ref ? `${releaseId} (${ref})` : releaseId;
}

/**
 * The release directory a rollback to `what` means: a release id as is; a task number (`12`,
 * `#12`) the release that deploy made (or a rollback went to); a tag or branch the newest release
 * deployed from that ref or from the commit it names now; a commit (prefix) the newest release of
 * that commit. Among several, the newest one every server has wins, so "v1.0.0" means the v1.0.0
 * the fleet can go back to.
 */
export async function resolveReleaseName(
  em: EntityManager,
  project: Project,
  what: string,
  resolveCommit: (ref: string) => Promise<string | null> = async () => null,
): Promise<string> {
  const word = what.trim();
  const releases = await projectReleases(em, project);
  const serverCount = project.servers.isInitialized() ? project.servers.length : 0;
  const pick = (found: ReleaseEntry[]): string | undefined => {
    if (found.length === 0) return undefined;
    const everywhere = found.filter((r) => r.servers.length >= serverCount);
    const notLive = (everywhere.length ? everywhere : found).filter((r) => r.currentOn.length < serverCount);
    return (notLive[0] ?? everywhere[0] ?? found[0])!.releaseId;
  };

  if (releases.some((r) => r.releaseId === word)) return word;

  const task = /^#?(\d{1,9})$/.exec(word);
  if (task) {
    const t = await em.findOne(DeployTask, { id: Number(task[1]), project }, { fields: ['id', 'kind', 'releaseId', 'targetRelease', 'status'] });
    const release = t ? (t.kind === 'rollback' ? t.targetRelease : t.releaseId) : null;
    if (!t) throw new UserError(`There is no task #${task[1]} of ${project.name}: see \`tasks ${project.name}\`.`);
    if (!release || !releases.some((r) => r.releaseId === release)) {
      throw new UserError(`Task #${t.id} left no release of ${project.name} on its servers (it ${t.status === 'success' ? 'was cleaned up since' : `is ${t.status}`}): see \`releases ${project.name}\`.`);
    }
    return release;
  }

  const byRef = pick(releases.filter((r) => r.ref === word));
  if (byRef) return byRef;
  if (/^[0-9a-f]{4,40}$/i.test(word)) {
    const byCommit = pick(releases.filter((r) => r.commit.startsWith(word.toLowerCase())));
    if (byCommit) return byCommit;
  }
  const commit = await resolveCommit(word).catch(() => null);
  const byResolved = commit ? pick(releases.filter((r) => r.commit === commit)) : undefined;
  if (byResolved) return byResolved;

  throw new UserError(
    `No release of ${project.name} on its servers matches \`${word}\`${commit ? ` (commit ${commit.slice(0, 7)})` : ''}: give a release id, a task number, or a tag, branch or commit that was deployed. See \`releases ${project.name}\`.`,
  );
}
