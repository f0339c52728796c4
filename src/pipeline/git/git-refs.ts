import { UserError } from '../../errors.js';

/** A full or abbreviated commit id (git accepts 4+ hex digits). */
const HEX_SHA = /^[0-9a-f]{4,40}$/i;
export const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * Characters refused on top of git's own rules. Git itself allows `;`, `$`, `|`, quotes… in ref
 * names, but refs typed in Slack end up in messages, logs and hook environments; no sane
 * branch or tag needs them, and refusing them early is cheaper than proving every later use safe.
 */
const SHELL_META = /[;&|$`'"<>]/;

/**
 * Faithful port of `git check-ref-format --allow-onelevel` (refs.c: check_refname_component),
 * so a ref can be judged without spawning git (chat command parsing is synchronous).
 * The test suite checks it against the real git on a corpus of nasty names.
 * One deliberate addition: a leading `-` is refused (git's CLI would read it as an option).
 */
export function isValidRefFormat(ref: string): boolean {
  if (ref.length === 0 || ref === '@' || ref.startsWith('-')) return false;
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.')) return false;
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//')) return false;
  for (const ch of ref) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return false; // control characters
    if (' ~^:?*[\\'.includes(ch)) return false;
  }
  for (const component of ref.split('/')) {
    if (component.startsWith('.') || component.endsWith('.lock')) return false;
  }
  return true;
}

export function isHexSha(ref: string): boolean {
  return HEX_SHA.test(ref);
}

/**
 * Refuses anything that is not plainly a branch, tag or commit id, with a message for the user.
 * Runs before git ever sees the value: a ref like `--upload-pack=touch /tmp/x` would otherwise
 * be parsed by git as an option.
 */
export function assertSafeRef(ref: string, what = 'ref'): string {
  const shown = JSON.stringify(ref.length > 80 ? `${ref.slice(0, 80)}…` : ref);
  if (typeof ref !== 'string' || ref.length === 0) throw new UserError(`The ${what} is empty.`);
  if (ref.length > 255) throw new UserError(`The ${what} ${shown} is too long.`);
  if (ref.startsWith('-')) throw new UserError(`The ${what} ${shown} is not allowed: it must not start with "-".`);
  if (/[\s\p{Cc}\p{Cf}]/u.test(ref)) {
    throw new UserError(`The ${what} ${shown} is not allowed: it contains spaces or control characters.`);
  }
  if (SHELL_META.test(ref)) {
    throw new UserError(`The ${what} ${shown} is not allowed: it contains one of ; & | $ \` ' " < >.`);
  }
  if (isHexSha(ref)) return ref;
  if (!isValidRefFormat(ref)) {
    throw new UserError(`The ${what} ${shown} is not a valid git branch or tag name.`);
  }
  return ref;
}

/**
 * What a mirror fetches: branches and tags, the refs people review and protect. Pull and merge
 * requests (`refs/pull/*`, `refs/merge-requests/*`) and any other server-side refs stay out.
 */
export const REVIEWED_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'] as const;

export const ONLY_REVIEWED = 'Only branches, tags and commits on them can be deployed; pull and merge requests cannot until they are merged (or pushed as a branch).';

/** Refuses a full ref name outside branches and tags (`refs/pull/1/head`), before git sees it. */
export function assertReviewedRef(ref: string): string {
  if (ref.startsWith('refs/') && !ref.startsWith('refs/heads/') && !ref.startsWith('refs/tags/')) {
    throw new UserError(`The ref "${ref}" is not a branch or tag. ${ONLY_REVIEWED}`);
  }
  return ref;
}
