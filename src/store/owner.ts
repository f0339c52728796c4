import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** What kind of process owns a task: the long-running bot, an interactive shell, or a one-shot command. */
export type OwnerKind = 'bot' | 'shell' | 'cli';

/**
 * A process's identity as a task owner: `bot@web-1:4242#9f3a1c2e`. The random part makes it unique
 * even when a pid is reused after a crash, so a restarted process never mistakes an old lease for
 * its own. It is the fencing token: only writes that name it can change a task it owns.
 */
export function newOwnerId(kind: OwnerKind): string {
  return `${kind}@${hostname()}:${process.pid}#${randomBytes(4).toString('hex')}`;
}

/** `bot on web-1 (pid 4242)`, for people. */
export function describeOwner(ownerId: string | null | undefined): string {
  const m = /^(\w+)@(.*):(\d+)#/.exec(ownerId ?? '');
  if (!m) return 'another process';
  const what = m[1] === 'cli' ? 'a one-shot command' : m[1] === 'shell' ? 'a shell' : 'a bot';
  return `${what} on ${m[2]} (pid ${m[3]})`;
}
