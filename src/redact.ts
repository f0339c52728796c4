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
      // The forms a secret takes once something has encoded it: JSON (quotes, backslashes,
      // newlines escaped), URL-encoding (a password in a URL), base64 (Basic auth, env files).
      for (const form of encodedForms(secret)) this.secrets.add(form);
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

function encodedForms(secret: string): string[] {
  const forms = new Set<string>([
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    Buffer.from(secret, 'utf8').toString('base64'),
    Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ]);
  forms.delete(secret);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * A copy of `value` with every string in it redacted (deeply; Errors become their redacted
 * message and stack). The logger calls this *before* serialising, because serialising escapes a
 * secret's quotes, backslashes and newlines and the escaped text no longer contains the secret.
 */
export function redactValue(value: unknown, redactor: Redactor, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return { message: redactor.redact(value.message), ...(value.stack ? { stack: redactor.redact(value.stack) } : {}) };
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redactor, seen));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, redactor, seen)]));
}
