import { posix } from 'node:path';
import { OperationalError } from '../../errors.js';
import { isReleaseId } from './release-id.js';
import { remoteCommand, shq } from '../ssh/remote-quote.js';
import type { SshConnection } from '../ssh/ssh.js';

/**
 * The layout on every server, Capistrano-style:
 *
 *   <deployPath>/releases/<release-id>/   one directory per release, complete before it is used
 *   <deployPath>/releases/.<id>.partial/  an upload in progress (never served)
 *   <deployPath>/current -> releases/<id> the live release, switched by an atomic rename
 *
 * All remote commands are built with remoteCommand, which quotes every value.
 */
const LAYOUT_TIMEOUT_MS = 60_000;

export const releasesDir = (deployPath: string) => posix.join(deployPath, 'releases');
export const releaseDir = (deployPath: string, id: string) => posix.join(deployPath, 'releases', id);
export const partialDir = (deployPath: string, id: string) => posix.join(deployPath, 'releases', `.${id}.partial`);
export const currentLink = (deployPath: string) => posix.join(deployPath, 'current');

export interface HostLayoutState {
  /** Release id `current` points at, or null (first deploy, or a link we did not make). */
  current: string | null;
  /** Release ids present on the server, oldest first. */
  releases: string[];
}

async function run(conn: SshConnection, command: string, what: string, signal?: AbortSignal): Promise<string> {
  const result = await conn.exec(command, { timeoutMs: LAYOUT_TIMEOUT_MS, signal });
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new OperationalError(`${what} failed on the server (exit ${result.exitCode ?? result.signal})${detail ? `: ${detail}` : ''}`);
  }
  return result.stdout;
}

/** Parses `readlink current` output into a release id. */
export function releaseFromLink(target: string): string | null {
  const trimmed = target.trim();
  if (!trimmed) return null;
  const name = posix.basename(trimmed);
  return isReleaseId(name) ? name : null;
}

/**
 * Leftovers of interrupted runs (kill -9, a dropped link): `.partial` uploads and the temporary
 * links of a switch. Only one task of a project runs at a time and no two projects share a path,
 * so none of them can belong to a run in progress. The globs are fixed text, the path is quoted.
 */
export function clearLeftoversCommand(deployPath: string): string {
  return `rm -rf -- ${shq(releasesDir(deployPath))}/.*.partial ${shq(deployPath)}/.current.*.tmp`;
}

/**
 * One round trip before an upload: make sure releases/ exists, clear leftovers of interrupted
 * runs (see clearLeftoversCommand), and report where `current` points and which releases exist.
 */
export async function prepareHost(conn: SshConnection, deployPath: string, releaseId: string | null, signal?: AbortSignal): Promise<HostLayoutState> {
  const marker = '--deploybot-releases--';
  const clearPartial = releaseId ? `${clearLeftoversCommand(deployPath)} && ` : '';
  const out = await run(
    conn,
    remoteCommand`mkdir -p -- ${releasesDir(deployPath)} && ` +
      clearPartial +
      remoteCommand`{ readlink -- ${currentLink(deployPath)} || true; } && echo ${marker} && ls -1 -- ${releasesDir(deployPath)}`,
    'preparing the release directory',
    signal,
  );
  const [linkPart = '', listPart = ''] = out.split(`${marker}\n`);
  const releases = listPart
    .split('\n')
    .map((l) => l.trim())
    .filter(isReleaseId)
    .sort();
  return { current: releaseFromLink(linkPart), releases };
}

/** Reads where `current` points, without changing anything (crash recovery, rollback planning). */
export async function readCurrent(conn: SshConnection, deployPath: string, signal?: AbortSignal): Promise<string | null> {
  const out = await run(conn, remoteCommand`readlink -- ${currentLink(deployPath)} || true`, 'reading the current release', signal);
  return releaseFromLink(out);
}

/**
 * Points `current` at a release atomically: a new symlink is made beside it and renamed over it
 * (rename(2) is atomic), so there is no instant at which `current` is missing or half-made.
 * Never `rm current && ln -s`. The link is relative, so the tree can be moved or mounted elsewhere.
 */
export async function switchCurrent(conn: SshConnection, deployPath: string, releaseId: string, signal?: AbortSignal): Promise<void> {
  const target = posix.join('releases', releaseId);
  const tmp = posix.join(deployPath, `.current.${releaseId}.tmp`);
  await run(
    conn,
    remoteCommand`test -d ${releaseDir(deployPath, releaseId)} && ln -sfn -- ${target} ${tmp} && mv -Tf -- ${tmp} ${currentLink(deployPath)}`,
    `switching current to ${releaseId}`,
    signal,
  );
}

/** Removes release directories (never called with the live one; see planCleanup). */
export async function removeReleases(conn: SshConnection, deployPath: string, releaseIds: readonly string[], signal?: AbortSignal): Promise<void> {
  const paths = releaseIds.filter(isReleaseId).map((id) => releaseDir(deployPath, id));
  if (paths.length === 0) return;
  await run(conn, remoteCommand`rm -rf -- ${paths}`, 'removing old releases', signal);
}

/** Removes an upload that will never be switched to (a failed or cancelled task). */
export async function discardUpload(conn: SshConnection, deployPath: string, releaseId: string): Promise<void> {
  await run(conn, remoteCommand`rm -rf -- ${partialDir(deployPath, releaseId)} ${releaseDir(deployPath, releaseId)}`, 'discarding the upload');
}

/**
 * Which releases to delete: all but the `keep` newest, never the live one nor the one a rollback
 * would return to (which may be older than the newest `keep` if someone rolled back before).
 */
export function planCleanup(releases: readonly string[], keep: number, protect: readonly (string | null)[]): string[] {
  const sorted = [...new Set(releases.filter(isReleaseId))].sort();
  const kept = new Set(sorted.slice(Math.max(0, sorted.length - keep)));
  for (const p of protect) if (p) kept.add(p);
  return sorted.filter((r) => !kept.has(r));
}
