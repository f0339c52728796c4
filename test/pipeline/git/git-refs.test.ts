import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { assertSafeRef, isValidRefFormat } from '../../../src/pipeline/git/git-refs.js';
import { assertSafeRepoUrl, displayUrl, urlCredentials } from '../../../src/pipeline/git/git-url.js';

/** The reference implementation: the real git. */
function gitSaysValid(ref: string): boolean {
  return spawnSync('git', ['check-ref-format', '--allow-onelevel', ref]).status === 0;
}

const CORPUS = [
  'main', 'feature/x', 'release/2026.01', 'v1.2.3', 'HEAD', 'a', '@', '@{u}', 'a@{1}', 'a@b', '@x',
  'a..b', 'a.', '.a', 'a/.b', 'a/b.', 'a.lock', 'a/b.lock/c', 'a.lock.b', 'a//b', '/a', 'a/', 'a b',
  'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a\x7f', 'a\tb', 'ünï/cødé', '日本', 'a{b}', 'a}',
  'a-b_c+d=e,f', '-a', 'a/-b', 'a;b', 'a$b', 'a|b', "a'b", 'a"b', 'a`b', 'a.b.c', '..', '.', '',
  'refs/heads/main', 'a/.lock', 'a/b/c/d/e', 'x.lockx', '.lock', 'a..', 'a/..', 'a/./b',
];

describe('isValidRefFormat', () => {
  it.each(CORPUS.map((r) => [JSON.stringify(r), r]))('agrees with git check-ref-format on %s', (_label, ref) => {
    // git's CLI reads a leading "-" as an option; we refuse such refs outright.
    if (ref === '' || ref.startsWith('-')) return expect(isValidRefFormat(ref)).toBe(false);
    expect(isValidRefFormat(ref)).toBe(gitSaysValid(ref));
  });
});

describe('assertSafeRef', () => {
  it.each(['main', 'feature/login-form', 'v1.2.3', 'release/2026.01', 'HEAD', 'deadbeef', 'a'.repeat(40), '0123456789abcdef0123456789abcdef01234567'])(
    'accepts %s',
    (ref) => {
      expect(assertSafeRef(ref)).toBe(ref);
    },
  );

  it.each([
    ['--upload-pack=touch /tmp/x', /must not start with "-"/],
    ['-b', /must not start with "-"/],
    ['v1;rm -rf /', /spaces or control characters|one of ;/],
    ['v1;rm', /one of ;/],
    ['$(touch /tmp/x)', /spaces|one of ;/],
    ['$(id)', /one of ;/],
    ['`id`', /one of ;/],
    ['a b', /spaces/],
    ['a\nb', /control characters/],
    ['a\u00a0b', /spaces/],
    ['a\u200bb', /spaces or control characters/],
    ['a..b', /not a valid git branch or tag name/],
    ['a.lock', /not a valid/],
    ['@{-1}', /not a valid/],
    ['HEAD~1', /not a valid/],
    ['', /empty/],
    ['x'.repeat(300), /too long/],
  ] as const)('refuses %j', (ref, message) => {
    expect(() => assertSafeRef(ref)).toThrow(UserError);
    expect(() => assertSafeRef(ref)).toThrow(message);
  });
});

describe('repo URLs', () => {
  it.each(['https://github.com/o/r.git', 'ssh://git@host:22/o/r.git', 'git@github.com:o/r.git', 'file:///tmp/r', '/srv/repos/r.git', 'git://host/r'])(
    'accepts %s',
    (url) => expect(assertSafeRepoUrl(url)).toBe(url),
  );

  it.each(['ext::sh -c touch% /tmp/x', '--upload-pack=x', 'fd::3', 'relative/path', 'https://a b', 'https://x\n', ''])('refuses %j', (url) => {
    expect(() => assertSafeRepoUrl(url)).toThrow(UserError);
  });

  it('finds and hides credentials', () => {
    expect(urlCredentials('https://user:p%40ss@host/r')).toEqual(['user', 'p%40ss', 'p@ss']);
    expect(urlCredentials('https://ghp_token123@host/r')).toEqual(['ghp_token123']);
    expect(urlCredentials('git@github.com:o/r')).toEqual([]);
    expect(displayUrl('https://user:pw@host/r')).toBe('https://[redacted]@host/r');
  });
});
