import { createHash } from 'node:crypto';
import { OperationalError } from '../../errors.js';

/**
 * Host key fingerprints exactly as OpenSSH prints them (`ssh-keygen -lf`, the "The authenticity
 * of host…" prompt): `SHA256:` + unpadded base64 of the SHA-256 of the key's wire-format blob.
 * Using the same text lets an operator compare what deploybot pinned with what the server shows.
 */
export function sshFingerprint(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts a pasted fingerprint with or without the `SHA256:` prefix or base64 padding. */
export function normalizeFingerprint(fingerprint: string): string {
  const body = fingerprint.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}

export function fingerprintsMatch(pinned: string, observed: string): boolean {
  return normalizeFingerprint(pinned) === normalizeFingerprint(observed);
}

/**
 * The server presented a different host key than the one pinned for it. Never retried, never
 * accepted silently: either the server was rebuilt (re-pin it) or someone is in the middle.
 */
export class HostKeyMismatchError extends OperationalError {
  readonly code = 'HOST_KEY_MISMATCH';
  readonly serverName: string;
  readonly expected: string;
  readonly observed: string;

  constructor(serverName: string, expected: string, observed: string) {
    super(
      `host key changed for ${serverName}: expected ${normalizeFingerprint(expected)}, got ${observed}; ` +
        'if the server was rebuilt, re-pin it with `server check`',
      { transient: false },
    );
    this.serverName = serverName;
    this.expected = normalizeFingerprint(expected);
    this.observed = observed;
  }
}

/**
 * Builds the ssh2 `hostVerifier` (used with `hostHash` unset, so it receives the raw key) and
 * remembers what it saw, so the caller can pin it (trust on first use) or explain a refusal.
 */
export function hostKeyCheck(pinned: string | null | undefined): {
  verify: (rawKey: Buffer) => boolean;
  observed: () => string | null;
  /** The key itself (wire-format blob), for a known_hosts line that servers use between themselves. */
  observedKey: () => Buffer | null;
  refused: () => boolean;
} {
  let observed: string | null = null;
  let observedKey: Buffer | null = null;
  let refused = false;
  return {
    verify: (rawKey: Buffer) => {
      observed = sshFingerprint(rawKey);
      observedKey = Buffer.from(rawKey);
      if (pinned && !fingerprintsMatch(pinned, observed)) {
        refused = true;
        return false;
      }
      return true;
    },
    observed: () => observed,
    observedKey: () => observedKey,
    refused: () => refused,
  };
}

/**
 * The key's OpenSSH public-key text (`ssh-ed25519 AAAA…`), from its wire-format blob (a string
 * naming the type comes first). Written into known_hosts files so servers can verify each other
 * with the key the bot pinned, never by trust on first use.
 */
export function publicKeyLine(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + len).toString('latin1');
  if (!/^[a-z0-9@.-]+$/.test(type)) throw new OperationalError('unexpected host key type');
  return `${type} ${blob.toString('base64')}`;
}
