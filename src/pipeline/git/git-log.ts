/**
 * Machine-readable git output formats and their parsers.
 *
 * Fields are separated by US (0x1f) and records by NUL: neither can appear in a ref name, a sha
 * or a date, and the one free-text field (the subject) comes last, so even a subject containing
 * 0x1f is kept whole. Nothing here is ever evaluated, only split.
 */
export interface GitCommit {
  sha: string;
  shortSha: string;
  author: string;
  /** Author date. */
  date: Date;
  /** First line of the message. */
  summary: string;
}

export interface GitRef {
  name: string;
  /** The commit it points to (tags are peeled). */
  sha: string;
  /** Branches: the tip's committer date. Tags: the tag's creation date. */
  date: Date;
}

const US = '\x1f';

/** For `git log -z --format=…`. */
export const LOG_FORMAT = ['%H', '%h', '%an', '%aI', '%s'].join('%x1f');

export function parseLog(output: string): GitCommit[] {
  return output
    .split('\0')
    .filter((record) => record.trim().length > 0)
    .map((record) => {
      const [sha = '', shortSha = '', author = '', date = '', ...subject] = record.replace(/^\n/, '').split(US);
      return { sha, shortSha, author, date: new Date(date), summary: subject.join(US) };
    });
}

/** For `git for-each-ref --format=…`; `%(*objectname)` is the peeled commit of an annotated tag. */
export const BRANCH_FORMAT = '%(refname:lstrip=2)%1f%(objectname)%1f%(committerdate:iso-strict)%00';
export const TAG_FORMAT = '%(refname:lstrip=2)%1f%(objectname)%1f%(*objectname)%1f%(creatordate:iso-strict)%00';

export function parseBranches(output: string): GitRef[] {
  return records(output).map(([name = '', sha = '', date = '']) => ({ name, sha, date: new Date(date) }));
}

export function parseTags(output: string): GitRef[] {
  return records(output).map(([name = '', sha = '', peeled = '', date = '']) => ({
    name,
    sha: peeled || sha,
    date: new Date(date),
  }));
}

function records(output: string): string[][] {
  return output
    .split('\0')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.length > 0)
    .map((r) => r.split(US));
}
