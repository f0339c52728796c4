import type { types } from '@slack/bolt';
import { refNameProblem } from '../../../core/validation.js';
import type { GitCommit, GitRef } from '../../../pipeline/git/git.js';
import { LIMITS, truncate } from './text.js';

/**
 * The deploy modal's version picker: what an options load answers for the text typed so far.
 * Pure: the refs come from the version catalog (a cache over the git mirror).
 *
 * Groups, in order: branches (the project's default branch first, then most recently committed),
 * tags (newest first), recent commits, and the typed text itself when it could be a ref the
 * lists do not show (an older commit id, a branch pushed a second ago). Values are what the
 * deploy resolves: a branch or tag name, or a full commit id.
 */
export interface VersionRefs {
  branches: GitRef[];
  tags: GitRef[];
  commits: GitCommit[];
}

export type VersionNote = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'no-project' };

/** Option values that are not refs (git refuses `:` in ref names, so they cannot collide). */
export const VERSION_SENTINEL_PREFIX = ':';
export const isVersionSentinel = (value: string): boolean => value.startsWith(VERSION_SENTINEL_PREFIX);

export type OptionsAnswer = { options: types.PlainTextOption[] } | { option_groups: { label: types.PlainTextElement; options: types.PlainTextOption[] }[] };

const PER_GROUP = 25;

const option = (text: string, value: string): types.PlainTextOption => ({ text: { type: 'plain_text', text: truncate(text, LIMITS.plainOption) }, value });

function refMatches(name: string, q: string): boolean {
  if (q === '') return true;
  const lower = name.toLowerCase();
  return lower.startsWith(q) || lower.split('/').some((part) => part.startsWith(q)) || (/^v\d/.test(lower) && lower.slice(1).startsWith(q));
}

function commitMatches(c: GitCommit, q: string): boolean {
  return q === '' || c.sha.startsWith(q) || (q.length >= 3 && c.summary.toLowerCase().includes(q));
}

export function versionOptions(refs: VersionRefs | null, query: string, options: { defaultBranch?: string; note?: VersionNote } = {}): OptionsAnswer {
  const typed = query.trim();
  const q = typed.toLowerCase();
  const seen = new Set<string>();
  const groups: { label: types.PlainTextElement; options: types.PlainTextOption[] }[] = [];
  const group = (label: string, items: types.PlainTextOption[]) => {
    const fresh: types.PlainTextOption[] = [];
    for (const o of items) {
      if (fresh.length >= PER_GROUP) break;
      if (o.value === undefined || o.value.length > LIMITS.optionValue || seen.has(o.value)) continue;
      seen.add(o.value);
      fresh.push(o);
    }
    if (fresh.length > 0) groups.push({ label: { type: 'plain_text', text: label }, options: fresh });
  };

  const note = options.note;
  if (note?.kind === 'no-project') group('Versions', [option('Pick a project first', `${VERSION_SENTINEL_PREFIX}no-project`)]);
  if (note?.kind === 'loading') group('Repository', [option('Fetching the repository… type again in a moment', `${VERSION_SENTINEL_PREFIX}loading`)]);
  if (note?.kind === 'error') group('Repository', [option(`Cannot read the repository: ${note.message}`, `${VERSION_SENTINEL_PREFIX}error`)]);

  if (refs) {
    const branches = refs.branches.filter((b) => refMatches(b.name, q));
    const first = branches.filter((b) => b.name === options.defaultBranch);
    const rest = branches.filter((b) => b.name !== options.defaultBranch);
    group('Branches', [...first, ...rest].slice(0, PER_GROUP * 2).map((b) => option(`${b.name} · ${b.sha.slice(0, 7)}`, b.name)));
    group('Tags', refs.tags.filter((t) => refMatches(t.name, q)).slice(0, PER_GROUP * 2).map((t) => option(`${t.name} · ${t.sha.slice(0, 7)}`, t.name)));
    group('Recent commits', refs.commits.filter((c) => commitMatches(c, q)).slice(0, PER_GROUP * 2).map((c) => option(`${c.shortSha} ${c.summary}`, c.sha)));
  }

  // The typed text itself, when no listed ref matches it: an older commit, a ref pushed a moment ago.
  const matched = groups.some((g) => g.label.text !== 'Repository' && g.label.text !== 'Versions');
  if (typed !== '' && !matched && refNameProblem(typed) === undefined && typed.length <= LIMITS.optionValue) {
    group('As typed', [option(`Use "${typed}"`, typed)]);
  }
  return groups.length === 0 ? { options: [] } : { option_groups: groups };
}
