import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { tempDir } from '../support/temp-dir.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

describe('SecretBox', () => {
  it('round-trips and never stores the plaintext', () => {
    const box = SecretBox.fromConfigValue('a'.repeat(64));
    const stored = box.encrypt('hunter2-password');
    expect(stored).not.toContain('hunter2');
    expect(box.decrypt(stored)).toBe('hunter2-password');
    expect(box.encrypt('same')).not.toBe(box.encrypt('same')); // fresh IV each time
  });

  it('refuses a value written with another key, without echoing anything secret', () => {
    const stored = SecretBox.fromConfigValue('a'.repeat(64)).encrypt('top-secret');
    const other = SecretBox.fromConfigValue('b'.repeat(64));
    expect(() => other.decrypt(stored)).toThrow(/DEPLOYBOT_SECRET_KEY/);
  });

  it('detects tampering', () => {
    const box = SecretBox.fromConfigValue('a passphrase that is long enough to use');
    const [v, iv, tag, ct] = box.encrypt('value').split(':');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64url')].join(':'))).toThrow();
  });

  it('generates a key file with mode 0600 on first run and reuses it', () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = SecretBox.fromDataDir(dir.path);
    expect(statSync(join(dir.path, 'secret.key')).mode & 0o777).toBe(0o600);
    const second = SecretBox.fromDataDir(dir.path);
    expect(second.keyId).toBe(first.keyId);
    expect(second.decrypt(first.encrypt('x1234'))).toBe('x1234');
  });
});
