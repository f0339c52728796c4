import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

export type PrivateKeyState = 'ok' | 'needs-passphrase' | 'wrong-passphrase' | 'unreadable' | 'invalid';

/**
 * Whether a private key can be used as given: parsed the way the SSH client will parse it, so an
 * encrypted key is found when it is added, not at the first `server check` or deploy.
 */
export function privateKeyState(text: string, passphrase?: string): PrivateKeyState {
  const parsed = ssh2.utils.parseKey(text, passphrase);
  if (!(parsed instanceof Error)) return 'ok';
  if (/no passphrase given/i.test(parsed.message)) return 'needs-passphrase';
  if (/bad passphrase|integrity check failed|decrypt/i.test(parsed.message)) return passphrase ? 'wrong-passphrase' : 'needs-passphrase';
  return 'invalid';
}

/** The same, for a key file on this host; `unreadable` when it cannot be read (the service explains why). */
export function privateKeyFileState(path: string, passphrase?: string): PrivateKeyState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 'unreadable';
  }
  return privateKeyState(text, passphrase);
}
