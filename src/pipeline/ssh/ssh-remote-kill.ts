import { randomBytes } from 'node:crypto';

/**
 * Stopping a remote command that outlived its timeout (or was cancelled).
 *
 * SSH's "signal" channel request is the proper way, and we send it, but OpenSSH ignores it for
 * root logins ("session signalling requires privilege separation": root sessions run in the
 * monitor process) and for forced commands. Closing the channel does not help either: without a
 * pty, sshd keeps the session until the process exits by itself.
 *
 * So every command carries a unique marker in its environment, inherited by everything it
 * starts, and stopping it means one more command that kills every process with that marker
 * (Linux /proc; on other systems the sweep finds nothing and the signal is all we have).
 */
const TAG_NAME = 'DEPLOYBOT_EXEC_ID';

export function newExecId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The command as sent: the marker is exported first, on its own line, so the user's command
 * still runs in the same login shell, unchanged. The id is hex: no quoting needed.
 */
export function tagCommand(command: string, execId: string): string {
  return `export ${TAG_NAME}=${execId}\n${command}`;
}

/** A POSIX-sh command that SIGKILLs every process carrying the marker. Always exits 0. */
export function killTaggedCommand(execId: string): string {
  if (!/^[0-9a-f]+$/.test(execId)) throw new TypeError('exec id must be hex');
  return (
    `for d in /proc/[0-9]*; do ` +
    `if tr '\\0' '\\n' 2>/dev/null < "$d/environ" | grep -qx '${TAG_NAME}=${execId}'; then kill -9 "\${d#/proc/}" 2>/dev/null; fi; ` +
    `done; true`
  );
}
