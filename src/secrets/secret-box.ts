import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Encrypts stored secrets (server private keys, passphrases, passwords) with AES-256-GCM.
 *
 * Stored form: `v1:<iv>:<tag>:<ciphertext>` (base64url). GCM authenticates, so a value tampered
 * with in the database, or read with the wrong key, fails loudly instead of yielding garbage.
 */
const VERSION = 'v1';
const IV_BYTES = 12;

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('secret key must be 32 bytes');
    return new SecretBox(key);
  }

  /**
   * DEPLOYBOT_SECRET_KEY may be 64 hex characters or base64 of 32 bytes (used as is), or any other
   * string of 32+ characters (stretched with scrypt, so a passphrase works too).
   */
  static fromConfigValue(value: string): SecretBox {
    if (/^[0-9a-f]{64}$/i.test(value)) return new SecretBox(Buffer.from(value, 'hex'));
    const b64 = Buffer.from(value, 'base64');
    if (b64.length === 32 && /^[A-Za-z0-9+/]{43}=?$/.test(value)) return new SecretBox(b64);
    return new SecretBox(scryptSync(value, 'deploybot-secret-key', 32));
  }

  /** Reads `<dataDir>/secret.key`, creating it (mode 0600) with a fresh random key on first run. */
  static fromDataDir(dataDir: string): SecretBox {
    const file = join(dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    }
    chmodSync(file, 0o600);
    return SecretBox.fromConfigValue(readFileSync(file, 'utf8').trim());
  }

  /** Short, non-reversible identifier of the key, to tell an operator which key a database expects. */
  get keyId(): string {
    return createHash('sha256').update(this.key).digest('hex').slice(0, 12);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
  }

  decrypt(stored: string): string {
    const [version, iv, tag, ct] = stored.split(':');
    if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('stored secret has an unknown format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // Never echo the ciphertext or key; say what to check.
      throw new Error('a stored secret cannot be decrypted: DEPLOYBOT_SECRET_KEY (or data/secret.key) is not the key this database was written with');
    }
  }
}
