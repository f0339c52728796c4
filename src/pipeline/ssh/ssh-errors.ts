import { OperationalError } from '../../errors.js';
import type { TextRedactor } from '../exec/output-capture.js';
import { formatDuration } from '../exec/command-errors.js';
import type { SshTarget } from './ssh-types.js';

/** Socket-level failures that usually heal by themselves: worth a retry (convention 6). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EAI_AGAIN',
]);

type Ssh2Error = Error & { level?: string; code?: string };

function describeTarget(target: SshTarget): string {
  return `${target.name} (${target.username}@${target.host}:${target.port})`;
}

function authHint(target: SshTarget): string {
  switch (target.auth.kind) {
    case 'key':
      return 'the server did not accept the private key; check that its public key is in authorized_keys for that user';
    case 'password':
      return 'the server did not accept the password (or password login is disabled on it)';
    case 'agent':
      return 'none of the keys in the ssh-agent was accepted';
  }
}

/**
 * Turns whatever ssh2 threw or emitted while connecting into an OperationalError with a message
 * a user can act on. Every message goes through the connection's redactor, which knows the
 * password, key and passphrase, so no secret survives even if a library echoed one.
 */
export function classifyConnectError(
  raw: unknown,
  target: SshTarget,
  connectTimeoutMs: number,
  redactor: TextRedactor,
): OperationalError {
  const err = (raw instanceof Error ? raw : new Error(String(raw))) as Ssh2Error;
  const where = describeTarget(target);
  const detail = redactor.redact(err.message);
  // Keep the original for logs, but only through a redacted copy.
  const cause = new Error(detail);
  const make = (message: string, transient: boolean) => new OperationalError(redactor.redact(message), { cause, transient });

  if (err.level === 'client-authentication') {
    return make(`SSH login to ${where} failed: ${authHint(target)}.`, false);
  }
  if (err.level === 'client-timeout') {
    return make(`timed out after ${formatDuration(connectTimeoutMs)} connecting to ${where}: ${detail}`, true);
  }
  if (err.code === 'ECONNREFUSED') {
    // A refusal is an answer, not a hiccup: nothing accepts connections on that port.
    const address = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    return make(
      `nothing listens on ${address} (connection refused) for ${target.name}: start sshd there (without systemd: \`mkdir -p /run/sshd && /usr/sbin/sshd\`), or fix the port with \`server edit ${target.name} port=<n>\`.`,
      false,
    );
  }
  if (err.code === 'ENOTFOUND' || err.level === 'client-dns') {
    return make(`cannot resolve the host name of ${where}: check the server's host`, false);
  }
  if (err.code && TRANSIENT_CODES.has(err.code)) {
    return make(`network error talking to ${where}: ${detail}`, true);
  }
  if (err.level === 'agent') {
    return make(`ssh-agent could not be used for ${where}: ${detail}`, false);
  }
  if (/no passphrase given/i.test(err.message)) {
    return make(`the private key for ${target.name} is protected by a passphrase deploybot was not given: give the key again with \`server edit ${target.name} key=<path>\` in the deploybot shell, which asks for the passphrase (hidden), or use the form`, false);
  }
  if (/privateKey|private key|passphrase|decrypt/i.test(err.message)) {
    return make(`the private key for ${target.name} cannot be used: ${detail}`, false);
  }
  if (err.level === 'client-socket') {
    return make(`network error talking to ${where}: ${detail}`, true);
  }
  return make(`SSH connection to ${where} failed: ${detail}`, false);
}

/** The connection died under a running command: a retry on a fresh connection may well work. */
export function connectionLostError(target: SshTarget, cause: unknown, redactor: TextRedactor): OperationalError {
  const detail = cause instanceof Error ? `: ${redactor.redact(cause.message)}` : '';
  return new OperationalError(`lost the SSH connection to ${describeTarget(target)}${detail}`, { transient: true });
}
