import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLocal } from '../../src/pipeline/exec/local-exec.js';
import { makeScratchDir } from './scratch-dirs.js';

export interface TestKeyPair {
  /** OpenSSH private key text. */
  privateKey: string;
  /** One authorized_keys line. */
  publicKey: string;
  privateKeyPath: string;
  passphrase?: string;
}

/**
 * A fresh key pair made by the real `ssh-keygen` (optionally passphrase-protected): ed25519, or
 * RSA 4096 (an OpenSSH private key of about 3,400 characters, past one Slack input).
 */
export async function generateKeyPair(options: { passphrase?: string; comment?: string; type?: 'ed25519' | 'rsa4096' } = {}): Promise<TestKeyPair> {
  const dir = makeScratchDir('deploybot-key-');
  const rsa = options.type === 'rsa4096';
  const path = join(dir, rsa ? 'id_rsa' : 'id_ed25519');
  await runLocal({
    cmd: 'ssh-keygen',
    args: ['-q', ...(rsa ? ['-t', 'rsa', '-b', '4096'] : ['-t', 'ed25519']), '-N', options.passphrase ?? '', '-C', options.comment ?? 'deploybot-test', '-f', path],
    timeoutMs: 15_000,
  });
  return {
    privateKey: readFileSync(path, 'utf8'),
    publicKey: readFileSync(`${path}.pub`, 'utf8').trim(),
    privateKeyPath: path,
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
  };
}

/** `SHA256:…` of a public key file, as `ssh-keygen -lf` prints it. */
export async function fingerprintOfPublicKeyFile(path: string): Promise<string> {
  const { stdout } = await runLocal({ cmd: 'ssh-keygen', args: ['-l', '-E', 'sha256', '-f', path], timeoutMs: 15_000 });
  const match = /SHA256:[A-Za-z0-9+/]+/.exec(stdout);
  if (!match) throw new Error(`unexpected ssh-keygen -l output: ${stdout}`);
  return match[0];
}
