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

/** What stands for a credential in a shown repository URL. */
export const CREDENTIAL_MASK = '***';

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i;

/** True when the URL carries a password or token (`https://user:token@…`, `https://token@…`). */
export function hasUrlCredentials(url: string): boolean {
  return maskUrlCredentials(url) !== url;
}

/**
 * The URL as it is stored in clear, shown and audited: `https://user:***@host/…`. A user name
 * alone is kept for ssh (`ssh://git@host`, not a secret), but masked for http(s), where a lone
 * user name is how tokens are usually passed (`https://<token>@github.com/…`).
 */
export function maskUrlCredentials(url: string): string {
  const m = USERINFO.exec(url);
  if (!m) return url;
  const [, scheme, userinfo] = m as unknown as [string, string, string];
  const colon = userinfo.indexOf(':');
  let masked: string;
  if (colon >= 0) masked = `${userinfo.slice(0, colon)}:${CREDENTIAL_MASK}`;
  else if (/^https?:\/\//i.test(scheme) && userinfo !== CREDENTIAL_MASK) masked = CREDENTIAL_MASK;
  else masked = userinfo;
  return `${scheme}${masked}@${url.slice(m[0].length)}`;
}

/** A shown URL whose credentials were masked (the real one is stored encrypted). */
export function isMaskedUrl(url: string): boolean {
  const m = USERINFO.exec(url);
  return Boolean(m && (m[2] === CREDENTIAL_MASK || m[2]!.endsWith(`:${CREDENTIAL_MASK}`)));
}
