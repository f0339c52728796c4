/**
 * Secret redaction shared by the logger, both exec seams and hook output capture.
 *
 * Two nets: exact secrets we know (tokens from config, a server's password, a decrypted key) and
 * shapes that are secrets whoever owns them (Slack tokens, PEM private keys, credentials in URLs),
 * so a hook that echoes a token it found elsewhere is still masked.
 */
const MASK = '[redacted]';

const SECRET_SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /\bxox[abposr]-[A-Za-z0-9-]{8,}/g,
  /\bxapp-[A-Za-z0-9-]{8,}/g,
  // user:password@ in URLs (https://user:pw@host, postgres://u:pw@h)
  /(?<=\/\/[^/\s:@]+:)[^@\s/]+(?=@)/g,
];

// A secret shorter than this would mask ordinary words ("ab" inside every log line).
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();

  constructor(secrets: Iterable<string | undefined | null> = []) {
    for (const s of secrets) this.add(s);
  }

  add(secret: string | undefined | null): this {
    if (secret && secret.length >= MIN_SECRET_LENGTH) {
      this.secrets.add(secret);
      // A multi-line secret (a PEM key) may be echoed line by line: mask each substantial line too.
      for (const line of secret.split(/\r?\n/)) {
        if (line.trim().length >= 16) this.secrets.add(line.trim());
      }
    }
    return this;
  }

  /** A redactor that knows this one's secrets and more; the original is not changed. */
  with(secrets: Iterable<string | undefined | null>): Redactor {
    const next = new Redactor(this.secrets);
    for (const s of secrets) next.add(s);
    return next;
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is masked whole.
    const known = [...this.secrets].sort((a, b) => b.length - a.length);
    for (const s of known) out = out.split(s).join(MASK);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, MASK);
    return out;
  }
}

export const shapeRedactor = new Redactor();
