import { UserError } from '../../errors.js';
import { Redactor } from '../../redact.js';

/**
 * Repository URLs come from project settings typed by people. Git accepts far more than URLs:
 * `ext::sh -c …` runs a command, a leading `-` becomes an option. Allow only the transports a
 * deploy bot needs: https/http, ssh (URL or scp-like `user@host:path`), git://, file:// and
 * absolute local paths (tests, mirrors on the same machine).
 */
const URL_SCHEMES = /^(https?|ssh|git|file):\/\//i;
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^\s]+$/;

export function assertSafeRepoUrl(url: string): string {
  if (typeof url !== 'string' || url.length === 0) throw new UserError('The repository URL is empty.');
  if (url.startsWith('-')) throw new UserError('The repository URL must not start with "-".');
  if (/[\s\p{Cc}]/u.test(url)) throw new UserError('The repository URL must not contain spaces or control characters.');
  if (URL_SCHEMES.test(url) || SCP_LIKE.test(url) || url.startsWith('/')) return url;
  throw new UserError(
    'The repository URL must be https://…, ssh://…, user@host:path, git://…, file://… or an absolute path.',
  );
}

/** The credentials embedded in a URL (`https://user:token@host`), so errors can mask them. */
export function urlCredentials(url: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url);
  if (!match?.[1]) return [];
  const parts = match[1].split(':');
  const decoded: string[] = [];
  for (const p of parts) {
    decoded.push(p);
    try {
      decoded.push(decodeURIComponent(p));
    } catch {
      // not percent-encoded: the raw form is already in the list
    }
  }
  return [...new Set(decoded.filter((p) => p.length > 0))];
}

/** A redactor that knows this URL's credentials (on top of the base one's). */
export function redactorForUrl(url: string, base: Redactor = new Redactor()): Redactor {
  return base.with(urlCredentials(url));
}

/** The URL as it may be shown: credentials replaced, the rest intact so people recognise it. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1[redacted]@');
}
